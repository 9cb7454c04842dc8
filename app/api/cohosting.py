"""Co-hosting requests API: ask to join an event, list its requests, accept or decline."""

from datetime import UTC, datetime

from flask import abort, current_app, g, jsonify, request

from app.api import bp
from app.api.openapi import add_part
from app.api.openapi_blocks import Part, _json, _responses
from app.api.views import _visible_event
from app.cohosting import operations
from app.cohosting.models import CohostRequest
from app.errors import PermissionDenied, ValidationError
from app.extensions import db
from app.input_guard import MAX_ID


def _item(row: CohostRequest) -> dict:
    """Return one request as JSON."""
    return {
        "id": row.id,
        "event_id": row.event_id,
        "department": row.department.code,
        "message": row.message,
        "state": row.state.value,
        "created_at": row.created_at.isoformat(),
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        "cancelled_event_id": row.cancelled_event_id,
    }


def _body() -> dict:
    """Return the JSON object sent (an empty body counts as {}), else refuse."""
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise ValidationError.single("body", "Send a JSON object.")
    return body


def _text(body: dict, name: str) -> str | None:
    """Return an optional string member, refusing other types."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationError.single(name, "Must be a string.")
    return value


@bp.post("/events/<int:event_id>/cohost-requests")
def ask_to_cohost(event_id: int):
    """Ask to co-host the event: ``{"message": "...", "department": "<code>"}`` (comms)."""
    event = _visible_event(event_id)
    body = _body()
    row = operations.ask(
        event,
        actor=g.api_user,
        message=_text(body, "message") or "",
        department_code=_text(body, "department"),
        now=datetime.now(UTC),
    )
    return jsonify(_item(row)), 201


@bp.get("/events/<int:event_id>/cohost-requests")
def list_cohost_requests(event_id: int):
    """List the event's pending requests (its hosts and comms) or the caller's department's."""
    event = _visible_event(event_id)
    user = g.api_user
    if operations.may_answer(user, event) or (user.department_id in event.host_department_ids):
        rows = operations.pending(event)
    elif operations.may_ask(user) and operations.policy.can_see_details(user, event):
        own = operations.pending_for(event.id, user.department_id) if user.department_id else None
        rows = [own] if own else []
    else:
        raise PermissionDenied("Only the event's hosts and comms see its co-hosting requests.")
    return jsonify({"items": [_item(r) for r in rows]})


def _answer(request_id: int, accept: bool):
    """Accept or decline a request; the body may name the duplicate to cancel on accepting."""
    row = db.session.get(CohostRequest, request_id) if 0 < request_id <= MAX_ID else None
    if row is None:
        abort(404, description="No such request.")
    body = _body()
    cancel_id = body.get("cancel_event_id")
    if cancel_id is not None and (type(cancel_id) is not int or not 0 < cancel_id <= MAX_ID):
        raise ValidationError.single("cancel_event_id", "An event id.")
    guests = operations.answer(
        row,
        accept=accept,
        actor=g.api_user,
        now=datetime.now(UTC),
        secret_key=current_app.config["SECRET_KEY"],
        cancel_event_id=cancel_id,
    )
    return jsonify({**_item(row), "guests": guests or None})


@bp.post("/cohost-requests/<int:request_id>/accept")
def accept_cohost_request(request_id: int):
    """Accept: the department becomes co-host (optionally cancelling its duplicate)."""
    return _answer(request_id, True)


@bp.post("/cohost-requests/<int:request_id>/decline")
def decline_cohost_request(request_id: int):
    """Decline the request."""
    return _answer(request_id, False)


@add_part
def cohosting_part() -> Part:
    """Describe the co-hosting calls."""
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "department": {"type": "string"},
            "message": {"type": "string"},
            "state": {"enum": ["pending", "accepted", "declined"]},
            "created_at": {"type": "string", "format": "date-time"},
            "answered_at": {"type": ["string", "null"], "format": "date-time"},
            "cancelled_event_id": {"type": ["integer", "null"]},
        },
        "required": ["id", "event_id", "department", "message", "state", "created_at"],
    }
    counts = {
        "type": ["object", "null"],
        "properties": {
            "invited": {"type": "integer"},
            "already_invited": {"type": "integer"},
            "suppressed": {"type": "integer"},
            "not_carried": {"type": "integer"},
        },
    }
    answered = {**item, "properties": {**item["properties"], "guests": counts}}
    ask = {
        "type": "object",
        "properties": {
            "message": {"type": "string", "maxLength": operations.MESSAGE_MAX},
            "department": {"type": "string", "description": "comms and admin: who asks"},
        },
    }
    answer = {
        "type": "object",
        "properties": {
            "cancel_event_id": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_ID,
                "description": "accept only: the requesting department's planned duplicate to"
                " cancel (a similar title on the same or a neighbouring day, not confidential)",
            }
        },
    }
    event_id = {
        "name": "event_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }
    request_id = {**event_id, "name": "request_id"}
    listing = {"type": "object", "properties": {"items": {"type": "array", "items": item}}}
    answer_op = {
        "parameters": [request_id],
        "requestBody": {"required": False, **_json("CohostAnswer")},
        "responses": _responses("CohostAnswered"),
    }
    paths = {
        "/events/{event_id}/cohost-requests": {
            "get": {
                "summary": "Pending co-hosting requests of the event (hosts and comms)",
                "parameters": [event_id],
                "responses": _responses("CohostRequestList"),
            },
            "post": {
                "summary": "Ask to co-host the event",
                "parameters": [event_id],
                "requestBody": _json("CohostAsk"),
                "responses": _responses("CohostRequest", "201"),
            },
        },
        "/cohost-requests/{request_id}/accept": {
            "post": {"summary": "Accept: the department becomes co-host", **answer_op}
        },
        "/cohost-requests/{request_id}/decline": {
            "post": {"summary": "Decline the request", **answer_op}
        },
    }
    schemas = {
        "CohostRequest": item,
        "CohostRequestList": listing,
        "CohostAsk": ask,
        "CohostAnswer": answer,
        "CohostAnswered": answered,
    }
    return Part(schemas, paths)
