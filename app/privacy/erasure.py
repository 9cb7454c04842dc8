"""Erasure (Art. 17 DSGVO): a person's data removed from every table, the counts kept.

The contact and every record merged into it are deleted with their further addresses, tags,
"not a duplicate" decisions and merge logs; their invitations become anonymous rows (see
anonymise.py); mail sent to or received from their addresses loses recipient and bytes; audit
entries keep the action but not the values; their addresses go on the suppression list.
After the commit the touched tables are vacuumed (PostgreSQL) or the WAL is checkpointed
(SQLite, where ``secure_delete`` zeroes freed bytes), so the bytes do not linger on disk.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, event, func, or_, select, text, update
from sqlalchemy.orm import Session

from app.audit import privileged, record
from app.audit.models import AuditEntry
from app.contacts.models import (
    Contact,
    ContactAddress,
    ContactImport,
    ContactMerge,
    NotDuplicate,
    contact_tags,
)
from app.extensions import db
from app.inbound.models import InboundMessage
from app.invitations.models import Invitation
from app.mail.models import MailStatus, OutboxMessage
from app.notifications.models import Notification
from app.privacy import suppression
from app.privacy.anonymise import anonymise_invitations, erased_marker

TOUCHED_TABLES = (
    "contacts",
    "contact_addresses",
    "contact_tags",
    "contact_merges",
    "contact_not_duplicates",
    "contact_imports",
    "invitations",
    "outbox",
    "inbound",
    "audit_log",
)
VACUUM_KEY = "privacy_vacuum"


@dataclass
class Erased:
    """What an erasure did, in counts only (it is logged and shown)."""

    contact_id: int
    contacts: int = 0
    invitations: int = 0
    mails: int = 0
    inbound: int = 0
    audit_entries: int = 0
    suppressed: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts for the audit entry and the API."""
        names = ("contacts", "invitations", "mails", "inbound", "audit_entries", "suppressed")
        return {"contact_id": self.contact_id} | {n: getattr(self, n) for n in names}


def cluster_of(contact: Contact) -> list[Contact]:
    """Return the contact and every record merged into it, directly or through others."""
    found = {contact.id: contact}
    frontier = [contact.id]
    while frontier:
        rows = db.session.scalars(select(Contact).where(Contact.merged_into_id.in_(frontier)))
        fresh = [c for c in rows if c.id not in found]
        found.update((c.id, c) for c in fresh)
        frontier = [c.id for c in fresh]
    return list(found.values())


def personal_terms(contacts: list[Contact]) -> set[str]:
    """Return the addresses, names and phone numbers of the contacts (case-folded)."""
    terms = set()
    for contact in contacts:
        terms |= {contact.email, contact.email_key, contact.full_name, contact.phone}
        terms |= {a.email for a in contact.addresses}
        if contact.last_name and len(contact.last_name) > 3:
            terms.add(contact.last_name)
    return {t.casefold() for t in terms if t and len(t.strip()) > 3}


def _mentions(value, terms: set[str]) -> bool:
    """Return True when the JSON-able value contains one of the terms (case-insensitive)."""
    flat = json.dumps(value, ensure_ascii=False, default=str).casefold()
    return any(term in flat for term in terms)


def _own_keys(contacts: list[Contact], ids: list[int]) -> set[str]:
    """Return the person's address keys that no other contact uses (main or further address)."""
    keys = {c.email_key for c in contacts} | {a.email_key for c in contacts for a in c.addresses}
    used = db.session.scalars(
        select(Contact.email_key).where(Contact.email_key.in_(keys), Contact.id.not_in(ids))
    )
    return keys - set(used)


def _keys_to_suppress(contacts: list[Contact], ids: list[int]) -> list[str]:
    """Return the address keys to suppress: the person's own, except a role address."""
    roles = {c.email_key for c in contacts if c.role_address}
    return sorted(_own_keys(contacts, ids) - roles)


def _blank_mail(emails: list[str], invitation_ids: list[int], result: Erased) -> None:
    """Blank outbox rows to the addresses and received mail from them."""
    to_them = func.lower(OutboxMessage.recipient).in_(emails)
    db.session.execute(
        update(OutboxMessage)
        .where(to_them, OutboxMessage.status.in_((MailStatus.QUEUED, MailStatus.SENDING)))
        .values(status=MailStatus.FAILED)
        .execution_options(synchronize_session=False)
    )
    outbox = db.session.execute(
        update(OutboxMessage)
        .where(to_them)
        .values(recipient="", message=None, last_error="", claimed_by="")
        .execution_options(synchronize_session=False)
    )
    inbound_rows = db.session.execute(
        update(InboundMessage)
        .where(func.lower(InboundMessage.envelope_from).in_(emails))
        .values(
            raw=None,
            envelope_from="",
            envelope_to="",
            detail={},
            message_id_key=erased_marker(InboundMessage.id),
        )
        .execution_options(synchronize_session=False)
    )
    linked = select(func.count()).where(OutboxMessage.invitation_id.in_(invitation_ids or [0]))
    result.mails = (outbox.rowcount or 0) + (db.session.scalar(linked) or 0)
    linked_in = select(func.count()).where(InboundMessage.invitation_id.in_(invitation_ids or [0]))
    result.inbound = (inbound_rows.rowcount or 0) + (db.session.scalar(linked_in) or 0)


def _scrub_imports(terms: set[str]) -> None:
    """Drop the person's rows (and duplicate hints naming them) from import previews."""
    for upload in db.session.scalars(
        select(ContactImport).where(ContactImport.status == "preview")
    ):
        rows = []
        for row in upload.rows or []:
            if _mentions(row.get("values", {}), terms):
                continue
            hints = [d for d in row.get("duplicates", []) if not _mentions(d, terms)]
            rows.append(row | {"duplicates": hints} if "duplicates" in row else row)
        if rows != upload.rows:
            upload.rows = rows


def _scrub_audit(ids: list[int], invitation_ids: list[int], terms: set[str]) -> int:
    """Keep the actions about the person but drop every value; return the entries changed."""
    about = {("contact", i) for i in ids} | {("invitation", i) for i in invitation_ids}
    query = select(AuditEntry.id, AuditEntry.object_type, AuditEntry.object_id, AuditEntry.changes)
    scrub = {}
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        if row.changes and (
            (row.object_type, row.object_id) in about or _mentions(row.changes, terms)
        ):
            scrub[row.id] = {name: None for name in row.changes}
    for entry_id, changes in scrub.items():
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == entry_id)
            .values(changes=changes)
            .execution_options(synchronize_session=False)
        )
    return len(scrub)


def erase(contact: Contact, *, now: datetime) -> Erased:
    """Erase the person (flushes; the caller commits, then the tables are vacuumed)."""
    contacts = cluster_of(contact)
    ids = [c.id for c in contacts]
    result = Erased(contact_id=contact.id, contacts=len(ids))
    terms = personal_terms(contacts)
    # Mail to or from an address someone else still uses goes only with the person's invitations.
    own = _own_keys(contacts, ids)
    addresses = [(c.email, c.email_key) for c in contacts]
    addresses += [(a.email, a.email_key) for c in contacts for a in c.addresses]
    emails = sorted({v for e, k in addresses if k in own for v in (e.lower(), k)})
    result.suppressed = suppression.suppress(_keys_to_suppress(contacts, ids), now=now)
    invitation_ids = list(
        db.session.scalars(select(Invitation.id).where(Invitation.contact_id.in_(ids)))
    )
    _blank_mail(emails, invitation_ids, result)
    result.invitations = anonymise_invitations(invitation_ids)
    _scrub_imports(terms)
    db.session.execute(
        delete(ContactMerge).where(
            or_(ContactMerge.survivor_id.in_(ids), ContactMerge.merged_id.in_(ids))
        )
    )
    db.session.execute(
        delete(NotDuplicate).where(
            or_(NotDuplicate.first_id.in_(ids), NotDuplicate.second_id.in_(ids))
        )
    )
    db.session.execute(delete(ContactAddress).where(ContactAddress.contact_id.in_(ids)))
    db.session.execute(delete(contact_tags).where(contact_tags.c.contact_id.in_(ids)))
    db.session.execute(update(Contact).where(Contact.id.in_(ids)).values(merged_into_id=None))
    # Notifications naming the person (guest clashes, replies waiting for review) go as well.
    db.session.execute(delete(Notification).where(Notification.contact_id.in_(ids)))
    db.session.execute(delete(Contact).where(Contact.id.in_(ids)))
    with privileged():
        result.audit_entries = _scrub_audit(ids, invitation_ids, terms)
    db.session.expire_all()
    record("contact.erased", "contact", result.contact_id, result.as_dict())
    db.session.flush()
    db.session.info[VACUUM_KEY] = True
    return result


@event.listens_for(Session, "after_commit")
def _vacuum_after_erasure(session: Session) -> None:
    """After an erasure commits, make the freed bytes go: VACUUM, or a WAL checkpoint."""
    if not session.info.pop(VACUUM_KEY, False):
        return
    vacuum(session.get_bind())


def vacuum(engine) -> None:
    """VACUUM the touched tables (PostgreSQL) or checkpoint and truncate the WAL (SQLite)."""
    engine = getattr(engine, "engine", engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"VACUUM {', '.join(TOUCHED_TABLES)}"))
        else:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
