"""Building blocks of the OpenAPI document: content and response blocks, query and path
parameters, and the ``Part`` a resource adds (``app/api/openapi.py`` assembles them)."""

from typing import NamedTuple

from pydantic import BaseModel

from app.api.contacts import MAX_DUPLICATES
from app.conflicts.engine import KINDS
from app.input_guard import MAX_ID, MAX_YEAR, MIN_YEAR


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
