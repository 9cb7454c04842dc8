"""Who may change what in the shared address book: staff may not redirect or stop the mail of
another department that relies on a contact (an open invitation to an upcoming event)."""

from datetime import datetime

from flask_babel import gettext as _

from app.contacts import hooks
from app.contacts.models import Contact
from app.errors import PermissionDenied


class ContactLocked(PermissionDenied):
    """Staff may not change this part of a contact another department relies on."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def relied_on_elsewhere(contact_ids: list[int], actor, now: datetime) -> bool:
    """Return True if another department relies on one of the contacts (an open invitation)."""
    return any(guard(contact_ids, actor, now) for guard in hooks.address_change_guards)


def decides_for_all(actor) -> bool:
    """Return True for an operator's command (no actor), the communications team and admins."""
    return actor is None or getattr(actor, "sees_everything", False)


def guard_change(contacts: list[Contact], what: str, *, actor, now: datetime) -> None:
    """Refuse a change of address, opt-out flag or a merge that staff may not make.

    The address book is shared: such a change redirects or stops another department's mail,
    so while that department has an open invitation, comms or an administrator decides.
    Without an actor (a command run by an operator) the change is allowed.
    """
    if decides_for_all(actor):
        return
    if not relied_on_elsewhere([c.id for c in contacts], actor, now):
        return
    messages = {
        "email": _(
            "Another department has invited this person to an upcoming event: only the "
            "communications team or an administrator may change the email address."
        ),
        "do_not_invite": _(
            "Another department has invited this person to an upcoming event: only the "
            "communications team or an administrator may change “Do not invite”."
        ),
        "contact": _(
            "Another department has invited one of these people to an upcoming event: only "
            "the communications team or an administrator may merge them."
        ),
    }
    raise ContactLocked(what, messages[what])
