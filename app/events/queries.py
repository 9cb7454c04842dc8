"""Reading events for calendar pages: filters and visibility in SQL."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.events import policy
from app.events.models import Event, Status, Visibility, event_audiences, event_cohosts
from app.input_guard import parse_id
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category

SEARCH_MAX = 100  # characters of a search kept; longer input is cut
# Folded alike on both sides so that "Buerger", "bürger" and "BÜRGER" find each other; SQLite's
# lower() leaves non-ASCII letters alone, hence the capital umlauts first.
_CAPITALS = [("Ä", "a"), ("Ö", "o"), ("Ü", "u")]
_FOLDS = [("ä", "a"), ("ö", "o"), ("ü", "u"), ("ß", "ss"), ("ae", "a"), ("oe", "o"), ("ue", "u")]


@dataclass
class CalendarFilter:
    """What the user narrowed the calendar to; empty values mean "all"."""

    departments: list[int] = field(default_factory=list)
    venue_id: int | None = None
    audience: str | None = None
    category: str | None = None
    status: str | None = None
    q: str = ""
    public_only: bool = False

    @classmethod
    def from_args(cls, args, user=None) -> "CalendarFilter":
        """Read filters from query-string arguments; unusable values are ignored."""
        departments = [i for i in map(parse_id, args.getlist("department")) if i]
        if args.get("mine") and user is not None and getattr(user, "department_id", None):
            departments = [user.department_id]
        venue = args.get("venue", "")
        status = args.get("status") or None
        return cls(
            departments=departments,
            venue_id=parse_id(venue),
            audience=args.get("audience") or None,
            category=args.get("category") or None,
            status=status if status in {s.value for s in Status} else None,
            q=" ".join(args.get("q", "")[:SEARCH_MAX].split()),
        )

    def is_empty(self) -> bool:
        """Return True when nothing is filtered."""
        return not (
            self.departments
            or self.venue_id
            or self.audience
            or self.category
            or self.status
            or self.q
        )


def fold(text: str) -> str:
    """Return text lower-cased with umlauts and their spellings ae/oe/ue/ss folded."""
    text = text.lower()
    for old, new in _FOLDS:
        text = text.replace(old, new)
    return text


def _folded(column) -> ColumnElement:
    """Return the SQL expression of `fold` on a text column, the same on SQLite and PostgreSQL."""
    expression = func.coalesce(column, "")
    for old, new in _CAPITALS:
        expression = func.replace(expression, old, new)
    expression = func.lower(expression)
    for old, new in _FOLDS:
        expression = func.replace(expression, old, new)
    return expression


def text_match(q: str, viewer) -> ColumnElement[bool]:
    """SQL condition: every word of q is in the title, description or place of the event.

    Title and description count only where the viewer may read them, so a search never tells
    what a confidential event the viewer sees as "reserved" is about.
    """
    conditions = []
    for word in fold(q).split():
        place = or_(
            _folded(Event.location).contains(word, autoescape=True),
            Event.venue_id.in_(
                select(Venue.id).where(_folded(Venue.name).contains(word, autoescape=True))
            ),
        )
        text = or_(
            _folded(Event.title).contains(word, autoescape=True),
            _folded(Event.description).contains(word, autoescape=True),
        )
        conditions.append(or_(place, and_(policy.details_clause(viewer), text)))
    return and_(*conditions)


def for_audience(code: str) -> ColumnElement[bool]:
    """SQL condition: the event is for the audience with this code."""
    return exists(
        select(1).where(
            event_audiences.c.event_id == Event.id,
            event_audiences.c.audience_id == Audience.id,
            Audience.code == code,
        )
    )


def apply_filter(query: Select, flt: CalendarFilter, viewer=None) -> Select:
    """Narrow a select of events by the filter (searching as `viewer`, by default anonymous).

    Department, audience and category match only events whose details the viewer may read:
    an event shown as "reserved" must not be found by what its mask hides (like the search).
    """
    readable = policy.details_clause(None if flt.public_only else viewer)
    if flt.departments:
        cohosted = exists(
            select(1).where(
                event_cohosts.c.event_id == Event.id,
                event_cohosts.c.department_id.in_(flt.departments),
            )
        )
        query = query.where(readable, or_(Event.department_id.in_(flt.departments), cohosted))
    if flt.venue_id:
        query = query.where(Event.venue_id == flt.venue_id)
    if flt.audience:
        query = query.where(readable, for_audience(flt.audience))
    if flt.category:
        categories = select(Category.id).filter_by(code=flt.category)
        query = query.where(readable, Event.category_id.in_(categories))
    if flt.status:
        query = query.where(Event.status == Status(flt.status))
    if flt.q:
        query = query.where(text_match(flt.q, None if flt.public_only else viewer))
    if flt.public_only:
        query = query.where(policy.public_clause())
    return query


def overlapping(start: datetime, end: datetime) -> Select:
    """Return a select of events that overlap the half-open UTC range [start, end)."""
    return select(Event).where(Event.starts_at < end, Event.ends_at > start)


def events_between(session, user, start: datetime, end: datetime, flt: CalendarFilter):
    """Return the events the user may see in the range, filtered, in start order."""
    query = apply_filter(overlapping(start, end).where(policy.visible_clause(user)), flt, user)
    return session.scalars(query.order_by(Event.starts_at, Event.id)).unique().all()


def is_masked(user, event: Event) -> bool:
    """Return True when the user sees the event only as "reserved"."""
    return event.visibility == Visibility.CONFIDENTIAL and not policy.can_see_details(user, event)
