"""Access export (Art. 15), erasure (Art. 17) and the suppression list, on both databases.

The proof: after an erasure the person's address, name and phone number appear in no text,
JSON or bytes column of any table; on SQLite not even in the database file and its WAL.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Role
from app.audit import record
from app.audit.models import AuditEntry
from app.contacts import csv_import
from app.contacts.merges import merge
from app.contacts.models import Contact, ContactMerge, NotDuplicate
from app.contacts.operations import mark_not_duplicate
from app.extensions import db
from app.inbound.inbox import process_pending, store
from app.inbound.models import InboundMessage
from app.invitations import guestlist
from app.invitations.answers import respond
from app.invitations.models import Answer, Invitation
from app.mail.models import OutboxMessage
from app.mail.renderers import render_pending
from app.privacy import erasure
from app.privacy.anonymise import anonymise_invitations, answers_due
from app.privacy.suppression import Suppression
from tests.factories import (
    api_headers,
    login,
    make_department,
    make_event,
    make_invitation,
    make_user,
)
from tests.test_contacts import make_contact

NOW = datetime.now(UTC)
EMAIL = "Annegret.Quastenberg@beispiel-loeschung.de"
FURTHER = "a.quastenberg@beispiel-loeschung.de"
PHONE = "+49 231 5550173"
NAME = "Annegret Quastenberg"
SEARCHED = (
    "annegret.quastenberg@beispiel-loeschung.de",
    FURTHER,
    "quastenberg",
    PHONE,
    "annegret",
    "beispiel-loeschung",
)
COMMENT = "Komme mit Rollstuhl, bitte Rampe"
NEEDS = "vegetarisch, glutenfrei"
REFUSED = (
    "Diese Adresse wurde auf Wunsch gelöscht und darf nicht mehr eingeladen werden.",
    "This address was erased on request and may not be invited any more.",
)


def _person(now: datetime = NOW):
    """Create the person with everything the app can store about them; return the contact."""
    owner = make_user(Role.STAFF, department=make_department(name="Kulturbüro"))
    start = (now + timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
    event = make_event(
        owner, title="Ehrenamtsempfang", start=start, status="published", now=now, max_plus_ones=2
    )
    contact = make_contact(
        NAME, EMAIL, phone=PHONE, organisation="Heimatverein", tags=["Ehrenamt"], now=now
    ).contact
    twin = make_contact(NAME, FURTHER, now=now + timedelta(seconds=1)).contact
    other = make_contact("Bernd Kowalski", "bernd.kowalski@example.org", now=now).contact
    invitation, token = make_invitation(event, owner, contact, now=now)
    respond(invitation, Answer.ACCEPTED, now=now, plus_ones=1, comment=COMMENT, needs=NEEDS)
    mark_not_duplicate(contact, other, actor=None, now=now)
    record("contact.changed", "contact", contact.id, {"phone": ["", PHONE], "email": [None, EMAIL]})
    record("invitation.answered", "invitation", invitation.id, {"comment": COMMENT})
    db.session.commit()
    merge(contact, twin, actor=None, now=now, reason="gleiche Person")
    db.session.commit()
    render_pending(db.session, now=now)  # the invitation mail's bytes name the guest
    raw = (
        f"From: {NAME} <{EMAIL}>\r\nTo: rsvp+{token}@stadt.test\r\nSubject: Frage\r\n"
        f"Message-ID: <frage-1@beispiel-loeschung.de>\r\n\r\nIch bin {NAME}, Telefon {PHONE}.\r\n"
    ).encode()
    store(raw, envelope_to=[f"rsvp+{token}@stadt.test"], envelope_from=EMAIL, now=now)
    stray = raw.replace(b"frage-1@", b"frage-2@").replace(f"rsvp+{token}".encode(), b"info")
    store(stray, envelope_to=["info@stadt.test"], envelope_from=EMAIL, now=now)  # no link
    db.session.commit()
    process_pending(now=now)
    csv_import.preview(
        f"Vorname;Nachname;E-Mail\nAnnegret;Quastenberg;{EMAIL}\nOtto;Normal;otto@example.org\n".encode(),
        "liste.csv",
        actor=owner,
        now=now,
    )
    db.session.commit()
    return db.session.get(Contact, contact.id), event, invitation.id, token


def _dump() -> str:
    """Return every text, JSON and bytes value of every table, case-folded, as one text."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).all():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    parts.append(bytes(value).decode("utf-8", "replace"))
                elif isinstance(value, dict | list):
                    parts.append(json.dumps(value, ensure_ascii=False))
                elif isinstance(value, str):
                    parts.append(value)
    return "\n".join(parts).casefold()


def _found(haystack: str) -> list[str]:
    """Return the searched personal values found in the text."""
    return [term for term in SEARCHED if term.casefold() in haystack]


def test_everything_about_the_person_is_exported_and_the_export_is_logged(app, client):
    contact, event, invitation_id, _token = _person()
    headers = api_headers(make_user(Role.PRIVACY))
    response = client.get(f"/api/v1/contacts/{contact.id}/export", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["contact"]["email"] == EMAIL and data["contact"]["phone"] == PHONE
    assert data["contact"]["tags"] == ["Ehrenamt"]
    assert data["contact"]["further_addresses"] == [FURTHER]
    assert [m["email"] for m in data["merged_records"]] == [FURTHER]
    [invitation] = data["invitations"]
    assert invitation["event"]["title"] == "Ehrenamtsempfang"
    assert invitation["departments"] == ["Kulturbüro"]
    assert (invitation["answer"], invitation["comment"], invitation["needs"]) == (
        "accepted",
        COMMENT,
        NEEDS,
    )
    assert invitation["response_source"] == "link" and invitation["responded_at"]
    assert {m["kind"] for m in data["mails"]} >= {"invitation"}
    assert any(m["subject"] for m in data["mails"])
    assert [m["excerpt"] for m in data["inbound"]] and PHONE in data["inbound"][0]["excerpt"]
    actions = [e["action"] for e in data["audit"]]
    assert "contact.changed" in actions and "invitation.answered" in actions
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.exported"))
    assert [(e.object_id, e.actor_type) for e in logged] == [(contact.id, "token")]
    assert invitation_id == invitation["id"] and event.id == invitation["event"]["id"]


def test_only_the_privacy_role_erases_and_admins_may_export(app, client):
    contact, *_rest = _person()
    staff, admin = api_headers(make_user(Role.STAFF)), api_headers(make_user(Role.ADMIN))
    assert client.get(f"/api/v1/contacts/{contact.id}/export", headers=staff).status_code == 403
    assert client.get(f"/api/v1/contacts/{contact.id}/export", headers=admin).status_code == 200
    assert client.post(f"/api/v1/contacts/{contact.id}/erase", headers=admin).status_code == 403
    assert db.session.get(Contact, contact.id) is not None


def test_after_erasure_the_person_appears_nowhere_in_the_database(app, client, database_url):
    contact, event, invitation_id, token = _person()
    contact_id = contact.id
    assert _found(_dump()) == list(SEARCHED)  # the search finds them before
    before = guestlist.summary(event)
    headers = api_headers(make_user(Role.PRIVACY))
    response = client.post(f"/api/v1/contacts/{contact_id}/erase", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["contacts"] == 2 and response.get_json()["invitations"] == 1
    db.session.rollback()  # only what the request committed remains
    assert _found(_dump()) == []
    # The counts stay right; the row is anonymous; the link no longer works.
    assert guestlist.summary(event) == before
    invitation = db.session.get(Invitation, invitation_id)
    assert (invitation.contact_id, invitation.status, invitation.plus_ones) == (
        None,
        Answer.ACCEPTED,
        1,
    )
    assert (invitation.comment, invitation.needs) == ("", "")
    assert client.get(f"/rsvp/{token}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1  # Bernd
    assert db.session.scalar(select(func.count()).select_from(ContactMerge)) == 0
    assert db.session.scalar(select(func.count()).select_from(NotDuplicate)) == 0
    assert {m.recipient for m in db.session.scalars(select(OutboxMessage))} == {""}
    assert all(m.raw is None for m in db.session.scalars(select(InboundMessage)))
    # The actions stay in the log, without values; the erasure itself names nobody.
    changed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.changed"))
    assert [e.changes for e in changed] == [{"phone": None, "email": None}]
    erased = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.erased"))
    assert [e.object_id for e in erased] == [contact_id]
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 2
    if database_url.startswith("postgresql"):  # vacuumed after the commit
        vacuumed = text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'contacts'")
        assert db.session.execute(vacuumed).scalar() is not None
    else:
        path = Path(database_url.removeprefix("sqlite:///"))
        assert path.exists()
        wal = path.with_name(path.name + "-wal")
        for where in (path, wal):
            content = where.read_bytes().lower() if where.exists() else b""
            assert [t for t in SEARCHED if t.casefold().encode() in content] == [], where


def test_the_guest_list_and_its_export_show_an_erased_guest_as_such(app, browser):
    contact, event, _invitation_id, _token = _person()
    erasure.erase(contact, now=NOW)
    db.session.commit()
    login(browser, Role.COMMS)
    page = browser.get(f"/events/{event.id}/guests/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "guest-erased" in html and "Quastenberg" not in html
    export = browser.get(f"/events/{event.id}/guests/export.csv")
    assert export.status_code == 200
    lines = export.get_data().decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and "Quastenberg" not in lines[1]
    assert any(label in lines[1] for label in ("Gelöschte Person", "Erased person"))
    api = browser.client.get(
        f"/api/v1/events/{event.id}/invitations", headers=api_headers(make_user(Role.COMMS))
    )
    assert api.status_code == 200
    [item] = api.get_json()["items"]
    assert (item["contact_id"], item["email"], item["status"]) == (None, None, "accepted")


def test_an_erased_address_is_refused_by_api_import_and_invitation_until_lifted(
    app, client, browser
):
    contact, event, *_rest = _person()
    erasure.erase(contact, now=NOW)
    db.session.commit()
    comms = make_user(Role.COMMS)
    headers = api_headers(comms)
    body = {"last_name": "Quastenberg", "first_name": "Annegret", "email": EMAIL.upper()}
    response = client.post("/api/v1/contacts", json=body, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"]["email"][0] in REFUSED
    rows, _ignored = csv_import.parse(f"Nachname;E-Mail\nQuastenberg;{FURTHER}\n".encode())
    assert any(r in rows[0]["errors"][0] for r in REFUSED)
    invite = client.post(
        f"/api/v1/events/{event.id}/invitations",
        json={"guests": [{"email": EMAIL, "last_name": "Quastenberg"}]},
        headers=headers,
    )
    assert invite.status_code == 422, invite.get_data(as_text=True)
    assert any(m in REFUSED for ms in invite.get_json()["errors"].values() for m in ms)
    # The privacy role lifts the suppression by typing the address; then it is accepted.
    login(browser, Role.PRIVACY)
    page = browser.get("/privacy/suppressions")
    assert page.status_code == 200 and "quastenberg" not in page.get_data(as_text=True).lower()
    wrong = browser.post("/privacy/suppressions", {"email": "someone@example.org"})
    assert wrong.status_code == 422
    lifted = browser.post("/privacy/suppressions", {"email": EMAIL})
    assert lifted.status_code == 302
    db.session.rollback()  # only what the request committed remains
    assert client.post("/api/v1/contacts", json=body, headers=headers).status_code == 201


def test_pasting_an_erased_address_names_the_reason(app):
    from app.invitations.guest_input import read_pasted

    contact, *_rest = _person()
    erasure.erase(contact, now=NOW)
    db.session.commit()
    [line] = read_pasted(f"Annegret Quastenberg <{EMAIL}>")
    assert line.errors and line.errors[0] in REFUSED


def test_erasure_pages_need_the_privacy_role_and_a_ticked_box(app, browser):
    contact, *_rest = _person()
    contact_id = contact.id
    login(browser, Role.ADMIN, department=None)
    assert browser.get(f"/privacy/contacts/{contact.id}/export").status_code == 200
    assert browser.get(f"/privacy/contacts/{contact.id}/erase").status_code == 403
    browser.get("/logout")
    browser.client.delete_cookie("session")
    login(browser, Role.PRIVACY)
    edit = browser.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    assert f"/privacy/contacts/{contact.id}/erase" in edit
    download = browser.get(f"/privacy/contacts/{contact.id}/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.get_json()["contact"]["phone"] == PHONE
    unticked = browser.post(f"/privacy/contacts/{contact.id}/erase", {})
    assert unticked.status_code == 422 and db.session.get(Contact, contact.id) is not None
    done = browser.post(f"/privacy/contacts/{contact.id}/erase", {"confirm": "y"})
    assert done.status_code == 302
    db.session.rollback()  # only what the request committed remains
    assert db.session.get(Contact, contact_id) is None


def test_answers_due_finds_past_answers_and_anonymising_keeps_the_counts(app):
    owner = make_user(Role.STAFF, department=make_department())
    past = make_event(
        owner, title="Vergangen", start=datetime(2024, 3, 1, 18), status="published",
        now=datetime(2024, 2, 1, tzinfo=UTC),
    )  # fmt: skip
    future = make_event(owner, title="Kommend", status="published")
    old, _t = make_invitation(past, owner, now=datetime(2024, 2, 2, tzinfo=UTC))
    respond(old, Answer.DECLINED, now=datetime(2024, 2, 3, tzinfo=UTC), comment="Leider nein")
    kept, _t = make_invitation(future, owner)
    db.session.commit()
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    assert list(db.session.scalars(answers_due(cutoff))) == [old.id]
    before = guestlist.summary(past)
    assert anonymise_invitations(list(db.session.scalars(answers_due(cutoff)))) == 1
    db.session.commit()
    assert list(db.session.scalars(answers_due(cutoff))) == []
    assert guestlist.summary(past) == before
    row = db.session.get(Invitation, old.id)
    assert (row.contact_id, row.comment, row.status) == (None, "", Answer.DECLINED)
    assert db.session.get(Invitation, kept.id).contact_id is not None
    assert anonymise_invitations([]) == 0


@pytest.mark.parametrize("count", [1201])
def test_anonymising_goes_in_batches(app, count):
    owner = make_user(Role.STAFF, department=make_department())
    event = make_event(owner, title="Groß", status="published")
    contacts = [
        Contact(
            last_name=f"G{n}", email=f"g{n}@example.org", email_key=f"g{n}@example.org",
            created_at=NOW, updated_at=NOW,
        )
        for n in range(count)
    ]  # fmt: skip
    db.session.add_all(contacts)
    db.session.flush()
    db.session.add_all(
        Invitation(
            event_id=event.id, contact_id=c.id, token_nonce=f"n{c.id}", token_hash=f"h{c.id}",
            created_at=NOW, updated_at=NOW,
        )
        for c in contacts
    )  # fmt: skip
    db.session.commit()
    ids = list(db.session.scalars(select(Invitation.id)))
    assert anonymise_invitations(ids) == count
    db.session.commit()
    left = select(func.count()).where(Invitation.contact_id.is_not(None))
    assert db.session.scalar(left) == 0


def test_sqlite_connections_zero_deleted_content(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1


def test_the_records_merged_into_a_contact_are_found_through_chains(app):
    first = make_contact("Ida Kette", "ida1@example.org").contact
    second = make_contact("Ida Kette", "ida2@example.org").contact
    third = make_contact("Ida Kette", "ida3@example.org").contact
    second.merged_into_id, first.merged_into_id = third.id, second.id
    db.session.flush()
    assert {c.id for c in erasure.cluster_of(third)} == {first.id, second.id, third.id}
    assert {c.id for c in erasure.cluster_of(second)} == {first.id, second.id}


def test_a_shared_role_address_is_neither_suppressed_nor_blanked_for_the_other_person(app):
    owner = make_user(Role.STAFF, department=make_department())
    event = make_event(owner, title="Empfang", status="published")
    leaving = make_contact("Petra Teilhaber", "info@verein-beispiel.de").contact
    staying = make_contact("Klaus Bleiber", "info@verein-beispiel.de").contact
    make_invitation(event, owner, leaving)
    kept, _token = make_invitation(event, owner, staying)
    db.session.commit()
    assert leaving.role_address and staying.role_address
    result = erasure.erase(leaving, now=NOW)
    db.session.commit()
    assert result.suppressed == 0
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.invitation_id, r.recipient) for r in rows if r.invitation_id == kept.id] == [
        (kept.id, "info@verein-beispiel.de")
    ]
    saved = make_contact("Petra Teilhaber", "info@verein-beispiel.de")  # not refused
    assert saved.contact.id != staying.id
