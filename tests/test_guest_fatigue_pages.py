"""Guest fatigue through the invite form, pasted lines, the API, the guest list and the cap."""

import csv
import io
from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.contacts.cap import set_cap
from app.contacts.models import Contact
from app.extensions import db
from app.invitations.models import Invitation
from app.invitations.operations import invite
from tests.factories import NOW, api_headers, login, make_contact, make_event, make_user

KEY = "test-secret-key-not-for-production"
START = datetime(2026, 11, 20, 18, 0)


def _busy_guest(**overrides) -> Contact:
    """Return a guest invited by three other departments in the days after START."""
    guest = make_contact(
        first_name="Erika", last_name="Viel", email="viel@example.org", **overrides
    )
    for day in (1, 2, 3):
        staff = make_user()
        other = make_event(
            staff, status="published", start=START + timedelta(days=day), title=f"Fest {day}"
        )
        invite(other, [guest], actor=staff, now=NOW, secret_key=KEY)
    return guest


def _target(staff):
    """Return the staff member's published event at START."""
    return make_event(staff, status="published", start=START, title="Zielveranstaltung")


def test_invite_form_with_pasted_lines_warns_and_invites(browser):
    staff = login(browser)
    event = _target(staff)
    guest = _busy_guest()
    db.session.commit()
    response = browser.post(
        f"/events/{event.id}/guests/invite",
        {"pasted": "viel@example.org\nneu@example.org"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Erika Viel erhielte 4 städtische Einladungen" in page
    assert "„Fest 1“, „Fest 2“, „Fest 3“" in page
    invited = {i.contact_id for i in db.session.query(Invitation).filter_by(event_id=event.id)}
    assert guest.id in invited and len(invited) == 2


def test_staff_form_invite_is_refused_at_the_cap_and_names_the_guest(browser):
    staff = login(browser)
    event = _target(staff)
    guest = _busy_guest(invitation_cap=2)
    db.session.commit()
    page = browser.post(
        f"/events/{event.id}/guests/invite",
        {"pasted": "viel@example.org\nneu@example.org"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Erika Viel wurde nicht eingeladen" in page and "1 eingeladen" in page
    invited = {i.contact_id for i in db.session.query(Invitation).filter_by(event_id=event.id)}
    assert guest.id not in invited and len(invited) == 1


def test_api_reports_guest_fatigue_warnings(client):
    staff = make_user()
    event = _target(staff)
    guest = _busy_guest()
    headers = api_headers(staff)
    response = client.post(
        f"/api/v1/events/{event.id}/invitations", json={"contact_ids": [guest.id]}, headers=headers
    )
    assert response.status_code == 200
    (warning,) = [w for w in response.json["warnings"] if w["kind"] == "guest_fatigue"]
    assert warning["contact_id"] == guest.id and warning["count"] == 4
    assert [e["title"] for e in warning["events"]] == ["Fest 1", "Fest 2", "Fest 3"]
    assert warning["others"] == 0 and warning["message"]


def test_guest_list_column_and_csv_export_show_the_count(browser):
    staff = login(browser)
    event = _target(staff)
    guest = _busy_guest()
    invite(event, [guest, make_contact()], actor=staff, now=NOW, secret_key=KEY)
    db.session.commit()
    page = browser.get(f"/events/{event.id}/guests/").get_data(as_text=True)
    assert "Einladungen (14 Tage)" in page
    assert f'data-fatigue="{guest.id}">4</td>' in page
    body = browser.get(f"/events/{event.id}/guests/export.csv").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert table[0][-1] == "Einladungen (14 Tage)"
    assert sorted(row[-1] for row in table[1:]) == ["1", "4"]
    xlsx = browser.get(f"/events/{event.id}/guests/export.xlsx")
    assert xlsx.status_code == 200


def _contact_form(contact: Contact) -> dict:
    """Return the contact form's fields for the contact as it is."""
    return {
        "salutation": "Frau",
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "language": "de",
        "save": "1",
    }


def test_comms_set_the_cap_in_the_contact_form(browser):
    contact = make_contact(first_name="Olaf", last_name="Ober")
    login(browser, Role.COMMS)
    edit = f"/contacts/{contact.id}/edit"
    assert 'name="invitation_cap"' in browser.get(edit).get_data(as_text=True)
    assert browser.post(edit, _contact_form(contact) | {"invitation_cap": "2"}).status_code == 302
    db.session.refresh(contact)
    assert contact.invitation_cap == 2
    response = browser.post(edit, _contact_form(contact) | {"invitation_cap": "-1"})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)


def test_staff_see_the_cap_read_only_and_cannot_change_it(browser):
    contact = make_contact(first_name="Olaf", last_name="Ober", invitation_cap=2)
    login(browser)
    edit = f"/contacts/{contact.id}/edit"
    page = browser.get(edit).get_data(as_text=True)
    assert 'name="invitation_cap"' not in page and 'id="invitation-cap"' in page
    assert browser.post(edit, _contact_form(contact) | {"invitation_cap": "9"}).status_code == 302
    db.session.refresh(contact)
    assert contact.invitation_cap == 2


def test_api_patch_sets_the_cap_for_comms_only(client):
    contact = make_contact()
    comms, staff = make_user(Role.COMMS, department=None), make_user()
    url = f"/api/v1/contacts/{contact.id}"
    staff_headers = api_headers(staff)
    assert client.patch(url, json={"invitation_cap": 1}, headers=staff_headers).status_code == 403
    comms_headers = api_headers(comms)
    response = client.patch(url, json={"invitation_cap": 1}, headers=comms_headers)
    assert response.status_code == 200 and response.json["invitation_cap"] == 1
    assert client.patch(url, json={"invitation_cap": -1}, headers=comms_headers).status_code == 422
    response = client.patch(url, json={"organisation": "Rat"}, headers=staff_headers)
    assert response.status_code == 200 and response.json["invitation_cap"] == 1
    response = client.patch(url, json={"invitation_cap": None}, headers=comms_headers)
    assert response.json["invitation_cap"] is None


def test_api_refuses_staff_over_the_cap_and_counts_it(client):
    staff = make_user()
    event = _target(staff)
    guest = _busy_guest(invitation_cap=3)
    headers = api_headers(staff)
    url = f"/api/v1/events/{event.id}/invitations"
    response = client.post(url, json={"contact_ids": [guest.id]}, headers=headers)
    assert response.status_code == 200
    assert (response.json["invited"], response.json["refused"]) == (0, 1)
    (warning,) = response.json["warnings"]
    assert warning["kind"] == "guest_fatigue" and warning["refused"] is True
    assert warning["cap"] == 3 and "Erika Viel" in warning["message"]


def test_a_cap_change_is_in_the_audit_log(app):
    contact = make_contact()
    comms = make_user(Role.COMMS, department=None)
    assert set_cap(contact, 2, actor=comms, now=NOW) is True
    assert set_cap(contact, 2, actor=comms, now=NOW) is False
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == contact.id)).one()
    assert entry.action == "contact.changed" and entry.changes == {"invitation_cap": [None, 2]}


def test_many_fatigue_warnings_are_summed_up_on_the_form(browser):
    staff = login(browser)
    event = _target(staff)
    guests = [make_contact(email=f"busy{n}@example.org") for n in range(12)]
    for day in (1, 2, 3):
        other_staff = make_user()
        other = make_event(other_staff, status="published", start=START + timedelta(days=day))
        invite(other, guests, actor=other_staff, now=NOW, secret_key=KEY)
    db.session.commit()
    pasted = "\n".join(g.email for g in guests)
    page = browser.post(
        f"/events/{event.id}/guests/invite", {"pasted": pasted}, follow_redirects=True
    ).get_data(as_text=True)
    assert page.count("erhielte 4 städtische Einladungen") == 10
    assert "2 weitere Personen erhielten zu viele städtische Einladungen." in page


def test_the_access_export_names_the_cap(client):
    contact = make_contact(invitation_cap=2)
    headers = api_headers(make_user(Role.PRIVACY, department=None))
    response = client.get(f"/api/v1/contacts/{contact.id}/export", headers=headers)
    assert response.status_code == 200 and response.json["contact"]["invitation_cap"] == 2
