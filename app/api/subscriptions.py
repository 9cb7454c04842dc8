"""Subscriptions API: what the caller follows, and the weekly brief."""

from flask import g, jsonify, request
from sqlalchemy import select

from app.api import bp
from app.api.openapi import add_part
from app.api.openapi_blocks import Part, _json, _responses
from app.departments.models import Department
from app.errors import ValidationError
from app.extensions import db
from app.input_guard import MAX_ID
from app.subscriptions import service
from app.subscriptions.models import BRIEF, TARGET_KINDS
from app.venues.models import Venue
from app.vocabularies.models import Audience, District

MODELS = {"department": Department, "venue": Venue, "audience": Audience, "district": District}
MAX_TARGETS = 500


def _current() -> dict:
    """Return the caller's subscriptions as JSON."""
    found = service.targets_of(g.api_user)
    return {
        "subscriptions": {kind: sorted(found[kind]) for kind in TARGET_KINDS}
        | {BRIEF: 0 in found[BRIEF]}
    }


@bp.get("/account/subscriptions")
def get_subscriptions():
    """Return what the caller follows (ids per kind) and whether they read the weekly brief."""
    return jsonify(_current())


def _valid_ids(kind: str, value) -> set[int]:
    """Return the ids of existing targets, or raise naming the field."""
    field = f"subscriptions.{kind}"
    ok = isinstance(value, list) and len(value) <= MAX_TARGETS
    if not ok or not all(type(i) is int and 0 < i <= MAX_ID for i in value):
        raise ValidationError.single(field, f"A list of at most {MAX_TARGETS} {kind} ids.")
    model = MODELS[kind]
    wanted = set(value)
    known = (
        set(db.session.scalars(select(model.id).where(model.id.in_(wanted)))) if wanted else set()
    )
    if wanted - known:
        missing = ", ".join(str(i) for i in sorted(wanted - known)[:10])
        raise ValidationError.single(field, f"Unknown {kind} ids: {missing}.")
    return wanted


@bp.put("/account/subscriptions")
def put_subscriptions():
    """Replace the given kinds: ``{"subscriptions": {"venue": [3], "brief": true}}``."""
    body = request.get_json(silent=True)
    given = body.get("subscriptions") if isinstance(body, dict) else None
    if not isinstance(given, dict) or not given:
        raise ValidationError.single("subscriptions", 'Send {"subscriptions": {"venue": [1]}}.')
    unknown = set(given) - {*TARGET_KINDS, BRIEF}
    if unknown:
        kinds = ", ".join((*TARGET_KINDS, BRIEF))
        raise ValidationError({f"subscriptions.{k}": [f"Use one of {kinds}."] for k in unknown})
    chosen = {kind: _valid_ids(kind, given[kind]) for kind in TARGET_KINDS if kind in given}
    if BRIEF in given:
        if type(given[BRIEF]) is not bool:
            raise ValidationError.single(f"subscriptions.{BRIEF}", "Use true or false.")
        chosen[BRIEF] = {0} if given[BRIEF] else set()
    service.replace(g.api_user, chosen)
    return jsonify(_current())


@add_part
def subscriptions_part() -> Part:
    """Describe the caller's subscriptions."""
    ids = {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "maxItems": MAX_TARGETS,
    }
    body = {
        "type": "object",
        "properties": {
            "subscriptions": {
                "type": "object",
                "properties": {kind: ids for kind in TARGET_KINDS} | {BRIEF: {"type": "boolean"}},
                "additionalProperties": False,
                "minProperties": 1,
            }
        },
        "required": ["subscriptions"],
    }
    paths = {
        "/account/subscriptions": {
            "get": {
                "summary": "What the caller follows (ids per kind) and the weekly brief",
                "responses": _responses("Subscriptions"),
            },
            "put": {
                "summary": "Replace the given kinds of the caller's subscriptions",
                "requestBody": _json("Subscriptions"),
                "responses": _responses("Subscriptions"),
            },
        }
    }
    return Part({"Subscriptions": body}, paths)
