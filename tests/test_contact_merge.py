"""Merging with a choice per field, further addresses that still match, and undo by admins."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.contacts import csv_import, guards, merge_undo, merges, queries
from app.contacts.models import Contact, ContactAddress, ContactMerge
from app.contacts.operations import ContactInput, save_contact
from app.errors import PermissionDenied, ValidationError
from app.extensions import db
from app.invitations import guest_input
from app.invitations.models import Invitation
from tests.factories import NOW, api_headers, make_department, make_event, make_user
from tests.test_contacts import count, invite, make_contact
from tests.test_contacts_import import HEADER, csv_bytes

LATER = NOW + timedelta(hours=1)


def weber_pair():
    """Return the older and the newer record of Markus Weber, at two addresses."""
    older = make_contact(
        "Markus Weber", "markus.weber@ruhr-kultur.de", organisation="Ruhr Kultur e. V.",
        tags=["Ehrenamt"],
    ).contact  # fmt: skip
    newer = make_contact(
        "Marcus Weber", "m.weber@ruhr-kultur.de", organisation="Ruhr Kultur e.V.",
        phone="0231 5550", tags=["Presse"], now=LATER,
    ).contact  # fmt: skip
    return older, newer


def addresses(contact: Contact) -> list[str]:
    """Return the further addresses of a contact."""
    query = select(ContactAddress.email).where(ContactAddress.contact_id == contact.id)
    return list(db.session.scalars(query.order_by(ContactAddress.id)))


# --- merging with choices ----------------------------------------------------------------------


def test_merge_keeps_the_chosen_values_and_the_other_address_as_further_address(app):
    older, newer = weber_pair()
    assert merges.differing(older, newer) == ["first_name", "email", "organisation", "phone"]
    assert merges.default_choices(older, newer) == {
        "first_name": "survivor", "email": "survivor", "organisation": "survivor",
        "phone": "merged",
    }  # fmt: skip
    choices = {"email": "merged", "organisation": "merged"}
    keep = merges.merge(newer, older, actor=None, now=NOW, choices=choices)
    db.session.commit()
    assert keep is older and newer.merged_into is older
    assert (older.email, older.email_key) == ("m.weber@ruhr-kultur.de", "m.weber@ruhr-kultur.de")
    assert older.first_name == "Markus" and older.organisation == "Ruhr Kultur e.V."
    assert older.phone == "0231 5550"  # the survivor had none: the default takes the other
    assert addresses(older) == ["markus.weber@ruhr-kultur.de"]
    log = db.session.scalars(select(ContactMerge)).one()
    assert log.details["choices"]["email"] == "merged"
    assert log.details["before"]["email"] == "markus.weber@ruhr-kultur.de"


def test_merge_by_default_keeps_the_survivors_address_and_the_others_as_further(app):
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW)
    assert older.email == "markus.weber@ruhr-kultur.de" and older.first_name == "Markus"
    assert addresses(older) == ["m.weber@ruhr-kultur.de"]


def test_a_further_address_finds_the_survivor_everywhere_an_address_is_looked_up(app, client):
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW)
    # The domain (API, CSV, named pasted guests): any name at that address is the survivor.
    again = make_contact("M. Weber", "M.Weber@ruhr-kultur.de")
    assert again.reused and again.contact is older
    assert queries.contacts_by_email_keys(db.session, ["m.weber@ruhr-kultur.de"]) == {
        "m.weber@ruhr-kultur.de": [older]
    }
    # A bare pasted address on the invite form.
    known, rest = guest_input._known_by_address([{"email": "m.weber@ruhr-kultur.de", "bare": True}])
    assert known == [older] and rest == []
    # The CSV preview names the survivor.
    rows, _ignored = csv_import.parse(
        csv_bytes([HEADER, ";;Marcus;Weber;m.weber@ruhr-kultur.de;;;;"])
    )
    assert rows[0]["existing_id"] == older.id
    # The API.
    headers = api_headers(make_user(role=Role.COMMS))
    body = {"first_name": "Marcus", "last_name": "Weber", "email": "m.weber@ruhr-kultur.de"}
    response = client.post("/api/v1/contacts", json=body, headers=headers)
    assert response.status_code == 200 and response.json["id"] == older.id
    assert count(Contact) == 2
    # And the address book search.
    assert queries.search(db.session, "m.weber@").items == [older]


def test_another_contact_may_not_take_a_further_address(app):
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW)
    other = make_contact("Anna Schmidt", "anna@example.de").contact
    data = ContactInput.from_contact(other)
    data.email = "m.weber@ruhr-kultur.de"
    with pytest.raises(ValidationError) as refused:
        save_contact(data, actor=None, now=NOW, contact=other)
    assert "email" in refused.value.errors and other.email == "anna@example.de"
    # Its own further address may become the main one; it is then no further address.
    data = ContactInput.from_contact(older)
    data.email = "m.weber@ruhr-kultur.de"
    save_contact(data, actor=None, now=NOW, contact=older)
    assert older.email == "m.weber@ruhr-kultur.de" and addresses(older) == []


def test_a_shared_role_address_does_not_become_a_further_address(app):
    anna = make_contact("Anna Schmidt", "anna@verein.example").contact
    info = make_contact("A. Schmidt", "info@verein.example", now=LATER).contact
    make_contact("Bernd Meier", "info@verein.example", now=LATER)
    merges.merge(anna, info, actor=None, now=NOW)
    assert addresses(anna) == []  # info@ stays Bernd's; mail typed for it does not reach Anna


def test_choices_are_validated_before_anything_is_written(app):
    older, newer = weber_pair()
    with pytest.raises(ValidationError) as refused:
        merges.merge(older, newer, actor=None, now=NOW, choices={"email": "both"})
    assert "email" in refused.value.errors
    # Keeping an address and a name another live contact has would break "one per person".
    make_contact("Marcus Weber", "markus.weber@ruhr-kultur.de", now=LATER)
    with pytest.raises(ValidationError):
        merges.merge(older, newer, actor=None, now=NOW, choices={"first_name": "merged"})
    db.session.expire_all()
    assert newer.merged_into_id is None and older.first_name == "Markus"
    assert count(ContactMerge) == 0 and count(ContactAddress) == 0


def test_a_further_address_moves_on_when_its_contact_is_merged_again(app):
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW)
    oldest = make_contact("Markus Weber", "mw@example.org", now=NOW - timedelta(days=1)).contact
    merges.merge(oldest, older, actor=None, now=NOW)
    assert addresses(oldest) == ["m.weber@ruhr-kultur.de", "markus.weber@ruhr-kultur.de"]
    assert make_contact("Marcus Weber", "m.weber@ruhr-kultur.de").contact is oldest


# --- undo --------------------------------------------------------------------------------------


def test_an_admin_undoes_a_merge_with_its_fields_tags_address_and_invitations(app):
    staff = make_user()
    older, newer = weber_pair()
    event = make_event(staff)
    moved = invite(newer, event.id, staff.department)
    own = invite(older, make_event(staff, title="Zweiter").id, staff.department)
    nonces = (moved.token_nonce, own.token_nonce)
    merges.merge(older, newer, actor=None, now=NOW, choices={"email": "merged"})
    assert moved.contact_id == older.id and len(older.tags) == 2
    # The survivor's own invitation now goes to the chosen (other) mailbox under a new link.
    assert moved.token_nonce == nonces[0] and own.token_nonce != nonces[1]
    nonces = (moved.token_nonce, own.token_nonce)
    log = db.session.scalars(select(ContactMerge)).one()
    admin = make_user(role=Role.ADMIN)
    done = merge_undo.undo(log, actor=admin, now=NOW + timedelta(days=29))
    db.session.commit()
    db.session.expire_all()
    assert done["contact"].id == newer.id and done["invitations"] == [moved.id]
    newer, older = db.session.get(Contact, newer.id), db.session.get(Contact, older.id)
    assert newer.merged_into_id is None and older.merged_into_id is None
    assert older.email == "markus.weber@ruhr-kultur.de" and older.phone == ""
    assert [t.name for t in older.tags] == ["Ehrenamt"]
    assert [t.name for t in newer.tags] == ["Presse"]
    assert addresses(older) == [] and count(ContactAddress) == 0
    moved, own = db.session.get(Invitation, moved.id), db.session.get(Invitation, own.id)
    assert moved.contact_id == newer.id and own.contact_id == older.id
    # The moved invitation stays at its mailbox; the survivor's goes back to its own, new link.
    assert moved.token_nonce == nonces[0] and own.token_nonce != nonces[1]
    log = db.session.get(ContactMerge, log.id)
    assert log.undone_at is not None and log.undone_by_id == admin.id
    # The address finds the restored contact again, not the survivor.
    assert make_contact("Marcus Weber", "m.weber@ruhr-kultur.de").contact.id == newer.id
    with pytest.raises(ValidationError):
        merge_undo.undo(log, actor=admin, now=NOW)


def test_undo_keeps_values_changed_after_the_merge(app):
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW, choices={"organisation": "merged"})
    older.organisation = "Ruhr Kultur (neu)"
    log = db.session.scalars(select(ContactMerge)).one()
    done = merge_undo.undo(log, actor=make_user(role=Role.ADMIN), now=NOW)
    assert done["fields_kept"] == ["organisation"] and older.organisation == "Ruhr Kultur (neu)"


def test_undo_is_refused_after_30_days_for_combined_invitations_and_for_non_admins(app):
    staff = make_user()
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW)
    log = db.session.scalars(select(ContactMerge)).one()
    admin = make_user(role=Role.ADMIN)
    too_late = NOW + timedelta(days=30, seconds=1)
    assert "30 Tage" in merge_undo.undo_blockers(log, too_late)[0]
    with pytest.raises(ValidationError):
        merge_undo.undo(log, actor=admin, now=too_late)
    with pytest.raises(PermissionDenied):
        merge_undo.undo(log, actor=make_user(role=Role.COMMS), now=NOW)
    assert newer.merged_into_id == older.id
    # Two invitations to one event became one: the dropped one cannot come back safely.
    a = make_contact("Eva Roth", "eva@example.de").contact
    b = make_contact("Eva Roth", "e.roth@example.de", now=LATER).contact
    event = make_event(staff)
    invite(a, event.id, staff.department)
    invite(b, event.id, make_department())
    merges.merge(a, b, actor=None, now=NOW)
    log = db.session.scalars(select(ContactMerge).where(ContactMerge.survivor_id == a.id)).one()
    assert "hat 1 Einladung zu einer" in merge_undo.undo_blockers(log, NOW)[0]
    with pytest.raises(ValidationError):
        merge_undo.undo(log, actor=admin, now=NOW)


def test_undo_waits_for_a_later_merge_of_the_survivor(app):
    older, newer = weber_pair()
    merges.merge(older, newer, actor=None, now=NOW)
    first = db.session.scalars(select(ContactMerge)).one()
    oldest = make_contact("Markus Weber", "mw@example.org", now=NOW - timedelta(days=1)).contact
    merges.merge(oldest, older, actor=None, now=NOW)
    assert "erneut zusammengeführt" in merge_undo.undo_blockers(first, NOW)[0]
    second = db.session.scalars(select(ContactMerge).where(ContactMerge.id != first.id)).one()
    merge_undo.undo(second, actor=None, now=NOW)
    assert merge_undo.undo_blockers(first, NOW) == []
    merge_undo.undo(first, actor=None, now=NOW)
    assert None is older.merged_into_id is newer.merged_into_id is oldest.merged_into_id
    assert addresses(oldest) == [] and addresses(older) == []


def test_operations_merge_refuses_what_it_refused_before(app):
    older, newer = weber_pair()
    staff = make_user()
    with pytest.raises(guards.ContactLocked):  # two mailboxes: comms decide
        merges.merge(older, newer, actor=staff, now=NOW)
    assert count(ContactMerge) == 0
