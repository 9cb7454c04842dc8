"""Creating, changing, publishing and cancelling events; flushes, never commits."""

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role
from app.dates import format_day
from app.departments.models import Department, normalise_code
from app.errors import PermissionDenied, ValidationError
from app.events import changes, hooks, notices, policy
from app.events.exclusion import flush_guarded
from app.events.models import Event, Status, Visibility
from app.events.proposal import Proposal
from app.events.walltime import AmbiguousWallTime, local_to_utc, utc_to_local
from app.extensions import db
from app.input_guard import (
    MAX_COUNT,
    MAX_ID,
    MAX_YEAR,
    MIN_YEAR,
    ONE_LINE_MESSAGE,
    TEXT_MESSAGE,
    is_clean_text,
    is_one_line,
)
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category

DEFAULT_TZ = "Europe/Berlin"
# Sent after time, place or status changed and SEQUENCE rose, with ``notify`` telling whether
# the guests are to be told; invitations queue the update or cancellation mails.
rescheduled = Namespace().signal("event-rescheduled")
TITLE_MAX = 200
# The longest reason accepted for publishing despite conflict warnings.
REASON_MAX = 2000
MAX_PLUS_ONES = 20
# Changes to these fields move the guest's calendar entry, so SEQUENCE must rise (RFC 5546).
SIGNIFICANT = ("starts_at", "ends_at", "all_day", "venue_id", "location", "status")


@dataclass
class EventInput:
    """Event fields as given by a form or the API, before validation.

    ``start``/``end`` are naive wall times or aware instants; for all-day events dates,
    ``end`` being the last day (inclusive). References are codes or ids, resolved here.
    """

    title: str = ""
    description: str = ""
    all_day: bool = False
    start: datetime | date | None = None
    end: datetime | date | None = None
    venue_id: int | None = None
    location: str = ""
    audiences: list[str] = field(default_factory=list)
    category: str | None = None
    visibility: str = Visibility.INTERNAL.value
    status: str = Status.DRAFT.value
    capacity: int | None = None
    max_plus_ones: int = 0
    free: bool = False  # free of charge for the public
    rsvp_deadline: datetime | date | None = None
    co_hosts: list[str] = field(default_factory=list)
    department: str | None = None
    # Why to publish despite conflict warnings (asked for only when there are warnings).
    conflict_reason: str = ""

    def __post_init__(self) -> None:
        """Match department codes whatever their letter case, as everywhere else."""
        if isinstance(self.department, str):
            self.department = normalise_code(self.department) or None
        self.co_hosts = [normalise_code(c) if isinstance(c, str) else c for c in self.co_hosts]

    @classmethod
    def from_event(cls, event: Event) -> "EventInput":
        """Return the input that reproduces an existing event (the base for a partial change)."""
        end = event.end_local
        if event.all_day:
            end = (end - timedelta(days=1)).date()
        return cls(
            title=event.title,
            description=event.description,
            all_day=event.all_day,
            start=event.start_local.date() if event.all_day else event.start_local,
            end=end,
            venue_id=event.venue_id,
            location=event.location,
            audiences=[a.code for a in event.audiences],
            category=event.category.code if event.category else None,
            visibility=event.visibility.value,
            status=event.status.value,
            capacity=event.capacity,
            max_plus_ones=event.max_plus_ones,
            free=event.free,
            rsvp_deadline=event.rsvp_deadline,
            co_hosts=[d.code for d in event.co_hosts],
            department=event.department.code,
        )

    def replace(self, **changes) -> "EventInput":
        """Return a copy with some fields changed; unknown names are a programming error."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown event fields: {sorted(unknown)}")
        return EventInput(**{**{n: getattr(self, n) for n in known}, **changes})


class _Errors(dict):
    """Collects messages per field so that one answer names every problem."""

    def add(self, name: str, message: str) -> None:
        """Record a message for a field."""
        self.setdefault(name, []).append(message)


def _wall_time(value, name: str, tz: str, errors: _Errors) -> tuple[datetime, datetime] | None:
    """Return (naive wall time, UTC instant) for a time field, or record an error."""
    if value is None:
        errors.add(name, _("Enter a date and a time."))
        return None
    if isinstance(value, datetime) and not MIN_YEAR <= value.year <= MAX_YEAR:
        local = value.replace(tzinfo=None)  # converting an instant near year 1 or 9999 overflows
    elif isinstance(value, datetime) and value.tzinfo is not None:
        local = utc_to_local(value, tz)
    elif isinstance(value, datetime):
        local = value
    else:
        errors.add(name, _("Enter a date and a time."))
        return None
    local = local.replace(second=0, microsecond=0)
    if not MIN_YEAR <= local.year <= MAX_YEAR:
        errors.add(name, _("Enter a date between %(a)d and %(b)d.", a=MIN_YEAR, b=MAX_YEAR))
        return None
    try:
        return local, local_to_utc(local, tz)
    except AmbiguousWallTime:
        errors.add(
            name,
            _(
                "%(time)s falls into the hour of the daylight saving time change, which calendar "
                "programs read differently. Please choose another time.",
                time=format_day(local, "numeric_date_time"),
            ),
        )
        return None


def _all_day_range(data: EventInput, tz: str, errors: _Errors):
    """Return wall and UTC bounds for an all-day event (end exclusive), or record errors."""
    bounds = []
    for name, value in (("starts_at", data.start), ("ends_at", data.end or data.start)):
        if isinstance(value, datetime):
            value = (utc_to_local(value, tz) if value.tzinfo else value).date()
        if not isinstance(value, date):
            errors.add(name, _("Enter a date."))
            return None
        bounds.append(value)
    first, last = bounds
    for name, value in (("starts_at", first), ("ends_at", last)):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            errors.add(name, _("Enter a date between %(a)d and %(b)d.", a=MIN_YEAR, b=MAX_YEAR))
            return None
    if last < first:
        errors.add("ends_at", _("The last day must not be before the first day."))
        return None
    start_local = datetime.combine(first, time())
    end_local = datetime.combine(last + timedelta(days=1), time())
    return start_local, end_local, local_to_utc(start_local, tz), local_to_utc(end_local, tz)


def _timed_range(data: EventInput, tz: str, errors: _Errors):
    """Return wall and UTC bounds for a timed event, or record errors."""
    start = _wall_time(data.start, "starts_at", tz, errors)
    end = _wall_time(data.end, "ends_at", tz, errors)
    if start is None or end is None:
        return None
    if end[1] <= start[1]:
        errors.add("ends_at", _("The end must be after the start."))
        return None
    return start[0], end[0], start[1], end[1]


def _resolve(data: EventInput, errors: _Errors) -> dict:
    """Look up venue, vocabularies and departments named by the input."""
    found: dict = {"venue": None, "category": None, "audiences": [], "co_hosts": []}
    if data.venue_id is not None:
        venue = db.session.get(Venue, data.venue_id) if 0 < data.venue_id <= MAX_ID else None
        if venue is None or not venue.active:
            errors.add("venue_id", _("There is no venue with this id."))
        found["venue"] = venue
    if data.category:
        found["category"] = db.session.scalar(select(Category).filter_by(code=data.category))
        if found["category"] is None:
            errors.add("category", _("Unknown category: %(code)s", code=data.category))
    for name, model, codes in (
        ("audiences", Audience, data.audiences),
        ("co_hosts", Department, data.co_hosts),
    ):
        codes = list(dict.fromkeys(codes))
        rows = db.session.scalars(select(model).where(model.code.in_(codes))).all() if codes else []
        missing = sorted(set(codes) - {r.code for r in rows})
        if missing:
            errors.add(name, _("Unknown codes: %(codes)s", codes=", ".join(missing)))
        found[name] = sorted(rows, key=lambda r: r.code)
    return found


def _check_plain_fields(data: EventInput, errors: _Errors) -> None:
    """Check the fields that need no database."""
    if not data.title or not data.title.strip():
        errors.add("title", _("Please enter a title."))
    elif len(data.title.strip()) > TITLE_MAX:
        errors.add("title", _("At most %(n)d characters.", n=TITLE_MAX))
    # Titles and places become iCalendar lines and mail headers: one line, no control characters.
    for name in ("title", "location"):
        if not is_one_line(getattr(data, name)):
            errors.add(name, str(ONE_LINE_MESSAGE))
    for name in ("description", "conflict_reason"):
        if not is_clean_text(getattr(data, name)):
            errors.add(name, str(TEXT_MESSAGE))
    if data.visibility not in {v.value for v in Visibility}:
        errors.add("visibility", _("Choose public, internal or confidential."))
    if data.status not in {s.value for s in Status}:
        errors.add("status", _("Choose draft, published or cancelled."))
    if data.capacity is not None and not 0 <= data.capacity <= MAX_COUNT:
        errors.add("capacity", _("Enter a number from 0 to %(n)d.", n=MAX_COUNT))
    if data.max_plus_ones is None or not 0 <= data.max_plus_ones <= MAX_PLUS_ONES:
        errors.add("max_plus_ones", _("Enter a number from 0 to %(n)d.", n=MAX_PLUS_ONES))
    if len(data.location or "") > 300:
        errors.add("location", _("At most %(n)d characters.", n=300))


def _validated(data: EventInput, department: Department, tz: str) -> dict:
    """Validate the whole input and return the column values, or raise ValidationError."""
    errors = _Errors()
    _check_plain_fields(data, errors)
    span = (_all_day_range if data.all_day else _timed_range)(data, tz, errors)
    refs = _resolve(data, errors)
    if department.code in {d.code for d in refs["co_hosts"]}:
        errors.add("co_hosts", _("The owning department cannot also be a co-host."))
    deadline = None
    if data.rsvp_deadline is not None:
        value = data.rsvp_deadline
        if isinstance(value, datetime):
            wall = _wall_time(value, "rsvp_deadline", tz, errors)
            deadline = wall[1] if wall else None
        elif not MIN_YEAR <= value.year <= MAX_YEAR:
            errors.add(
                "rsvp_deadline", _("Enter a date between %(a)d and %(b)d.", a=MIN_YEAR, b=MAX_YEAR)
            )
        else:  # a date: the deadline is the end of that day
            deadline = local_to_utc(datetime.combine(value, time(23, 59)), tz)
        if deadline is not None and span is not None and deadline > span[3]:
            errors.add("rsvp_deadline", _("The reply deadline must not be after the event."))
    if errors:
        raise ValidationError(dict(errors))
    start_local, end_local, starts_at, ends_at = span
    return {
        "title": data.title.strip(),
        "description": (data.description or "").strip(),
        "all_day": bool(data.all_day),
        "start_local": start_local,
        "end_local": end_local,
        "timezone": tz,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "venue": refs["venue"],
        "location": "" if refs["venue"] else (data.location or "").strip(),
        "category": refs["category"],
        "audiences": refs["audiences"],
        "co_hosts": refs["co_hosts"],
        "visibility": Visibility(data.visibility),
        "status": Status(data.status),
        "capacity": data.capacity,
        "max_plus_ones": data.max_plus_ones,
        "free": bool(data.free),
        "rsvp_deadline": deadline,
    }


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
    values = _validated(data, department, tz)
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
    values = _validated(data, event.department, event.timezone)
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
    values = _validated(data, department, tz)
    return Proposal.from_values(values, department.id, event)
