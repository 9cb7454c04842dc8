"""Density overview: how many events fall on each day for each audience (Zielgruppe).

Only counts leave this module, never titles, so confidential events are counted for everyone.
The picture of the counts is drawn in ``density_svg``.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Date, and_, func, literal, or_, select, union_all

from app.conflicts.describe import short_day
from app.events.models import Event, Status, event_audiences
from app.events.policy import hosted_by
from app.extensions import db
from app.vocabularies.models import Audience

# SQLite allows 500 terms in a compound SELECT; a year (leap or not) stays well below.
MAX_DAYS = 366


@dataclass
class Density:
    """Events per day and audience over a range of days, with the totals per day."""

    days: list[date]
    audiences: list[Audience]
    counts: dict[tuple[date, int], int] = field(default_factory=dict)
    totals: dict[date, int] = field(default_factory=dict)
    max_count: int = 0

    def count(self, day: date, audience_id: int) -> int:
        """Return the number of events on the day for the audience (0 when none)."""
        return self.counts.get((day, audience_id), 0)

    def total(self, day: date) -> int:
        """Return the number of events on the day, each event once, any audience or none."""
        return self.totals.get(day, 0)

    def rows(self) -> list[tuple[date, str, list[int], int]]:
        """Return (day, label, counts per audience, total) per day for the table, the label
        as "Mi. 3. Feb. 2027" (fast: a year of days is formatted per page view)."""
        return [
            (day, short_day(day), [self.count(day, a.id) for a in self.audiences], self.total(day))
            for day in self.days
        ]

    @property
    def busiest(self) -> tuple[date, int] | None:
        """Return the earliest day with the most events and its count, None without events."""
        if not self.totals:
            return None
        day = max(self.days, key=lambda d: (self.total(d), -d.toordinal()))
        return day, self.total(day)


def _day_range(first_day: date, last_day: date) -> list[date]:
    """Return every day from first to last, both inclusive."""
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    span = (last_day - first_day).days + 1
    if span > MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days")
    return [first_day + timedelta(days=i) for i in range(span)]


def _days_selectable(days: list[date]):
    """Return a one-column subquery `days(day)` with one row per day, portable across backends."""
    rows = [select(literal(day, Date).label("day")) for day in days]
    query = rows[0] if len(rows) == 1 else union_all(*rows)
    return query.subquery("days")


def density(first_day: date, last_day: date, *, department_id: int | None = None) -> Density:
    """Count non-cancelled events per day and audience, a multi-day event on each of its days."""
    days = _day_range(first_day, last_day)
    day_rows = _days_selectable(days)
    day = day_rows.c.day
    touches = and_(Event.first_day <= day, Event.last_day >= day)
    conditions = [
        Event.status != Status.CANCELLED,
        # Repeats the range outside the join so the (first_day, last_day) index narrows early.
        Event.first_day <= last_day,
        Event.last_day >= first_day,
    ]
    if department_id is not None:
        conditions.append(hosted_by(department_id))

    per_audience = (
        select(day, event_audiences.c.audience_id, func.count())
        .select_from(day_rows)
        .join(Event, touches)
        .join(event_audiences, event_audiences.c.event_id == Event.id)
        .where(*conditions)
        .group_by(day, event_audiences.c.audience_id)
    )
    counts = {(d, audience_id): n for d, audience_id, n in db.session.execute(per_audience)}

    per_day = (
        select(day, func.count())
        .select_from(day_rows)
        .join(Event, touches)
        .where(*conditions)
        .group_by(day)
    )
    totals = {d: n for d, n in db.session.execute(per_day)}

    # Active audiences always get a row; a retired one only while it still has events.
    counted_ids = {audience_id for _day, audience_id in counts}
    audiences = list(
        db.session.scalars(
            select(Audience)
            .where(or_(Audience.active, Audience.id.in_(counted_ids)))
            .order_by(Audience.name, Audience.id)
        )
    )
    return Density(days, audiences, counts, totals, max(counts.values(), default=0))
