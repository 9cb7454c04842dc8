"""JSON API v1: bearer tokens, the same permissions as the UI, JSON errors."""

from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy import select

from app.accounts.models import ApiToken, hash_token
from app.errors import PermissionDenied, ValidationError
from app.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies are honoured here, only bearer tokens
PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def _authenticate():
    """Identify the caller by the bearer token; 401 without a valid one."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _sep, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="Send 'Authorization: Bearer <token>'.")
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))
    )
    if row is None or row.revoked or not row.user.active:
        abort(401, description="The token is unknown or revoked.")
    g.api_user = row.user
    return None


@bp.after_request
def _www_authenticate(response):
    """Tell clients which scheme to use after a 401."""
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stadtkalender"'
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError):
    """Answer bad input with 422 and the messages per field."""
    return jsonify({"errors": error.errors}), 422


@bp.errorhandler(PermissionDenied)
def _forbidden(error: PermissionDenied):
    """Answer a refused action with 403."""
    return jsonify({"error": "Forbidden", "message": str(error)}), 403


# Importing the route modules registers their endpoints on bp.
from app.api import (  # noqa: E402,F401
    audit,
    cohosting,
    conflicts,
    contacts,
    inbound,
    invitations,
    notifications,
    privacy,
    subscriptions,
    views,
)
