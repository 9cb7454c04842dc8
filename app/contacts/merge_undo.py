"""Undoing a recorded merge within 30 days: an administrator's correction of a wrong merge.

Undo restores the merged contact, the survivor's values from before the merge (those nobody has
changed since), its tags and further addresses, and moves the invitations that the merge moved
back (those that still exist). A merge that combined two invitations to one event is refused:
the dropped invitation's answer and links cannot be restored safely.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select, update

from app.audit import record
from app.audit.personal import diff
from app.contacts import hooks
from app.contacts.merges import CHOOSABLE, VERSION, readdress
from app.contacts.models import Contact, ContactAddress, ContactMerge
from app.contacts.operations import rsvp_secret
from app.contacts.trail import audited_values
from app.contacts.validation import keys_of
from app.errors import PermissionDenied, ValidationError
from app.extensions import db

UNDO_DAYS = 30
FLAGS = ("vip", "do_not_invite", "notes", "role_address")


def undo_until(log: ContactMerge) -> datetime:
    """Return the instant after which the merge can no longer be undone."""
    return log.merged_at + timedelta(days=UNDO_DAYS)


def _restored(keep: Contact, details: dict) -> tuple[dict, list[str]]:
    """Return the survivor's values after undo and the fields changed since the merge (kept)."""
    before, after = details["before"], details["after"]
    values, kept = {}, []
    for name in CHOOSABLE:
        if getattr(keep, name) == after[name]:
            values[name] = before[name]
        else:
            values[name] = getattr(keep, name)
            kept.append(name)
    return values | keys_of(values), kept


def _live_with(keys: dict, *exclude: int) -> bool:
    """Return True when a live contact other than these has the address and name keys."""
    query = select(Contact.id).where(
        Contact.email_key == keys["email_key"],
        Contact.name_key == keys["name_key"],
        Contact.merged_into_id.is_(None),
        Contact.id.not_in(exclude),
    )
    return db.session.scalar(query.limit(1)) is not None


def undo_blockers(log: ContactMerge, now: datetime) -> list[str]:
    """Return why the merge cannot be undone (empty when it can)."""
    details = log.details or {}
    if log.undone_at is not None:
        return [_("This merge was already undone.")]
    if now > undo_until(log):
        return [
            _(
                "Merges can be undone for %(days)d days; this one is older and can no longer "
                "be undone.",
                days=UNDO_DAYS,
            )
        ]
    if details.get("version") != VERSION:
        return [_("This merge was recorded before merges could be undone.")]
    keep, gone = log.survivor, log.merged
    if keep.merged_into_id is not None or gone.merged_into_id != keep.id:
        return [_("The kept contact was merged again later; undo that merge first.")]
    reasons = []
    dropped = len(details.get("invitations_dropped") or [])
    if dropped:
        reasons.append(
            ngettext(
                "The merge combined %(num)d invitation to an event both were invited to; "
                "undoing it could lose a guest's answer, so it cannot be undone.",
                "The merge combined %(num)d invitations to events both were invited to; "
                "undoing it could lose guests' answers, so it cannot be undone.",
                dropped,
            )
        )
    values, _kept = _restored(keep, details)
    gone_keys = {"email_key": gone.email_key, "name_key": gone.name_key}
    if values["email_key"] == gone.email_key and values["name_key"] == gone.name_key:
        reasons.append(
            _(
                "The kept contact was changed since and now has the merged contact's address "
                "and name."
            )
        )
    elif _live_with(gone_keys, gone.id, keep.id) or _live_with(values, gone.id, keep.id):
        reasons.append(_("Another contact now has the same address and name."))
    return reasons


def _restore_addresses(keep: Contact, gone: Contact, details: dict) -> None:
    """Drop the further address the merge added and give the merged contact its own back."""
    if details.get("address_added"):
        db.session.execute(
            delete(ContactAddress).where(
                ContactAddress.id == details["address_added"],
                ContactAddress.contact_id == keep.id,
            )
        )
    if details.get("addresses_moved"):
        db.session.execute(
            update(ContactAddress)
            .where(
                ContactAddress.id.in_(details["addresses_moved"]),
                ContactAddress.contact_id == keep.id,
            )
            .values(contact_id=gone.id)
        )


def undo(log: ContactMerge, *, actor, now: datetime, secret_key: str | None = None) -> dict:
    """Undo a merge (administrators only); return the restored contact and what was restored."""
    if actor is not None and not getattr(actor, "is_admin", False):
        raise PermissionDenied(_("Only an administrator may undo a merge."))
    reasons = undo_blockers(log, now)
    if reasons:
        raise ValidationError.single("merge", " ".join(reasons))
    keep, gone, details = log.survivor, log.merged, log.details
    secret = rsvp_secret(secret_key)
    moved = list(details.get("invitations_moved") or [])
    restored = []
    for hook in hooks.on_unmerge:  # while the survivor still has the address they were sent to
        restored += hook(keep, gone, moved, now=now, secret_key=secret)
    values, kept = _restored(keep, details)
    old_email, audited = keep.email, audited_values(keep)
    for name, value in values.items():
        setattr(keep, name, value)
    for name in FLAGS:
        if getattr(keep, name) == details["after"][name]:
            setattr(keep, name, details["before"][name])
    if "bounce_before" in details and keep.email_key == details["before"]["email_key"]:
        at, reason = details["bounce_before"]  # its own address again: its own bounce mark
        keep.bounced_at, keep.bounce_reason = (datetime.fromisoformat(at) if at else None), reason
    added = set(details.get("tags_added") or [])
    keep.tags = [t for t in keep.tags if t.name not in added]
    _restore_addresses(keep, gone, details)
    keep.updated_at = gone.updated_at = now
    db.session.flush()
    gone.merged_into = None
    db.session.flush()
    if details.get("repointed"):
        db.session.execute(
            update(Contact)
            .where(Contact.id.in_(details["repointed"]), Contact.merged_into_id == keep.id)
            .values(merged_into_id=gone.id)
        )
    if keep.email != old_email:
        readdress(keep, old_email, now, secret)
    log.undone_at, log.undone_by_id = now, getattr(actor, "id", None)
    log.details = details | {"undo": {"invitations_restored": restored, "fields_kept": kept}}
    record("contact.merge_undone", "contact", gone.id, {"merged_into": [keep.id, None]})
    changes = {"merged_from": [gone.id, None]} | diff(audited, audited_values(keep))
    record("contact.merge_undone", "contact", keep.id, changes)
    db.session.flush()
    return {"contact": gone, "survivor": keep, "invitations": restored, "fields_kept": kept}


def recent(limit: int = 100) -> list[ContactMerge]:
    """Return the latest merges, newest first, for the administrators' list."""
    query = select(ContactMerge).order_by(ContactMerge.merged_at.desc(), ContactMerge.id.desc())
    return list(db.session.scalars(query.limit(limit)))
