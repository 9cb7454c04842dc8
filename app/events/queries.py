"""Reading events for calendar pages: filters and visibility in SQL."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, exists, or_, select

from app.events import policy
from app.events.models import Event, Status, Visibility, event_audiences, event_cohosts
from app.input_guard import parse_id
from app.vocabularies.models import Audience, Category


@dataclass
class CalendarFilter:
    """What the user narrowed the calendar to; empty values mean "all"."""

    departments: list[int] = field(default_factory=list)
    venue_id: int | None = None
    audience: str | None = None
    category: str | None = None
    status: str | None = None
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
        )

    def is_empty(self) -> bool:
        """Return True when nothing is filtered."""
        return not (
            self.departments or self.venue_id or self.audience or self.category or self.status
        )


def apply_filter(query: Select, flt: CalendarFilter) -> Select:
    """Narrow a select of events by the filter."""
    if flt.departments:
        cohosted = exists(
            select(1).where(
                event_cohosts.c.event_id == Event.id,
                event_cohosts.c.department_id.in_(flt.departments),
            )
        )
        query = query.where(or_(Event.department_id.in_(flt.departments), cohosted))
    if flt.venue_id:
        query = query.where(Event.venue_id == flt.venue_id)
    if flt.audience:
        query = query.where(
            exists(
                select(1).where(
                    event_audiences.c.event_id == Event.id,
                    event_audiences.c.audience_id == Audience.id,
                    Audience.code == flt.audience,
                )
            )
        )
    if flt.category:
        query = query.where(Event.category_id.in_(select(Category.id).filter_by(code=flt.category)))
    if flt.status:
        query = query.where(Event.status == Status(flt.status))
    if flt.public_only:
        query = query.where(policy.public_clause())
    return query


def overlapping(start: datetime, end: datetime) -> Select:
    """Return a select of events that overlap the half-open UTC range [start, end)."""
    return select(Event).where(Event.starts_at < end, Event.ends_at > start)


def events_between(session, user, start: datetime, end: datetime, flt: CalendarFilter):
    """Return the events the user may see in the range, filtered, in start order."""
    query = apply_filter(overlapping(start, end).where(policy.visible_clause(user)), flt)
    return session.scalars(query.order_by(Event.starts_at, Event.id)).unique().all()


def is_masked(user, event: Event) -> bool:
    """Return True when the user sees the event only as "reserved"."""
    return event.visibility == Visibility.CONFIDENTIAL and not policy.can_see_details(user, event)
