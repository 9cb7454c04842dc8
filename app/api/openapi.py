"""The OpenAPI 3.1 document, with request schemas generated from the pydantic models."""

from functools import cache

from app.api.schemas import EventCreate, EventFields, VenueCreate

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
        "rsvp_deadline": {"type": ["string", "null"], "format": "date-time"},
        "sequence": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
        "reserved": {"type": "boolean", "description": "Confidential: details withheld"},
    },
}
ERRORS = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
}


def _json(schema_ref: str) -> dict:
    """Return a JSON content block referring to a component schema."""
    return {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}
    }


def _responses(ok: str, ok_code: str = "200") -> dict:
    """Return the usual responses of an authenticated endpoint."""
    return {
        ok_code: {"description": "OK", **_json(ok)},
        "401": {"description": "Missing or invalid token"},
        "403": {"description": "Not allowed"},
        "404": {"description": "Not found"},
        "422": {"description": "Invalid input", **_json("Errors")},
    }


def _query(*names: str) -> list[dict]:
    """Return query parameter objects."""
    return [
        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names
    ]


ID = [{"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


@cache
def document() -> dict:
    """Return the whole OpenAPI document."""
    schemas = {
        "Event": EVENT,
        "Errors": ERRORS,
        "EventList": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "next": {"type": ["string", "null"]},
            },
        },
        "List": {"type": "object", "properties": {"items": {"type": "array"}}},
    }
    for model in (EventCreate, EventFields, VenueCreate):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stadtkalender API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/departments": {
                "get": {"summary": "List departments", "responses": _responses("List")}
            },
            "/venues": {
                "get": {"summary": "List venues", "responses": _responses("List")},
                "post": {
                    "summary": "Create a venue (admin)",
                    "requestBody": _json("VenueCreate"),
                    "responses": _responses("List", "201"),
                },
            },
            "/events": {
                "get": {
                    "summary": "List events",
                    "responses": _responses("EventList"),
                    "parameters": _query(
                        "from",
                        "to",
                        "department",
                        "venue_id",
                        "audience",
                        "status",
                        "page",
                        "per_page",
                    ),
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
        },
    }
