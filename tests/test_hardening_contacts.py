"""Hardening of the shared address book (issue 8, findings 1, 5 and 14).

Staff may not redirect another department's guest mail, tags compare by one key, and two
departments inviting the same new addresses at once make one contact, invitation and mail each.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.accounts.models import Role
from app.contacts import merges, operations
from app.contacts.guards import ContactLocked
from app.contacts.models import Contact, Tag
from app.contacts.operations import ContactInput, save_contact
from app.errors import ValidationError
from app.extensions import db
from app.invitations.delivery import render_pending, render_queued, retry
from app.invitations.guest_input import contacts_by_tags
from app.invitations.models import Answer, Invitation, InvitationDepartment
from app.invitations.operations import invite
from app.invitations.tokens import token_for
from app.mail.models import MailStatus, OutboxMessage
from app.mail.worker import claim
from config import TestConfig
from tests.factories import PASSWORD, api_headers, make_contact, make_event, make_token, make_user

KEY = TestConfig.SECRET_KEY
FORM_FIELDS = (
    "salutation",
    "title",
    "office_title",
    "first_name",
    "name_particle",
    "last_name",
    "email",
    "language",
    "organisation",
    "function",
    "phone",
    "notes",
)


def _now() -> datetime:
    """Return the real current instant (pages and the API use the clock)."""
    return datetime.now(UTC)


def _future_start(days: int = 20) -> datetime:
    """Return a wall time some days ahead, at 18:00."""
    ahead = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=days)
    return ahead.replace(hour=18, minute=0, second=0, microsecond=0)


def _confidential_guest():
    """Return (owner of A, staff of B, comms, guest, invitation) for A's confidential event."""
    # English pages, so that the assertions do not depend on the German catalogue.
    owner, other = make_user(locale="en"), make_user(locale="en")
    comms = make_user(role=Role.COMMS, locale="en")
    event = make_event(
        owner,
        status="published",
        visibility="confidential",
        start=_future_start(),
        now=_now(),
    )
    guest = make_contact(
        email="anna.mueller@example.org", first_name="Anna", last_name="Müller", name_key="anna"
    )
    result = invite(event, [guest], actor=owner, now=_now(), secret_key=KEY)
    invitation = db.session.get(Invitation, result.invited[0])
    return owner, other, comms, guest, invitation


def _form(contact: Contact, **changes) -> dict:
    """Return the contact form's fields for a contact, with some changed."""
    data = {name: getattr(contact, name) or "" for name in FORM_FIELDS}
    data["tags"] = ", ".join(t.name for t in contact.tags)
    if contact.vip:
        data["vip"] = "y"
    if contact.do_not_invite:
        data["do_not_invite"] = "y"
    return data | {"save": "Save"} | changes


def _outbox(invitation: Invitation) -> list[OutboxMessage]:
    """Return the invitation's outbox rows, oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id)
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


# --- finding 1: staff redirecting another department's guest mail -------------------------


def test_staff_of_another_department_cannot_change_the_address_in_the_form(app, browser):
    _owner, other, _comms, guest, invitation = _confidential_guest()
    old_token = token_for(invitation.token_nonce, KEY)
    db.session.commit()
    browser.login(other.email, PASSWORD)
    url = f"/contacts/{guest.id}/edit"
    response = browser.post(url, _form(guest, email="attacker@example.net"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "communications team or an administrator" in page
    db.session.expire_all()
    assert db.session.get(Contact, guest.id).email == "anna.mueller@example.org"
    assert [row.recipient for row in _outbox(invitation)] == ["anna.mueller@example.org"]
    assert browser.get(f"/rsvp/{old_token}").status_code == 200
    # Other fields remain the staff's to change.
    assert browser.post(url, _form(guest, phone="0231 123456")).status_code == 302


def test_staff_of_another_department_get_403_from_the_api(app, client):
    _owner, other, _comms, guest, _invitation = _confidential_guest()
    headers = api_headers(other)
    db.session.commit()
    url = f"/api/v1/contacts/{guest.id}"
    assert client.get(url, headers=headers).json["email"] == "anna.mueller@example.org"
    refused = client.patch(url, json={"email": "attacker@example.net"}, headers=headers)
    assert refused.status_code == 403
    assert refused.json["message"]
    assert client.patch(url, json={"do_not_invite": True}, headers=headers).status_code == 403
    allowed = client.patch(url, json={"phone": "0231 987654"}, headers=headers)
    assert allowed.status_code == 200, allowed.json
    assert (allowed.json["phone"], allowed.json["email"]) == (
        "0231 987654",
        "anna.mueller@example.org",
    )


def test_staff_may_not_flag_or_merge_a_contact_another_department_invited(app, browser):
    _owner, other, _comms, guest, _invitation = _confidential_guest()
    twin = make_contact(
        email="anna.mueller@example.org", first_name="Anna", last_name="Mueller", name_key="x"
    )
    db.session.commit()
    flagged = ContactInput.from_contact(guest)
    flagged.do_not_invite = True
    with pytest.raises(ContactLocked) as refused:
        save_contact(flagged, actor=other, now=_now(), contact=guest)
    assert refused.value.field == "do_not_invite"
    db.session.rollback()
    for first, second in ((guest, twin), (twin, guest)):  # either side of a merge
        with pytest.raises(ContactLocked):
            merges.merge(first, second, actor=other, now=_now())
        db.session.rollback()
    browser.login(other.email, PASSWORD)
    url = f"/contacts/duplicates/{guest.id}/{twin.id}/merge"
    response = browser.post(url, {"reason": "gleiche Person"})
    assert response.status_code == 403
    assert "communications team or an administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, twin.id).merged_into_id is None


def test_the_rule_ends_with_the_event_or_the_answer_and_spares_the_own_department(app):
    owner, other, _comms, guest, invitation = _confidential_guest()
    db.session.commit()
    data = ContactInput.from_contact(guest)
    data.email = "anna@neu.example"
    later = invitation.event.ends_at + timedelta(minutes=1)
    # The inviting department itself may change it; so may anyone once the event is over.
    for actor, now in ((owner, _now()), (other, later)):
        assert save_contact(data, actor=actor, now=now, contact=guest, secret_key=KEY)
        db.session.rollback()
    invitation.status = Answer.DECLINED
    assert save_contact(data, actor=other, now=_now(), contact=guest, secret_key=KEY)
    db.session.rollback()
    # The event's owner counts as another department even when the actor's invited the guest.
    invitation.departments[0].department_id = other.department_id
    invitation.event.department_id = owner.department_id
    db.session.flush()
    with pytest.raises(ContactLocked):
        save_contact(data, actor=other, now=_now(), contact=guest, secret_key=KEY)


def test_comms_change_gives_new_links_and_the_queued_mail_follows_the_new_address(
    app, browser, client
):
    _owner, _other, comms, guest, invitation = _confidential_guest()
    old_token = token_for(invitation.token_nonce, KEY)
    db.session.commit()
    render_pending(now=_now())  # the queued mail already holds its bytes with the old link
    assert _outbox(invitation)[0].message is not None
    browser.login(comms.email, PASSWORD)
    response = browser.post(f"/contacts/{guest.id}/edit", _form(guest, email="anna@neu.example"))
    assert response.status_code == 302
    db.session.expire_all()
    assert client.get(f"/rsvp/{old_token}").status_code == 404
    (row,) = _outbox(invitation)
    assert (row.recipient, row.status, row.message) == ("anna@neu.example", MailStatus.QUEUED, None)
    fresh = db.session.get(Invitation, invitation.id)
    new_token = token_for(fresh.token_nonce, KEY)
    assert new_token != old_token
    raw = render_queued(db.session, row, _now())
    assert f"/rsvp/{new_token}".encode() in raw.replace(b"=\r\n", b"")
    assert old_token.encode() not in raw
    assert client.get(f"/rsvp/{new_token}").status_code == 200


def test_a_mail_claimed_before_the_change_is_not_sent_with_a_working_link(app):
    _owner, _other, comms, guest, invitation = _confidential_guest()
    db.session.commit()
    (claimed,) = claim(db.session, worker_id="w1", now=_now(), limit=10, claim_timeout=timedelta(1))
    data = ContactInput.from_contact(guest)
    data.email = "anna@neu.example"
    save_contact(data, actor=comms, now=_now(), contact=guest, secret_key=KEY)
    db.session.commit()
    row = db.session.get(OutboxMessage, claimed.id)
    # The worker holds the old recipient; rendering now would put the new link in it.
    assert (row.recipient, row.status) == ("anna.mueller@example.org", MailStatus.SENDING)
    assert render_queued(db.session, row, _now()) is None


def test_a_failed_mail_retried_after_the_change_goes_to_the_new_address_with_the_new_link(app):
    _owner, _other, comms, guest, invitation = _confidential_guest()
    old_token = token_for(invitation.token_nonce, KEY)
    db.session.commit()
    render_pending(now=_now())
    (row,) = _outbox(invitation)
    row.status = MailStatus.FAILED  # the old address bounced; its bytes hold the old link
    db.session.commit()
    data = ContactInput.from_contact(guest)
    data.email = "anna@neu.example"
    save_contact(data, actor=comms, now=_now(), contact=guest, secret_key=KEY)
    db.session.commit()
    row = db.session.get(OutboxMessage, row.id)
    retry(row, now=_now())
    db.session.commit()
    assert (row.recipient, row.status, row.message) == ("anna@neu.example", MailStatus.QUEUED, None)
    raw = render_queued(db.session, row, _now()).replace(b"=\r\n", b"")
    new_token = token_for(db.session.get(Invitation, invitation.id).token_nonce, KEY)
    assert f"/rsvp/{new_token}".encode() in raw and old_token.encode() not in raw


def test_api_patch_is_partial_and_answers_422_and_404(app, client):
    comms = make_user(role=Role.COMMS)
    guest = make_contact(email="b@example.org", last_name="Berg", phone="0231 1")
    gone = make_contact(email="c@example.org", last_name="Berg")
    gone.merged_into_id = guest.id
    headers = api_headers(comms)
    db.session.commit()
    url = f"/api/v1/contacts/{guest.id}"
    bad = client.patch(url, json={"email": "kein-at", "language": "fr"}, headers=headers)
    assert bad.status_code == 422
    assert set(bad.json["errors"]) >= {"language"}
    assert client.patch(url, json={"unknown": 1}, headers=headers).status_code == 422
    renamed = client.patch(url, json={"first_name": "Bea", "tags": ["Rat"]}, headers=headers)
    assert renamed.status_code == 200, renamed.json
    body = renamed.json
    assert (body["first_name"], body["last_name"], body["phone"], body["tags"]) == (
        "Bea",
        "Berg",
        "0231 1",
        ["Rat"],
    )
    assert client.patch("/api/v1/contacts/999999", json={}, headers=headers).status_code == 404
    merged = client.patch(f"/api/v1/contacts/{gone.id}", json={}, headers=headers)
    assert merged.status_code == 404
    paths = client.get("/api/v1/openapi.json").json["paths"]["/contacts/{contact_id}"]
    assert {"get", "patch"} <= set(paths)


# --- finding 5: tags with non-ASCII capitals ---------------------------------------------------


def test_a_tag_with_a_non_ascii_capital_is_reused_on_its_second_use(app, client, browser):
    user = make_user(locale="en")
    headers = api_headers(user)
    db.session.commit()
    spellings = ["Ämterrunde", "ämterrunde", "A\u0308mterrunde", " ÄMTER  runde "]
    for number, tag in enumerate(spellings[:3]):
        body = {"last_name": f"Gast{number}", "email": f"g{number}@example.org", "tags": [tag]}
        response = client.post("/api/v1/contacts", json=body, headers=headers)
        assert response.status_code == 201, response.json
        assert response.json["tags"] == ["Ämterrunde"]
    browser.login(user.email, PASSWORD)
    form = {"last_name": "Form", "email": "f@example.org", "language": "de", "anyway": "1"}
    response = browser.post("/contacts/new", form | {"tags": "Ämterrunde, ämterrunde"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 1
    assert len(contacts_by_tags(["ÄMTERRUNDE"])) == 4
    found = client.get("/api/v1/contacts?tag=ämterrunde", headers=headers).json
    assert found["total"] == 4
    assert client.get("/api/v1/contacts?q=ÄMTER", headers=headers).json["total"] == 4
    assert operations.tag_key(spellings[3]) == "ämter runde"


def test_two_spellings_in_one_input_give_one_tag(app):
    data = ContactInput(last_name="Gast", email="g@example.org", tags=["Ämter", "A\u0308MTER"])
    saved = save_contact(data, actor=None, now=_now())
    assert [t.name for t in saved.contact.tags] == ["Ämter"]


# --- finding 14: concurrent invitations of the same new addresses -------------------------


def test_the_database_keeps_one_live_contact_per_address_and_name(app):
    now = _now()
    first = save_contact(ContactInput(last_name="Gast", email="g@example.org"), actor=None, now=now)
    again = save_contact(ContactInput(last_name="Gast", email="G@example.org"), actor=None, now=now)
    assert again.reused and again.contact.id == first.contact.id
    # Whatever the code checks first, the database refuses a second live copy.
    twin = {n: getattr(first.contact, n) for n in ("last_name", "email", "email_key", "name_key")}
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Contact(**twin, created_at=now, updated_at=now))
    other = save_contact(ContactInput(last_name="Berg", email="b@example.org"), actor=None, now=now)
    data = ContactInput.from_contact(other.contact)
    data.email, data.last_name = "g@example.org", "Gast"
    with pytest.raises(ValidationError) as clash:
        save_contact(data, actor=None, now=now, contact=other.contact)
    assert "email" in clash.value.errors
    # A shared role address still holds several people.
    for name in ("Anna Schmidt", "Hanna Schmitz"):
        first_name, last_name = name.split()
        data = ContactInput(first_name=first_name, last_name=last_name, email="info@verein.de")
        save_contact(data, actor=None, now=now)
    same_box = select(func.count(Contact.id)).where(Contact.email_key == "info@verein.de")
    assert db.session.scalar(same_box) == 2


def test_two_departments_inviting_the_same_new_addresses_at_once_invite_each_once(
    app, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers are a PostgreSQL matter")
    owner, partner = make_user(), make_user()
    event = make_event(
        owner,
        status="published",
        co_hosts=[partner.department.code],
        start=_future_start(),
        now=_now(),
    )
    tokens = [make_token(owner), make_token(partner)]
    db.session.commit()
    guests = [
        {"email": f"neu{n}@example.org", "first_name": "Gast", "last_name": f"Nummer{n}"}
        for n in range(150)
    ]
    barrier = threading.Barrier(2, timeout=60)  # a failing thread must not leave one waiting
    answers, errors = [], []

    def run(token: str) -> None:
        """Invite everyone through the API as one department, in its own app context."""
        worker = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
        with worker.app_context():
            try:
                client = worker.test_client()
                barrier.wait()
                response = client.post(
                    f"/api/v1/events/{event_id}/invitations",
                    json={"guests": guests},
                    headers={"Authorization": f"Bearer {token}"},
                )
                answers.append((response.status_code, response.json))
            except Exception as error:  # noqa: BLE001 - asserted below
                errors.append(error)
                barrier.abort()
            finally:
                db.session.remove()
                db.engine.dispose()

    event_id = event.id
    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(code for code, _body in answers) == [200, 200], answers
    counts = sorted((body["invited"], body["already_invited"]) for _code, body in answers)
    assert counts == [(0, 150), (150, 0)]
    db.session.expire_all()

    def total(column) -> int:
        """Count the rows of a column's table."""
        return db.session.scalar(select(func.count(column)))

    assert total(Contact.id) == 150
    assert total(Invitation.id) == 150
    assert total(InvitationDepartment.id) == 300
    assert total(OutboxMessage.id) == 150


def test_merged_records_keep_their_keys_outside_the_unique_index(app):
    older = make_contact(email="x@example.org", name_key="a")
    newer = make_contact(email="y@example.org", name_key="a")
    merges.merge(older, newer, actor=None, now=_now())
    # Only live contacts are unique; a merged record may carry the survivor's keys.
    db.session.execute(
        update(Contact).where(Contact.id == newer.id).values(email_key="x@example.org")
    )
    db.session.flush()
    keys = select(func.count(Contact.id)).where(Contact.email_key == "x@example.org")
    assert db.session.scalar(keys) == 2


# --- migration 0006 ----------------------------------------------------------------------------


def _insert(conn, table: str, **values) -> int:
    """Insert a row with raw SQL (the models may be ahead of the schema) and return its id."""
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id"  # noqa: S608 - test
    return conn.execute(text(sql), values).scalar_one()


def _contact(conn, email: str, name_key: str, created: datetime, **extra) -> int:
    """Insert a contact row as revision 0005 knows it."""
    values = dict.fromkeys(
        ("salutation", "title", "office_title", "first_name", "name_particle", "mailbox_key"), ""
    )
    values |= dict.fromkeys(("phonetic_key", "organisation", "function", "phone", "notes"), "")
    values |= {"last_name": name_key, "email": email, "email_key": email, "name_key": name_key}
    values |= {"language": "de", "vip": False, "do_not_invite": False, "role_address": False}
    values |= {"created_at": created, "updated_at": created} | extra
    return _insert(conn, "contacts", **values)


def _legacy_event(conn, department_id: int, day: int) -> int:
    """Insert a published event row as revision 0005 knows it."""
    start = datetime(2027, 3, day, 18, 0)
    values = {"uid": f"legacy-{day}@test", "title": "Alt", "description": "", "all_day": False}
    values |= {"start_local": start, "end_local": start + timedelta(hours=2)}
    values |= {"starts_at": start, "ends_at": start + timedelta(hours=2)}
    values |= {"occupied_from": start, "occupied_until": start + timedelta(hours=2)}
    values |= {"venue_exclusive": False, "first_day": start.date(), "last_day": start.date()}
    values |= {"timezone": "Europe/Berlin", "location": "", "department_id": department_id}
    values |= {"visibility": "internal", "status": "published", "max_plus_ones": 0}
    values |= {"sequence": 0, "revision": 1, "ics_cache_key": ""}
    return _insert(conn, "events", **values, created_at=start, updated_at=start)


def _legacy_invitation(conn, event_id: int, contact_id: int) -> int:
    """Insert an invitation row as revision 0005 knows it."""
    nonce = f"{event_id:08d}{contact_id:08d}".ljust(32, "0")
    values = {"event_id": event_id, "contact_id": contact_id, "status": "pending"}
    values |= {"plus_ones": 0, "comment": "", "needs": "", "revoked": False, "suppressed": ""}
    values |= {"response_source": "", "token_nonce": nonce, "token_hash": nonce * 2}
    now = datetime(2026, 11, 1)
    return _insert(conn, "invitations", **values, created_at=now, updated_at=now)


def test_migration_0006_folds_clashing_tags_and_contacts_and_goes_down_again(
    database_url, tmp_path
):
    from tests.test_migrations import _fresh_url

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=_fresh_url(database_url, tmp_path))
    with app.app_context():
        upgrade(revision="0005")
        old, new = datetime(2026, 1, 1), datetime(2026, 6, 1)
        with db.engine.begin() as conn:
            department = _insert(conn, "departments", code="alt", name="Alt", email="", active=True)
            first, second = _legacy_event(conn, department, 1), _legacy_event(conn, department, 2)
            keep = _contact(conn, "anna@example.org", "anna", old)
            twin = _contact(conn, "anna@example.org", "anna", new, do_not_invite=True)
            other = _contact(conn, "anna@example.org", "bernd", new)  # a shared address
            tags = [_insert(conn, "tags", name=n) for n in ("Presse", "presse ", "Ämter", "ÄMTER")]
            for contact_id, tag_id in ((keep, tags[0]), (twin, tags[1]), (other, tags[3])):
                conn.execute(
                    text("INSERT INTO contact_tags VALUES (:c, :t)"), {"c": contact_id, "t": tag_id}
                )
            clash = _legacy_invitation(conn, first, twin)
            moved = _legacy_invitation(conn, second, twin)
            _legacy_invitation(conn, first, keep)
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT id, match_key FROM tags ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(tags[0], "presse"), (tags[2], "ämter")]
            links = set(
                map(tuple, conn.execute(text("SELECT contact_id, tag_id FROM contact_tags")))
            )
            assert links == {(keep, tags[0]), (twin, tags[0]), (other, tags[2])}
            merged = dict(conn.execute(text("SELECT id, merged_into_id FROM contacts")).all())
            assert merged == {keep: None, twin: keep, other: None}
            flag = conn.execute(
                text("SELECT do_not_invite FROM contacts WHERE id = :i"), {"i": keep}
            )
            assert flag.scalar_one()
            owners = dict(conn.execute(text("SELECT id, contact_id FROM invitations")).all())
            assert (owners[moved], owners[clash]) == (keep, twin)  # no answer or link is lost
            log = conn.execute(text("SELECT survivor_id, merged_id FROM contact_merges")).all()
            assert [tuple(r) for r in log] == [(keep, twin)]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            _contact(conn, "anna@example.org", "anna", new)
        downgrade(revision="0005")
        with db.engine.begin() as conn:
            assert "match_key" not in {c["name"] for c in inspect(conn).get_columns("tags")}
            assert conn.execute(text("SELECT count(*) FROM contact_tags")).scalar_one() == 3
            _contact(conn, "anna@example.org", "anna", new)  # no unique index any more
        db.session.remove()
        db.engine.dispose()


def test_an_address_that_only_case_folding_equates_is_a_new_address(app):
    _owner, other, comms, guest, invitation = _confidential_guest()
    old_nonce = invitation.token_nonce
    db.session.commit()
    data = ContactInput.from_contact(guest)
    data.email = "anna.mue\u017f\u017fller@example.org"  # long s: folds to "s", another mailbox
    with pytest.raises(ContactLocked):
        save_contact(data, actor=other, now=_now(), contact=guest, secret_key=KEY)
    db.session.rollback()
    guest = db.session.get(Contact, guest.id)
    save_contact(data, actor=comms, now=_now(), contact=guest, secret_key=KEY)
    db.session.commit()
    assert db.session.get(Invitation, invitation.id).token_nonce != old_nonce
    # A change of ASCII capitals only is the same mailbox: allowed, and links stay.
    data = ContactInput.from_contact(db.session.get(Contact, guest.id))
    nonce = db.session.get(Invitation, invitation.id).token_nonce
    data.email = data.email.replace("anna", "Anna")
    save_contact(data, actor=other, now=_now(), contact=guest, secret_key=KEY)
    db.session.commit()
    assert db.session.get(Invitation, invitation.id).token_nonce == nonce


def test_staff_may_not_merge_contacts_with_different_addresses(app):
    staff, comms = make_user(locale="en"), make_user(role=Role.COMMS, locale="en")
    old = _now() - timedelta(days=400)
    decoy = make_contact(
        email="anna.mueller@evil.example",
        first_name="Anna",
        last_name="Müller",
        name_key="anna",
        created_at=old,
    )
    victim = make_contact(
        email="anna.mueller@example.org", first_name="Anna", last_name="Müller", name_key="anna"
    )
    twin = make_contact(
        email="Anna.Mueller@example.org", first_name="Anne", last_name="Müller", name_key="anne"
    )
    db.session.commit()
    with pytest.raises(ContactLocked) as refused:
        merges.merge(victim, decoy, actor=staff, now=_now())
    assert refused.value.field == "contact"
    db.session.rollback()
    assert db.session.get(Contact, victim.id).merged_into_id is None
    # The same mailbox (a name variant) staff may merge; different ones the comms team may.
    victim, twin, decoy = (db.session.get(Contact, c.id) for c in (victim, twin, decoy))
    assert merges.merge(victim, twin, actor=staff, now=_now()).id in (victim.id, twin.id)
    assert merges.merge(victim, decoy, actor=comms, now=_now()).id == decoy.id
