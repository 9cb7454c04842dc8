"""Notifications API: the caller's list, marking read, and the settings per kind."""

from datetime import UTC, datetime

from flask import current_app, g, jsonify, request, url_for
from flask_babel import force_locale
from sqlalchemy import select

from app.api import bp
from app.api.event_list import int_arg
from app.api.openapi import add_part
from app.api.openapi_blocks import Part, _json, _query, _responses
from app.errors import ValidationError
from app.extensions import db
from app.input_guard import MAX_ID
from app.notifications import kinds, service
from app.notifications.models import Notification


def _item(note: Notification) -> dict:
    """Return one notification as JSON (its text in the caller's language)."""
    url = note.url
    if url.startswith("/"):
        url = current_app.config["BASE_URL"] + url
    return {
        "id": note.id,
        "kind": note.kind,
        "message": kinds.message(note.kind, note.params),
        "url": url,
        "created_at": note.created_at.isoformat(),
        "read": note.read_at is not None,
    }


@bp.get("/notifications")
def list_notifications():
    """List the caller's notifications, newest first; ``unread=1`` only the unread ones."""
    unread = request.args.get("unread", "")
    if unread not in ("", "0", "1"):
        raise ValidationError.single("unread", "Use 1 for unread notifications only, or 0.")
    per_page = int_arg(request.args, "per_page", 50, current_app.config["API_MAX_PAGE_SIZE"])
    page = int_arg(request.args, "page", 1, 1_000_000)
    stmt = select(Notification).where(Notification.user_id == g.api_user.id)
    if unread == "1":
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = db.session.scalars(
        stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    following = None
    if len(rows) > per_page:
        args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        following = url_for("api.list_notifications", **args)
    with force_locale(g.api_user.locale):
        items = [_item(n) for n in rows[:per_page]]
    return jsonify({"items": items, "unread": service.unread_count(g.api_user), "next": following})


@bp.post("/notifications/read")
def read_notifications():
    """Mark notifications read: ``{"ids": [...]}`` or ``{"all": true}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError.single("body", 'Send {"ids": [1, 2]} or {"all": true}.')
    ids = body.get("ids")
    if body.get("all") is True and ids is None:
        chosen = None
    elif isinstance(ids, list) and ids and all(type(i) is int and 0 < i <= MAX_ID for i in ids):
        chosen = ids[:1000]
    else:
        raise ValidationError.single("ids", 'A list of notification ids, or send {"all": true}.')
    marked = service.mark_read(g.api_user, chosen, now=datetime.now(UTC))
    return jsonify({"marked": marked, "unread": service.unread_count(g.api_user)})


@bp.get("/account/notification-settings")
def get_notification_settings():
    """Return the caller's mode (immediate, digest, off) for every kind."""
    return jsonify({"settings": service.settings_of(g.api_user)})


@bp.put("/account/notification-settings")
def put_notification_settings():
    """Change the caller's mode for some kinds: ``{"settings": {"conflict": "digest"}}``."""
    body = request.get_json(silent=True)
    settings = body.get("settings") if isinstance(body, dict) else None
    if not isinstance(settings, dict) or not settings:
        raise ValidationError.single("settings", 'Send {"settings": {"<kind>": "<mode>"}}.')
    errors = {}
    for kind, mode in settings.items():
        if kind not in kinds.KINDS:
            errors[f"settings.{kind}"] = [f"Unknown kind; use one of {', '.join(kinds.KINDS)}."]
        elif mode not in kinds.MODES:
            errors[f"settings.{kind}"] = [f"Use one of {', '.join(kinds.MODES)}."]
    if errors:
        raise ValidationError(errors)
    service.save_settings(g.api_user, settings)
    return jsonify({"settings": service.settings_of(g.api_user)})


@add_part
def notifications_part() -> Part:
    """Describe the notification list, marking read and the settings."""
    mode = {"enum": list(kinds.MODES)}
    settings = {
        "type": "object",
        "properties": {
            "settings": {
                "type": "object",
                "properties": {kind: mode for kind in kinds.KINDS},
                "additionalProperties": False,
                "minProperties": 1,
            }
        },
        "required": ["settings"],
    }
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": list(kinds.KINDS)},
            "message": {"type": "string"},
            "url": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "read": {"type": "boolean"},
        },
    }
    listing = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item},
            "unread": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    }
    read = {
        "type": "object",
        "properties": {
            "ids": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "minItems": 1,
            },
            "all": {"type": "boolean"},
        },
    }
    marked = {
        "type": "object",
        "properties": {"marked": {"type": "integer"}, "unread": {"type": "integer"}},
    }
    unread = {
        "name": "unread",
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "schema": {"enum": ["0", "1"]},
    }
    paths = {
        "/notifications": {
            "get": {
                "summary": "The caller's notifications, newest first (unread=1: unread only)",
                "parameters": [unread, *_query("page", "per_page")],
                "responses": _responses("NotificationList"),
            }
        },
        "/notifications/read": {
            "post": {
                "summary": 'Mark notifications read: {"ids": [...]} or {"all": true}',
                "requestBody": _json("NotificationsRead"),
                "responses": _responses("NotificationsMarked"),
            }
        },
        "/account/notification-settings": {
            "get": {
                "summary": "The caller's mode per kind (immediate, digest, off)",
                "responses": _responses("NotificationSettings"),
            },
            "put": {
                "summary": "Change the caller's mode for some kinds",
                "requestBody": _json("NotificationSettings"),
                "responses": _responses("NotificationSettings"),
            },
        },
    }
    schemas = {
        "NotificationList": listing,
        "NotificationsRead": read,
        "NotificationsMarked": marked,
        "NotificationSettings": settings,
    }
    return Part(schemas, paths)
