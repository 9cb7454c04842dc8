"""Withdrawing one invitation, sending invitations again, and comms inviting as comms (10.14)."""

from datetime import datetime
from email import message_from_bytes, policy

from sqlalchemy import select

from app.accounts.models import Role
from app.departments.models import Department
from app.extensions import db
from app.invitations.answers import respond
from app.invitations.delivery import render_queued
from app.invitations.models import Answer, Invitation, InvitationDepartment
from app.invitations.operations import invite
from app.mail.models import MailStatus, OutboxMessage
from tests.factories import (
    NOW,
    PASSWORD,
    api_headers,
    make_contact,
    make_department,
    make_event,
    make_invitation,
    make_user,
)
from tests.icalcheck import parse_icalendar

KEY = "test-secret-key-not-for-production"


def _hosted(browser, guests: int = 2, **event):
    """Log in a staff member; return the event and invitations whose mails went out."""
    staff = make_user()
    values = {"status": "published", "start": datetime(2027, 3, 4, 18)}
    values["end"] = datetime(2027, 3, 4, 20)
    created = make_event(staff, **(values | event))
    invitations = [make_invitation(created, staff)[0] for _ in range(guests)]
    for row in db.session.scalars(select(OutboxMessage)):
        row.status = MailStatus.SENT
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    return created, invitations


def _mail(row: OutboxMessage):
    """Return the rendered mail of an outbox row and its parsed calendar."""
    mail = message_from_bytes(render_queued(db.session, row, NOW), policy=policy.default)
    part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    return mail, parse_icalendar(part.get_payload(decode=True))


def _rows(kind: str) -> list[OutboxMessage]:
    """Return the outbox rows of a kind."""
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


def _withdraw(browser, event, invitation):
    """Confirm the withdrawal on its page."""
    url = f"/events/{event.id}/guests/{invitation.id}/withdraw"
    return browser.post(url, {}, form_page=url)


def test_withdrawal_is_confirmed_then_cancels_for_that_guest_only(browser):
    event, (gone, stays) = _hosted(browser)
    first_sequence = int(_mail(_rows("invitation")[0])[1].walk("VEVENT")[0]["SEQUENCE"])
    page = browser.get(f"/events/{event.id}/guests/{gone.id}/withdraw").get_data(as_text=True)
    assert gone.contact.email in page and 'id="withdraw-mail"' in page
    assert not gone.revoked  # showing the page changes nothing
    assert _withdraw(browser, event, gone).status_code == 302
    (row,) = _rows("withdrawal")
    assert row.invitation_id == gone.id and row.recipient == gone.contact.email
    mail, calendar = _mail(row)
    vevent = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "CANCEL" and mail["To"].addresses[0].addr_spec == row.recipient
    attendees = vevent.get("ATTENDEE")
    assert not isinstance(attendees, list) and str(attendees) == f"mailto:{gone.contact.email}"
    assert str(vevent["UID"]) == event.uid and int(vevent["SEQUENCE"]) > first_sequence
    assert "RSVP" not in mail.get_body(("plain",)).get_content().split("--")[0].upper()
    page = browser.get(f"/events/{event.id}/guests/").get_data(as_text=True)
    assert page.count("guest-withdrawn") == 1 and 'data-count="withdrawn">1<' in page
    assert 'data-count="total">1<' in page
    page = browser.get(f"/events/{event.id}/guests/?status=withdrawn").get_data(as_text=True)
    assert gone.contact.email in page and stays.contact.email not in page
    db.session.refresh(stays)
    assert not stays.revoked


def test_withdrawal_needs_post_with_csrf_and_a_host(browser, client):
    event, (invitation, _stays) = _hosted(browser)
    url = f"/events/{event.id}/guests/{invitation.id}/withdraw"
    assert browser.client.post(url, data={}).status_code == 400  # no CSRF token: refused
    db.session.refresh(invitation)
    assert not invitation.revoked
    stranger = make_user()
    db.session.commit()
    browser.post("/logout", form_page="/account")
    browser.login(stranger.email, PASSWORD)
    assert browser.get(url).status_code == 403  # a published event: seen, not managed
    token = browser.token("/account")
    assert browser.client.post(url, data={"csrf_token": token}).status_code == 403
    db.session.refresh(invitation)
    assert not invitation.revoked


def test_withdrawn_guest_page_says_so_without_form_or_calendar_link(browser, client):
    event, (invitation, _stays) = _hosted(browser)
    token = make_invitation(event, event.created_by, invitation.contact)[1]
    _withdraw(browser, event, invitation)
    page = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert 'id="invitation-withdrawn"' in page
    assert 'name="response"' not in page and "event.ics" not in page
    assert client.get(f"/rsvp/{token}/event.ics").status_code == 404
    data = {"response": "accepted", "csrf_token": browser.token("/account")}
    response = client.post(f"/rsvp/{token}", data=data)
    db.session.refresh(invitation)
    assert response.status_code == 409 and invitation.status == Answer.PENDING


def test_inviting_a_withdrawn_guest_again_reuses_the_row_with_a_newer_request(browser):
    event, (invitation, _stays) = _hosted(browser)
    _withdraw(browser, event, invitation)
    (cancel,) = _rows("withdrawal")
    cancel_sequence = int(_mail(cancel)[1].walk("VEVENT")[0]["SEQUENCE"])
    result = invite(event, [invitation.contact], actor=event.created_by, now=NOW, secret_key=KEY)
    assert result.invited == [invitation.id]
    db.session.refresh(invitation)
    assert not invitation.revoked and invitation.suppressed == ""
    assert render_queued(db.session, cancel, NOW) is None  # not sent yet: no longer wanted
    new = [r for r in _rows("invitation") if r.invitation_id == invitation.id and r.sequence > 0]
    vevent = _mail(new[-1])[1].walk("VEVENT")[0]
    assert int(vevent["SEQUENCE"]) > cancel_sequence
    assert db.session.scalar(select(db.func.count(Invitation.id))) == 2


def test_withdrawing_an_accepted_guest_gives_the_place_to_the_waiting_list(browser):
    event, (first, second) = _hosted(browser, capacity=1)
    respond(first, Answer.ACCEPTED, now=NOW)
    assert respond(second, Answer.ACCEPTED, now=NOW).status == Answer.WAITLISTED
    db.session.commit()
    _withdraw(browser, event, first)
    db.session.refresh(second)
    assert second.status == Answer.ACCEPTED


def test_api_withdraws_once(client):
    staff = make_user()
    event = make_event(staff, status="published")
    invitation, _token = make_invitation(event, staff)
    headers = api_headers(staff)
    url = f"/api/v1/invitations/{invitation.id}/withdraw"
    response = client.post(url, headers=headers)
    assert response.status_code == 200 and response.get_json()["withdrawn"] is True
    assert client.post(url, headers=headers).status_code == 422
    assert client.post(url, headers=api_headers(make_user())).status_code == 403


def test_bulk_resend_queues_the_current_invitation_for_the_ticked_guests(browser):
    event, invitations = _hosted(browser, guests=3)
    respond(invitations[0], Answer.ACCEPTED, now=NOW)
    db.session.commit()
    _withdraw(browser, event, invitations[2])
    ticked = [str(i.id) for i in invitations]
    response = browser.post(
        f"/events/{event.id}/guests/resend",
        {"invitation_ids": ticked},
        form_page=f"/events/{event.id}/guests/",
    )
    assert response.status_code == 302
    rows = _rows("resend")
    assert sorted(r.invitation_id for r in rows) == sorted(i.id for i in invitations[:2])
    page = browser.get(f"/events/{event.id}/guests/").get_data(as_text=True)
    assert "2 Einladungen werden erneut gesendet" in page or "2 invitations are being" in page
    accepted = next(r for r in rows if r.invitation_id == invitations[0].id)
    calendar = _mail(accepted)[1]
    attendee = calendar.walk("VEVENT")[0]["ATTENDEE"]
    assert calendar["METHOD"] == "REQUEST" and attendee.params["PARTSTAT"] == "ACCEPTED"


def test_comms_inviting_are_recorded_with_their_own_department(app):
    owner = make_user()
    event = make_event(owner, status="published")
    press = make_department(code="presse", name="Presseamt")
    comms = make_user(Role.COMMS, department=press)
    result = invite(event, [make_contact()], actor=comms, now=NOW, secret_key=KEY)
    link = db.session.scalars(
        select(InvitationDepartment).where(InvitationDepartment.invitation_id.in_(result.invited))
    ).one()
    assert link.department_id == press.id and link.invited_by_id == comms.id
    assert db.session.get(Department, event.department_id) != press
