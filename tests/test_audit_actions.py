"""Each recorded action writes its audit entry, in the transaction of the action."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.audit.models import AuditEntry
from app.contacts import csv_import, merge_undo, merges
from app.contacts.operations import ContactInput, save_contact
from app.departments import staff
from app.extensions import db
from app.invitations.models import Invitation
from tests.factories import NOW, PASSWORD, login, make_event, make_invitation, make_user
from tests.test_contact_merge import weber_pair
from tests.test_contacts import make_contact
from tests.test_contacts_import import HEADER, ROWS, csv_bytes
from tests.test_inbound import Guest

FUTURE = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=20)


def entries(action: str | None = None) -> list[AuditEntry]:
    """Return the committed entries (of one action), oldest first.

    The rollback first drops whatever the request did not commit: a GET that forgot to commit
    its entry would pass a check made in the same session.
    """
    db.session.rollback()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def _published(owner):
    """Return a published future event of the owner's department."""
    start = FUTURE.replace(hour=18, minute=0, second=0)
    return make_event(owner, status="published", start=start, end=start + timedelta(hours=2))


def test_contact_created_and_changed_with_old_and_new_values(browser):
    user = login(browser)
    saved = make_contact("Hans Müller", "hans@example.de", phone="0231 1")
    db.session.commit()
    contact_id = saved.contact.id
    (created,) = entries("contact.created")
    assert created.object_id == contact_id and created.changes["email"] == [None, "hans@example.de"]
    data = ContactInput.from_contact(saved.contact)
    data.phone, data.notes = "0231 2", "sitzt im Rollstuhl"
    save_contact(data, actor=user, now=NOW, contact=saved.contact)
    db.session.commit()
    (changed,) = entries("contact.changed")
    assert changed.changes == {"phone": ["0231 1", "0231 2"], "notes": [None, None]}
    assert "Rollstuhl" not in str(changed.changes)  # free texts are noted, never kept


def test_contact_changed_through_the_form_names_the_user(browser):
    user = login(browser)
    contact = make_contact("Hans Müller", "hans@example.de").contact
    db.session.commit()
    form = {"salutation": "", "first_name": "Hans", "last_name": "Müller", "language": "de"}
    form |= {"email": "hans.mueller@example.de", "save": "1"}
    response = browser.post(f"/contacts/{contact.id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    (changed,) = entries("contact.changed")
    assert (changed.actor_type, changed.actor_id, changed.actor_label) == (
        "user",
        user.id,
        user.email,
    )
    assert changed.changes["email"] == ["hans@example.de", "hans.mueller@example.de"]


def test_merge_and_undo_are_recorded_on_both_contacts(app):
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW, choices={"phone": "merged"})
    db.session.commit()
    merged = {e.object_id: e.changes for e in entries("contact.merged")}
    assert merged[newer.id] == {"merged_into": [None, older.id]}
    assert merged[older.id]["merged_from"] == [None, newer.id]
    assert merged[older.id]["phone"] == ["", "0231 5550"]
    log = db.session.scalars(select(merges.ContactMerge)).one()
    merge_undo.undo(log, actor=None, now=NOW + timedelta(hours=2))
    db.session.commit()
    undone = {e.object_id: e.changes for e in entries("contact.merge_undone")}
    assert undone[newer.id] == {"merged_into": [older.id, None]}
    assert undone[older.id]["phone"] == ["0231 5550", ""]
    assert all(e.actor_type == "system" for e in entries())


def test_import_is_recorded_with_its_row_counts(app):
    user = make_user()
    upload, _ignored = csv_import.preview(csv_bytes([HEADER, *ROWS]), "x.csv", actor=user, now=NOW)
    counts = csv_import.confirm(upload, actor=user, now=NOW)
    db.session.commit()
    (entry,) = entries("contact.imported")
    assert entry.object_type == "import" and entry.object_id == upload.id
    assert entry.changes == counts | {"rows": sum(counts.values())}
    assert len(entries("contact.created")) == counts["created"]


def test_guest_list_view_and_exports_are_committed_with_the_row_count(browser):
    owner = login(browser)
    event = _published(owner)
    for _n in range(3):
        make_invitation(event, owner)
    db.session.commit()
    assert browser.get(f"/events/{event.id}/guests/").status_code == 200
    assert browser.get(f"/events/{event.id}/guests/export.csv").status_code == 200
    assert browser.get(f"/events/{event.id}/guests/export.xlsx").status_code == 200
    (viewed,) = entries("guestlist.viewed")
    assert (viewed.object_type, viewed.object_id) == ("event", event.id)
    assert viewed.changes == {"rows": 3}
    exported = [e.changes for e in entries("guestlist.exported")]
    assert exported == [{"format": "csv", "rows": 3}, {"format": "xlsx", "rows": 3}]
    assert {e.actor_id for e in entries()} >= {owner.id}


def test_an_api_read_of_the_guest_list_names_the_token(client):
    owner = make_user()
    event = _published(owner)
    make_invitation(event, owner)
    from tests.factories import api_headers

    headers = api_headers(owner)
    assert client.get(f"/api/v1/events/{event.id}/invitations", headers=headers).status_code == 200
    (viewed,) = entries("guestlist.viewed")
    assert (viewed.actor_type, viewed.actor_id, viewed.changes) == ("token", owner.id, {"rows": 1})


def test_one_entry_per_queued_invitation_and_per_resend(browser):
    owner = login(browser)
    event = _published(owner)
    invitations = [make_invitation(event, owner)[0] for _n in range(3)]
    db.session.commit()
    sent = entries("invitation.sent")
    assert sorted(e.object_id for e in sent) == sorted(i.id for i in invitations)
    assert all(e.changes == {"event": event.id} for e in sent)
    response = browser.post(
        f"/events/{event.id}/guests/resend",
        {"invitation_ids": [str(invitations[0].id)]},
        form_page=f"/events/{event.id}/guests/",
    )
    assert response.status_code == 302
    resent = [e for e in entries("invitation.sent") if e.changes.get("resend")]
    assert [e.object_id for e in resent] == [invitations[0].id]


def test_answers_name_the_guest_the_staff_member_or_the_mail(browser):
    owner = login(browser)
    event = _published(owner)
    (by_link, token), (by_staff, _t) = make_invitation(event, owner), make_invitation(event, owner)
    db.session.commit()
    response = browser.post(f"/rsvp/{token}", {"response": "declined", "comment": "Urlaub"})
    assert response.status_code == 302
    url = f"/events/{event.id}/guests/{by_staff.id}/answer"
    answer = browser.post(
        url, {"response": "accepted", "plus_ones": "0"}, form_page=f"/events/{event.id}/guests/"
    )
    assert answer.status_code == 302
    (guest,) = entries("invitation.answered")
    assert (guest.actor_type, guest.actor_id, guest.object_id) == ("guest", None, by_link.id)
    assert guest.changes["status"] == ["pending", "declined"]
    assert guest.changes["comment"] == [None, None]  # that it changed, not the words
    (staff_entry,) = entries("invitation.recorded")
    assert (staff_entry.actor_type, staff_entry.actor_id) == ("user", owner.id)
    assert staff_entry.changes == {"status": ["pending", "accepted"]}


def test_a_calendar_reply_by_mail_is_recorded_as_the_system(app):
    guest = Guest()
    guest.receive("gmail_accept.eml")
    (entry,) = entries("invitation.answered")
    assert (entry.actor_type, entry.actor_label, entry.object_id) == (
        "system",
        "mail",
        guest.invitation.id,
    )


def test_login_logout_and_failures_without_the_typed_text(browser):
    user = make_user()
    db.session.commit()
    browser.post("/login", {"email": user.email, "password": "wrong-password!"})
    browser.post("/login", {"email": "geheimes-passwort@x.de", "password": "egal"})
    browser.login(user.email, PASSWORD)
    browser.post("/logout", form_page="/account")
    failed = entries("auth.login_failed")
    assert [(e.actor_type, e.object_id) for e in failed] == [("guest", user.id), ("guest", None)]
    for entry in entries():
        assert "geheimes" not in f"{entry.actor_label}{entry.changes}"
        assert "wrong-password" not in f"{entry.actor_label}{entry.changes}"
    (login_entry,) = entries("auth.login")
    (logout_entry,) = entries("auth.logout")
    assert login_entry.actor_id == logout_entry.actor_id == user.id


def test_user_created_changed_role_changed_and_deactivated(app):
    user = staff.create_user(
        email="neu@stadt.example", name="Neu", role=Role.COMMS, password=PASSWORD, now=NOW
    )
    data = {"email": user.email, "name": "Neu Name", "role": "privacy", "active": False}
    staff.save_user(user, data | {"password": "ein-neues-passwort"}, now=NOW)
    db.session.commit()
    (created,) = entries("user.created")
    assert created.changes["role"] == [None, "comms"] and "password" not in created.changes
    assert entries("user.role_changed")[0].changes == {"role": ["comms", "privacy"]}
    assert entries("user.deactivated")[0].changes == {"active": [True, False]}
    assert entries("user.changed")[0].changes == {
        "name": ["Neu", "Neu Name"],
        "password": [None, None],
    }


def test_cli_user_with_privacy_role_and_api_tokens_are_recorded(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "dsb@stadt.example", "--name", "DSB"]
        + ["--role", "privacy", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(email="dsb@stadt.example"))
    assert user.role == Role.PRIVACY
    assert runner.invoke(args=["users", "token", user.email]).exit_code == 0
    assert runner.invoke(args=["users", "revoke-tokens", user.email]).exit_code == 0
    (issued,) = entries("token.issued")
    (revoked,) = entries("token.revoked")
    assert (issued.object_id, issued.actor_type) == (user.id, "system")
    assert revoked.changes == {"tokens": 1}


def test_a_rolled_back_action_leaves_no_entry(browser):
    make_contact("Hans Müller", "hans@example.de")
    db.session.rollback()
    assert entries() == []
    owner = make_user()
    event = _published(owner)
    db.session.commit()
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    browser.login(owner.email, PASSWORD)
    # A faulty pasted line: the page shows the guest list again, with 422, and nothing is saved.
    response = browser.post(
        f"/events/{event.id}/guests/invite",
        {"pasted": "kein gültiger Gast"},
        form_page=f"/events/{event.id}/guests/",
    )
    assert response.status_code == 422
    # The login and the GET of the form page are recorded; the refused POST added nothing.
    assert [e.action for e in entries()][before:] == ["auth.login", "guestlist.viewed"]
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_opening_the_rsvp_link_is_recorded_for_the_guest_without_address(client):
    owner = make_user()
    invitation, token = make_invitation(_published(owner), owner)
    db.session.commit()
    assert client.get(f"/rsvp/{token}").status_code == 200
    (opened,) = entries("rsvp.opened")
    assert (opened.actor_type, opened.actor_label, opened.object_id) == ("guest", "", invitation.id)
    assert opened.changes == {}
