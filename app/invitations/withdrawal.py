"""Withdrawing one guest's invitation: a CANCEL to that guest alone, the row kept for later.

The row stays (one invitation per guest and event), revoked for the reason WITHDRAWN: the link
then says that the invitation was withdrawn, and inviting the person again reuses the row.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import ValidationError
from app.events.models import Status
from app.extensions import db
from app.invitations.answers import promote_waitlist
from app.invitations.delivery import raise_sequence
from app.invitations.models import WITHDRAWN, Answer, Invitation
from app.invitations.operations import inviting_department
from app.mail import outbox
from app.mail.models import MailStatus, OutboxMessage

# Mails that put the event into the guest's calendar (or may have: one being sent).
_TOLD = ("invitation", "update", "resend", "reminder", "confirmation", "moved_up")


def was_told(invitation: Invitation) -> bool:
    """Return True when the guest has (or may have) received a mail about the event."""
    return bool(
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.invitation_id == invitation.id,
                OutboxMessage.kind.in_(_TOLD),
                OutboxMessage.status.in_((MailStatus.SENT, MailStatus.SENDING)),
            )
        )
    )


def will_mail(invitation: Invitation) -> bool:
    """Return True when withdrawing sends the guest a cancellation (as the event's cancel would)."""
    return (
        was_told(invitation)
        and invitation.status != Answer.DECLINED
        and invitation.contact is not None
        and not invitation.contact.do_not_invite
    )


def withdraw(invitation: Invitation, *, actor, now: datetime) -> bool:
    """Withdraw a guest's invitation; return True when a CANCEL goes to that guest alone.

    The guest's answer, companions and notes are cleared, a freed place goes to the waiting
    list, and the CANCEL carries a raised SEQUENCE (docs: invitations-interop.md).
    """
    event = invitation.event
    inviting_department(actor, event)  # the hosts and comms only
    if invitation.revoked:
        raise ValidationError.single("invitation", _("This invitation has already been withdrawn."))
    if invitation.contact is None:
        raise ValidationError.single(
            "invitation", _("This guest was erased; the invitation only counts.")
        )
    if event.status == Status.CANCELLED:
        raise ValidationError.single(
            "invitation", _("The event has been cancelled; its guests have been told.")
        )
    mail = will_mail(invitation)
    was_accepted = invitation.status == Answer.ACCEPTED
    invitation.revoked, invitation.suppressed = True, WITHDRAWN
    invitation.status, invitation.plus_ones = Answer.PENDING, 0
    invitation.comment = invitation.needs = invitation.response_source = ""
    invitation.response_via = ""
    invitation.responded_at = invitation.waitlisted_at = invitation.reminded_at = None
    invitation.recorded_by = None
    invitation.updated_at = now
    db.session.flush()
    if mail:
        raise_sequence(event)
        outbox.enqueue_many(
            db.session,
            [(invitation.id, invitation.contact.email)],
            kind="withdrawal",
            sequence=event.sequence,
            now=now,
        )
    if was_accepted:
        promote_waitlist(event, now=now)
    return mail
