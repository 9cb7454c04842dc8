"""The guest list page, staff answers, exports, reminders and updates after changes."""

import csv
import io
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.contacts.models import Tag
from app.events.models import Status
from app.events.operations import set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from app.invitations.delivery import render_queued
from app.invitations.models import Answer, Invitation
from app.invitations.operations import invite
from app.invitations.reminders import remind_pending
from app.mail.models import OutboxMessage
from tests.factories import NOW, PASSWORD, make_contact, make_event, make_user
from tests.icalcheck import parse_icalendar

KEY = "test-secret-key-not-for-production"


def _hosted(browser, **event):
    """Log in a staff member and return them with a published event of their department."""
    staff = make_user()
    values = {
        "status": "published",
        "start": datetime(2027, 3, 4, 18),
        "end": datetime(2027, 3, 4, 20),
    }
    created = make_event(staff, **(values | event))
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    return staff, created


def test_staff_invite_by_tag_and_pick_and_see_counts(browser):
    staff, event = _hosted(browser)
    tag = Tag(name="Presseverteiler")
    tagged = [make_contact() for _ in range(2)]
    for contact in tagged:
        contact.tags.append(tag)
    picked = make_contact(last_name="Yilmaz")
    db.session.commit()
    page = browser.get(f"/events/{event.id}/guests/?find=yilmaz").get_data(as_text=True)
    assert f'value="{picked.id}"' in page
    response = browser.post(
        f"/events/{event.id}/guests/invite",
        {"tags": "Presseverteiler", "contact_ids": str(picked.id)},
        form_page=f"/events/{event.id}/guests/",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(db.func.count(Invitation.id))) == 3
    page = browser.get(f"/events/{event.id}/guests/").get_data(as_text=True)
    assert 'data-count="pending">3<' in page and "Yilmaz" in page


def test_guest_list_is_forbidden_to_other_departments(browser):
    event = make_event(make_user(), status="published")
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    assert browser.get(f"/events/{event.id}/guests/").status_code == 403
    assert browser.get(f"/events/{event.id}/guests/export.csv").status_code == 403


def test_staff_record_a_phone_answer(browser):
    staff, event = _hosted(browser, max_plus_ones=2)
    invite(event, [make_contact()], actor=staff, now=NOW, secret_key=KEY)
    invitation = db.session.scalars(select(Invitation)).one()
    db.session.commit()
    response = browser.post(
        f"/events/{event.id}/guests/{invitation.id}/answer",
        {"response": "accepted", "plus_ones": "2"},
        form_page=f"/events/{event.id}/guests/",
    )
    assert response.status_code == 302
    db.session.refresh(invitation)
    assert invitation.status == Answer.ACCEPTED and invitation.plus_ones == 2
    assert invitation.response_source == "staff" and invitation.recorded_by_id == staff.id


def test_a_recorded_answer_keeps_the_guests_words_and_says_which_companions_did_not_fit(browser):
    staff, event = _hosted(browser, max_plus_ones=3, capacity=2)
    invite(event, [make_contact()], actor=staff, now=NOW, secret_key=KEY)
    invitation = db.session.scalars(select(Invitation)).one()
    invitation.comment, invitation.needs = "Komme mit dem Rad", "vegetarisch"
    db.session.commit()
    url = f"/events/{event.id}/guests/{invitation.id}/answer"
    for plus_ones in ("0", "3"):  # a seat first, then more companions than fit
        response = browser.post(
            url,
            {"response": "accepted", "plus_ones": plus_ones},
            form_page=f"/events/{event.id}/guests/",
            follow_redirects=True,
        )
    page = response.get_data(as_text=True)
    assert "Begleitpersonen" in page and "kein Platz" in page
    db.session.refresh(invitation)
    assert (invitation.status, invitation.plus_ones) == (Answer.ACCEPTED, 1)
    assert (invitation.comment, invitation.needs) == ("Komme mit dem Rad", "vegetarisch")


def test_exports_contain_the_filtered_guests_and_defuse_formulas(browser):
    staff, event = _hosted(browser)
    evil = make_contact(first_name='=HYPERLINK("x")', last_name="Böse")
    invite(event, [evil, make_contact(last_name="Zimmer")], actor=staff, now=NOW, secret_key=KEY)
    db.session.commit()
    response = browser.get(f"/events/{event.id}/guests/export.csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Anrede", "Titel", "Vorname", "Nachname"] and len(rows) == 3
    assert rows[1][2].startswith("'=")
    response = browser.get(f"/events/{event.id}/guests/export.xlsx?q=zimmer")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[2]][3] == "Zimmer" and sheet.max_row == 2
    assert browser.get(f"/events/{event.id}/guests/export.pdf").status_code == 404


def test_reminder_goes_once_to_pending_guests_before_the_deadline(app):
    staff = make_user()
    event = make_event(
        staff,
        status="published",
        start=datetime(2027, 3, 4, 18),
        end=datetime(2027, 3, 4, 20),
        rsvp_deadline=datetime(2027, 3, 1, 12),
    )
    invite(event, [make_contact(), make_contact()], actor=staff, now=NOW, secret_key=KEY)
    answered = db.session.scalars(select(Invitation)).first()
    answered.status = Answer.ACCEPTED
    now = datetime(2027, 2, 27, 9, tzinfo=UTC)
    assert remind_pending(now=now - timedelta(days=10), lead=timedelta(days=3)) == 0
    assert remind_pending(now=now, lead=timedelta(days=3)) == 1
    assert remind_pending(now=now, lead=timedelta(days=3)) == 0
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).one()
    mail = message_from_bytes(render_queued(db.session, row, now), policy=policy.default)
    assert "Erinnerung" in mail["Subject"] or "Reminder" in mail["Subject"]


def test_moving_the_event_sends_updates_and_cancelling_sends_cancel(app):
    staff = make_user()
    event = make_event(staff, status="published")
    guests = [make_contact() for _ in range(3)]
    invite(event, guests, actor=staff, now=NOW, secret_key=KEY)
    declined = db.session.scalars(select(Invitation)).first()
    declined.status = Answer.DECLINED
    first = db.session.scalars(select(OutboxMessage)).first()
    sequences = [
        int(
            parse_icalendar(_calendar(render_queued(db.session, first, NOW))).walk("VEVENT")[0][
                "SEQUENCE"
            ]
        )
    ]
    moved = EventInput.from_event(event).replace(
        start=datetime(2026, 11, 3, 19), end=datetime(2026, 11, 3, 21)
    )
    update_event(event, moved, actor=staff, now=NOW)
    updates = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "update")).all()
    assert len(updates) == 2  # not to the guest who declined
    update_cal = parse_icalendar(_calendar(render_queued(db.session, updates[0], NOW)))
    vevent = update_cal.walk("VEVENT")[0]
    assert (
        update_cal["METHOD"] == "REQUEST"
        and vevent["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    )
    sequences.append(int(vevent["SEQUENCE"]))
    assert render_queued(db.session, first, NOW) is None  # the older invitation is superseded
    set_status(event, Status.CANCELLED, actor=staff, now=NOW)
    cancels = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cancel")).all()
    assert len(cancels) == 2
    cancel_cal = parse_icalendar(_calendar(render_queued(db.session, cancels[0], NOW)))
    cancel_event = cancel_cal.walk("VEVENT")[0]
    assert cancel_cal["METHOD"] == "CANCEL" and str(cancel_event["STATUS"]) == "CANCELLED"
    sequences.append(int(cancel_event["SEQUENCE"]))
    assert sequences == sorted(set(sequences)) and len(sequences) == 3
    assert str(cancel_event["UID"]) == event.uid


def test_comms_see_every_guest_list(browser):
    event = make_event(make_user(), status="published")
    comms = make_user(Role.COMMS, department=None)
    db.session.commit()
    browser.login(comms.email, PASSWORD)
    assert browser.get(f"/events/{event.id}/guests/").status_code == 200


def _calendar(raw: bytes) -> bytes:
    """Return the text/calendar part of a raw mail."""
    mail = message_from_bytes(raw, policy=policy.default)
    for part in mail.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    raise AssertionError("no calendar part")
