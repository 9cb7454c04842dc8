"""The "Eingang": which received messages a user may see, and applying one after review."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app.accounts.models import User
from app.errors import ValidationError
from app.events.models import Event
from app.events.policy import hosted_by
from app.extensions import db
from app.inbound.models import InboundMessage, Kind, State
from app.invitations import answers
from app.invitations.models import Answer, Invitation

CHOICES = ("accepted", "declined", "tentative", "note")
PAGE_SIZE = 200


def visible(user: User, *, state: str | None = None, event_id: int | None = None) -> Select:
    """Return the query of messages the user may see, newest first.

    Comms and admin see every message; staff only those about their department's events.
    """
    stmt = select(InboundMessage).order_by(InboundMessage.received_at.desc(), InboundMessage.id)
    if not user.sees_everything:
        hosted = (
            select(Invitation.id)
            .join(Event, Event.id == Invitation.event_id)
            .where(hosted_by(user.department_id))
        )
        stmt = stmt.where(InboundMessage.invitation_id.in_(hosted))
    if state in {s.value for s in State}:
        stmt = stmt.where(InboundMessage.state == State(state))
    if event_id is not None:
        stmt = stmt.where(
            InboundMessage.invitation_id.in_(
                select(Invitation.id).where(Invitation.event_id == event_id)
            )
        )
    return stmt


def page_context(event: Event, viewer) -> dict:
    """Event page hook: how many received messages about the event wait for review.

    Counted as the "Eingang" shows them to the viewer: nothing for visitors, staff of other
    departments see none.
    """
    if not getattr(viewer, "is_authenticated", False) or event.id is None:
        return {}
    waiting = visible(viewer, state=State.REVIEW.value, event_id=event.id).order_by(None)
    count = db.session.scalar(select(func.count()).select_from(waiting.subquery()))
    return {"inbound_review_count": count}


def find(user: User, message_id: int) -> InboundMessage | None:
    """Return one message the user may see, or None."""
    stmt = visible(user).where(InboundMessage.id == message_id)
    return db.session.scalar(stmt)


def apply(message: InboundMessage, choice: str, *, actor: User, now: datetime) -> None:
    """Apply a reviewed message: set the guest's answer from it, or only note it.

    The answer counts as the guest's, by mail (capacity, waiting list and confirmation as
    for the link); who applied it is kept. Raises ValidationError when it cannot be applied.
    """
    if choice not in CHOICES:
        raise ValueError(choice)
    if choice != "note":
        invitation = message.invitation
        if invitation is None or invitation.revoked:
            raise ValidationError.single("answer", _("This message belongs to no invitation."))
        answer = Answer(choice)
        answers.respond(
            invitation,
            answer,
            now=now,
            plus_ones=invitation.plus_ones if answer == Answer.ACCEPTED else 0,
            comment=invitation.comment,
            needs=invitation.needs,
            actor=actor,
            source="mail",  # the guest's own answer, applied by staff
            via="calendar" if message.kind == Kind.CALENDAR_REPLY else "email",
        )
    message.state = State.APPLIED if choice != "note" else State.RECORDED
    message.detail = {**(message.detail or {}), "applied": choice, "applied_by": actor.id}
    db.session.flush()
