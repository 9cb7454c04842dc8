"""Changing and cancelling a published event: what staff choose, see, and what guests receive."""

import re
from datetime import datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from app.events.changes import EventChange
from app.events.models import Status
from app.events.operations import set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from app.invitations.models import Answer
from app.mail.models import OutboxMessage
from app.mail.worker import deliver
from app.venues.models import Venue
from tests.factories import NOW, login, make_event, make_invitation, make_user
from tests.icalcheck import parse_icalendar
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server

START = datetime(2027, 5, 12, 18)


@pytest.fixture
def smtp(app):
    """Run a recording SMTP server on 127.0.0.1 and send the app's mail there."""
    with smtp_server(RecordingHandler()) as controller:
        send_mail_to(app, controller.port)
        yield controller.handler


def _published(owner, **overrides):
    """Return a published event on 6 May 2027, 18:00–20:00."""
    values = {"status": "published", "start": START, "end": START.replace(hour=20)}
    return make_event(owner, **(values | overrides))


def _mails(smtp) -> list[tuple[str, str, object]]:
    """Return (plain text, subject, VEVENT) of every mail received so far."""
    found = []
    for received in smtp.received:
        mail = message_from_bytes(received.data, policy=policy.default)
        text = mail.get_body(("plain",)).get_content()
        part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
        (vevent,) = parse_icalendar(part.get_payload(decode=True)).walk("VEVENT")
        found.append((text, str(mail["Subject"]), vevent))
    return found


def _send_invitations(event, owner, n: int = 1, **contact):
    """Invite n guests, deliver the invitations and forget them; return the invitations."""
    invitations = [make_invitation(event, owner, **contact)[0] for _ in range(n)]
    db.session.commit()
    deliver(until_empty=True, worker_id="test")
    return invitations


def _queued(kind: str) -> list[OutboxMessage]:
    """Return the outbox rows of a kind."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_moving_the_time_mails_old_and_new_time_and_asks_for_a_new_answer(app, smtp):
    owner = make_user()
    event = _published(owner)
    (invitation,) = _send_invitations(event, owner, language="en")
    invitation.status = Answer.ACCEPTED
    smtp.received.clear()
    moved = EventInput.from_event(event).replace(
        start=START.replace(hour=19), end=START.replace(hour=21)
    )
    update_event(event, moved, actor=owner, now=NOW)
    db.session.commit()
    deliver(until_empty=True, worker_id="test")
    ((text, subject, vevent),) = _mails(smtp)
    assert subject.startswith("Changed:")
    assert "reply again" in text
    day = r"Wednesday, 12\.? May 2027"
    assert re.search(rf"When: {day}, 18:00 – 20:00 → {day}, 19:00 – 21:00", text)
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert vevent["ATTENDEE"].params["RSVP"] == "TRUE"


def test_a_new_place_keeps_the_answer_and_says_no_new_reply_is_needed(app, smtp):
    owner = make_user()
    hall = Venue(name="Ratssaal", address="Markt 1")
    db.session.add(hall)
    db.session.flush()
    event = _published(owner, location="Foyer")
    (invitation,) = _send_invitations(event, owner, language="en")
    invitation.status = Answer.ACCEPTED
    db.session.commit()
    smtp.received.clear()
    sequence = event.sequence
    update_event(
        event, EventInput.from_event(event).replace(venue_id=hall.id), actor=owner, now=NOW
    )
    db.session.commit()
    deliver(until_empty=True, worker_id="test")
    ((text, _subject, vevent),) = _mails(smtp)
    assert "Where: Foyer → Ratssaal, Markt 1" in text
    assert "you do not need to reply again" in text and "When:" not in text.split("Where:")[0]
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert vevent["ATTENDEE"].params["RSVP"] == "FALSE"
    assert int(vevent["SEQUENCE"]) == sequence + 1


def test_a_new_title_reaches_guests_only_when_staff_ask_for_it(app, smtp):
    owner = make_user()
    event = _published(owner, title="Empfang")
    _send_invitations(event, owner, language="en")
    smtp.received.clear()
    sequence = event.sequence
    update_event(
        event,
        EventInput.from_event(event).replace(title="Neujahrsempfang"),
        actor=owner,
        now=NOW,
        notify=False,
    )
    db.session.commit()
    assert event.sequence == sequence + 1 and _queued("update") == []
    update_event(
        event,
        EventInput.from_event(event).replace(title="Großer Neujahrsempfang"),
        actor=owner,
        now=NOW,
    )
    db.session.commit()
    deliver(until_empty=True, worker_id="test")
    ((text, _subject, vevent),) = _mails(smtp)
    # The guest knew the first title: the unannounced one in between is not what they saw.
    assert "What: Empfang → Großer Neujahrsempfang" in text
    assert int(vevent["SEQUENCE"]) == sequence + 2


def test_a_change_without_informing_still_delivers_waiting_invitations(app, smtp):
    owner = make_user()
    event = _published(owner)
    make_invitation(event, owner, language="en")
    db.session.commit()
    moved = EventInput.from_event(event).replace(
        start=START.replace(hour=19), end=START.replace(hour=21)
    )
    update_event(event, moved, actor=owner, now=NOW, notify=False)
    db.session.commit()
    deliver(until_empty=True, worker_id="test")
    ((text, subject, vevent),) = _mails(smtp)
    assert subject.startswith("Invitation:") and "19:00" in text
    assert int(vevent["SEQUENCE"]) == event.sequence
    assert _queued("update") == []


def _form(event, **changes) -> dict:
    """Return the edit form of an event as the browser posts it."""
    values = {
        "title": event.title,
        "start_date": event.start_local.date().isoformat(),
        "start_time": event.start_local.strftime("%H:%M"),
        "end_date": event.end_local.date().isoformat(),
        "end_time": event.end_local.strftime("%H:%M"),
        "venue_id": "0",
        "location": event.location,
        "visibility": event.visibility.value,
        "max_plus_ones": "0",
    }
    return values | changes


def test_edit_form_of_a_published_event_offers_save_and_inform_with_the_guest_count(app, browser):
    owner = login(browser, locale="en")
    event = _published(owner)
    _send_invitations(event, owner, 2)
    page = browser.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert "Save as draft" not in page and "Save and publish" not in page
    assert ">Save<" in page and "Save and inform 2 guests" in page
    assert 'aria-describedby="notify-hint"' in page


def test_saving_a_new_time_without_informing_says_so_and_queues_nothing(app, browser):
    owner = login(browser, locale="en")
    event = _published(owner)
    _send_invitations(event, owner, 2)
    url = f"/events/{event.id}/edit"
    response = browser.post(url, _form(event, start_time="19:00", end_time="21:00", save="1"))
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "The guests were not informed about the change." in page
    assert _queued("update") == []


def test_save_and_inform_queues_an_update_per_guest_and_says_how_many(app, browser):
    owner = login(browser, locale="en")
    event = _published(owner)
    _send_invitations(event, owner, 2)
    url = f"/events/{event.id}/edit"
    response = browser.post(url, _form(event, location="Foyer", notify="1"))
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 guests will be informed about the change." in page
    assert len(_queued("update")) == 2
    assert db.session.get(type(event), event.id).status == Status.PUBLISHED


def test_save_and_inform_without_a_change_mails_nobody(app, browser):
    owner = login(browser, locale="en")
    event = _published(owner)
    _send_invitations(event, owner, 1)
    response = browser.post(f"/events/{event.id}/edit", _form(event, description="Neu", notify="1"))
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Time, place and title are unchanged, so no guest was informed." in page
    assert _queued("update") == []


def test_publishing_from_the_form_says_published(app, browser):
    owner = login(browser)
    event = make_event(owner, start=START, end=START.replace(hour=20))
    db.session.commit()
    response = browser.post(f"/events/{event.id}/edit", _form(event, publish="1"))
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Die Veranstaltung wurde veröffentlicht." in page


def test_cancel_page_counts_guests_and_the_message_reaches_the_cancel_mail(app, browser, smtp):
    owner = login(browser, locale="en")
    event = _published(owner)
    _send_invitations(event, owner, 2, language="en")
    smtp.received.clear()
    page = browser.get(f"/events/{event.id}/cancel").get_data(as_text=True)
    assert "2 guests will be informed of the cancellation" in page
    assert 'name="message"' in page and "aria-invalid" not in page
    message = "Wir holen den Empfang im Juni nach.\nDie neue Einladung folgt."
    response = browser.post(f"/events/{event.id}/cancel", {"message": message})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event was cancelled. 2 guests will be informed." in page
    deliver(until_empty=True, worker_id="test")
    mails = _mails(smtp)
    assert len(mails) == 2
    for text, subject, _vevent in mails:
        assert subject.startswith("Cancelled:")
        assert "Message from the organisers:\n" + message in text.replace("\r\n", "\n")
    (change,) = db.session.scalars(select(EventChange).where(EventChange.kind == "cancel"))
    assert change.message == message and change.sequence == event.sequence


def test_cancel_message_with_control_characters_is_a_field_error(app, browser):
    owner = login(browser, locale="en")
    event = _published(owner)
    _send_invitations(event, owner, 1)
    response = browser.post(
        f"/events/{event.id}/cancel",
        {"message": "Hallo\x07"},
        form_page=f"/events/{event.id}/cancel",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="message-error"' in page and 'aria-invalid="true"' in page
    assert db.session.get(type(event), event.id).status == Status.PUBLISHED


def test_cancel_without_guests_says_nobody_is_mailed(app, browser):
    owner = login(browser, locale="en")
    event = _published(owner)
    db.session.commit()
    page = browser.get(f"/events/{event.id}/cancel").get_data(as_text=True)
    assert "No guests are invited" in page and 'name="message"' not in page


def test_guest_page_of_a_cancelled_event_offers_no_calendar_entry_or_deadline(app, client):
    owner = make_user()
    event = _published(owner, rsvp_deadline=datetime(2027, 5, 10, 12))
    _invitation, token = make_invitation(event, owner)
    db.session.commit()
    before = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert "Zum eigenen Kalender hinzufügen" in before and "Rückmeldung bis" in before
    set_status(event, Status.CANCELLED, actor=owner, now=NOW)
    db.session.commit()
    page = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert "Diese Veranstaltung wurde abgesagt." in page
    assert "Zum eigenen Kalender hinzufügen" not in page and "Rückmeldung bis" not in page
