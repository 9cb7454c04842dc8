"""API endpoints: departments, venues, events."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
from flask import abort, current_app, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict

from app.api import bp, openapi
from app.api.schemas import EventCreate, EventFields, VenueCreate, parse, parse_when
from app.api.serialize import events_json, rows_query
from app.departments.models import Department
from app.errors import PermissionDenied, ValidationError
from app.events import operations, policy, queries
from app.events.models import Event, Status
from app.events.walltime import AmbiguousWallTime, local_to_utc
from app.extensions import db
from app.input_guard import MAX_YEAR, MIN_YEAR, parse_id, parse_moment
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
    db.session.commit()
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


def _bound(name: str, tz: str):
    """Read a from/to query parameter (date or date-time) as a UTC instant."""
    value = request.args.get(name)
    if not value:
        return None
    parsed = parse_moment(value)
    if parsed is None:
        raise ValidationError.single(
            name,
            f"Not an ISO 8601 date or date-time between {MIN_YEAR} and {MAX_YEAR}: {value!r}.",
        )
    if not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, datetime.min.time())
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else local_to_utc(parsed, tz)
    except AmbiguousWallTime:
        # A wall time in the skipped or doubled hour: either instant bounds the list sensibly.
        return parsed.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _int_arg(name: str, default: int, maximum: int) -> int:
    """Read a positive integer query parameter (absent or empty: the default)."""
    value = request.args.get(name) or str(default)
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ValidationError.single(name, f"Expected a whole number from 1 to {maximum}.")
    return int(value)


@bp.get("/events")
def list_events():
    """List visible events, filtered, in start order, a page at a time."""
    tz = current_app.config["TIMEZONE"]
    start, end = _bound("from", tz), _bound("to", tz)
    per_page = _int_arg("per_page", 100, current_app.config["API_MAX_PAGE_SIZE"])
    page = _int_arg("page", 1, 1_000_000)
    status = request.args.get("status")
    if status and status not in {s.value for s in Status}:
        raise ValidationError.single("status", "Use draft, published or cancelled.")
    venue = request.args.get("venue_id")
    if venue and parse_id(venue) is None:
        raise ValidationError.single("venue_id", "Expected a venue id.")
    flt = queries.CalendarFilter(
        venue_id=parse_id(venue),
        audience=request.args.get("audience") or None,
        status=status or None,
    )
    query = select(Event).where(policy.visible_clause(g.api_user))
    if code := request.args.get("department"):
        dept = db.session.scalar(select(Department.id).filter_by(code=code))
        if dept is None:
            raise ValidationError.single("department", f"Unknown department: {code}")
        flt.departments = [dept]
    query = queries.apply_filter(query, flt)
    if start is not None:
        query = query.where(Event.ends_at > start)
    if end is not None:
        query = query.where(Event.starts_at < end)
    query = rows_query(query).order_by(Event.starts_at, Event.id)
    # Core execution: plain rows, without the ORM's loading machinery (2,000 rows a month).
    rows = (
        db.session.connection()
        .execute(query.limit(per_page + 1).offset((page - 1) * per_page))
        .all()
    )
    more = len(rows) > per_page
    rows = rows[:per_page]
    following = None
    if more:
        args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        following = url_for("api.list_events", _external=False, **args)
    payload = {
        "items": events_json(db.session, rows, g.api_user),
        "page": page,
        "per_page": per_page,
        "next": following,
    }
    # orjson, keys in their natural order: a month can be 2,000 items, and the standard
    # library's encoder (sorting keys, as jsonify does) takes longer than the database.
    return current_app.response_class(orjson.dumps(payload), mimetype="application/json")


def _input_from(body: EventFields, base: operations.EventInput) -> operations.EventInput:
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
        else:
            changes[name] = value
    if "all_day" in sent and "starts_at" not in sent and base.start is not None:
        changes["start"] = base.start
    return base.replace(**changes)


@bp.post("/events")
def create_event():
    """Create an event; the token's user is the actor."""
    body = parse(EventCreate, request.get_json(silent=True))
    data = _input_from(body, operations.EventInput())
    if data.end is None and data.all_day:
        data = data.replace(end=data.start)
    event = operations.create_event(
        data, actor=g.api_user, now=datetime.now(UTC), tz=current_app.config["TIMEZONE"]
    )
    db.session.commit()
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
    data = _input_from(body, operations.EventInput.from_event(event))
    operations.update_event(event, data, actor=g.api_user, now=datetime.now(UTC))
    db.session.commit()
    return jsonify(_event_json(event))


@bp.post("/events/<int:event_id>/cancel")
def cancel_event(event_id: int):
    """Cancel an event; it stays in the calendar with status cancelled."""
    event = _visible_event(event_id)
    operations.set_status(event, Status.CANCELLED, actor=g.api_user, now=datetime.now(UTC))
    db.session.commit()
    return jsonify(_event_json(event))
