"""Reading public events for the portal: filters from the query string, search, pagination."""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from app.events import policy
from app.events.models import Event
from app.events.queries import for_audience
from app.events.walltime import day_bounds
from app.input_guard import parse_day, parse_id
from app.portal import search
from app.venues.models import Venue
from app.vocabularies.models import Category, District

PER_PAGE = 20
MAX_PAGE = 500  # deeper pages are not offered (a search narrows better)
SEARCH_MAX = 100
# Venue attributes offered as filters, in the order shown.
ACCESS_FLAGS = ("step_free", "accessible_toilet", "induction_loop", "sign_language_on_request")
ARGS = ("q", "from", "to", "district", "category", "audience", "free", "access")


@dataclass
class PortalFilter:
    """What a visitor narrowed the portal to; read from plain GET parameters."""

    q: str = ""
    first: date | None = None
    last: date | None = None
    district: str | None = None
    category: str | None = None
    audience: str | None = None
    free: bool = False
    access: list[str] = field(default_factory=list)
    department_id: int | None = None
    venue_id: int | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "PortalFilter":
        """Read the filter from query-string arguments; unusable values are ignored."""
        first, last = parse_day(args.get("from")), parse_day(args.get("to"))
        if first and last and last < first:
            last = None
        page = parse_id(args.get("page")) or 1
        return cls(
            q=" ".join((args.get("q") or "")[:SEARCH_MAX].split()),
            first=first,
            last=last,
            district=(args.get("district") or None),
            category=(args.get("category") or None),
            audience=(args.get("audience") or None),
            free="1" in (args.get("free"), args.get("kostenlos")),
            access=[a for a in ACCESS_FLAGS if a in _access(args)],
            page=min(page, MAX_PAGE),
        )

    def is_empty(self) -> bool:
        """Return True when the visitor narrowed nothing (dates included)."""
        return not (
            self.q
            or self.first
            or self.last
            or self.district
            or self.category
            or self.audience
            or self.free
            or self.access
        )


def _access(args) -> set[str]:
    """Return the accessibility flags asked for; ``barrierefrei=1`` (a plain German link) means
    step-free access, the one most visitors mean by the word."""
    flags = set(args.getlist("access"))
    if args.get("barrierefrei") == "1":
        flags.add("step_free")
    return flags


def public_events(flt: PortalFilter, today: date, tz: str, dialect: str) -> Select:
    """Return a select of the public events the filter allows, from its first day (or today)."""
    start = day_bounds(flt.first or today, tz)[0]
    query = select(Event).where(policy.public_clause(), Event.ends_at > start)
    if flt.last:
        query = query.where(Event.starts_at < day_bounds(flt.last, tz)[1])
    if flt.q:
        condition = search.match(flt.q, dialect)
        if condition is not None:
            query = query.where(condition)
    if flt.district:
        districts = select(District.id).filter_by(code=flt.district)
        query = query.where(
            Event.venue_id.in_(select(Venue.id).where(Venue.district_id.in_(districts)))
        )
    if flt.category:
        query = query.where(Event.category_id.in_(select(Category.id).filter_by(code=flt.category)))
    if flt.audience:
        query = query.where(for_audience(flt.audience))
    if flt.free:
        query = query.where(Event.free.is_(True))
    if flt.access:
        flags = [getattr(Venue, name).is_(True) for name in flt.access]
        query = query.where(Event.venue_id.in_(select(Venue.id).where(*flags)))
    if flt.department_id:
        query = query.where(policy.hosted_by(flt.department_id))
    if flt.venue_id:
        query = query.where(Event.venue_id == flt.venue_id)
    return query


@dataclass
class Page:
    """One page of results with what the page links need."""

    events: list[Event]
    total: int
    number: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """Return the number of pages (at least one, at most MAX_PAGE)."""
        return max(1, min(MAX_PAGE, math.ceil(self.total / self.per_page)))

    def links(self, around: int = 2) -> list[int | None]:
        """Return the page numbers to link: first, last and a few around this one (None = gap)."""
        shown = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        result: list[int | None] = []
        for n in numbers:
            if result and n - result[-1] > 1:
                result.append(None)
            result.append(n)
        return result


def paginate(session, query: Select, number: int, per_page: int = PER_PAGE) -> Page:
    """Return one page of a select of events, in start order, with the total count."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = Page([], total or 0, 1, per_page)
    page.number = min(max(number, 1), page.pages)
    rows = session.scalars(
        query.options(lazyload(Event.co_hosts))
        .order_by(Event.starts_at, Event.id)
        .limit(per_page)
        .offset((page.number - 1) * per_page)
    )
    page.events = list(rows.unique())
    return page


def quick_ranges(today: date) -> dict[str, tuple[date, date]]:
    """Return the ranges of the start page's shortcuts: today, this weekend, the next weeks."""
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    if today.weekday() == 6:
        saturday = today
    weekend_end = saturday + timedelta(days=(6 - saturday.weekday()))
    return {
        "today": (today, today),
        "weekend": (saturday, weekend_end),
        "weeks": (today, today + timedelta(days=27)),
    }


def upcoming_for(session, query: Select, limit: int) -> list[Event]:
    """Return the first `limit` events of a select, in start order."""
    rows = session.scalars(
        query.options(lazyload(Event.co_hosts)).order_by(Event.starts_at, Event.id).limit(limit)
    )
    return list(rows.unique())
