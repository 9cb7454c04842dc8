"""Event input as given by a form or the API, and its validation into column values."""

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.dates import format_day
from app.departments.models import Department, normalise_code
from app.errors import ValidationError
from app.events.models import Event, Status, Visibility
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

TITLE_MAX = 200
MAX_PLUS_ONES = 20


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


def validated(data: EventInput, department: Department, tz: str) -> dict:
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
