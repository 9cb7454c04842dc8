"""Conflict API: check a proposed event, list conflicts in a range."""

from flask import abort, current_app, g, jsonify, request

from app.api import bp
from app.api.schemas import ConflictCheck, parse
from app.api.views import _input_from, _visible_event
from app.conflicts import engine, listing
from app.conflicts.models import Severity
from app.departments.models import Department
from app.errors import ValidationError
from app.events import operations, policy
from app.events.validation import EventInput
from app.extensions import db


@bp.post("/conflicts/check")
def check_conflicts():
    """Return every conflict of a proposed event, or of changes to an existing one."""
    body = parse(ConflictCheck, request.get_json(silent=True))
    event = None
    if body.event_id is not None:
        event = _visible_event(body.event_id)
        if not policy.can_edit(g.api_user, event):
            abort(403, description="You may not change this event.")
        base = EventInput.from_event(event)
    else:
        if body.starts_at is None:
            raise ValidationError.single("starts_at", "Required unless event_id is given.")
        base = EventInput()
    body.model_fields_set.discard("event_id")
    data = _input_from(body, base)
    if data.end is None and data.all_day:
        data = data.replace(end=data.start)
    data = data.replace(title=data.title or "–")  # the title plays no part in conflicts
    proposal = operations.proposal_for(
        data, actor=g.api_user, event=event, tz=current_app.config["TIMEZONE"]
    )
    return jsonify({"conflicts": [c.as_json() for c in engine.check(proposal, g.api_user)]})


def _listed_json(item: listing.Listed, viewer) -> dict:
    """Return one listed conflict; staff see only events they may see, and no comms notes."""
    data = item.conflict.as_json() | {
        "key": item.conflict.key,
        "date": item.conflict.day.isoformat(),
        "state": item.state,
    }
    if viewer.sees_everything:
        data["review_note"] = item.review.note if item.review else None
    else:
        data["event_ids"] = [e.id for e in item.events if policy.can_view(viewer, e)]
    return data


@bp.get("/conflicts")
def list_conflicts():
    """Return the conflicts between two days with their review state."""
    flt = listing.ListFilter(request.args)
    errors = {name: [message] for name, message in flt.errors.items()}
    kinds = set(request.args.getlist("kind"))
    if kinds - set(engine.KINDS):
        errors["kind"] = [f"Choose from {', '.join(engine.KINDS)}."]
    severities = set(request.args.getlist("severity"))
    if severities - {s.value for s in Severity}:
        errors["severity"] = ["Choose from hard, warning, info."]
    if errors:
        raise ValidationError(errors)
    first, last = flt.first, flt.last
    department_id = None
    if request.args.get("department"):
        department_id = db.session.scalar(
            db.select(Department.id).filter_by(code=request.args["department"])
        )
        if department_id is None:
            raise ValidationError.single("department", "Unknown department code.")
    items = listing.conflicts_between(
        g.api_user,
        first,
        last,
        kinds=kinds or None,
        severities=severities or None,
        department_id=department_id,
    )
    return jsonify(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "conflicts": [_listed_json(item, g.api_user) for item in items],
        }
    )
