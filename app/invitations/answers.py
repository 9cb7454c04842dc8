"""Guests' answers: capacity, waiting list and confirmations; flushes, never commits.

The guest answers by link (app/rsvp), staff record answers by phone or letter (the guest list);
both come here.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.audit import Actor, record
from app.audit.personal import diff
from app.errors import ValidationError
from app.events.models import Event, Status
from app.extensions import db
from app.input_guard import TEXT_MESSAGE, is_clean_text
from app.invitations.delivery import queue_personal
from app.invitations.models import Answer, Invitation

ANSWERS = (Answer.ACCEPTED, Answer.DECLINED, Answer.TENTATIVE)
# How an answer reached us (response_source); a mailed one also says by what (response_via).
SOURCES = ("link", "staff", "mail")
VIAS = ("", "calendar", "email")
TEXT_MAX = 2000
FRESH = ("status", "plus_ones", "comment", "needs", "waitlisted_at", "responded_at")


def deadline_passed(invitation: Invitation, now: datetime) -> bool:
    """Return True when guests can no longer change their answer by link."""
    deadline = invitation.event.rsvp_deadline
    return (deadline is not None and now > deadline) or now >= invitation.event.ends_at


def _lock_event(event: Event) -> None:
    """Serialise answers to one event (row lock on PostgreSQL; SQLite has one writer)."""
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def seats_taken(event: Event, *, excluding: int | None = None) -> int:
    """Return accepted guests plus their companions."""
    stmt = select(func.coalesce(func.sum(1 + Invitation.plus_ones), 0)).where(
        Invitation.event_id == event.id, Invitation.status == Answer.ACCEPTED
    )
    if excluding is not None:
        stmt = stmt.where(Invitation.id != excluding)
    return db.session.scalar(stmt)


def _fits(event: Event, invitation: Invitation, plus_ones: int) -> bool:
    """Return True if the guest's party fits into the remaining capacity."""
    if event.capacity is None:
        return True
    return seats_taken(event, excluding=invitation.id) + 1 + plus_ones <= event.capacity


def _check(
    invitation: Invitation,
    answer: Answer,
    plus_ones: int,
    texts: dict,
    *,
    by_staff: bool,
    now: datetime,
) -> None:
    """Raise ValidationError naming every problem with an answer."""
    errors: dict[str, list[str]] = {}
    event = invitation.event
    if event.status == Status.CANCELLED:
        errors["response"] = [_("The event has been cancelled.")]
    elif not by_staff and deadline_passed(invitation, now):
        errors["response"] = [_("The reply deadline has passed.")]
    if answer not in ANSWERS:
        errors["response"] = [_("Choose yes, no or maybe.")]
    if not 0 <= plus_ones <= event.max_plus_ones:
        errors["plus_ones"] = [
            ngettext(
                "You may bring up to %(num)d companion.",
                "You may bring up to %(num)d companions.",
                event.max_plus_ones,
            )
        ]
    for name, value in texts.items():
        if len(value) > TEXT_MAX:
            errors[name] = [_("At most %(n)d characters.", n=TEXT_MAX)]
        elif not is_clean_text(value):
            errors[name] = [str(TEXT_MESSAGE)]
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class Reply:
    """What became of an answer: the status, whether it changed, companions without a place."""

    status: Answer
    changed: bool
    refused_companions: int = 0


def _companions_that_fit(event: Event, invitation: Invitation, wanted: int) -> int:
    """Return how many of the wanted companions a guest who holds a seat may bring.

    The guest's own seat and the companions already granted are kept even if the capacity was
    lowered meanwhile; only companions beyond the free places are refused.
    """
    if event.capacity is None:
        return wanted
    room = event.capacity - seats_taken(event, excluding=invitation.id) - 1
    return min(wanted, max(room, invitation.plus_ones))


def respond(
    invitation: Invitation,
    answer: Answer,
    *,
    now: datetime,
    plus_ones: int = 0,
    comment: str = "",
    needs: str = "",
    actor=None,
    source: str | None = None,
    via: str = "",
    answered_at: datetime | None = None,
) -> Reply:
    """Record an answer (by the guest's link, or by staff when actor is given).

    ``source`` says how the answer came ("link", "staff", "mail"; default: "staff" with an
    actor, else "link"), ``via`` by what a mailed one came ("calendar" or "email");
    ``answered_at`` is when the guest answered if earlier than ``now`` (a calendar DTSTAMP).
    A mailed answer applied by staff keeps the staff member as recorded_by, yet counts as the
    guest's own (deadline checks as for staff).

    Accepting beyond the capacity puts the guest on the waiting list, but a guest who already
    has a seat keeps it and is refused only the companions that do not fit; a freed place goes
    to the first waiting guest. A change of the answer or of the companions is confirmed by mail;
    sending the same answer again changes and sends nothing. The audit log names who answered:
    the system for a reply by mail, else the staff member, else the guest's link.
    """
    source = source or ("staff" if actor is not None else "link")
    if source not in SOURCES or via not in VIAS or (via and source != "mail"):
        raise ValueError((source, via))
    texts = {"comment": comment.strip(), "needs": needs.strip()}
    _check(invitation, answer, plus_ones, texts, by_staff=actor is not None, now=now)
    event = invitation.event
    _lock_event(event)
    # Under the lock: the answer and seats as they are now (only these columns: a full refresh
    # would reload the contact and the departments too, for each answer).
    db.session.refresh(invitation, list(FRESH))
    was_accepted = invitation.status == Answer.ACCEPTED
    if answer != Answer.ACCEPTED:
        plus_ones = 0
    status, wanted = answer, plus_ones
    if answer == Answer.ACCEPTED and was_accepted:
        plus_ones = _companions_that_fit(event, invitation, plus_ones)
    elif answer == Answer.ACCEPTED and not _fits(event, invitation, plus_ones):
        status = Answer.WAITLISTED
    before = (invitation.status, invitation.plus_ones, invitation.comment, invitation.needs)
    after = (status, plus_ones, texts["comment"], texts["needs"])
    if before == after:
        return Reply(status, changed=False, refused_companions=wanted - plus_ones)
    confirm = before[:2] != after[:2]  # the mail states the answer and the companions only
    if status == Answer.WAITLISTED and invitation.status != Answer.WAITLISTED:
        invitation.waitlisted_at = now
    invitation.status, invitation.plus_ones = status, plus_ones
    invitation.comment, invitation.needs = texts["comment"], texts["needs"]
    invitation.responded_at = min(answered_at, now) if answered_at else now
    invitation.updated_at = now
    invitation.response_source, invitation.response_via = source, via
    invitation.recorded_by = actor
    _record(invitation, before, after, actor=actor, source=source)
    db.session.flush()
    if confirm:
        queue_personal(invitation, "confirmation", now=now)
    if was_accepted or status == Answer.DECLINED:
        promote_waitlist(event, now=now)
    return Reply(status, changed=True, refused_companions=wanted - plus_ones)


def _record(invitation: Invitation, before: tuple, after: tuple, *, actor, source: str) -> None:
    """Add the audit entry of an answer; the guest's own texts are noted as changed, not kept."""
    names = ("status", "plus_ones", "comment", "needs")
    old = dict(zip(names, (str(before[0].value), *before[1:]), strict=True))
    new = dict(zip(names, (str(after[0].value), *after[1:]), strict=True))
    if actor is not None:
        who = Actor.of_user(actor)  # recorded by staff, also a mail reply applied on review
    elif source == "mail":
        who = Actor.system("mail")  # a calendar reply applied by the inbound processing
    else:
        who = Actor.guest()
    action = "invitation.recorded" if actor is not None else "invitation.answered"
    record(action, "invitation", invitation.id, diff(old, new), actor=who)


def promote_waitlist(event: Event, *, now: datetime) -> list[Invitation]:
    """Move waiting guests up, first come first served, while their party fits."""
    promoted = []
    free = None if event.capacity is None else event.capacity - seats_taken(event)
    waiting = db.session.scalars(
        select(Invitation)
        .where(Invitation.event_id == event.id, Invitation.status == Answer.WAITLISTED)
        .order_by(Invitation.waitlisted_at, Invitation.id)
    ).all()
    for invitation in waiting:
        party = 1 + invitation.plus_ones
        if free is not None and party > free:
            break
        invitation.status, invitation.updated_at = Answer.ACCEPTED, now
        free = None if free is None else free - party
        promoted.append(invitation)
        db.session.flush()
        queue_personal(invitation, "moved_up", now=now)
    return promoted
