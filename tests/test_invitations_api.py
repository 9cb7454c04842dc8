"""Inviting through the API, pasted addresses, and two departments inviting at once."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.contacts.models import Contact
from app.events.models import Event
from app.extensions import db
from app.invitations.models import Invitation, InvitationDepartment
from app.invitations.operations import invite
from app.mail.models import OutboxMessage
from config import TestConfig
from tests.factories import PASSWORD, make_contact, make_event, make_token, make_user

GUESTS = [
    {
        "email": "anna.mueller@example.org",
        "first_name": "Anna",
        "last_name": "Müller",
        "salutation": "Frau",
        "title": "Dr.",
        "organisation": "Uni Dortmund",
        "language": "de",
    },
    {"email": "j.smith@example.com", "first_name": "John", "last_name": "Smith", "language": "en"},
]


def _setup():
    """Return owner, co-host staff and a published event co-hosted by two departments."""
    owner, partner = make_user(), make_user()
    event = make_event(owner, status="published", co_hosts=[partner.department.code])
    return owner, partner, event


def test_invite_by_address_and_id_then_second_department_adds_itself(client):
    owner, partner, event = _setup()
    known = make_contact()
    headers = {"Authorization": f"Bearer {make_token(owner)}"}
    db.session.commit()
    body = {"guests": GUESTS, "contact_ids": [known.id]}
    first = client.post(f"/api/v1/events/{event.id}/invitations", json=body, headers=headers)
    assert first.status_code == 200, first.json
    assert (first.json["invited"], first.json["already_invited"], first.json["suppressed"]) == (
        3,
        0,
        0,
    )
    emails = sorted(i["email"] for i in first.json["invitations"])
    assert emails == sorted([known.email, GUESTS[0]["email"], GUESTS[1]["email"]])
    partner_headers = {"Authorization": f"Bearer {make_token(partner)}"}
    db.session.commit()
    guests = [GUESTS[0] | {"email": "Anna.Mueller@Example.org"}]  # same person, other spelling
    second = client.post(
        f"/api/v1/events/{event.id}/invitations", json={"guests": guests}, headers=partner_headers
    )
    assert (second.json["invited"], second.json["already_invited"]) == (0, 1)
    assert second.json["invitations"][0]["departments"] == [
        owner.department.code,
        partner.department.code,
    ]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3
    listing = client.get(f"/api/v1/events/{event.id}/invitations", headers=headers).json
    assert listing["summary"] == {
        "accepted": 0,
        "declined": 0,
        "tentative": 0,
        "pending": 3,
        "waitlisted": 0,
        "companions": 0,
    }
    assert len(listing["items"]) == 3


def test_invite_api_errors(client):
    owner, _partner, event = _setup()
    stranger = make_user()
    headers = {"Authorization": f"Bearer {make_token(owner)}"}
    other = {"Authorization": f"Bearer {make_token(stranger)}"}
    db.session.commit()
    url = f"/api/v1/events/{event.id}/invitations"
    assert client.post(url, json={"guests": GUESTS}).status_code == 401
    assert client.post(url, json={"guests": GUESTS}, headers=other).status_code == 403
    assert client.get(url, headers=other).status_code == 403
    assert (
        client.post("/api/v1/events/99999/invitations", json={}, headers=headers).status_code == 404
    )
    bad = client.post(url, json={"guests": [{"email": "kein-at-zeichen"}]}, headers=headers)
    assert bad.status_code == 422 and any(k.startswith("guests.0") for k in bad.json["errors"])
    assert client.post(url, json={"contact_ids": [4242]}, headers=headers).status_code == 422
    assert client.post(url, json={"guests": "x"}, headers=headers).status_code == 422
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_pasted_addresses_become_contacts_and_are_invited(browser):
    owner, _partner, event = _setup()
    db.session.commit()
    browser.login(owner.email, PASSWORD)
    pasted = "Dr. Anna Müller <anna.mueller@example.org>\nbuero@firma.example"
    response = browser.post(
        f"/events/{event.id}/guests/invite",
        {"pasted": pasted},
        form_page=f"/events/{event.id}/guests/",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Invitation.id))) == 2
    contact = db.session.scalar(select(Contact).filter_by(email="anna.mueller@example.org"))
    assert contact.last_name == "Müller"
    bad = browser.post(
        f"/events/{event.id}/guests/invite",
        {"pasted": "keine adresse"},
        form_page=f"/events/{event.id}/guests/",
    )
    assert bad.status_code == 422  # shown again with the line marked, nobody invited
    assert "keine adresse" in bad.get_data(as_text=True)


def test_two_departments_inviting_the_same_people_at_once_make_one_invitation_each(
    app, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers are a PostgreSQL matter")
    owner, partner, event = _setup()
    guests = [make_contact() for _ in range(40)]
    db.session.commit()
    ids = {"event": event.id, "guests": [g.id for g in guests], "users": [owner.id, partner.id]}
    barrier = threading.Barrier(2, timeout=60)  # a failing thread must not leave one waiting
    errors = []

    def run(user_id):
        """Invite everyone as one department, in its own app context."""
        worker = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
        with worker.app_context():
            try:
                actor = db.session.get(User, user_id)
                target = db.session.get(Event, ids["event"])
                contacts = db.session.scalars(
                    select(Contact).where(Contact.id.in_(ids["guests"]))
                ).all()
                barrier.wait()
                invite(
                    target,
                    contacts,
                    actor=actor,
                    now=datetime.now(UTC),
                    secret_key=TestConfig.SECRET_KEY,
                )
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - asserted below
                errors.append(error)
                barrier.abort()
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=run, args=(u,)) for u in ids["users"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invitation.id))) == 40
    assert db.session.scalar(select(func.count(InvitationDepartment.id))) == 80
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 40
