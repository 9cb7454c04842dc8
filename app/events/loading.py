"""Load events for requests: 404 when the user may not see one, 403 when they may only see it."""

from flask import abort

from app.events import policy
from app.events.models import Event
from app.extensions import db


def visible_event_or_404(event_id: int, user, options=()) -> Event:
    """Return the event if the user may see it, else answer 404 (never reveal that it exists)."""
    event = db.get_or_404(Event, event_id, options=list(options) or None)
    if not policy.can_view(user, event):
        abort(404)
    return event


def editable_event_or_404(event_id: int, user, options=()) -> Event:
    """Return the event if the user may change it: 404 if they may not see it, 403 otherwise."""
    event = visible_event_or_404(event_id, user, options)
    if not policy.can_edit(user, event):
        abort(403)
    return event
