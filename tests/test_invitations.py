"""Inviting guests: one invitation per (event, contact), departments recorded, mail queued."""

from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.errors import PermissionDenied, ValidationError
from app.extensions import db
from app.invitations.delivery import render_queued
from app.invitations.models import Invitation
from app.invitations.operations import invite
from app.mail.models import OutboxMessage
from tests.factories import NOW, make_contact, make_event, make_user
from tests.icalcheck import icaljs, icaljs_instants, parse_icalendar, python_instants

KEY = "test-secret-key-not-for-production"


def _setup():
    """Return an owner, a co-hosting department's staff member and a published event."""
    owner, partner = make_user(), make_user()
    event = make_event(owner, status="published", co_hosts=[partner.department.code])
    return owner, partner, event


def test_second_department_invite_sends_no_second_email(app):
    owner, partner, event = _setup()
    guests = [make_contact() for _ in range(3)]
    first = invite(event, guests[:2], actor=owner, now=NOW, secret_key=KEY)
    second = invite(event, guests, actor=partner, now=NOW, secret_key=KEY)
    assert first.counts() == {"invited": 2, "already_invited": 0, "suppressed": 0}
    assert second.counts() == {"invited": 1, "already_invited": 2, "suppressed": 0}
    assert db.session.scalar(select(func.count(Invitation.id))) == 3
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3
    shared = db.session.get(Invitation, first.invited[0])
    assert [d.department for d in shared.departments] == [owner.department, partner.department]


def test_do_not_invite_contacts_are_suppressed(app):
    owner, _partner, event = _setup()
    result = invite(event, [make_contact(do_not_invite=True)], actor=owner, now=NOW, secret_key=KEY)
    assert result.counts() == {"invited": 0, "already_invited": 0, "suppressed": 1}


def test_only_hosts_and_comms_invite_and_only_to_published_events(app):
    owner, _partner, event = _setup()
    with pytest.raises(PermissionDenied):
        invite(event, [make_contact()], actor=make_user(), now=NOW, secret_key=KEY)
    comms = make_user(Role.COMMS, department=None)
    assert invite(event, [make_contact()], actor=comms, now=NOW, secret_key=KEY).invited
    draft = make_event(owner)
    with pytest.raises(ValidationError):
        invite(draft, [make_contact()], actor=owner, now=NOW, secret_key=KEY)


def test_person_clash_is_reported(app):
    owner, _partner, event = _setup()
    guest = make_contact()
    other = make_event(make_user(), title="Parallelveranstaltung", status="published")
    invite(other, [guest], actor=other.created_by, now=NOW, secret_key=KEY)
    result = invite(event, [guest], actor=owner, now=NOW, secret_key=KEY)
    assert [w["kind"] for w in result.warnings] == ["person_clash"]
    assert "Parallelveranstaltung" in result.warnings[0]["message"]


def test_invitation_mail_has_the_structure_calendar_clients_expect(app):
    owner, _partner, event = _setup()
    guest = make_contact(
        salutation="Frau",
        title="Dr.",
        first_name="Anna",
        last_name="Müller",
        email="Anna.Mueller@example.org",
    )
    invite(event, [guest], actor=owner, now=NOW, secret_key=KEY)
    row = db.session.scalars(select(OutboxMessage)).one()
    raw = render_queued(db.session, row, NOW)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail.get_content_type() == "multipart/mixed"
    alternative, attachment = mail.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar_part = alternative.get_payload()[2]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part["Content-Transfer-Encoding"] == "base64"
    assert calendar_part.get_filename() is None
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics" and attachment.is_attachment()
    ics = calendar_part.get_payload(decode=True)
    assert ics == attachment.get_payload(decode=True)
    assert mail["To"].addresses[0].addr_spec == "Anna.Mueller@example.org"
    assert mail["Message-ID"] == row.message_id
    text = alternative.get_payload()[0].get_content()
    assert "Sehr geehrte Frau Dr. Müller," in text and "/rsvp/" in text
    cal = parse_icalendar(ics)
    assert cal["METHOD"] == "REQUEST"
    (vevent,) = cal.walk("VEVENT")
    attendees = vevent.get("ATTENDEE")
    assert not isinstance(attendees, list)
    assert str(attendees) == "mailto:Anna.Mueller@example.org"
    assert attendees.params["PARTSTAT"] == "NEEDS-ACTION" and attendees.params["RSVP"] == "TRUE"
    organizer = str(vevent["ORGANIZER"])
    assert organizer.startswith("mailto:rsvp+") and organizer.endswith("@stadt.test")
    assert organizer != str(attendees)
    assert str(vevent["UID"]) == event.uid and int(vevent["SEQUENCE"]) == event.sequence
    assert vevent["DTSTAMP"].to_ical().endswith(b"Z")
    assert python_instants(cal) == icaljs_instants(ics)
    assert icaljs(ics)["events"][0]["attendees"] == 1


def test_english_contact_gets_an_english_mail(app):
    owner, _partner, event = _setup()
    guest = make_contact(salutation="Herr", first_name="John", last_name="Smith", language="en")
    invite(event, [guest], actor=owner, now=NOW, secret_key=KEY)
    raw = render_queued(db.session, db.session.scalars(select(OutboxMessage)).one(), NOW)
    mail = message_from_bytes(raw, policy=policy.default)
    text = mail.get_payload()[0].get_payload()[0].get_content()
    assert text.startswith("Dear Mr Smith,") and mail["Subject"].startswith("Invitation")
