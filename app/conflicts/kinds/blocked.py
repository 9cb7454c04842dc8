"""Blocked: ranges the communications team keeps free, city-wide or in the venue's district."""

from collections import defaultdict

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased

from app.conflicts import describe_days
from app.conflicts.conflict import Conflict
from app.conflicts.models import BlockedRange
from app.conflicts.overlap import hit_row, param
from app.conflicts.scope import Checked, Shape, Window
from app.events.models import Event
from app.events.walltime import utc_to_local
from app.extensions import db
from app.sqltypes import UTCDateTime
from app.venues.models import Venue

NAME = "blocked"
KEY_PREFIXES = ("blocked",)


def _blocks(starts_at, ends_at, district_id):
    """SQL: a blocked range overlaps [starts_at, ends_at) and applies in the district (or None)."""
    applies = BlockedRange.district_id.is_(None)
    if district_id is not None:
        applies = or_(applies, BlockedRange.district_id == district_id)
    return BlockedRange.starts_at < ends_at, BlockedRange.ends_at > starts_at, applies


def part(shape: Shape):
    """Return the rows of the single check: the blocked ranges the event falls in."""
    district = bindparam("district_id") if shape.has_district else None
    starts, ends = param("starts_at", UTCDateTime()), param("ends_at", UTCDateTime())
    return select(*hit_row(NAME, None, BlockedRange.id)).where(*_blocks(starts, ends, district))


def _ranges(ids) -> list[BlockedRange]:
    """Return blocked ranges by id."""
    return list(db.session.scalars(select(BlockedRange).where(BlockedRange.id.in_(ids))))


def for_proposal(checked: Checked, rows) -> list[Conflict]:
    """Return a conflict per blocked range the checked event falls in."""
    ids = [row[2] for row in rows]
    if not ids:
        return []
    p = checked.proposal
    found = []
    for blocked in _ranges(ids):
        day = utc_to_local(max(p.starts_at, blocked.starts_at), checked.tz).date()
        found.append(describe_days.blocked_conflict(blocked, day, checked.own_ids))
    return found


def _hits(win: Window) -> dict[int, set[int]]:
    """Return {blocked range id: ids of the window's events in it}."""
    start, end = win.bounds
    event, venue = aliased(Event), aliased(Venue)
    stmt = (
        select(BlockedRange.id, event.id)
        .select_from(BlockedRange)
        .join(
            event,
            (event.starts_at < BlockedRange.ends_at) & (event.ends_at > BlockedRange.starts_at),
        )
        .outerjoin(venue, venue.id == event.venue_id)
        .where(*_blocks(start, end, venue.district_id), win.condition(event))
    )
    if win.key:
        stmt = stmt.where(BlockedRange.id == int(win.key.partition(":")[2]))
    hits: dict[int, set[int]] = defaultdict(set)
    for blocked_id, event_id in db.session.execute(stmt):
        hits[blocked_id].add(event_id)
    return hits


def for_window(win: Window) -> list[Conflict]:
    """Return a conflict per blocked range with events of the window in it."""
    hits = _hits(win)
    found = []
    for blocked in _ranges(list(hits)) if hits else []:
        day = max(win.first, utc_to_local(blocked.starts_at, win.tz).date())
        found.append(describe_days.blocked_conflict(blocked, day, sorted(hits[blocked.id])))
    return found


def narrow(win: Window, key: str) -> Window | None:
    """Return the window looking for one blocked range ("blocked:4")."""
    return win.narrowed(key=key) if key.partition(":")[2].isdigit() else None
