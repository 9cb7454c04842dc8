"""Asking to co-host another department's event, and the hosts' answer; flushes, never commits.

A department (its staff; comms and administrators naming one) asks to join an event it may see
in detail. The owning department's staff or comms accept or decline. Accepted, the department
becomes a co-host. On accepting, the requesting department's own planned duplicate may be
cancelled in the same step (through ``events.operations.set_status``, acting for the requester,
whose request is their department's consent); its guests are invited to the kept event through
the normal invite path, which dedups by contact: a guest invited to both keeps exactly the one
invitation to the kept event and is not mailed a second one.
"""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from app.accounts.models import Role, User
from app.audit import record
from app.cohosting import duplicates
from app.cohosting.models import CohostRequest, RequestState
from app.departments.models import Department
from app.errors import PermissionDenied, ValidationError
from app.events import operations as event_operations
from app.events import policy
from app.events.models import Event, Status
from app.extensions import db
from app.input_guard import is_clean_text
from app.invitations.models import Answer, Invitation
from app.invitations.operations import invite
from app.notifications import service

MESSAGE_MAX = 2000
ALREADY_ASKED = _l("The department has already asked; the request is waiting for an answer.")


def may_ask(user) -> bool:
    """Return True if the user may ask to co-host at all (staff with a department, comms)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.sees_everything or (user.role == Role.STAFF and user.department_id is not None)


def may_answer(user, event: Event) -> bool:
    """Return True if the user answers requests for the event: owning staff, comms, admin."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.sees_everything or (
        user.role == Role.STAFF and user.department_id == event.department_id
    )


def requesting_department(actor: User, code: str | None) -> Department:
    """Return the department the actor asks for: staff their own, comms the one they name."""
    if not may_ask(actor):
        raise PermissionDenied(_("You may not ask to co-host events."))
    if not actor.sees_everything:
        if code and code != actor.department.code:
            raise PermissionDenied(_("You may only ask for your own department."))
        return actor.department
    if not code:
        if actor.department_id is not None:
            return actor.department
        raise ValidationError.single("department", _("Choose the department that asks."))
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None or not department.active:
        raise ValidationError.single("department", _("Unknown department: %(code)s", code=code))
    return department


def refusal(event: Event, department: Department) -> str | None:
    """Return why the department cannot ask to co-host the event, or None if it can."""
    if event.status == Status.CANCELLED:
        return _("The event has been cancelled.")
    if event.department_id == department.id:
        return _("This is the department's own event.")
    if department.id in event.host_department_ids:
        return _("The department already co-hosts this event.")
    if pending_for(event.id, department.id) is not None:
        return str(ALREADY_ASKED)
    return None


def pending_for(event_id: int, department_id: int) -> CohostRequest | None:
    """Return the department's pending request for the event, if any."""
    return db.session.scalar(
        select(CohostRequest).where(
            CohostRequest.event_id == event_id,
            CohostRequest.department_id == department_id,
            CohostRequest.state == RequestState.PENDING,
        )
    )


def pending(event: Event) -> list[CohostRequest]:
    """Return the event's pending requests, oldest first."""
    return list(
        db.session.scalars(
            select(CohostRequest)
            .where(CohostRequest.event_id == event.id, CohostRequest.state == RequestState.PENDING)
            .order_by(CohostRequest.created_at, CohostRequest.id)
        )
    )


def _clean_message(message: str) -> str:
    """Return the stripped message, or raise ValidationError naming the field."""
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise ValidationError.single("message", _("At most %(n)d characters.", n=MESSAGE_MAX))
    if not is_clean_text(message):
        raise ValidationError.single("message", _("Must not contain control characters."))
    return message


def _check_visible(event: Event, actor: User) -> None:
    """Answer 404 for an event the actor may not see in detail (a confidential one)."""
    if not policy.can_see_details(actor, event):
        raise NotFound()


def ask(
    event: Event, *, actor: User, message: str, department_code: str | None, now: datetime
) -> CohostRequest:
    """Create a pending request; notify the owning department's staff; audit it."""
    _check_visible(event, actor)
    department = requesting_department(actor, department_code)
    message = _clean_message(message)
    reason = refusal(event, department)
    if reason:
        raise ValidationError.single("event", reason)
    request = CohostRequest(
        event_id=event.id,
        department_id=department.id,
        message=message,
        state=RequestState.PENDING,
        requested_by_id=actor.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():  # a racing second request hits the partial unique index
            db.session.add(request)
    except IntegrityError:
        raise ValidationError.single("event", str(ALREADY_ASKED)) from None
    record(
        "cohost.requested",
        "event",
        event.id,
        {"request": request.id, "department": department.code},
    )
    service.notify(
        service.department_staff([event.department_id]),
        "cohost_request",
        params={"department": department.name, "event": event.title},
        url=f"/events/{event.id}#cohost-requests",
        cause=f"cohost_request:{request.id}",
        now=now,
        actor=actor,
    )
    return request


def _duplicate_to_cancel(request: CohostRequest, event_id: int | None, actor) -> Event | None:
    """Return the requesting department's planned duplicate to cancel, checked; None if unnamed."""
    if event_id is None:
        return None
    chosen = next((e for e in duplicates.cancellable(request, actor) if e.id == event_id), None)
    if chosen is None:
        raise ValidationError.single(
            "cancel_event_id",
            _(
                "Name a planned event of the requesting department that duplicates this one"
                " (a similar title on the same or a neighbouring day)."
            ),
        )
    return chosen


def _guests_of(event: Event) -> list[Invitation]:
    """Return the event's invitations not declined or withdrawn (erased guests left out)."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.event_id == event.id,
                Invitation.revoked.is_(False),
                Invitation.status != Answer.DECLINED,
                Invitation.contact_id.is_not(None),
            )
            .order_by(Invitation.id)
        )
    )


def _cancel_duplicate(
    request: CohostRequest, duplicate: Event, kept: Event, *, actor: User, now: datetime, key: str
) -> dict:
    """Cancel the duplicate, then invite its guests to the kept event (deduplicated by contact)."""
    guests = [i.contact for i in _guests_of(duplicate)]
    canceller = request.requested_by
    if canceller is None or not canceller.active or not policy.can_edit(canceller, duplicate):
        canceller = actor
    if not policy.can_edit(canceller, duplicate):
        raise ValidationError.single("cancel_event_id", _("You may not cancel this event."))
    note = _(
        "This event is now held together with “%(title)s” (%(department)s).",
        title=kept.title,
        department=kept.department.name,
    )
    event_operations.set_status(duplicate, Status.CANCELLED, actor=canceller, now=now, message=note)
    request.cancelled_event_id = duplicate.id
    if not guests or kept.status != Status.PUBLISHED:
        return {"invited": 0, "already_invited": 0, "suppressed": 0, "not_carried": len(guests)}
    result = invite(kept, guests, actor=actor, now=now, secret_key=key)
    return {**result.counts(), "not_carried": 0}


def answer(
    request: CohostRequest,
    *,
    accept: bool,
    actor: User,
    now: datetime,
    secret_key: str,
    cancel_event_id: int | None = None,
) -> dict:
    """Accept or decline a pending request; returns what happened to the duplicate's guests."""
    event = request.event
    if not policy.can_view(actor, event):
        raise NotFound()
    if not may_answer(actor, event):
        raise PermissionDenied(_("Only the hosting department answers co-hosting requests."))
    if request.state != RequestState.PENDING:
        raise ValidationError.single("request", _("This request has already been answered."))
    if not accept and cancel_event_id is not None:
        raise ValidationError.single("cancel_event_id", _("Only when accepting."))
    duplicate = _duplicate_to_cancel(request, cancel_event_id, actor) if accept else None
    request.state = RequestState.ACCEPTED if accept else RequestState.DECLINED
    request.answered_by_id, request.answered_at = actor.id, now
    guests: dict = {}
    if accept:
        if request.department not in event.co_hosts:
            event.co_hosts.append(request.department)
        event.updated_at = now
        db.session.flush()
        if duplicate is not None:
            guests = _cancel_duplicate(
                request, duplicate, event, actor=actor, now=now, key=secret_key
            )
    db.session.flush()
    changes = {"request": request.id, "department": request.department.code}
    if duplicate is not None:
        changes["cancelled_event"] = duplicate.id
    record(f"cohost.{request.state.value}", "event", event.id, changes)
    service.notify(
        service.department_staff([request.department_id]),
        "cohost_answer",
        params={
            "department": event.department.name,
            "event": event.title,
            "accepted": accept,
            "cancelled": duplicate.title if duplicate is not None else "",
        },
        url=f"/events/{event.id}",
        cause=f"cohost_answer:{request.id}",
        now=now,
        actor=actor,
    )
    return guests
