"""Capacity: the event plans for more people than its venue holds, or more people accepted
(companions included) than its capacity allows."""

from sqlalchemy import Integer, bindparam, func, select

from app.conflicts import describe_venue
from app.conflicts.conflict import Conflict
from app.conflicts.facts import id_in
from app.conflicts.overlap import hit_row
from app.conflicts.scope import Checked, Shape, Window
from app.extensions import db
from app.invitations.models import Answer, Invitation

NAME = "capacity"
KEY_PREFIXES = ("capacity",)
# People an invitation brings when accepted: the guest and the companions announced.
_PEOPLE = func.sum(1 + Invitation.plus_ones)
_CHUNK = 5000


def part(shape: Shape):
    """Return the row of the single check: accepted people of a stored event."""
    if not shape.has_event:
        return None
    people = func.coalesce(_PEOPLE, 0).cast(Integer)
    return select(*hit_row(NAME, None, None, people)).where(
        Invitation.event_id == bindparam("event_id"), Invitation.status == Answer.ACCEPTED
    )


def for_proposal(checked: Checked, rows) -> list[Conflict]:
    """Return the capacity conflicts of the checked event."""
    p, venue = checked.proposal, checked.venue
    guests = (rows[0][3] if rows else 0) or 0
    return describe_venue.capacity_conflicts(
        p.event_id,
        p.days[0],
        p.capacity,
        venue.name if venue is not None else None,
        venue.capacity if venue is not None else None,
        guests,
    )


def _accepted_people(win: Window) -> dict[int, int]:
    """Return accepted guests plus companions per event in the window (one grouped query)."""
    # By the ids of the window's events (already loaded): an index scan, where joining on the
    # window's condition makes PostgreSQL scan every accepted invitation.
    ids = sorted(win.events())
    found: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            select(Invitation.event_id, _PEOPLE)
            .where(
                id_in(Invitation.event_id, ids[start : start + _CHUNK]),
                Invitation.status == Answer.ACCEPTED,
            )
            .group_by(Invitation.event_id)
        )
        found.update({event_id: int(n) for event_id, n in db.session.execute(stmt)})
    return found


def for_window(win: Window) -> list[Conflict]:
    """Return the capacity conflicts of every event in the window."""
    accepted = _accepted_people(win)
    found = []
    for event in sorted(win.events().values(), key=lambda e: (e.starts_at, e.id)):
        found += describe_venue.capacity_conflicts(
            event.id,
            event.first_day,
            event.capacity,
            event.venue_name,
            event.venue_capacity,
            accepted.get(event.id, 0),
        )
    return found


def narrow(win: Window, key: str) -> Window | None:
    """Return the window reduced to the event of a key ("capacity:7:guests")."""
    parts = key.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return win.narrowed(only=frozenset({int(parts[1])}), key=key)
