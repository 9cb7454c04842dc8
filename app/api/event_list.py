"""The API's event list: its query parameters, its query, and one page of rows."""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import url_for
from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from app.api.serialize import rows_query
from app.departments.models import Department
from app.errors import ValidationError
from app.events import policy, queries
from app.events.models import Event, Status
from app.events.walltime import AmbiguousWallTime, local_to_utc
from app.input_guard import MAX_YEAR, MIN_YEAR, parse_id, parse_moment

MAX_PAGE = 1_000_000
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class EventListArgs:
    """The checked query parameters of ``GET /events``."""

    start: datetime | None
    end: datetime | None
    page: int
    per_page: int
    flt: queries.CalendarFilter


def moment_arg(args, name: str, tz: str) -> datetime | None:
    """Read a from/to query parameter (date or date-time) as a UTC instant."""
    value = args.get(name)
    if not value:
        return None
    parsed = parse_moment(value)
    if parsed is None:
        raise ValidationError.single(
            name,
            f"Not an ISO 8601 date or date-time between {MIN_YEAR} and {MAX_YEAR}: {value!r}.",
        )
    if not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, datetime.min.time())
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else local_to_utc(parsed, tz)
    except AmbiguousWallTime:
        # A wall time in the skipped or doubled hour: either instant bounds the list sensibly.
        return parsed.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def int_arg(args, name: str, default: int, maximum: int) -> int:
    """Read a positive integer query parameter (absent or empty: the default)."""
    value = args.get(name) or str(default)
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ValidationError.single(name, f"Expected a whole number from 1 to {maximum}.")
    return int(value)


def _filter(session: Session, args) -> queries.CalendarFilter:
    """Read the search, status, venue, audience and department filters; unknown ones are errors."""
    status = args.get("status")
    if status and status not in {s.value for s in Status}:
        raise ValidationError.single("status", "Use draft, published or cancelled.")
    venue = args.get("venue_id")
    if venue and parse_id(venue) is None:
        raise ValidationError.single("venue_id", "Expected a venue id.")
    flt = queries.CalendarFilter(
        venue_id=parse_id(venue),
        audience=args.get("audience") or None,
        status=status or None,
        q=" ".join((args.get("q") or "")[: queries.SEARCH_MAX].split()),
    )
    if code := args.get("department"):
        dept = session.scalar(select(Department.id).filter_by(code=code))
        if dept is None:
            raise ValidationError.single("department", f"Unknown department: {code}")
        flt.departments = [dept]
    return flt


def parse_args(session: Session, args, *, tz: str, max_page_size: int) -> EventListArgs:
    """Check the query parameters in the documented order; the first bad one raises."""
    start, end = moment_arg(args, "from", tz), moment_arg(args, "to", tz)
    per_page = int_arg(args, "per_page", DEFAULT_PAGE_SIZE, max_page_size)
    page = int_arg(args, "page", 1, MAX_PAGE)
    return EventListArgs(start, end, page, per_page, _filter(session, args))


def events_query(viewer, params: EventListArgs) -> Select:
    """Return the rows query of the events the viewer may see, filtered, in start order."""
    query = select(Event).where(policy.visible_clause(viewer))
    query = queries.apply_filter(query, params.flt, viewer)
    if params.start is not None:
        query = query.where(Event.ends_at > params.start)
    if params.end is not None:
        query = query.where(Event.starts_at < params.end)
    return rows_query(query).order_by(Event.starts_at, Event.id)


def fetch_page(session: Session, query: Select, params: EventListArgs) -> tuple[list[Row], bool]:
    """Return the rows of the requested page and whether another page follows."""
    # Core execution: plain rows, without the ORM's loading machinery (2,000 rows a month).
    # One row more than asked for tells whether there is a next page, without a count.
    window = query.limit(params.per_page + 1).offset((params.page - 1) * params.per_page)
    rows = session.connection().execute(window).all()
    return rows[: params.per_page], len(rows) > params.per_page


def next_url(args, params: EventListArgs) -> str:
    """Return the address of the following page, with the other parameters kept."""
    following = {**args.to_dict(), "page": params.page + 1, "per_page": params.per_page}
    return url_for("api.list_events", _external=False, **following)
