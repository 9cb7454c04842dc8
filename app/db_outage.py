"""Database outages: telling a lost or unreachable database from other errors, and saying so.

A request that fails because the database cannot be reached is answered 503 with Retry-After,
after the session has been rolled back, so that the page's "not saved" is true. The delivery
worker uses ``is_connection_error`` to wait and reconnect instead of dying.
"""

import logging
from contextlib import suppress

import psycopg
from flask import Flask, current_app, jsonify, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exc

from app.extensions import db

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
# What a dead server, a cut connection, a restart, a lock or statement timeout raise.
OUTAGE_ERRORS = (exc.DBAPIError, exc.DisconnectionError, psycopg.OperationalError)


def is_connection_error(error: BaseException) -> bool:
    """Return True when an error means the database could not be reached or was lost."""
    if isinstance(error, exc.DBAPIError):
        # SQLAlchemy marks every error the dialect recognises as a lost connection; the
        # OperationalError/InterfaceError classes cover refused connections and restarts.
        return error.connection_invalidated or isinstance(
            error, exc.OperationalError | exc.InterfaceError
        )
    return isinstance(error, exc.DisconnectionError | psycopg.OperationalError)


def describe(error: BaseException) -> str:
    """Return the first line of a database error, for a one-line log message."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return f"{type(original).__name__}: {text[0] if text else ''}"[:300]


def _unsaved_message() -> str:
    """Return what the visitor is told: whether anything they sent was saved, and what to do."""
    if request.path.startswith("/rsvp/") and request.method == "POST":
        return _("Your answer has NOT been saved. Please try again in a few minutes.")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        return _("Your changes have NOT been saved. Please try again in a few minutes.")
    return _("Please try again in a few minutes.")


def handle_outage(error: Exception):
    """Answer a request that lost its database with 503; re-raise any other database error."""
    if not is_connection_error(error):
        raise error
    # A dead connection's transaction is gone on the server; the rollback also ends it here,
    # so that nothing of this request can be committed later by the same session.
    with suppress(Exception):
        db.session.rollback()
    log.warning("database unavailable: %s %s: %s", request.method, request.path, describe(error))
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    # Neither the locale selector nor the page may need the database: the usual selector and
    # Flask-Login's template context load the logged-in user. So the session's language choice
    # (or German) is forced, and the standalone page is rendered without context processors.
    language = session.get("lang") if session.get("lang") in ("de", "en") else "de"
    with force_locale(language):
        message = _unsaved_message()
        if request.path.startswith("/api/"):
            body = {"error": "Service Unavailable", "message": message}
            return jsonify(body), 503, headers
        page = current_app.jinja_env.get_template("errors/unavailable.html")
        return page.render(message=message, current_locale=language), 503, headers


def install(app: Flask) -> None:
    """Answer database outages with 503 instead of 500."""
    for error_class in OUTAGE_ERRORS:
        app.register_error_handler(error_class, handle_outage)
