"""Venue: another event that is not cancelled holds the venue at an overlapping time.

Setup and teardown buffers count (the stored occupied range); touching ranges are fine.
"""

from sqlalchemy import and_, bindparam, literal, select
from sqlalchemy.orm import aliased

from app.conflicts import describe
from app.conflicts.conflict import Conflict, pair_of
from app.conflicts.overlap import hit_row, param, time_overlap
from app.conflicts.scope import Checked, Shape, Window
from app.events.models import Event, Status
from app.extensions import db
from app.sqltypes import UTCDateTime

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
    found = []
    for row in rows:
        other = checked.describe.events[row[1]]
        found.append(describe.venue_conflict(p.event_id, p.days[0], venue, other, checked.describe))
    return found


def _pairs(win: Window) -> set[tuple[int, int]]:
    """Return the pairs of events holding one venue at once, one of them in the window."""
    mine, theirs = aliased(Event), aliased(Event)
    stmt = (
        select(mine.id, theirs.id)
        .join(
            theirs,
            and_(
                theirs.id != mine.id,
                _holds(theirs, mine.venue_id, mine.occupied_from, mine.occupied_until),
            ),
        )
        .where(win.condition(mine), mine.venue_id.is_not(None), win.among(theirs.id))
    )
    return {tuple(sorted(row)) for row in db.session.execute(stmt)}


def for_window(win: Window) -> list[Conflict]:
    """Return a conflict per pair of events double-booking a venue."""
    pairs = _pairs(win)
    events = win.load(i for pair in pairs for i in pair)
    return [
        describe.venue_pair_conflict(events[a], events[b], win.describe) for a, b in sorted(pairs)
    ]


def narrow(win: Window, key: str) -> Window | None:
    """Return the window reduced to the two events of a key ("venue:3:7")."""
    pair = pair_of(key)
    return win.narrowed(only=pair, key=key) if pair and len(pair) == 2 else None
