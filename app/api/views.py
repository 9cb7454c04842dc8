"""API endpoints: departments, venues, events."""

from datetime import UTC, datetime

import orjson
from flask import abort, current_app, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict

from app.api import bp, event_list, openapi
from app.api.schemas import EventCreate, EventFields, VenueCreate, parse, parse_when
from app.api.serialize import events_json, rows_query
from app.departments.models import Department
from app.errors import PermissionDenied, ValidationError
from app.events import operations, policy
from app.events.models import Event, Status
from app.events.validation import EventInput
from app.extensions import db
from app.venues.models import Venue
from app.vocabularies.models import District


@bp.before_request
def _empty_means_absent():
    """Drop empty query values: `?per_page=` is the same as no per_page (as documented)."""
    if any(value == "" for value in request.args.values()):
        request.args = ImmutableMultiDict(
            [(k, v) for k, v in request.args.items(multi=True) if v != ""]
        )


@bp.get("/openapi.json", endpoint="openapi")
def openapi_document():
    """Return the OpenAPI 3.1 description of this API."""
    return jsonify(openapi.document())


@bp.get("/departments")
def departments():
    """List departments."""
    rows = db.session.scalars(select(Department).order_by(Department.code)).all()
    return jsonify(
        {
            "items": [
                {"code": d.code, "name": d.name, "email": d.email, "active": d.active} for d in rows
            ]
        }
    )


def _venue_json(venue: Venue) -> dict:
    """Serialise a venue."""
    return {
        "id": venue.id,
        "name": venue.name,
        "address": venue.address,
        "district": venue.district.code if venue.district else None,
        "capacity": venue.capacity,
        "setup_minutes": venue.setup_minutes,
        "teardown_minutes": venue.teardown_minutes,
        "exclusive": venue.exclusive,
        "accessibility_notes": venue.accessibility_notes,
        "step_free": venue.step_free,
        "accessible_toilet": venue.accessible_toilet,
        "induction_loop": venue.induction_loop,
        "sign_language_on_request": venue.sign_language_on_request,
        "transit_hint": venue.transit_hint,
        "active": venue.active,
    }


@bp.get("/venues")
def venues():
    """List venues."""
    rows = db.session.scalars(select(Venue).order_by(Venue.name)).all()
    return jsonify({"items": [_venue_json(v) for v in rows]})


@bp.post("/venues")
def create_venue():
    """Create a venue (administrators only)."""
    if not g.api_user.is_admin:
        raise PermissionDenied("Only administrators manage venues.")
    data = parse(VenueCreate, request.get_json(silent=True))
    district = None
    if data.district:
        district = db.session.scalar(select(District).filter_by(code=data.district))
        if district is None:
            raise ValidationError.single("district", f"Unknown district: {data.district}")
    venue = Venue(**data.model_dump(exclude={"district"}), district=district)
    db.session.add(venue)
    db.session.flush()  # for the id in the answer; the request commits (app/web.py)
    return jsonify(_venue_json(venue)), 201


def _event_json(event: Event) -> dict:
    """Serialise one event as the current API user sees it."""
    rows = db.session.execute(rows_query(select(Event).where(Event.id == event.id))).all()
    return events_json(db.session, rows, g.api_user)[0]


def _visible_event(event_id: int) -> Event:
    """Load an event the API user may see, else 404."""
    event = db.session.get(Event, event_id)
    if event is None or not policy.can_view(g.api_user, event):
        abort(404, description="No such event.")
    return event


@bp.get("/events")
def list_events():
    """List visible events, filtered, in start order, a page at a time."""
    config = current_app.config
    params = event_list.parse_args(
        db.session, request.args, tz=config["TIMEZONE"], max_page_size=config["API_MAX_PAGE_SIZE"]
    )
    query = event_list.events_query(g.api_user, params)
    rows, more = event_list.fetch_page(db.session, query, params)
    payload = {
        "items": events_json(db.session, rows, g.api_user),
        "page": params.page,
        "per_page": params.per_page,
        "next": event_list.next_url(request.args, params) if more else None,
    }
    # orjson, keys in their natural order: a month can be 2,000 items, and the standard
    # library's encoder (sorting keys, as jsonify does) takes longer than the database.
    return current_app.response_class(orjson.dumps(payload), mimetype="application/json")


def _input_from(body: EventFields, base: EventInput) -> EventInput:
    """Overlay the fields the client sent onto a base input."""
    sent = body.model_fields_set
    all_day = body.all_day if "all_day" in sent else base.all_day
    changes = {}
    for name in sent:
        value = getattr(body, name)
        if name in ("starts_at", "ends_at"):
            changes["start" if name == "starts_at" else "end"] = parse_when(name, value, all_day)
        elif name == "rsvp_deadline":
            changes[name] = parse_when(name, value, all_day=value is not None and len(value) == 10)
        elif name in ("audiences", "co_hosts"):
            changes[name] = value or []
        elif name in ("description", "location", "conflict_reason"):
            changes[name] = value or ""
        elif name == "max_plus_ones":
            changes[name] = value or 0
        elif name == "free":
            changes[name] = bool(value)
        else:
            changes[name] = value
    if "all_day" in sent and "starts_at" not in sent and base.start is not None:
        changes["start"] = base.start
    return base.replace(**changes)


@bp.post("/events")
def create_event():
    """Create an event; the token's user is the actor."""
    body = parse(EventCreate, request.get_json(silent=True))
    data = _input_from(body, EventInput())
    if data.end is None and data.all_day:
        data = data.replace(end=data.start)
    event = operations.create_event(
        data, actor=g.api_user, now=datetime.now(UTC), tz=current_app.config["TIMEZONE"]
    )
    response = jsonify(_event_json(event))
    response.headers["Location"] = url_for("api.get_event", event_id=event.id)
    return response, 201


@bp.get("/events/<int:event_id>")
def get_event(event_id: int):
    """Return one event."""
    return jsonify(_event_json(_visible_event(event_id)))


@bp.patch("/events/<int:event_id>")
def patch_event(event_id: int):
    """Change some fields of an event."""
    event = _visible_event(event_id)
    body = parse(EventFields, request.get_json(silent=True))
    data = _input_from(body, EventInput.from_event(event))
    operations.update_event(event, data, actor=g.api_user, now=datetime.now(UTC))
    return jsonify(_event_json(event))


@bp.post("/events/<int:event_id>/cancel")
def cancel_event(event_id: int):
    """Cancel an event; it stays in the calendar with status cancelled."""
    event = _visible_event(event_id)
    operations.set_status(event, Status.CANCELLED, actor=g.api_user, now=datetime.now(UTC))
    return jsonify(_event_json(event))
