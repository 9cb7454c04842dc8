"""Merging two contacts with a choice per field, recorded so that an administrator can undo it.

The older record survives; the other points to it (`merged_into`). The address that was not
kept stays with the survivor as a further address (ContactAddress), so that it still finds it.
Functions flush, never commit.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.audit import record
from app.audit.personal import diff
from app.contacts import dedup, hooks
from app.contacts.guards import ContactLocked, decides_for_all, guard_change
from app.contacts.models import NAME_AND_ADDRESS_FIELDS, Contact, ContactAddress, ContactMerge
from app.contacts.operations import FILLABLE, rsvp_secret
from app.contacts.trail import audited_values
from app.contacts.validation import LIMITS, ContactInput, keys_of, validate_input
from app.errors import ValidationError
from app.extensions import db

# Fields whose value the person merging chooses when the two contacts differ (form order).
CHOOSABLE = NAME_AND_ADDRESS_FIELDS
SURVIVOR, MERGED = "survivor", "merged"
# The survivor's columns a merge may change: kept before and after it, so that undo restores them.
SNAPSHOT = (
    *CHOOSABLE,
    "email_key",
    "mailbox_key",
    "name_key",
    "phonetic_key",
    "vip",
    "do_not_invite",
    "notes",
    "role_address",
)
VERSION = 2  # details written by this module (older logs have no snapshot and cannot be undone)


def merge_order(a: Contact, b: Contact) -> tuple[Contact, Contact]:
    """Return (survivor, merged) for two contacts: the older record survives."""
    keep, gone = sorted((a, b), key=lambda c: (c.created_at, c.id))
    return keep, gone


def differing(keep: Contact, gone: Contact) -> list[str]:
    """Return the choosable fields whose values differ between the two contacts."""
    return [n for n in CHOOSABLE if getattr(keep, n) != getattr(gone, n)]


def default_choices(keep: Contact, gone: Contact) -> dict[str, str]:
    """Return the preselected choice per differing field: the survivor's value unless empty."""
    return {n: SURVIVOR if getattr(keep, n) else MERGED for n in differing(keep, gone)}


def staff_may_merge(a: Contact, b: Contact) -> bool:
    """Return True when the two share a mailbox, so that staff (not only comms) may merge them."""
    return dedup.same_address(a.email, b.email)


def snapshot(contact: Contact) -> dict:
    """Return the survivor's columns a merge may change, as JSON values."""
    return {n: getattr(contact, n) for n in SNAPSHOT}


def _chosen(keep: Contact, gone: Contact, choices: dict[str, str] | None) -> tuple[dict, dict]:
    """Return the choices made and the survivor's validated new values; write nothing."""
    fields = differing(keep, gone)
    picks = default_choices(keep, gone)
    for name, side in (choices or {}).items():
        if name not in CHOOSABLE or side not in (SURVIVOR, MERGED):
            raise ValidationError.single(name, _("Please choose one of the two values."))
        if name in fields:
            picks[name] = side
    data = ContactInput.from_contact(keep)
    for name in fields:
        if picks[name] == MERGED:
            setattr(data, name, getattr(gone, name))
    values = validate_input(data)
    new = {n: values[n] for n in CHOOSABLE} | keys_of(values)
    clash = db.session.scalar(
        select(Contact.id).where(
            Contact.email_key == new["email_key"],
            Contact.name_key == new["name_key"],
            Contact.merged_into_id.is_(None),
            Contact.id.not_in([keep.id, gone.id]),
        )
    )
    if clash is not None:
        raise ValidationError.single(
            "email",
            _("Another contact has the chosen address and name; merge that one first."),
        )
    return picks, new


def _take_over(keep: Contact, gone: Contact, decided: set[str]) -> dict:
    """Give the survivor the other's tags, flags, notes and empty fields nobody chose."""
    added = [t for t in gone.tags if t not in keep.tags]
    keep.tags.extend(added)
    filled = [n for n in FILLABLE if n not in decided and getattr(gone, n) and not getattr(keep, n)]
    for name in filled:
        setattr(keep, name, getattr(gone, name))
    keep.vip = keep.vip or gone.vip
    keep.do_not_invite = keep.do_not_invite or gone.do_not_invite  # an opt-out survives
    if gone.notes and gone.notes not in keep.notes:
        keep.notes = f"{keep.notes}\n\n{gone.notes}".strip()[: LIMITS["notes"]]
    return {"tags_added": [t.name for t in added], "fields_filled": filled}


def _keep_address(keep: Contact, email: str, log: ContactMerge, now: datetime) -> int | None:
    """Keep the address that was not chosen as the survivor's further address; return its id.

    Not when it is the same mailbox, another live person's address (a shared role mailbox
    stays theirs) or already kept.
    """
    key = dedup.email_key(email)[:254]
    if key == keep.email_key:
        return None
    shared = select(Contact.id).where(
        Contact.email_key == key, Contact.merged_into_id.is_(None), Contact.id != keep.id
    )
    kept = select(ContactAddress.id).where(ContactAddress.email_key == key)
    if db.session.scalar(shared.limit(1)) or db.session.scalar(kept.limit(1)):
        return None
    row = ContactAddress(contact=keep, email=email, email_key=key, merge_id=log.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row.id


def _move_addresses(gone: Contact, keep: Contact) -> list[int]:
    """Give the survivor the further addresses of the merged contact; return their ids."""
    rows = db.session.scalars(select(ContactAddress).where(ContactAddress.contact_id == gone.id))
    moved = []
    for row in rows.all():
        row.contact = keep
        moved.append(row.id)
    return moved


def readdress(contact: Contact, old_email: str, now: datetime, secret_key: str) -> None:
    """Tell the inviting packages that the contact's main address changed."""
    for hook in hooks.on_readdress:
        hook(
            contact,
            now=now,
            secret_key=secret_key,
            renew=not dedup.same_address(old_email, contact.email),
        )


def _refuse_unless_allowed(keep: Contact, gone: Contact, *, actor, now: datetime) -> None:
    """Refuse merges of merged records and those staff may not make (ContactLocked)."""
    if keep.id == gone.id or keep.merged_into_id or gone.merged_into_id:
        raise ValidationError.single(
            "contact", _("Only two different contacts that are not merged yet can be merged.")
        )
    guard_change([keep, gone], "contact", actor=actor, now=now)
    if not staff_may_merge(keep, gone) and not decides_for_all(actor):
        # The merged address keeps matching the survivor: mail typed for it would go elsewhere.
        raise ContactLocked(
            "contact",
            _(
                "These contacts have different email addresses: only the communications team or "
                "an administrator may merge them, because invitations to one address would then "
                "go to the other."
            ),
        )


def merge(
    survivor: Contact,
    other: Contact,
    *,
    actor,
    now: datetime,
    reason: str = "",
    secret_key: str | None = None,
    choices: dict[str, str] | None = None,
) -> Contact:
    """Merge two contacts into the older one, with the chosen values, log it and return it.

    `choices` maps differing fields to SURVIVOR or MERGED (default: the survivor's non-empty
    value). What belongs to the merged contact moves through hooks.on_merge: invitations move
    to the survivor, and those that move to another address get new links.
    """
    keep, gone = merge_order(survivor, other)
    _refuse_unless_allowed(keep, gone, actor=actor, now=now)
    picks, new = _chosen(keep, gone, choices)  # validated before anything is written
    secret = rsvp_secret(secret_key)
    before, old_email, audited = snapshot(keep), keep.email, audited_values(keep)
    # A bounce mark belongs to an address: the survivor keeps one only for the address it keeps.
    marks = {c.email_key: (c.bounced_at, c.bounce_reason) for c in (gone, keep) if c.bounced_at}
    at = keep.bounced_at
    marks_before = [at.isoformat() if at else None, keep.bounce_reason]  # for undo
    repointed = list(
        db.session.scalars(select(Contact.id).where(Contact.merged_into_id == gone.id))
    )
    # The merged record leaves the live index first: the survivor may take its address and name.
    gone.merged_into = keep
    gone.updated_at = keep.updated_at = now
    db.session.flush()
    for name, value in new.items():
        setattr(keep, name, value)
    keep.bounced_at, keep.bounce_reason = marks.get(keep.email_key, (None, ""))
    db.session.flush()
    if keep.email != old_email:  # the survivor's own invitations follow its new address
        readdress(keep, old_email, now, secret)
        keep.role_address = dedup.is_role_address(keep.email) or bool(
            db.session.scalar(
                select(Contact.id)
                .where(Contact.email_key == keep.email_key, Contact.merged_into_id.is_(None))
                .where(Contact.id != keep.id)
                .limit(1)
            )
        )
    details = {"version": VERSION, "merged": {"name": gone.full_name, "email": gone.email}}
    for hook in hooks.on_merge:
        details |= hook(keep, gone, now=now, secret_key=secret)
    details |= _take_over(keep, gone, set(picks))
    if repointed:
        db.session.execute(
            update(Contact).where(Contact.id.in_(repointed)).values(merged_into_id=keep.id)
        )
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
    unchosen = gone.email if keep.email_key != gone.email_key else old_email
    log.details = details | {
        "choices": picks,
        "before": before,
        "after": snapshot(keep),
        "bounce_before": marks_before,
        "repointed": repointed,
        "addresses_moved": _move_addresses(gone, keep),
        "address_added": _keep_address(keep, unchosen, log, now),
    }
    record("contact.merged", "contact", gone.id, {"merged_into": [None, keep.id]})
    changes = {"merged_from": [None, gone.id]} | diff(audited, audited_values(keep))
    record("contact.merged", "contact", keep.id, changes)
    db.session.flush()
    return keep
