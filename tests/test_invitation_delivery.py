"""End to end: invitations leave through the outbox worker and a real SMTP server receives them."""

from datetime import datetime
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.events.models import Status
from app.events.operations import set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from app.invitations.models import Answer, Invitation
from app.invitations.operations import invite
from app.mail.models import MailStatus, OutboxMessage
from app.mail.worker import deliver
from tests.factories import NOW, make_contact, make_event, make_user
from tests.icalcheck import icaljs_instants, parse_icalendar, python_instants
from tests.livesite import chromium_page, live_server
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server

KEY = "test-secret-key-not-for-production"


@pytest.fixture
def smtp(app):
    """Run a recording SMTP server on 127.0.0.1 and send the app's mail there."""
    with smtp_server(RecordingHandler()) as controller:
        send_mail_to(app, controller.port)
        yield controller.handler


def _deliver() -> None:
    """Run one delivery worker until the outbox is empty (rendering through the registry)."""
    deliver(until_empty=True, worker_id="test")


def _parts(raw: bytes):
    """Return the parsed mail and its calendar bytes."""
    mail = message_from_bytes(raw, policy=policy.default)
    calendar = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    return mail, calendar.get_payload(decode=True)


def test_invite_update_cancel_arrive_with_rising_sequence_and_one_attendee(app, smtp):
    owner = make_user()
    event = make_event(
        owner, status="published", start=datetime(2027, 5, 6, 18), end=datetime(2027, 5, 6, 20)
    )
    guests = [make_contact(email=f"gast{n}@example.org") for n in range(2)]
    invite(event, guests, actor=owner, now=NOW, secret_key=KEY)
    db.session.commit()
    _deliver()
    moved = EventInput.from_event(event).replace(
        start=datetime(2027, 5, 6, 19),
        end=datetime(2027, 5, 6, 21),
        conflict_reason="Christi Himmelfahrt ist bewusst gewählt.",
    )
    update_event(event, moved, actor=owner, now=NOW)
    db.session.commit()
    _deliver()
    set_status(event, Status.CANCELLED, actor=owner, now=NOW)
    db.session.commit()
    _deliver()
    assert len(smtp.received) == 6 and len(set(smtp.message_ids)) == 6
    per_guest: dict[str, list] = {}
    for received in smtp.received:
        mail, ics = _parts(received.data)
        assert received.rcpt_tos == [mail["To"].addresses[0].addr_spec]
        cal = parse_icalendar(ics)
        (vevent,) = cal.walk("VEVENT")
        attendee = vevent["ATTENDEE"]
        assert not isinstance(attendee, list)
        assert str(attendee) == f"mailto:{received.rcpt_tos[0]}"
        assert str(vevent["ORGANIZER"]) != str(attendee)
        assert python_instants(cal) == icaljs_instants(ics)
        per_guest.setdefault(received.rcpt_tos[0], []).append(
            (str(cal["METHOD"]), int(vevent["SEQUENCE"]), str(vevent["UID"]))
        )
    for history in per_guest.values():
        assert [method for method, _s, _u in history] == ["REQUEST", "REQUEST", "CANCEL"]
        sequences = [s for _m, s, _u in history]
        assert sequences == sorted(sequences) and len(set(sequences)) == 3
        assert {uid for _m, _s, uid in history} == {event.uid}
    assert set(db.session.scalars(select(OutboxMessage.status))) == {MailStatus.SENT}


@pytest.mark.browser
def test_guest_opens_the_link_from_the_received_mail_and_accepts(app, smtp, database_url):
    owner = make_user()
    start = datetime.now().replace(microsecond=0, second=0, minute=0, hour=18)
    event = make_event(
        owner,
        title="Empfang im Rathaus",
        status="published",
        start=start.replace(day=1).replace(month=start.month % 12 + 1),
        end=start.replace(day=1, hour=20).replace(month=start.month % 12 + 1),
        capacity=50,
        max_plus_ones=1,
    )
    if event.start_local.year == start.year and start.month == 12:
        pytest.skip("date arithmetic of this test does not cross the year")
    invite(
        event,
        [make_contact(first_name="Erika", last_name="Gast")],
        actor=owner,
        now=NOW,
        secret_key=KEY,
    )
    db.session.commit()
    _deliver()
    (received,) = smtp.received
    mail = message_from_bytes(received.data, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/rsvp/" in word and "optout" not in word)
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(base + urlsplit(link).path)
        assert page.get_by_role("heading", name="Empfang im Rathaus").is_visible()
        page.get_by_label("Ja, ich nehme teil").check()
        page.get_by_role("button", name="Antwort senden").click()
        page.wait_for_load_state()
        assert "gespeichert" in page.inner_text("main")
    db.session.expire_all()
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.status == Answer.ACCEPTED and invitation.response_source == "link"
