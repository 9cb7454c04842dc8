"""The asking department's planned duplicates that accepting a co-hosting request may cancel."""

from datetime import timedelta

from sqlalchemy import select

from app.cohosting.models import CohostRequest
from app.events import policy, titles
from app.events.models import Event, Status, Visibility
from app.extensions import db

CANDIDATES_MOST = 50  # the asking department's events looked at around the requested days


def cancellable(request: CohostRequest, viewer) -> list[Event]:
    """Return the requesting department's planned duplicates the viewer may cancel on accepting.

    Only events that duplicate the requested one as the duplicate check judges it (a similar
    title on the same or a neighbouring local day; at the same venue on the same day a less
    similar one) and that the viewer may see in detail (no confidential event of another
    department): accepting must not reach any other event of the asking department.
    """
    event = request.event
    nearby = db.session.scalars(
        select(Event)
        .where(
            Event.department_id == request.department_id,
            Event.status != Status.CANCELLED,
            Event.id != event.id,
            Event.last_day >= event.first_day - timedelta(days=1),
            Event.first_day <= event.last_day + timedelta(days=1),
        )
        .order_by(Event.starts_at, Event.id)
        .limit(CANDIDATES_MOST)
    )
    return [
        other
        for other in nearby
        if policy.can_see_details(viewer, other) or _planned_draft(other)
        if titles.similar(other.title, event.title, same_venue_and_day=_same_place(other, event))
    ]


def _planned_draft(other: Event) -> bool:
    """Return True for a non-confidential draft: a planned duplicate is usually still one."""
    return other.status == Status.DRAFT and other.visibility != Visibility.CONFIDENTIAL


def _same_place(other: Event, event: Event) -> bool:
    """Return True when both are at one venue and share a local day."""
    return (
        other.venue_id is not None
        and other.venue_id == event.venue_id
        and other.first_day <= event.last_day
        and event.first_day <= other.last_day
    )
