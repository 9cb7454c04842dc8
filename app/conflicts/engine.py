"""The single check: every conflict of one proposed or existing event, in one round trip.

Each kind (``app.conflicts.kinds``) adds its part to one UNION ALL statement; the other events'
facts are joined on, so a check costs one round trip (plus one each for the rare school
holiday and blocked hits, and the duplicate kind's day window of titles). The statement depends
only on the proposal's shape and is built once per shape; values travel as bound parameters.
Each kind then turns its rows into conflicts.
"""

from functools import lru_cache

from flask import current_app
from sqlalchemy import select, union_all

from app.conflicts import facts, kinds
from app.conflicts.conflict import KINDS, Conflict, sort
from app.conflicts.describe import Describer, sees_all_guests
from app.conflicts.facts import EventFacts
from app.conflicts.overlap import is_postgresql
from app.conflicts.scope import Checked, Shape
from app.events.models import Event
from app.events.occupancy import occupied_range
from app.events.proposal import Proposal, VenueInfo
from app.extensions import db
from app.venues.models import Venue

# Re-exported: callers check a Proposal and read Conflicts and KINDS from here.
__all__ = ["KINDS", "Conflict", "Proposal", "check", "sort"]


@lru_cache(maxsize=64)
def _statement(shape: Shape):
    """Return one statement with every kind's rows and the facts of the other events found."""
    parts = [part for kind in kinds.ALL if (part := kind.part(shape)) is not None]
    hits = union_all(*parts).subquery("hits")
    return facts.joined(
        select(hits.c.kind, hits.c.event_id, hits.c.ref_id, hits.c.n, hits.c.label, hits.c.label2)
        .select_from(hits)
        .outerjoin(Event, Event.id == hits.c.event_id)
    )


def _shape_and_params(p: Proposal, venue: VenueInfo | None, viewer) -> tuple[Shape, dict]:
    """Return the statement's shape and bound values for a proposal as the viewer may see it."""
    first, last = p.days
    params = {"first": first, "last": last, "starts_at": p.starts_at, "ends_at": p.ends_at}
    own_guests_only = p.event_id is not None and not sees_all_guests(viewer)
    if p.event_id is not None:
        params["event_id"] = p.event_id
    if own_guests_only:
        params["viewer_department"] = getattr(viewer, "department_id", None)
    if venue is not None:
        params["venue_id"] = venue.id
        params["occ_from"], params["occ_until"] = occupied_range(p.starts_at, p.ends_at, venue)
        if venue.district_id is not None:
            params["district_id"] = venue.district_id
    if p.audience_ids:
        params["audience_ids"] = list(p.audience_ids)
    shape = Shape(
        has_venue=venue is not None,
        has_audiences=bool(p.audience_ids),
        has_event=p.event_id is not None,
        has_district=venue is not None and venue.district_id is not None,
        postgresql=is_postgresql(),
        own_guests_only=own_guests_only,
    )
    return shape, params


def check(p: Proposal, viewer) -> list[Conflict]:
    """Return every conflict of the proposal, most severe first."""
    venue = p.venue if p.venue is not None and p.venue.id == p.venue_id else None
    if venue is None and p.venue_id:
        venue = VenueInfo.of(db.session.get(Venue, p.venue_id))
    shape, params = _shape_and_params(p, venue, viewer)
    by_kind: dict[str, list] = {}
    others: dict[int, EventFacts] = {}
    for row in db.session.execute(_statement(shape), params):
        by_kind.setdefault(row[0], []).append(row[:6])
        if row[1] is not None and row[1] not in others:
            others[row[1]] = facts.build(row[6:])
    if others and not getattr(viewer, "sees_everything", False):
        facts.add_cohosts(others)
    tz = current_app.config["TIMEZONE"]
    checked = Checked(p, venue, viewer, tz, Describer(viewer, others))
    found = [
        c for kind in kinds.ALL for c in kind.for_proposal(checked, by_kind.get(kind.NAME, []))
    ]
    return sort(found)
