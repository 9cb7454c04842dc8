"""A contact's own invitation cap (guest fatigue), set by comms only.

At or over the cap, staff may not invite the guest; comms are warned (app/invitations/fatigue.py).
"""

from datetime import datetime

from flask_babel import gettext as _

from app.audit import record
from app.contacts.models import Contact
from app.errors import PermissionDenied, ValidationError
from app.extensions import db

MAX_CAP = 100


def may_set(actor) -> bool:
    """Return True for those who may set a cap: comms and administrators."""
    return bool(getattr(actor, "sees_everything", False))


def set_cap(contact: Contact, cap: int | None, *, actor, now: datetime) -> bool:
    """Set or clear (None) the contact's cap; return True when it changed. Flushes, no commit."""
    if not may_set(actor):
        raise PermissionDenied(_("Only the communications team may set an invitation cap."))
    if cap is not None and not 0 <= cap <= MAX_CAP:
        message = _("The invitation cap must be between 0 and %(max)d.", max=MAX_CAP)
        raise ValidationError.single("invitation_cap", message)
    if contact.invitation_cap == cap:
        return False
    record(
        "contact.changed",  # the label the audit log already has
        "contact",
        contact.id,
        {"invitation_cap": [contact.invitation_cap, cap]},
        at=now,
    )
    contact.invitation_cap = cap
    contact.updated_at = now
    db.session.flush()
    return True
