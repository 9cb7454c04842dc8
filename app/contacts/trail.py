"""What the audit log records about a contact: the compared fields and the change entry."""

from app.audit import record
from app.audit.personal import created, diff
from app.contacts.models import NAME_AND_ADDRESS_FIELDS, Contact

# What the audit log compares before and after a change (keys, flags and timestamps are derived).
AUDITED = (*NAME_AND_ADDRESS_FIELDS, "language", "vip", "do_not_invite", "notes")


def audited_values(contact: Contact) -> dict:
    """Return the contact's fields as the audit log compares them (tags as sorted names)."""
    values = {n: getattr(contact, n) for n in AUDITED}
    return values | {"tags": sorted(t.name for t in contact.tags)}


def record_change(contact: Contact, before: dict, action: str = "contact.changed") -> None:
    """Add an audit entry with the fields that differ from before, if any."""
    changes = diff(before, audited_values(contact))
    if changes:
        record(action, "contact", contact.id, changes)


def record_created(contact: Contact) -> None:
    """Add the entry of a new contact with its filled fields."""
    record("contact.created", "contact", contact.id, created(audited_values(contact)))
