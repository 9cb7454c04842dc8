"""Saving and reviewing contacts; functions flush, never commit (who may change what: guards)."""

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.contacts import dedup, dedup_scoring, hooks, queries
from app.contacts.candidates import (
    PROBE_COLUMNS,
    Candidate,
    Pair,
    candidate_pairs,
    candidates_for,
    probe_of,
)
from app.contacts.guards import guard_change
from app.contacts.models import Contact, ContactAddress, NotDuplicate, Tag
from app.contacts.trail import audited_values, record_change, record_created
from app.contacts.validation import ContactInput, validate_input
from app.db_upsert import insert_ignoring_conflicts
from app.errors import ValidationError
from app.extensions import db

# Fields a reused or surviving contact takes over while its own are empty (never the name).
FILLABLE = ("salutation", "office_title", "organisation", "function", "phone")

tag_key = dedup.tag_key


@dataclass
class Saved:
    """What save_contact did: the contact, whether an existing one was reused, what to check."""

    contact: Contact
    reused: bool = False
    shared_address: bool = False  # the address is also another person's: a role address
    warnings: list[Candidate] = field(default_factory=list)


def _tag_rows(names: list[str]) -> list[Tag]:
    """Return the tags for these names by match key, creating missing ones (races included)."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(dedup.tag_key(name), name)
    if not wanted:
        return []
    query = select(Tag).where(Tag.match_key.in_(list(wanted)))
    found = {t.match_key: t for t in db.session.scalars(query)}
    missing = [{"name": wanted[k], "match_key": k} for k in wanted if k not in found]
    if missing:
        insert_ignoring_conflicts(db.session, Tag, missing)  # a concurrent writer may win
        found = {t.match_key: t for t in db.session.scalars(query)}
    return [found[k] for k in wanted]


def resolve(contact: Contact) -> Contact:
    """Follow merges to the contact that survived."""
    seen = set()
    while contact.merged_into is not None and contact.id not in seen:
        seen.add(contact.id)
        contact = contact.merged_into
    return contact


# --- saving --------------------------------------------------------------------------------


def _reuse(existing: Contact, values: dict, tags: list[Tag], now: datetime) -> Saved:
    """Add the new tags and fill empty fields of a contact that was entered again."""
    changed = [n for n in FILLABLE if values[n] and not getattr(existing, n)]
    for name in changed:
        setattr(existing, name, values[name])
    added = [t for t in tags if t not in existing.tags]
    existing.tags.extend(added)
    if changed or added:
        existing.updated_at = now
    db.session.flush()
    return Saved(existing, reused=True)


def _live_person(values: dict):
    """Return the query for the live contact with the same address and name."""
    return select(Contact).where(
        Contact.email_key == values["email_key"],
        Contact.name_key == values["name_key"],
        Contact.merged_into_id.is_(None),
    )


def _existing(values: dict) -> Contact | None:
    """Return the contact with the same address and name (the survivor, if it was merged)."""
    query = select(Contact).where(
        Contact.email_key == values["email_key"], Contact.name_key == values["name_key"]
    )
    same = db.session.scalars(query.order_by(Contact.created_at, Contact.id).limit(1)).first()
    if same is not None:
        return resolve(same)
    # An address kept from a merge belongs to the survivor, under whatever name it is typed.
    return queries.contact_by_further_address(db.session, values["email_key"])


def _sharing(values: dict, contact_id: int | None) -> list[Contact]:
    """Return the other live contacts at the same address under another name."""
    query = select(Contact).where(
        Contact.email_key == values["email_key"],
        Contact.name_key != values["name_key"],
        Contact.merged_into_id.is_(None),
    )
    if contact_id is not None:
        query = query.where(Contact.id != contact_id)
    return list(db.session.scalars(query))


def _create(values: dict, tags: list[Tag], *, actor, now: datetime, warn: bool) -> Saved:
    """Insert a contact; when a concurrent writer has just inserted the same person, reuse it.

    The unique index on the live address and name decides (INSERT … ON CONFLICT DO NOTHING):
    on PostgreSQL the second insert waits for the first transaction and then finds its row.
    """
    sharing = _sharing(values, None)
    row = values | {
        "created_at": now,
        "updated_at": now,
        "created_by_id": getattr(actor, "id", None),
        "role_address": bool(sharing) or dedup.is_role_address(values["email"]),
    }
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Contact).values(row).on_conflict_do_nothing().returning(Contact.id)
    new_id = db.session.scalar(statement)
    if new_id is None:
        return _reuse(_existing(values), values, tags, now)
    contact = db.session.get(Contact, new_id)
    contact.tags = tags
    for other in sharing:
        other.role_address = True
    db.session.flush()
    warnings = candidates_for(db.session, probe_of(contact), limit=5) if warn else []
    return Saved(contact, shared_address=bool(sharing), warnings=warnings)


def _update(
    contact: Contact, values: dict, tags: list[Tag], *, actor, now: datetime, secret_key: str
) -> Saved:
    """Change a contact under the sharing rule; a new address gets every invitation new links."""
    # Another mailbox, also one that only case-folding would equate (roſſ@ and ross@).
    moved = not dedup.same_address(values["email"], contact.email)
    if moved:
        guard_change([contact], "email", actor=actor, now=now)
    if values["do_not_invite"] != contact.do_not_invite:
        guard_change([contact], "do_not_invite", actor=actor, now=now)
    clash = db.session.scalar(_live_person(values).where(Contact.id != contact.id).limit(1))
    if clash is not None:
        raise ValidationError.single(
            "email", _("Another contact has the same address and name; merge the two instead.")
        )
    owner = queries.contact_by_further_address(db.session, values["email_key"])
    if owner is not None and owner.id != contact.id:
        raise ValidationError.single(
            "email",
            _(
                "%(name)s keeps this address from a merge; merge the two contacts instead.",
                name=owner.full_name or owner.email,
            ),
        )
    sharing = _sharing(values, contact.id)
    readdressed = values["email"] != contact.email
    for name, value in values.items():
        setattr(contact, name, value)
    contact.tags = tags
    contact.updated_at = now
    if readdressed:  # a bounce said nothing about the new address
        contact.bounced_at, contact.bounce_reason = None, ""
    contact.role_address = bool(sharing) or dedup.is_role_address(contact.email)
    for other in sharing:
        other.role_address = True
    if owner is not None:  # its own further address became the main one
        db.session.execute(
            delete(ContactAddress).where(
                ContactAddress.contact_id == contact.id,
                ContactAddress.email_key == values["email_key"],
            )
        )
    db.session.flush()
    if readdressed:  # queued mail follows the address; a new address gets new RSVP links
        for hook in hooks.on_readdress:
            hook(contact, now=now, secret_key=secret_key, renew=moved)
    return Saved(contact, shared_address=bool(sharing))


def rsvp_secret(secret_key: str | None) -> str:
    """Return the key RSVP tokens are derived with (the app's, unless given)."""
    return secret_key or current_app.config["SECRET_KEY"]


def save_contact(
    data: ContactInput,
    *,
    actor,
    now: datetime,
    contact: Contact | None = None,
    warn: bool = True,
    secret_key: str | None = None,
) -> Saved:
    """Create or update a contact; an exact address and name match reuses the existing one.

    Staff may change the address or the opt-out flag only while no other department has an
    open invitation of the contact (ContactLocked otherwise).
    """
    values = validate_input(data)
    tags = _tag_rows(values.pop("tags"))
    if contact is not None:
        secret, before = rsvp_secret(secret_key), audited_values(contact)
        saved = _update(contact, values, tags, actor=actor, now=now, secret_key=secret)
        record_change(contact, before)
        return saved
    same = _existing(values)
    if same is not None:
        before = audited_values(same)
        saved = _reuse(same, values, tags, now)
        record_change(same, before)
        return saved
    saved = _create(values, tags, actor=actor, now=now, warn=warn)
    if not saved.reused:
        record_created(saved.contact)
    return saved


def check_contact(data: ContactInput, *, exclude_id: int | None = None) -> list[Candidate]:
    """Return possible duplicates of unsaved input (raises ValidationError for bad input)."""
    values = validate_input(data)
    probe = dedup_scoring.Probe(**{n: values[n] for n in PROBE_COLUMNS if n != "id"}, id=exclude_id)
    return candidates_for(db.session, probe, limit=5)


def mark_not_duplicate(a: Contact, b: Contact, *, actor, now: datetime) -> NotDuplicate:
    """Remember that two contacts are different people, so the pair is not proposed again."""
    if a.id == b.id:
        raise ValidationError.single("contact", _("A contact cannot be its own duplicate."))
    first, second = sorted((a.id, b.id))
    row = db.session.get(NotDuplicate, (first, second))
    if row is None:
        row = NotDuplicate(first_id=first, second_id=second, decided_at=now)
        row.decided_by_id = getattr(actor, "id", None)
        db.session.add(row)
        db.session.flush()
    return row


def duplicate_candidates(session: Session, limit: int = 50) -> list[Pair]:
    """Return the pairs most likely to be one person, for the review page and the API."""
    pairs = candidate_pairs(session)
    pairs.sort(key=lambda p: (-p.match.score, p.first.id, p.second.id))
    return pairs[:limit]
