"""Venue: another event that is not cancelled holds the venue at an overlapping time.

Setup and teardown buffers count (the stored occupied range); touching ranges are fine.
"""

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, func, literal, select

from app.conflicts import describe_venue
from app.conflicts.conflict import Conflict, pair_of
from app.conflicts.overlap import day_overlap, hit_row, param, time_overlap
from app.conflicts.scope import Checked, Shape, Window
from app.events.models import Event, Status
from app.events.occupancy import occupied_range
from app.extensions import db
from app.sqltypes import UTCDateTime
from app.venues.models import Venue

NAME = "venue"
KEY_PREFIXES = ("venue",)


def _holds(theirs, venue_id, occ_from, occ_until, postgresql: bool | None = None):
    """SQL: ``theirs`` is not cancelled and holds the venue during the occupied range."""
    return and_(
        theirs.venue_id == venue_id,
        theirs.status != Status.CANCELLED,
        time_overlap(theirs.occupied_from, theirs.occupied_until, occ_from, occ_until, postgresql),
    )


def part(shape: Shape):
    """Return the rows of the single check: every other event holding the venue."""
    if not shape.has_venue:
        return None
    other = Event.id != bindparam("event_id") if shape.has_event else literal(True)
    return select(*hit_row(NAME, Event.id, None)).where(
        other,
        _holds(
            Event,
            bindparam("venue_id"),
            param("occ_from", UTCDateTime()),
            param("occ_until", UTCDateTime()),
            shape.postgresql,
        ),
    )


def for_proposal(checked: Checked, rows) -> list[Conflict]:
    """Return a conflict per other event holding the checked event's venue."""
    p, venue = checked.proposal, checked.venue
    occ_from, occ_until = occupied_range(p.starts_at, p.ends_at, venue)
    mine = SimpleNamespace(
        starts_at=p.starts_at, ends_at=p.ends_at, occupied_from=occ_from, occupied_until=occ_until
    )
    found = []
    for row in rows:
        other = checked.describe.events[row[1]]
        found.append(
            describe_venue.venue_conflict(
                p.event_id, p.days[0], venue, other, checked.describe, mine
            )
        )
    return found


def _pairs(win: Window) -> set[tuple[int, int]]:
    """Return the pairs of events holding one venue at once, one of them in the window.

    The candidates are the events near the window's time span (widened by the largest venue
    buffers), joined with each other in one hash join: much faster than one range-index probe
    per event of the window, and the same pairs.
    """
    mine = [e for e in win.events().values() if e.venue_id is not None]
    if not mine:
        return set()
    buffers = db.session.scalar(select(func.max(Venue.setup_minutes + Venue.teardown_minutes)))
    margin = timedelta(days=2 + (buffers or 0) // 1440)  # + a day for UTC against local days
    near = (
        select(
            Event.id,
            Event.venue_id,
            Event.occupied_from,
            Event.occupied_until,
            Event.first_day,
            Event.last_day,
        )
        .where(
            Event.venue_id.is_not(None),
            Event.status != Status.CANCELLED,
            day_overlap(
                Event.first_day,
                Event.last_day,
                min(e.occupied_from for e in mine).date() - margin,
                max(e.occupied_until for e in mine).date() + margin,
            ),
            win.among(Event.id),
        )
        .cte("near")
    )
    a, b = near.alias("a"), near.alias("b")
    stmt = (
        select(a.c.id, b.c.id)
        .join(
            b,
            and_(
                b.c.venue_id == a.c.venue_id,
                b.c.id != a.c.id,
                b.c.occupied_from < a.c.occupied_until,
                b.c.occupied_until > a.c.occupied_from,
            ),
        )
        .where(a.c.first_day <= win.last, a.c.last_day >= win.first)
    )
    return {tuple(sorted(row)) for row in db.session.execute(stmt)}


def for_window(win: Window) -> list[Conflict]:
    """Return a conflict per pair of events double-booking a venue."""
    pairs = _pairs(win)
    events = win.load(i for pair in pairs for i in pair)
    return [
        describe_venue.venue_pair_conflict(events[a], events[b], win.describe)
        for a, b in sorted(pairs)
    ]


def narrow(win: Window, key: str) -> Window | None:
    """Return the window reduced to the two events of a key ("venue:3:7")."""
    pair = pair_of(key)
    return win.narrowed(only=pair, key=key) if pair and len(pair) == 2 else None
