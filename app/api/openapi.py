"""The OpenAPI 3.1 document, with request schemas generated from the pydantic models."""

from functools import cache

from app.api.contacts import MAX_DUPLICATES, ContactCreate, ContactFields
from app.api.schemas import ConflictCheck, EventCreate, EventFields, VenueCreate
from app.conflicts.engine import KINDS
from app.input_guard import MAX_ID, MAX_YEAR, MIN_YEAR

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


_DAY_OR_TIME = {
    "type": "string",
    "description": f"ISO 8601 date or date-time between {MIN_YEAR} and {MAX_YEAR}; without "
    "an offset: wall time in Europe/Berlin.",
    "examples": ["2027-01-14", "2027-01-14T18:00", "2027-01-14T18:00:00+01:00"],
}
# Query parameters by name; any other name is free text.
QUERY_SCHEMAS = {
    "from": _DAY_OR_TIME,
    "to": _DAY_OR_TIME,
    "page": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 5000},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_DUPLICATES},
    "venue_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "status": {"enum": ["draft", "published", "cancelled"]},
    "kind": {"enum": list(KINDS)},
    "severity": {"enum": ["hard", "warning", "info"]},
}


def _query(*names: str) -> list[dict]:
    """Return query parameter objects; an empty value (``?per_page=``) counts as absent."""
    return [
        {
            "name": n,
            "in": "query",
            "required": False,
            "allowEmptyValue": True,
            "schema": QUERY_SCHEMAS.get(n, {"type": "string"}),
        }
        for n in names
    ]


ID = [{"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
CONTACT_ID = [{"name": "contact_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_TEXT = {"type": "string"}
CONTACT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        **dict.fromkeys(
            (
                "salutation",
                "title",
                "office_title",
                "first_name",
                "name_particle",
                "last_name",
                "full_name",
                "email",
                "organisation",
                "function",
                "phone",
                "notes",
            ),
            _TEXT,
        ),
        "language": {"enum": ["de", "en"]},
        "tags": {"type": "array", "items": _TEXT},
        "vip": {"type": "boolean"},
        "do_not_invite": {"type": "boolean"},
        "role_address": {"type": "boolean", "description": "A shared mailbox such as info@"},
        "merged_into": {"type": ["integer", "null"], "description": "Survivor of a merge"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
_REASONS = {
    "reasons": {"type": "array", "items": _TEXT, "description": "In the UI language"},
    "reason_codes": {
        "type": "array",
        "items": {
            "enum": [
                "email",
                "shared_role",
                "mailbox",
                "phone",
                "organisation",
                "name",
                "similar_name",
                "sounds_alike",
            ]
        },
    },
    "score": {"type": "number", "minimum": 0, "maximum": 1},
}
CONTACT_SAVED = {
    "allOf": [
        {"$ref": "#/components/schemas/Contact"},
        {
            "type": "object",
            "properties": {
                "reused": {"type": "boolean", "description": "Existing contact returned (200)"},
                "warnings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"contact_id": {"type": "integer"}, **_REASONS},
                    },
                },
            },
        },
    ]
}
DUPLICATES = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "contact_ids": {"type": "array", "items": {"type": "integer"}},
                    **_REASONS,
                },
            },
        }
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
                    "kind": {
                        "enum": ["venue", "person", "audience", "holiday", "blocked", "capacity"]
                    },
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
        "Contact": CONTACT,
        "ContactSaved": CONTACT_SAVED,
        "ContactList": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
                "next": {"type": ["string", "null"]},
            },
        },
        "ContactDuplicates": DUPLICATES,
        "Conflicts": CONFLICTS,
    }
    models = (EventCreate, EventFields, ConflictCheck, VenueCreate, ContactCreate, ContactFields)
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Stadtkalender API",
            "version": "1",
            "description": "Query parameters: an empty value (`?per_page=`) counts as absent. "
            "Bodies: values must have the documented JSON type (booleans are true or false, "
            "not 0, 1 or strings). Invalid input, including text with a NUL character, line "
            "breaks in one-line fields or dates outside the supported years, is answered "
            '422 with `{"errors": {"field": ["message"]}}`.',
        },
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
            "/contacts": {
                "get": {
                    "summary": "List and search contacts (name, email, organisation, tag)",
                    "responses": _responses("ContactList"),
                    "parameters": _query("q", "tag", "page", "per_page"),
                },
                "post": {
                    "summary": "Create a contact; 200 with the existing one if reused",
                    "requestBody": _json("ContactCreate"),
                    "responses": _responses("ContactSaved", "201")
                    | {"200": {"description": "Existing contact reused", **_json("ContactSaved")}},
                },
            },
            "/contacts/{contact_id}": {
                "get": {
                    "summary": "One contact",
                    "parameters": CONTACT_ID,
                    "responses": _responses("Contact"),
                },
                "patch": {
                    "summary": "Change some fields of a live contact (merged: 404); staff get 403 "
                    "for the address or do_not_invite while another department has an open "
                    "invitation of the contact to an upcoming event",
                    "parameters": CONTACT_ID,
                    "requestBody": _json("ContactFields"),
                    "responses": _responses("Contact"),
                },
            },
            "/contacts/duplicates": {
                "get": {
                    "summary": "Possible duplicates, best first (as on the review page)",
                    "parameters": _query("limit"),
                    "responses": _responses("ContactDuplicates"),
                }
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
