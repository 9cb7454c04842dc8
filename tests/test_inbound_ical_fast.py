"""The quick read of iTIP replies gives what icalendar's full parse gives, or declines to guess."""

import pytest

from app.inbound import ical_fast, itip, mime
from tests.test_inbound import DATA, corpus

FILL = {
    "token": "abc123",
    "domain": "stadt.test",
    "uid": "event-42@stadt.test",
    "guest": "Erika.Muster@Example.org",
    "message_id": "<sent-1@stadt.test>",
}
# The shapes the mail clients of the corpus send: all of them must take the quick read.
QUICK = [
    "gmail_accept.eml",
    "apple_mail_decline.eml",
    "thunderbird_tentative.eml",
    "stale_sequence.eml",
]
EVENT = (
    "BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n{cal}"
    "BEGIN:VEVENT\r\nUID:u-1\r\nDTSTAMP:20261102T101500Z\r\nSEQUENCE:2\r\n{event}"
    'ATTENDEE;PARTSTAT=ACCEPTED;CN="Muster, Erika":mailto:erika@example.org\r\n'
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)
# Lines a reply may carry, plain and odd: the quick read must agree or say it is unsure.
EVENT_LINES = [
    "",
    "COMMENT:Ich komme gern\r\n",
    "COMMENT;LANGUAGE=de:Erste\r\nCOMMENT:Zweite\r\n",
    "COMMENT:mit\\, Komma\r\n",
    "DTSTART;TZID=W. Europe Standard Time:20261103T180000\r\n",
    "DTSTART;TZID=Nowhere/Zone:20261103T180000\r\n",
    "DTSTART:2026133T1\r\n",
    "RRULE:FREQ=WHAT\r\n",
    "X-MS-OLK-CONFTYPE:0\r\n",
    'ATTENDEE;PARTSTAT=declined;SENT-BY="MAILTO:sek@example.org":MAILTO:b@example.org\r\n',
    "ATTENDEE;PARTSTAT=ACCEPTED,DECLINED:mailto:c@example.org\r\n",
    'ATTENDEE;PARTSTAT="TENTATIVE":mailto:d@example.org\r\n',
    "ATTENDEE;CN=a^'b:mailto:e@example.org\r\n",
    "ATTENDEE ;PARTSTAT=ACCEPTED:mailto:f@example.org\r\n",
    "ATTENDEE;PARTSTAT = ACCEPTED:mailto:g@example.org\r\n",
    "UID:second\r\n",
    "SEQUENCE:x\r\n",
    "DTSTAMP;TZID=Europe/Berlin:20261102T101500\r\n",
    "BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n",
    "broken line without colon\r\n",
    " folded continuation\r\n",
]
CALENDAR_LINES = [
    "",
    "CALSCALE:GREGORIAN\r\n",
    "X-WR-TIMEZONE:Europe/Berlin\r\n",
    "REFRESH-INTERVAL;VALUE=DURATION:P1W\r\n",
    "METHOD:COUNTER\r\n",
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
    "BEGIN:VTIMEZONE\r\nTZID:Broken\r\nBEGIN:STANDARD\r\nDTSTART:1970\r\n"
    "TZOFFSETFROM:nonsense\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
]


def _both(text: str) -> tuple[list | None, list]:
    """Return the quick read (None when unsure) and the full parse of one text."""
    quick = ical_fast.read(text)
    events = None if quick is None else [itip._quick(m, v) for m, v in quick]
    if events is not None:
        events = [e for e in events if e.method in itip.ANSWERING]
    return events, itip._parsed(text)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.eml")))
def test_the_corpus_reads_the_same_quickly(name):
    parsed = mime.parse(corpus(name, **FILL))
    for text in mime.calendar_texts(parsed):
        quick, full = _both(text)
        if name in QUICK:
            assert quick is not None, name
        assert quick is None or quick == full
    assert itip.replies(mime.calendar_texts(parsed)) == [
        event for text in mime.calendar_texts(parsed) for event in itip._parsed(text)
    ]


@pytest.mark.parametrize("cal", CALENDAR_LINES)
@pytest.mark.parametrize("event", EVENT_LINES)
def test_odd_lines_read_the_same_or_are_left_to_icalendar(cal, event):
    for text in (EVENT.format(cal=cal, event=event), EVENT.format(cal=cal, event=event) * 2):
        quick, full = _both(text)
        assert quick is None or quick == full
        assert itip.replies([text]) == full


def test_plain_shapes_are_read_quickly():
    text = EVENT.format(cal=CALENDAR_LINES[5], event="COMMENT:gern\r\n")
    quick, full = _both(text)
    assert quick == full and quick[0].comment == "gern" and quick[0].sequence == 2
