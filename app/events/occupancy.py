"""Derived event columns that the conflict checks and the exclusion constraint rely on.

An event takes its venue from ``starts_at - setup`` to ``ends_at + teardown``; two events at the
same venue clash when these ranges overlap (touching is fine). The range, the venue's exclusive
flag and the local days the event touches are stored in the event row on every flush, so that
every check is one indexed query and PostgreSQL can enforce exclusivity with a constraint.
"""

from datetime import datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.events.models import Event
from app.venues.models import Venue

_VENUE_FIELDS = ("setup_minutes", "teardown_minutes", "exclusive")


def occupied_range(starts_at: datetime, ends_at: datetime, venue: Venue | None):
    """Return the range the venue is taken for an event, setup and teardown included."""
    if venue is None:
        return starts_at, ends_at
    return (
        starts_at - timedelta(minutes=venue.setup_minutes or 0),
        ends_at + timedelta(minutes=venue.teardown_minutes or 0),
    )


def local_days(start_local: datetime, end_local: datetime):
    """Return the first and last local day touched (the end is exclusive)."""
    return start_local.date(), (end_local - timedelta(microseconds=1)).date()


def derive(event: Event, venue: Venue | None) -> None:
    """Set the derived columns of one event from its times and venue."""
    event.occupied_from, event.occupied_until = occupied_range(
        event.starts_at, event.ends_at, venue
    )
    event.venue_exclusive = bool(venue is not None and venue.exclusive)
    event.first_day, event.last_day = local_days(event.start_local, event.end_local)


def _venue_of(session: Session, event: Event) -> Venue | None:
    """Return the event's venue without triggering a flush."""
    if event.venue_id is None:
        return event.venue if event.venue is not None else None
    venue = event.venue
    if venue is None or venue.id != event.venue_id:
        venue = session.get(Venue, event.venue_id)
    return venue


_PLACE_AND_TIME = ("starts_at", "ends_at", "start_local", "end_local", "venue_id", "venue")


def _moved(event: Event) -> bool:
    """Return True if the event's time or venue changed in this flush."""
    attrs = inspect(event).attrs
    return any(attrs[name].history.has_changes() for name in _PLACE_AND_TIME)


@sa_event.listens_for(Session, "before_flush")
def _derive_on_flush(session: Session, _context, _instances) -> None:
    """Keep the derived columns of new and changed events and of a changed venue's events."""
    with session.no_autoflush:
        changed_venues = [
            v
            for v in session.dirty
            if isinstance(v, Venue)
            and any(inspect(v).attrs[name].history.has_changes() for name in _VENUE_FIELDS)
        ]
        for venue in changed_venues:
            for ev in session.scalars(select(Event).where(Event.venue_id == venue.id)):
                derive(ev, venue)
        for obj in session.new:
            if isinstance(obj, Event) and obj.starts_at is not None:
                derive(obj, _venue_of(session, obj))
        for obj in session.dirty:
            # Only when time or place changed: a double booking made before exclusivity was
            # enforced (migration 0004 waived the later one) stays editable until it moves.
            if isinstance(obj, Event) and _moved(obj):
                derive(obj, _venue_of(session, obj))
