"""OpenAPI parts of the calendar: departments, venues, events and their conflicts."""

from app.api.openapi_blocks import ID, Part, _json, _model_schemas, _query, _responses
from app.api.schemas import ConflictCheck, EventCreate, EventFields, VenueCreate
from app.conflicts.engine import KINDS

EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "uid": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "all_day": {"type": "boolean"},
        "starts_at": {"type": "string", "description": "ISO 8601 with offset; a date if all_day"},
        "ends_at": {"type": "string", "description": "ISO 8601 with offset; last day if all_day"},
        "timezone": {"type": "string"},
        "venue_id": {"type": ["integer", "null"]},
        "location": {"type": "string"},
        "department": {"type": ["string", "null"]},
        "co_hosts": {"type": "array", "items": {"type": "string"}},
        "audiences": {"type": "array", "items": {"type": "string"}},
        "category": {"type": ["string", "null"]},
        "visibility": {"enum": ["public", "internal", "confidential"]},
        "status": {"enum": ["draft", "published", "cancelled"]},
        "capacity": {"type": ["integer", "null"]},
        "max_plus_ones": {"type": "integer"},
        "free": {"type": "boolean", "description": "Free of charge for the public"},
        "rsvp_deadline": {"type": ["string", "null"], "format": "date-time"},
        "sequence": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
        "reserved": {"type": "boolean", "description": "Confidential: details withheld"},
    },
}

CONFLICTS = {
    "type": "object",
    "properties": {
        "conflicts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"enum": list(KINDS)},
                    "severity": {"enum": ["hard", "warning", "info"]},
                    "message": {"type": "string"},
                    "event_ids": {"type": "array", "items": {"type": "integer"}},
                    "details": {"type": "object"},
                    "key": {"type": "string"},
                    "date": {"type": "string", "format": "date"},
                    "state": {"enum": ["open", "acknowledged", "resolved"]},
                },
                "required": ["kind", "severity", "message", "event_ids", "details"],
            },
        },
    },
}


def departments_part() -> Part:
    """Describe the department list."""
    paths = {
        "/departments": {"get": {"summary": "List departments", "responses": _responses("List")}}
    }
    return Part({}, paths)


def venues_part() -> Part:
    """Describe the venue list and creating a venue."""
    paths = {
        "/venues": {
            "get": {"summary": "List venues", "responses": _responses("List")},
            "post": {
                "summary": "Create a venue (admin)",
                "requestBody": _json("VenueCreate"),
                "responses": _responses("List", "201"),
            },
        },
    }
    return Part(_model_schemas(VenueCreate), paths)


def events_part() -> Part:
    """Describe listing, reading, creating, changing and cancelling events."""
    event_list = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    }
    schemas = {"Event": EVENT, "EventList": event_list} | _model_schemas(EventCreate, EventFields)
    list_filters = ("q", "from", "to", "department", "venue_id", "audience", "status")
    paths = {
        "/events": {
            "get": {
                "summary": "List events",
                "responses": _responses("EventList"),
                "parameters": _query(*list_filters, "page", "per_page"),
            },
            "post": {
                "summary": "Create an event",
                "requestBody": _json("EventCreate"),
                "responses": _responses("Event", "201"),
            },
        },
        "/events/{event_id}": {
            "get": {"summary": "One event", "parameters": ID, "responses": _responses("Event")},
            "patch": {
                "summary": "Change an event",
                "parameters": ID,
                "requestBody": _json("EventFields"),
                "responses": _responses("Event"),
            },
        },
        "/events/{event_id}/cancel": {
            "post": {
                "summary": "Cancel an event",
                "parameters": ID,
                "responses": _responses("Event"),
            }
        },
    }
    return Part(schemas, paths)


def conflicts_part() -> Part:
    """Describe checking a proposed event and listing the conflicts between two days."""
    paths = {
        "/conflicts/check": {
            "post": {
                "summary": "Check a proposed event (or changes to event_id) for conflicts",
                "requestBody": _json("ConflictCheck"),
                "responses": _responses("Conflicts"),
            },
        },
        "/conflicts": {
            "get": {
                "summary": "Conflicts between two days (default: the next 8 weeks); staff "
                "see those involving their department",
                "responses": _responses("Conflicts"),
                "parameters": _query("from", "to", "kind", "severity", "department"),
            },
        },
    }
    return Part({"Conflicts": CONFLICTS} | _model_schemas(ConflictCheck), paths)
