"""The OpenAPI 3.1 document, with request schemas generated from the pydantic models.

Assembled here from the parts of the resources (``openapi_calendar``, ``openapi_contacts``,
``openapi_parts`` and those added with ``add_part``), built with ``openapi_blocks``.
"""

from collections.abc import Callable
from functools import cache

from app.api import openapi_calendar, openapi_contacts, openapi_parts
from app.api.openapi_blocks import Part

ERRORS = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
}
# One builder per resource; a new resource adds its builder here, or, from its own module,
# with ``add_part`` before the document is first built (app/api/__init__.py imports them all).
PARTS = [
    openapi_calendar.departments_part,
    openapi_calendar.venues_part,
    openapi_calendar.events_part,
    openapi_calendar.conflicts_part,
    openapi_contacts.contacts_part,
    openapi_contacts.invitations_part,
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
