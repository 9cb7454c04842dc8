"""Development only: answer a caught invitation the way a guest's mail program would.

The REPLY is a real iTIP object (RFC 5546): the invitation's UID and SEQUENCE, DTSTAMP now, the
guest as the only ATTENDEE with the chosen PARTSTAT, sent in a multipart/alternative mail with
``text/calendar; method=REPLY`` over SMTP to the inbound server (``INBOUND_DEV_SMTP``), with the
ORGANIZER address (rsvp+<token>@MAIL_DOMAIN) as the envelope recipient, as Outlook would.
"""

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from icalendar import Calendar, Event, vCalAddress, vText

from app.inbound.addresses import rsvp_token

PARTSTATS = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}
SUBJECT_PREFIX = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}
DEFAULT_ADDRESS = "127.0.0.1:2525"


class InboundUnreachable(Exception):
    """The inbound SMTP server did not answer (not started)."""


class InboundRefused(Exception):
    """The inbound SMTP server answered but refused the reply."""


@dataclass(frozen=True)
class Request:
    """What a REPLY needs from a caught METHOD:REQUEST invitation."""

    uid: str
    sequence: int
    summary: str
    organizer: str
    attendee: str
    attendee_cn: str


def _bare(address) -> str:
    """Return a calendar address without its mailto: scheme."""
    text = str(address or "")
    return text[7:] if text.lower().startswith("mailto:") else text


def parse_request(calendar: bytes | str | None) -> Request | None:
    """Return the invitation in a METHOD:REQUEST calendar with an rsvp ORGANIZER, else None."""
    if not calendar:
        return None
    try:
        parsed = Calendar.from_ical(calendar)
    except ValueError:
        return None
    if str(parsed.get("METHOD", "")).upper() != "REQUEST":
        return None
    for vevent in parsed.walk("VEVENT"):
        organizer = _bare(vevent.get("ORGANIZER"))
        attendee = vevent.get("ATTENDEE")
        if isinstance(attendee, list):
            attendee = attendee[0] if len(attendee) == 1 else None
        if not organizer or attendee is None or not vevent.get("UID"):
            continue
        if rsvp_token(organizer, organizer.rpartition("@")[2]) is None:
            continue
        return Request(
            uid=str(vevent["UID"]),
            sequence=int(vevent.get("SEQUENCE", 0)),
            summary=str(vevent.get("SUMMARY", "")),
            organizer=organizer,
            attendee=_bare(attendee),
            attendee_cn=str(getattr(attendee, "params", {}).get("CN", "")),
        )
    return None


def reply_calendar(request: Request, partstat: str, now: datetime) -> bytes:
    """Return the iTIP METHOD:REPLY for the invitation with the guest's PARTSTAT."""
    cal = Calendar()
    cal.add("prodid", "-//Stadtkalender//Development reply button//EN")
    cal.add("version", "2.0")
    cal.add("method", "REPLY")
    vevent = Event()
    vevent.add("uid", request.uid)
    vevent.add("sequence", request.sequence)
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("summary", request.summary)
    vevent.add("organizer", vCalAddress(f"mailto:{request.organizer}"))
    attendee = vCalAddress(f"mailto:{request.attendee}")
    attendee.params["PARTSTAT"] = vText(partstat)
    if request.attendee_cn:
        attendee.params["CN"] = vText(request.attendee_cn)
    vevent.add("attendee", attendee)
    cal.add_component(vevent)
    return cal.to_ical()


def reply_mail(request: Request, answer: str, now: datetime) -> EmailMessage:
    """Return the guest's reply mail: text plus text/calendar; method=REPLY, like a client."""
    partstat = PARTSTATS[answer]
    message = EmailMessage()
    sender = request.attendee
    message["From"] = f"{request.attendee_cn} <{sender}>" if request.attendee_cn else sender
    message["To"] = request.organizer
    message["Subject"] = f"{SUBJECT_PREFIX[partstat]}: {request.summary}"
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(f"{parseaddr(sender)[1]} has answered: {partstat.lower()}.\n")
    message.add_alternative(
        reply_calendar(request, partstat, now),
        maintype="text",
        subtype="calendar",
        params={"charset": "utf-8", "method": "REPLY"},
    )
    return message


def send_reply(request: Request, answer: str, address: str, *, now: datetime) -> None:
    """Send the guest's reply to the inbound server at ``host:port``; raise InboundUnreachable."""
    host, _sep, port = (address or DEFAULT_ADDRESS).rpartition(":")
    message = reply_mail(request, answer, now)
    try:
        with smtplib.SMTP(host or "127.0.0.1", int(port), timeout=10) as smtp:
            smtp.send_message(message, from_addr=request.attendee, to_addrs=[request.organizer])
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
        raise InboundRefused(str(error)) from error
    except OSError as error:  # smtplib's other errors are OSErrors too (disconnects)
        raise InboundUnreachable(str(error)) from error
