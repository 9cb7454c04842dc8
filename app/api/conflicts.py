"""Conflict API: check a proposed event, list conflicts in a range."""

from datetime import UTC, date, datetime, timedelta

from flask import abort, current_app, g, jsonify, request

from app.api import bp
from app.api.schemas import ConflictCheck, parse
from app.api.views import _input_from, _visible_event
from app.conflicts import engine, listing
from app.conflicts.models import Severity
from app.departments.models import Department
from app.errors import ValidationError
from app.events import operations, policy
from app.events.walltime import utc_to_local
from app.extensions import db
from app.input_guard import MAX_YEAR, MIN_YEAR, parse_day

MAX_DAYS = 366


@bp.post("/conflicts/check")
def check_conflicts():
    """Return every conflict of a proposed event, or of changes to an existing one."""
    body = parse(ConflictCheck, request.get_json(silent=True))
    event = None
    if body.event_id is not None:
        event = _visible_event(body.event_id)
        if not policy.can_edit(g.api_user, event):
            abort(403, description="You may not change this event.")
        base = operations.EventInput.from_event(event)
    else:
        if body.starts_at is None:
            raise ValidationError.single("starts_at", "Required unless event_id is given.")
        base = operations.EventInput()
    body.model_fields_set.discard("event_id")
    data = _input_from(body, base)
    if data.end is None and data.all_day:
        data = data.replace(end=data.start)
    data = data.replace(title=data.title or "–")  # the title plays no part in conflicts
    proposal = operations.proposal_for(
        data, actor=g.api_user, event=event, tz=current_app.config["TIMEZONE"]
    )
    return jsonify({"conflicts": [c.as_json() for c in engine.check(proposal, g.api_user)]})


def _day(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    day = parse_day(value)
    if day is None:
        raise ValidationError.single(
            name, f"Not an ISO 8601 date between {MIN_YEAR} and {MAX_YEAR}: {value!r}."
        )
    return day


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
    today = utc_to_local(datetime.now(UTC), current_app.config["TIMEZONE"]).date()
    first = _day("from") or today
    last = _day("to") or first + timedelta(weeks=8) - timedelta(days=1)
    if last < first:
        raise ValidationError.single("to", "Must not be before from.")
    if (last - first).days >= MAX_DAYS:
        raise ValidationError.single("to", f"At most {MAX_DAYS} days at once.")
    kinds = set(request.args.getlist("kind"))
    if kinds - set(engine.KINDS):
        raise ValidationError.single("kind", f"Choose from {', '.join(engine.KINDS)}.")
    severities = set(request.args.getlist("severity"))
    if severities - {s.value for s in Severity}:
        raise ValidationError.single("severity", "Choose from hard, warning, info.")
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
