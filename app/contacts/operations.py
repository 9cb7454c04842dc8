"""Saving, merging and reviewing contacts; functions flush, never commit."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.contacts import dedup
from app.contacts.candidates import (
    PROBE_COLUMNS,
    Candidate,
    Pair,
    candidate_pairs,
    candidates_for,
    probe_of,
)
from app.contacts.models import Contact, ContactMerge, NotDuplicate, Tag
from app.contacts.validation import LIMITS, ContactInput, validate_input
from app.errors import ValidationError
from app.extensions import db
from app.invitations.models import Invitation

# Fields a reused or surviving contact takes over while its own are empty (never the name).
FILLABLE = ("salutation", "office_title", "organisation", "function", "phone")


@dataclass
class Saved:
    """What save_contact did: the contact, whether an existing one was reused, what to check."""

    contact: Contact
    reused: bool = False
    shared_address: bool = False  # the address is also another person's: a role address
    warnings: list[Candidate] = field(default_factory=list)


def _tag_rows(names: list[str]) -> list[Tag]:
    """Return the tags with these names, creating missing ones (case-insensitive reuse)."""
    if not names:
        return []
    query = select(Tag).where(func.lower(Tag.name).in_([n.lower() for n in names]))
    known = {t.name.lower(): t for t in db.session.scalars(query)}
    rows = []
    for name in names:
        if name.lower() not in known:
            known[name.lower()] = Tag(name=name)
            db.session.add(known[name.lower()])
        rows.append(known[name.lower()])
    return rows


def resolve(contact: Contact) -> Contact:
    """Follow merges to the contact that survived."""
    seen = set()
    while contact.merged_into is not None and contact.id not in seen:
        seen.add(contact.id)
        contact = contact.merged_into
    return contact


def _reuse(existing: Contact, values: dict, tags: list[Tag], now: datetime) -> None:
    """Add the new tags and fill empty fields of a contact that was entered again."""
    changed = [n for n in FILLABLE if values[n] and not getattr(existing, n)]
    for name in changed:
        setattr(existing, name, values[name])
    added = [t for t in tags if t not in existing.tags]
    existing.tags.extend(added)
    if changed or added:
        existing.updated_at = now


def save_contact(
    data: ContactInput,
    *,
    actor,
    now: datetime,
    contact: Contact | None = None,
    warn: bool = True,
) -> Saved:
    """Create or update a contact; an exact address and name match reuses the existing one."""
    values = validate_input(data)
    tags = _tag_rows(values.pop("tags"))
    query = select(Contact).where(Contact.email_key == values["email_key"])
    if contact is not None:
        query = query.where(Contact.id != contact.id)
    same_address = db.session.scalars(query.order_by(Contact.created_at, Contact.id)).all()
    if contact is None:
        same = next((c for c in same_address if c.name_key == values["name_key"]), None)
        if same is not None:
            same = resolve(same)
            _reuse(same, values, tags, now)
            db.session.flush()
            return Saved(same, reused=True)
        contact = Contact(created_at=now, created_by_id=getattr(actor, "id", None))
        db.session.add(contact)
    sharing = [
        c for c in same_address if c.merged_into_id is None and c.name_key != values["name_key"]
    ]
    for name, value in values.items():
        setattr(contact, name, value)
    contact.tags = tags
    contact.updated_at = now
    contact.role_address = bool(sharing) or dedup.is_role_address(contact.email)
    for other in sharing:
        other.role_address = True
    db.session.flush()
    warnings = candidates_for(db.session, probe_of(contact), limit=5) if warn else []
    return Saved(contact, shared_address=bool(sharing), warnings=warnings)


def check_contact(data: ContactInput, *, exclude_id: int | None = None) -> list[Candidate]:
    """Return possible duplicates of unsaved input (raises ValidationError for bad input)."""
    values = validate_input(data)
    probe = dedup.Probe(**{n: values[n] for n in PROBE_COLUMNS if n != "id"}, id=exclude_id)
    return candidates_for(db.session, probe, limit=5)


def _move_invitations(keep: Contact, gone: Contact) -> dict:
    """Move invitations to the survivor, one per event; departments join the kept one."""
    query = select(Invitation).where(Invitation.contact_id == keep.id)
    kept = {inv.event_id: inv for inv in db.session.scalars(query)}
    moved, dropped, departments = [], [], []
    for inv in db.session.scalars(select(Invitation).where(Invitation.contact_id == gone.id)).all():
        target = kept.get(inv.event_id)
        if target is None:
            inv.contact = keep
            moved.append(inv.id)
            continue
        present = {row.department_id for row in target.departments}
        for row in list(inv.departments):
            if row.department_id not in present:
                inv.departments.remove(row)
                target.departments.append(row)
                departments.append(row.department_id)
        dropped.append(inv.id)
        db.session.delete(inv)
    return {"invitations_moved": moved, "invitations_dropped": dropped, "departments": departments}


def _take_over(keep: Contact, gone: Contact) -> dict:
    """Give the survivor the other's tags, empty fields, flags and notes."""
    added = [t for t in gone.tags if t not in keep.tags]
    keep.tags.extend(added)
    filled = [n for n in FILLABLE if getattr(gone, n) and not getattr(keep, n)]
    for name in filled:
        setattr(keep, name, getattr(gone, name))
    keep.vip = keep.vip or gone.vip
    keep.do_not_invite = keep.do_not_invite or gone.do_not_invite  # an opt-out survives
    if gone.notes and gone.notes not in keep.notes:
        keep.notes = f"{keep.notes}\n\n{gone.notes}".strip()[: LIMITS["notes"]]
    return {"tags_added": [t.name for t in added], "fields_filled": filled}


def merge_order(a: Contact, b: Contact) -> tuple[Contact, Contact]:
    """Return (survivor, merged) for two contacts: the older record survives."""
    keep, gone = sorted((a, b), key=lambda c: (c.created_at, c.id))
    return keep, gone


def merge(survivor: Contact, other: Contact, *, actor, now: datetime, reason: str = "") -> Contact:
    """Merge two contacts into the older one (by creation, then id) and log it; return it."""
    if survivor.id == other.id or survivor.merged_into_id or other.merged_into_id:
        raise ValidationError.single(
            "contact", _("Only two different contacts that are not merged yet can be merged.")
        )
    keep, gone = sorted((survivor, other), key=lambda c: (c.created_at, c.id))
    details = {"merged": {"name": gone.full_name, "email": gone.email}}
    details |= _move_invitations(keep, gone) | _take_over(keep, gone)
    db.session.execute(
        update(Contact).where(Contact.merged_into_id == gone.id).values(merged_into_id=keep.id)
    )
    gone.merged_into = keep
    gone.updated_at = keep.updated_at = now
    log = ContactMerge(
        survivor_id=keep.id,
        merged_id=gone.id,
        reason=reason[:200],
        details=details,
        merged_by_id=getattr(actor, "id", None),
        merged_at=now,
    )
    db.session.add(log)
    db.session.flush()
    return keep


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
