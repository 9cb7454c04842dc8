"""Warnings before inviting guests whose address bounced (a permanent failure came back).

Nothing is refused: the invite form and the API tell the user, who may correct the address.
The mark is set by inbound processing and cleared when the contact's address changes.
"""

from flask_babel import gettext as _

from app.contacts.models import Contact
from app.dates import format_day


def bouncing(contacts: list[Contact]) -> list[Contact]:
    """Return the contacts (each once) whose address is marked as bouncing."""
    seen: dict[int, Contact] = {}
    for contact in contacts:
        if contact.bounced_at is not None:
            seen.setdefault(contact.id, contact)
    return list(seen.values())


def warning(contact: Contact) -> dict:
    """Return the warning about one bouncing address as the API reports it (kind, message)."""
    message = _(
        "Mail to %(email)s could not be delivered on %(day)s (%(reason)s). "
        "Please check the address.",
        email=contact.email,
        day=format_day(contact.bounced_at, "date"),
        reason=contact.bounce_reason or "—",
    )
    return {
        "kind": "bouncing_address",
        "email": contact.email,
        "contact_id": contact.id,
        "bounced_at": contact.bounced_at.isoformat(),
        "reason": contact.bounce_reason,
        "message": message,
    }


def warnings(contacts: list[Contact]) -> list[dict]:
    """Return a warning per bouncing address among the contacts."""
    return [warning(contact) for contact in bouncing(contacts)]
