"""API endpoint of the audit log: the filtered entries, for administrators and the privacy role."""

from flask import current_app, g, jsonify, request, url_for

from app.accounts.models import Role
from app.api import bp
from app.api.contacts import _int_arg
from app.api.openapi import add_part
from app.api.openapi_blocks import _TEXT, Part, _query, _responses
from app.audit.models import AuditEntry
from app.audit.queries import AuditFilter, filtered, page_of
from app.audit.views import changes_for
from app.errors import PermissionDenied

READERS = (Role.ADMIN, Role.PRIVACY)


def entry_json(entry: AuditEntry, user) -> dict:
    """Serialise an entry; personal values are masked unless the user has the privacy role."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": {"type": entry.actor_type, "id": entry.actor_id, "label": entry.actor_label},
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": changes_for(entry, user),
    }


@bp.get("/audit")
def list_audit():
    """List audit entries, newest first, filtered by actor, action, object and period."""
    user = g.api_user
    if user.role not in READERS:
        raise PermissionDenied("Only administrators and the privacy role read the audit log.")
    per_page = _int_arg("per_page", 100, current_app.config["API_MAX_PAGE_SIZE"])
    page = _int_arg("page", 1, 1_000_000)
    flt = AuditFilter.from_args(request.args)
    result = page_of(filtered(flt, current_app.config["TIMEZONE"]), page, per_page)
    following = None
    if result.has_next:
        args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        following = url_for("api.list_audit", **args)
    return jsonify(
        {
            "items": [entry_json(e, user) for e in result.items],
            "page": page,
            "per_page": per_page,
            "total": result.total,
            "next": following,
        }
    )


@add_part
def audit_part() -> Part:
    """Describe reading the audit log (administrators and the privacy role)."""
    entry = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "actor": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["user", "token", "guest", "system"]},
                    "id": {"type": ["integer", "null"]},
                    "label": _TEXT,
                },
            },
            "action": _TEXT,
            "object_type": _TEXT,
            "object_id": {"type": ["integer", "null"]},
            "changes": {
                "type": "object",
                "description": "{field: [old, new]} or facts such as {rows: 120}; personal "
                "values read *** unless the caller has the privacy role",
            },
        },
    }
    entry_list = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    }
    paths = {
        "/audit": {
            "get": {
                "summary": "Audit log entries, newest first (admin and privacy role; others "
                "403); from/to dates are whole days in Europe/Berlin",
                "parameters": _query(
                    "action", "object_type", "object_id", "actor", "from", "to", "page", "per_page"
                ),
                "responses": _responses("AuditEntryList"),
            }
        }
    }
    return Part({"AuditEntry": entry, "AuditEntryList": entry_list}, paths)
