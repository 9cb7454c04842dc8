"""The OpenAPI 3.1 document, with request schemas generated from the pydantic models."""

from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from pydantic import BaseModel

from app.api import openapi_parts
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
        "free": {"type": "boolean", "description": "Free of charge for the public"},
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
    "state": {"enum": ["stored", "applied", "review", "recorded", "ignored"]},
    "event_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "object_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "actor": {
        "type": "string",
        "maxLength": 254,
        "description": "guest, system, token, user, a user's number or part of an email",
    },
    "action": {
        "type": "string",
        "maxLength": 254,
        "description": "An action code (contact.changed) or its prefix (contact)",
    },
    "object_type": {"type": "string", "maxLength": 254},
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
        "invitation_cap": {
            "type": ["integer", "null"],
            "description": "Set by comms: staff may not invite at or over it (guest fatigue)",
        },
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


class Part(NamedTuple):
    """What one resource adds to the document: component schemas and paths."""

    schemas: dict
    paths: dict


def _model_schemas(*models: type[BaseModel]) -> dict:
    """Return the JSON schemas of request models, with the schemas they refer to."""
    schemas: dict = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


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


def contacts_part() -> Part:
    """Describe searching, creating, reading and changing contacts, and their duplicates."""
    contact_list = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    }
    schemas = {
        "Contact": CONTACT,
        "ContactSaved": CONTACT_SAVED,
        "ContactList": contact_list,
        "ContactDuplicates": DUPLICATES,
    } | _model_schemas(ContactCreate, ContactFields)
    paths = {
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
    }
    return Part(schemas, paths)


def invitations_part() -> Part:
    """Describe withdrawing one guest's invitation."""
    invitation = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "contact_id": {"type": ["integer", "null"], "description": "null: erased"},
            "email": {"type": ["string", "null"]},
            "status": _TEXT,
            "withdrawn": {"type": "boolean"},
            "cancellation_mailed": {"type": "boolean"},
        },
    }
    invitation_id = [
        {"name": "invitation_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    paths = {
        "/invitations/{invitation_id}/withdraw": {
            "post": {
                "summary": "Withdraw one guest's invitation: a CANCEL to that guest only; "
                "inviting the person again reuses the invitation (422 if already withdrawn "
                "or the event is cancelled)",
                "parameters": invitation_id,
                "responses": _responses("InvitationWithdrawn"),
            }
        }
    }
    return Part({"InvitationWithdrawn": invitation}, paths)


# One builder per resource; a new resource adds its builder here, or, from its own module,
# with ``add_part`` before the document is first built (app/api/__init__.py imports them all).
PARTS = [
    departments_part,
    venues_part,
    events_part,
    conflicts_part,
    contacts_part,
    invitations_part,
    openapi_parts.invitation_list_part,
    openapi_parts.inbound_part,
]
DESCRIPTION = (
    "Query parameters: an empty value (`?per_page=`) counts as absent. "
    "Bodies: values must have the documented JSON type (booleans are true or false, "
    "not 0, 1 or strings). Invalid input, including text with a NUL character, line "
    "breaks in one-line fields or dates outside the supported years, is answered "
    '422 with `{"errors": {"field": ["message"]}}`.'
)


def add_part(build: Callable[[], Part]) -> Callable[[], Part]:
    """Add the builder of a resource's paths and schemas (usable as a decorator)."""
    PARTS.append(build)
    return build


@cache
def document() -> dict:
    """Return the whole OpenAPI document, assembled from the parts of the resources."""
    schemas = {
        "Errors": ERRORS,
        "List": {"type": "object", "properties": {"items": {"type": "array"}}},
    }
    paths: dict = {}
    for build in PARTS:
        part = build()
        schemas |= part.schemas
        paths |= part.paths
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stadtkalender API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
