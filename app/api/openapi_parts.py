"""OpenAPI parts of the inbound review and the guest list (app/api/openapi.py assembles them)."""

from app.api.inbound import DETAIL_KEYS, ApplyBody
from app.inbound.models import Kind, State

_TEXT = {"type": "string"}
_NULLABLE_INT = {"type": ["integer", "null"]}
INBOUND_MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"enum": [k.value for k in Kind]},
        "state": {"enum": [s.value for s in State]},
        "received_at": {"type": "string", "format": "date-time"},
        "processed_at": {"type": ["string", "null"], "format": "date-time"},
        "invitation_id": _NULLABLE_INT,
        "event_id": _NULLABLE_INT,
        "guest_email": {"type": ["string", "null"]},
        "guest_name": {"type": ["string", "null"]},
        **dict.fromkeys(DETAIL_KEYS, _TEXT),
    },
    "required": ["id", "kind", "state", "received_at"],
}
INVITATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "contact_id": {"type": "integer"},
        "email": _TEXT,
        "name": _TEXT,
        "status": {"enum": ["pending", "accepted", "declined", "tentative", "waitlisted"]},
        "withdrawn": {"type": "boolean"},
        "plus_ones": {"type": "integer"},
        "departments": {"type": "array", "items": _TEXT},
        "responded_at": {"type": ["string", "null"], "format": "date-time"},
        "response_source": {"enum": ["link", "mail", "staff", ""]},
        "delivery": {
            "description": "The guest's newest mail; null before any",
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "status": {"enum": ["queued", "sent", "failed", "bounced"]},
                        "error": _TEXT,
                    },
                    "required": ["status", "error"],
                },
            ],
        },
    },
    "required": ["id", "status", "response_source", "delivery"],
}


def _page_of(ref: str) -> dict:
    """Return the schema of one page of a list."""
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    }


def inbound_part():
    """Describe the review list of received messages and applying one."""
    from app.api.openapi_blocks import Part, _json, _query, _responses

    message_id = [
        {"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    schemas = {
        "InboundMessage": INBOUND_MESSAGE,
        "InboundList": _page_of("InboundMessage"),
        "InboundApply": ApplyBody.model_json_schema(),
    }
    paths = {
        "/inbound": {
            "get": {
                "summary": "Received messages, newest first (all states unless state is given); "
                "staff see those about their department's events",
                "parameters": _query("state", "event_id", "page", "per_page"),
                "responses": _responses("InboundList"),
            }
        },
        "/inbound/{message_id}/apply": {
            "post": {
                "summary": "Apply a message waiting for review: the answer counts as the guest's, "
                "by mail; note keeps it for the record (422 if not waiting for review)",
                "parameters": message_id,
                "requestBody": _json("InboundApply"),
                "responses": _responses("InboundMessage"),
            }
        },
    }
    return Part(schemas, paths)


_WARNING = {
    "type": "object",
    "description": "kind guest_fatigue: the guest would get more than GUEST_FATIGUE_MAX city "
    "invitations from other departments within ±GUEST_FATIGUE_DAYS of the event's start; "
    "events names those the caller may see, others counts the rest; refused: over the "
    "contact's own cap, not invited (staff). Other kinds: person_clash, "
    "possible_duplicate_guest, bouncing_address.",
    "properties": {
        "kind": _TEXT,
        "message": _TEXT,
        "contact_id": _NULLABLE_INT,
        "count": {"type": "integer"},
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "title": _TEXT},
            },
        },
        "others": {"type": "integer"},
        "cap": _NULLABLE_INT,
        "refused": {"type": "boolean"},
    },
    "required": ["kind", "message"],
}
INVITED = {
    "type": "object",
    "properties": {
        "invited": {"type": "integer"},
        "already_invited": {"type": "integer"},
        "suppressed": {"type": "integer", "description": "Marked do not invite"},
        "refused": {"type": "integer", "description": "Over their own invitation cap"},
        "invitations": {"type": "array", "items": {"$ref": "#/components/schemas/Invitation"}},
        "warnings": {"type": "array", "items": _WARNING},
    },
}


def invitation_list_part():
    """Describe the event's guest list and inviting, with the warnings an invitation gives."""
    from app.api.invitations import InviteBody
    from app.api.openapi_blocks import ID, Part, _json, _model_schemas, _query, _responses

    summary = {"type": "object", "additionalProperties": {"type": "integer"}}
    listing = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Invitation"}},
            "summary": summary,
        },
    }
    paths = {
        "/events/{event_id}/invitations": {
            "get": {
                "summary": "The event's guests (hosting departments and comms) with a summary",
                "parameters": ID + _query("q", "department"),
                "responses": _responses("InvitationList"),
            },
            "post": {
                "summary": "Invite guests by address and/or contact id; one invitation per "
                "person whichever departments invite; warnings include guest_fatigue",
                "parameters": ID,
                "requestBody": _json("InviteBody"),
                "responses": _responses("Invited"),
            },
        }
    }
    schemas = {"Invitation": INVITATION, "InvitationList": listing, "Invited": INVITED}
    return Part(schemas | _model_schemas(InviteBody), paths)
