"""Date ranges behind the agenda, month and week pages."""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from app.events.models import Event
from app.input_guard import parse_day


@dataclass(frozen=True)
class Period:
    """Local days [first, end) shown on one page, with links to the neighbours."""

    first: date
    end: date
    previous: str
    next: str

    @property
    def days(self) -> list[date]:
        """Return every day of the period."""
        return [self.first + timedelta(days=i) for i in range((self.end - self.first).days)]


def _parse_date(value: str | None, default: date) -> date:
    """Return an ISO date from the query string within the supported years, or the default."""
    return parse_day(value) or default


def agenda_period(value: str | None, today: date, days: int = 28) -> Period:
    """Return the agenda range starting at the given day (default today)."""
    first = _parse_date(value, today)
    end = first + timedelta(days=days)
    return Period(first, end, (first - timedelta(days=days)).isoformat(), end.isoformat())


def month_period(value: str | None, today: date) -> Period:
    """Return the month grid range: whole weeks (Monday to Sunday) around the month."""
    month_start = parse_day(f"{value}-01") if value and len(value) == 7 else None
    month_start = month_start or today.replace(day=1)
    last = month_start.replace(day=calendar.monthrange(month_start.year, month_start.month)[1])
    first = month_start - timedelta(days=month_start.weekday())
    end = last + timedelta(days=7 - last.weekday())
    previous = (month_start - timedelta(days=1)).strftime("%Y-%m")
    following = (last + timedelta(days=1)).strftime("%Y-%m")
    return Period(first, end, previous, following)


def week_period(value: str | None, today: date) -> Period:
    """Return Monday to Sunday of the week containing the given day."""
    day = _parse_date(value, today)
    first = day - timedelta(days=day.weekday())
    end = first + timedelta(days=7)
    return Period(first, end, (first - timedelta(days=7)).isoformat(), end.isoformat())


def by_day(events: list[Event], period: Period, *, spread: bool) -> dict[date, list[Event]]:
    """Group events under the local days they touch within the period.

    With ``spread`` a multi-day event appears on each of its days, else on its first visible day.
    """
    days: dict[date, list[Event]] = defaultdict(list)
    for event in events:
        first = max(event.start_local.date(), period.first)
        last = min(event.end_date_inclusive, period.end - timedelta(days=1))
        if not spread:
            days[first].append(event)
            continue
        day = first
        while day <= last:
            days[day].append(event)
            day += timedelta(days=1)
    return days
