"""The address book domain: saving with reuse and role addresses, merging, the review list."""

import hashlib
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.contacts import merges, operations
from app.contacts.models import Contact, ContactMerge, NotDuplicate
from app.contacts.operations import ContactInput, save_contact
from app.errors import ValidationError
from app.extensions import db
from app.invitations.models import Invitation, InvitationDepartment
from tests.factories import NOW, make_department, make_event, make_user

NO_ACTOR = None  # the domain accepts a missing actor (a CLI command); pages pass the user


def make_contact(name: str = "Hans Müller", email: str = "hans.mueller@example.de", **fields):
    """Create a contact through the domain from "First Last"."""
    first, _sep, last = name.rpartition(" ")
    now = fields.pop("now", NOW)
    data = ContactInput(first_name=first, last_name=last, email=email, **fields)
    return save_contact(data, actor=NO_ACTOR, now=now)


def invite(contact: Contact, event_id: int, *departments) -> Invitation:
    """Create an invitation row directly, with the departments that invited."""
    invitation = Invitation(
        event_id=event_id,
        contact_id=contact.id,
        token_hash=hashlib.sha256(os.urandom(16)).hexdigest(),
        created_at=NOW,
        updated_at=NOW,
    )
    if hasattr(Invitation, "token_nonce"):
        invitation.token_nonce = os.urandom(16).hex()
    invitation.departments = [
        InvitationDepartment(department_id=d.id, invited_at=NOW) for d in departments
    ]
    db.session.add(invitation)
    db.session.flush()
    return invitation


def count(model) -> int:
    """Return the number of rows of a table."""
    return db.session.scalar(select(func.count()).select_from(model))


# --- saving ----------------------------------------------------------------------------------


def test_save_stores_normalised_address_and_match_keys(app):
    contact = make_contact("Prof. Dr. Hans Müller", " Hans.Mueller@EXAMPLE.de ").contact
    assert contact.email == "Hans.Mueller@example.de"
    assert contact.email_key == "hans.mueller@example.de"
    assert contact.name_key == "hans mueller"
    assert contact.phonetic_key == "657"
    assert not contact.role_address


def test_same_address_and_folded_name_reuses_the_existing_contact(app):
    first = make_contact("Hans Müller", "hans.mueller@example.de", tags=["Presse"]).contact
    again = make_contact(
        "Hans Mueller", "HANS.MUELLER@example.de", tags=["Rat"], organisation="Stadtwerke"
    )
    assert again.reused and again.contact is first
    assert count(Contact) == 1
    assert [t.name for t in first.tags] == ["Presse", "Rat"]
    assert first.organisation == "Stadtwerke"  # an empty field is filled, the name is kept
    assert first.first_name == "Hans" and first.last_name == "Müller"


def test_shared_address_under_another_name_creates_a_flagged_second_contact(app):
    anna = make_contact("Anna Schmidt", "familie.schmidt@example.de").contact
    peter = make_contact("Peter Schmidt", "familie.schmidt@example.de")
    assert not peter.reused and peter.shared_address
    assert peter.contact.id != anna.id
    assert anna.role_address and peter.contact.role_address
    assert peter.warnings == []  # two people behind one address are not duplicates


def test_role_address_is_flagged_when_first_seen(app):
    assert make_contact("Anna Schmidt", "Info@Verein-Dortmund.de").contact.role_address


def test_invalid_input_is_reported_per_field(app):
    with pytest.raises(ValidationError) as caught:
        save_contact(
            ContactInput(email="not-an-address", language="fr", tags=["x" * 81], phone="abc"),
            actor=None,
            now=NOW,
        )
    assert set(caught.value.errors) == {"last_name", "email", "language", "tags", "phone"}
    assert count(Contact) == 0


def test_possible_duplicates_come_back_as_warnings_without_merging(app):
    first = make_contact("Hans Müller", "hans.mueller@gmail.com").contact
    second = make_contact("Hans Muller", "hansmueller+rat@googlemail.com")
    assert not second.reused
    assert [w.other.id for w in second.warnings] == [first.id]
    assert second.warnings[0].match.reasons == ["mailbox", "similar_name"]


def test_editing_keeps_the_contact_and_recomputes_keys(app):
    contact = make_contact("Hans Müller").contact
    data = ContactInput.from_contact(contact)
    data.last_name, data.tags = "Möller", ["Presse"]
    saved = save_contact(data, actor=None, now=NOW + timedelta(days=1), contact=contact)
    assert saved.contact is contact and contact.name_key == "hans moeller"
    assert contact.updated_at > contact.created_at


# --- merging -----------------------------------------------------------------------------------


def test_merge_keeps_the_older_contact_and_one_invitation_per_event(app):
    staff = make_user()
    d1, d2, d3 = staff.department, make_department(), make_department()
    older = make_contact("Hans Müller", "hans@example.de", tags=["Presse"]).contact
    newer = make_contact(
        "Hans Mueller", "h.mueller@example.org", tags=["Rat"], phone="0231 1234", vip=True,
        now=NOW + timedelta(hours=1),
    ).contact  # fmt: skip
    first, second = make_event(staff), make_event(staff, title="Zweiter Empfang")
    kept = invite(older, first.id, d1)
    duplicate = invite(newer, first.id, d1, d2)
    moved = invite(newer, second.id, d3)
    # Other departments have open invitations of both: only comms (or an admin) may merge.
    comms = make_user(role=Role.COMMS)
    survivor = merges.merge(newer, older, actor=comms, now=NOW, reason="Same person")
    db.session.commit()
    assert survivor is older and newer.merged_into is older
    assert operations.resolve(newer) is older
    rows = db.session.scalars(select(Invitation).order_by(Invitation.event_id)).all()
    assert [(i.id, i.contact_id) for i in rows] == [(kept.id, older.id), (moved.id, older.id)]
    assert sorted(d.department_id for d in rows[0].departments) == sorted([d1.id, d2.id])
    assert db.session.get(Invitation, duplicate.id) is None
    assert [t.name for t in older.tags] == ["Presse", "Rat"]
    assert older.phone == "0231 1234" and older.vip
    log = db.session.scalars(select(ContactMerge)).one()
    assert (log.survivor_id, log.merged_id, log.reason) == (older.id, newer.id, "Same person")
    assert log.details["invitations_moved"] == [moved.id]
    assert log.details["invitations_dropped"] == [duplicate.id]
    assert log.details["departments"] == [d2.id]


def test_merge_keeps_an_opt_out_and_refuses_merged_contacts(app):
    older = make_contact("Hans Müller", "hans@example.de").contact
    newer = make_contact(
        "Hans Müller", "hm@example.org", do_not_invite=True, now=NOW + timedelta(hours=1)
    ).contact
    merges.merge(older, newer, actor=None, now=NOW)
    assert older.do_not_invite
    with pytest.raises(ValidationError):
        merges.merge(older, newer, actor=None, now=NOW)


def test_entering_a_merged_address_again_reuses_the_survivor(app):
    older = make_contact("Hans Müller", "hans@example.de", organisation="Rat").contact
    newer = make_contact(
        "Hans Müller", "hm@example.org", organisation="Rat", now=NOW + timedelta(hours=1)
    ).contact
    merges.merge(older, newer, actor=None, now=NOW)
    again = make_contact("Hans Müller", "HM@example.org")
    assert again.reused and again.contact is older


# --- review list -------------------------------------------------------------------------------


def test_review_lists_pairs_with_reasons_and_never_names_alone(app):
    a = make_contact("Hans Müller", "hans.mueller@gmail.com").contact
    b = make_contact("Hans Muller", "hansmueller@googlemail.com").contact
    make_contact("Hans Müller", "hans@other.example")  # same name only
    make_contact("Anna Schmidt", "info@verein.de")
    make_contact("Hanna Schmitz", "info@verein.de")  # one role mailbox, two people
    make_contact("Hans Möller", "moeller@gmail.com")
    pairs = operations.duplicate_candidates(db.session, limit=10)
    assert [p.ids for p in pairs] == [[a.id, b.id]]
    assert 0 < pairs[0].match.score < 1


def test_review_finds_pairs_by_phone_and_inside_a_large_role_mailbox(app):
    a = make_contact("Hans Müller", "hm@example.de", phone="0231 123456").contact
    b = make_contact("H. Mueller", "h@example.org", phone="0231 123456").contact
    for n in range(55):
        make_contact(f"Gast{n} Mitglied", "info@verein.example")
    c = make_contact("Anna Schmidt", "info@verein.example").contact
    d = make_contact("A. Schmidt", "Info@Verein.example").contact
    pairs = operations.duplicate_candidates(db.session)
    assert [p.ids for p in pairs] == [[a.id, b.id], [c.id, d.id]]
    assert pairs[1].match.reasons == ["shared_role", "similar_name"]


def test_not_a_duplicate_is_remembered(app):
    a = make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke").contact
    b = make_contact("Hans Müller", "hm@example.org", organisation="Stadtwerke").contact
    assert [p.ids for p in operations.duplicate_candidates(db.session)] == [[a.id, b.id]]
    operations.mark_not_duplicate(b, a, actor=None, now=NOW)
    operations.mark_not_duplicate(a, b, actor=None, now=NOW)  # twice is fine
    assert operations.duplicate_candidates(db.session) == []
    assert count(NotDuplicate) == 1
    again = make_contact("Hans Müller", "third@example.net", organisation="Stadtwerke")
    assert sorted(w.other.id for w in again.warnings) == [a.id, b.id]
    data = ContactInput.from_contact(a)
    assert operations.check_contact(data, exclude_id=a.id)[0].other.id == again.contact.id


def test_merged_contacts_leave_the_review_list(app):
    a = make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke").contact
    b = make_contact("Hans Müller", "hm@example.org", organisation="Stadtwerke").contact
    merges.merge(a, b, actor=None, now=NOW)
    assert operations.duplicate_candidates(db.session) == []
