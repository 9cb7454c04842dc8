"""The conflict check on the event form (as typed) and on the event page (as stored)."""

from flask import current_app

from app.conflicts import gate
from app.conflicts.engine import Conflict, check
from app.errors import PermissionDenied, ValidationError
from app.events import operations, policy
from app.events.models import Event, Status
from app.events.proposal import Proposal
from app.events.validation import EventInput


def live_conflicts(data: EventInput, event: Event | None, viewer) -> list[Conflict] | None:
    """Return the conflicts of form input, or None when the input cannot be checked yet."""
    # Only time, place, audiences and capacity matter here; a missing title or a reply
    # deadline still being typed must not hide the conflicts.
    data = data.replace(title=data.title or "–", rsvp_deadline=None)
    try:
        proposal = operations.proposal_for(
            data, actor=viewer, event=event, tz=current_app.config["TIMEZONE"]
        )
    except (ValidationError, PermissionDenied):
        return None
    return check(proposal, viewer)


def form_context(data: EventInput | None, event: Event | None, viewer) -> dict:
    """Return the conflict panel of the event form (None: nothing to check yet)."""
    return {"conflicts": live_conflicts(data, event, viewer) if data is not None else None}


def page_context(event: Event, viewer) -> dict:
    """Return the conflicts and publishing overrides the event page shows to its editors."""
    conflicts = overrides = None
    if policy.can_edit(viewer, event):
        if event.status != Status.CANCELLED:
            conflicts = check(Proposal.from_event(event), viewer)
        overrides = gate.overrides_of(event.id)
    return {"conflicts": conflicts, "overrides": overrides}
