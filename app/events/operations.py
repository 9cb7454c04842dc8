"""Creating, changing, publishing and cancelling events; flushes, never commits."""

from datetime import datetime, timedelta

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role
from app.dates import format_day
from app.departments.models import Department
from app.errors import PermissionDenied, ValidationError
from app.events import changes, hooks, notices, policy
from app.events.exclusion import flush_guarded
from app.events.models import Event, Status
from app.events.proposal import Proposal
from app.events.validation import EventInput, validated
from app.extensions import db
from app.input_guard import TEXT_MESSAGE, is_clean_text

DEFAULT_TZ = "Europe/Berlin"
# Sent after time, place or status changed and SEQUENCE rose, with ``notify`` telling whether
# the guests are to be told; invitations queue the update or cancellation mails.
rescheduled = Namespace().signal("event-rescheduled")
# The longest reason accepted for publishing despite conflict warnings.
REASON_MAX = 2000
# Changes to these fields move the guest's calendar entry, so SEQUENCE must rise (RFC 5546).
SIGNIFICANT = ("starts_at", "ends_at", "all_day", "venue_id", "location", "status")


def _named_department(data: EventInput, actor) -> Department:
    """Return the department named by the input, else the actor's."""
    if data.department:
        department = db.session.scalar(select(Department).filter_by(code=data.department))
        if department is None:
            raise ValidationError.single(
                "department", _("Unknown department: %(code)s", code=data.department)
            )
    elif actor.department is not None:
        department = actor.department
    else:
        raise ValidationError.single("department", _("Choose the owning department."))
    return department


def _owning_department(data: EventInput, actor) -> Department:
    """Return the department that will own a new event, checking the actor may use it."""
    if getattr(actor, "role", None) == Role.PRIVACY:
        raise PermissionDenied(_("The privacy role does not manage events."))
    department = _named_department(data, actor)
    if not policy.can_create_for(actor, department):
        raise PermissionDenied(_("You may only create events for your own department."))
    return department


# Changes of a published event that are checked against conflicts again (a new title alone
# is checked for duplicates its earlier title did not have).
RECHECKED = ("starts_at", "ends_at", "venue", "capacity", "audiences")


def _gate(
    values: dict, department_id: int, event: Event | None, reason: str, actor
) -> list[hooks.AfterPublish]:
    """Run the publish checks when the event goes out as published; return what to record."""
    if values["status"] != Status.PUBLISHED:
        return []
    proposal = Proposal.from_values(values, department_id, event)
    if (
        event is not None
        and event.status == Status.PUBLISHED
        and all(getattr(event, name) == values[name] for name in RECHECKED)
    ):
        if event.title == values["title"]:
            return []
        proposal.earlier_title = event.title  # renamed: only new duplicates are checked
    return hooks.clear_for_publishing(proposal, reason, actor)


def _flush_and_record(event: Event, after: list[hooks.AfterPublish], now: datetime) -> None:
    """Flush (an exclusive venue lost to a concurrent publish is a validation error)."""
    flush_guarded()
    if after:
        for record in after:
            record(event, now)
        db.session.flush()


def _flush_before_signal() -> None:
    """Write the change before listeners query (a lost exclusive-venue race surfaces here)."""
    flush_guarded()


def _apply(event: Event, values: dict, now: datetime, notify: bool = True) -> None:
    """Write validated values onto the event, raising SEQUENCE for significant changes.

    A new title of a published event counts too; ``notify`` says whether guests are mailed.
    """
    before = {name: getattr(event, name) for name in SIGNIFICANT}
    seen = changes.Snapshot.of(event) if event.id is not None else None
    for name, value in values.items():
        setattr(event, name, value)
    event.venue_id = values["venue"].id if values["venue"] else None
    # Guests see the title too: a new one is a change they may be told of (see changes.py).
    retitled = seen is not None and seen.title != event.title and before["status"] != Status.DRAFT
    if event.id is not None and (
        retitled or any(getattr(event, n) != before[n] for n in SIGNIFICANT)
    ):
        event.sequence += 1
        if before["status"] != Status.DRAFT:
            kind = "cancel" if event.status == Status.CANCELLED else "update"
            changes.record(event, seen, kind=kind, now=now)
        _flush_before_signal()
        rescheduled.send(event, now=now, notify=notify)
    if event.status == Status.PUBLISHED and event.published_at is None:
        event.published_at = now
    event.updated_at = now


def create_event(data: EventInput, *, actor, now: datetime, tz: str = DEFAULT_TZ) -> Event:
    """Create an event owned by the actor's (or, for comms, the named) department."""
    department = _owning_department(data, actor)
    values = validated(data, department, tz)
    after = _gate(values, department.id, None, data.conflict_reason, actor)
    event = Event(department=department, created_by=actor, created_at=now, sequence=0)
    _apply(event, values, now)
    db.session.add(event)
    _flush_and_record(event, after, now)
    hooks.after_save(event, actor, now)
    return event


def update_event(
    event: Event, data: EventInput, *, actor, now: datetime, notify: bool = True
) -> Event:
    """Replace the event's fields with the input (use EventInput.from_event for partial changes).

    With ``notify`` false the guests get no mail; their calendar entries keep the old state.
    """
    if not policy.can_edit(actor, event):
        raise PermissionDenied(_("You may not change this event."))
    if data.department and data.department != event.department.code:
        raise ValidationError.single(
            "department", _("The owning department of an event cannot be changed.")
        )
    if data.status == Status.DRAFT.value and event.published_at is not None:
        raise ValidationError.single(
            "status", _("A published event cannot go back to draft; cancel it instead.")
        )
    values = validated(data, event.department, event.timezone)
    after = _gate(values, event.department_id, event, data.conflict_reason, actor)
    was_cancelled = event.status == Status.CANCELLED
    _apply(event, values, now, notify)
    _flush_and_record(event, after, now)
    if event.status == Status.CANCELLED and not was_cancelled:
        notices.cancelled_by_outsider(event, actor, now)
    hooks.after_save(event, actor, now)
    return event


def _check_message(message: str) -> None:
    """Refuse a message to guests that is too long or carries control characters."""
    if len(message) > changes.MESSAGE_MAX:
        raise ValidationError.single(
            "message", _("At most %(n)d characters.", n=changes.MESSAGE_MAX)
        )
    if not is_clean_text(message):
        raise ValidationError.single("message", str(TEXT_MESSAGE))


def set_status(
    event: Event,
    status: Status,
    *,
    actor,
    now: datetime,
    conflict_reason: str = "",
    message: str = "",
) -> Event:
    """Publish (checked against conflicts), cancel (with a message to the guests) or draft."""
    if not policy.can_edit(actor, event):
        raise PermissionDenied(_("You may not change this event."))
    message = (message or "").strip()
    _check_message(message)
    if event.status != status:
        if status == Status.DRAFT and event.published_at is not None:
            raise ValidationError.single(
                "status", _("A published event cannot go back to draft; cancel it instead.")
            )
        after = []
        if status == Status.PUBLISHED:
            after = hooks.clear_for_publishing(Proposal.from_event(event), conflict_reason, actor)
        was_draft = event.status == Status.DRAFT
        event.status = status
        event.sequence += 1
        if status == Status.CANCELLED and not was_draft:
            changes.record(event, None, kind="cancel", now=now, message=message)
        _flush_before_signal()
        rescheduled.send(event, now=now, notify=True)
        if status == Status.PUBLISHED and event.published_at is None:
            event.published_at = now
        event.updated_at = now
        _flush_and_record(event, after, now)
        if status == Status.CANCELLED and not was_draft:
            notices.cancelled_by_outsider(event, actor, now)
        hooks.after_save(event, actor, now)
    return event


def describe_when(event: Event) -> str:
    """Return a short human description of the event's time in the current locale."""
    if event.all_day:
        first, last = event.start_date, event.end_date_inclusive
        if first == last:
            return format_day(event.starts_at, "weekday_date")
        last_second = event.ends_at - timedelta(seconds=1)
        return f"{format_day(event.starts_at, 'date')} – {format_day(last_second, 'date')}"
    same_day = event.start_date == event.end_local.date()
    until = format_day(event.ends_at, "time" if same_day else "date_time")
    return f"{format_day(event.starts_at, 'weekday_date_time')} – {until}"


def proposal_for(
    data: EventInput, *, actor, event: Event | None = None, tz: str = DEFAULT_TZ
) -> Proposal:
    """Validate input and return what the conflict check needs (nothing is written).

    For a new event the owning department is the named one or the actor's; for an existing
    event its own. Raises ValidationError for unusable input, like saving would.
    """
    if event is not None:
        department, tz = event.department, event.timezone
    else:
        department = _named_department(data, actor)
    values = validated(data, department, tz)
    return Proposal.from_values(values, department.id, event)
