"""HTTP wiring: blueprints, one transaction per request, error pages, headers, template helpers."""

import copy
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from functools import wraps
from urllib.parse import urlencode

from flask import Flask, current_app, g, jsonify, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app import db_outage, input_guard
from app.extensions import db, login

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


def _security_headers(response):
    """Add the headers every answer carries."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")  # the widget alone sets its own ancestors
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if "Cache-Control" not in headers and response.mimetype == "text/html":
        headers["Cache-Control"] = "no-store"
    return response


# Requests that change nothing: their handlers neither commit nor roll back (the session is
# removed at the end of the request). A handler that writes a cache on GET commits itself.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _roll_back() -> None:
    """Discard the request's transaction; the error that led here is the one worth reporting."""
    # A lost connection may fail the rollback too; the 503 handler (app/db_outage.py) or the
    # error page then answers for the original error.
    with suppress(Exception):
        db.session.rollback()


def transactional(view: Callable) -> Callable:
    """Run a handler as one transaction: commit after a successful answer, else roll back.

    As Indico's ``RH.process``: the handler loads, calls the operations (which flush) and
    flashes; the commit follows once it has returned, before the response is sent. An
    exception and an error answer (status 400 and above: a form with errors, 403) save
    nothing. A failed commit raises, so the visitor gets an error page (503 for a lost
    database) instead of a redirect to a write that never happened, and the cookie session
    (flash messages, a login or logout) is put back as it was before the handler ran.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method in SAFE_METHODS:
            result = view(*args, **kwargs)
            if not g.get("commit_read"):  # set by app.audit.record_read
                return result
            return _commit_read(current_app.make_response(result))
        before = copy.deepcopy(dict(session))
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            _roll_back()
            raise
        if response.status_code >= 400:
            _roll_back()
            return response
        try:
            db.session.commit()
        except BaseException:
            _roll_back()
            if dict(session) != before:
                session.clear()
                session.update(before)
            raise
        return response

    return wrapped


def _commit_read(response):
    """Commit the audit entry of a GET that read personal data; no entry, no answer."""
    if response.status_code >= 400:
        _roll_back()
        return response
    try:
        db.session.commit()
    except BaseException:
        _roll_back()
        raise
    return response


def install_transactions(app: Flask) -> None:
    """Make every request handler of the app commit once, after it returns (see transactional)."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = transactional(view)


def _wants_json() -> bool:
    """Return True for API requests, which get JSON errors."""
    return request.path.startswith("/api/")


def _handle_http_error(error: HTTPException):
    """Render an HTTP error as JSON for the API, as a page elsewhere."""
    if _wants_json():
        body = {"error": error.name, "message": error.description}
        return jsonify(body), error.code
    return render_template("errors/error.html", error=error), error.code


# Bulk uploads (contact CSV, calendar files, pasted or posted guest lists) may be larger.
IMPORT_ENDPOINTS = frozenset(
    {
        "contacts.upload",
        "conflict_admin.blocked_import",
        "conflict_admin.holidays_import",
        "invitations.invite_guests",
        "api.invite_guests",
    }
)


def install_body_limit(app: Flask) -> None:
    """Refuse oversized request bodies with 413 before anything (CSRF, rate limits) parses them."""

    @app.before_request
    def _limit_body() -> None:
        """Raise the limit for imports, then check the declared length up front."""
        if request.endpoint in IMPORT_ENDPOINTS:
            request.max_content_length = app.config["IMPORT_MAX_CONTENT_LENGTH"]
            # A pasted guest list is a form field, not a file: Flask caps those separately.
            request.max_form_memory_size = app.config["IMPORT_MAX_CONTENT_LENGTH"]
        limit = request.max_content_length
        # A chunked body without a length is cut off by Werkzeug's limited stream instead.
        if limit is not None and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()


def _security_txt():
    """Tell security researchers where to report a vulnerability (RFC 9116)."""
    config = current_app.config
    expires = (datetime.now(UTC) + timedelta(days=180)).strftime("%Y-%m-%dT00:00:00Z")
    lines = [
        f"Contact: {config['SECURITY_CONTACT']}",
        f"Expires: {expires}",
        "Preferred-Languages: de, en",
        f"Canonical: {config['BASE_URL']}/.well-known/security.txt",
    ]
    response = current_app.response_class("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def register_web(app: Flask) -> None:
    """Register blueprints, handlers and template helpers."""
    from app.accounts.access import install_login_wall, public
    from app.accounts.models import User
    from app.accounts.views import bp as auth_bp
    from app.api import bp as api_bp
    from app.audit.views import bp as audit_bp
    from app.conflicts.admin_views import bp as conflict_admin_bp
    from app.conflicts.views import bp as conflicts_bp
    from app.contacts import merge_views  # noqa: F401 - adds duplicates and merges to contacts
    from app.contacts.views import bp as contacts_bp
    from app.departments import staff_views  # noqa: F401 - adds user administration to auth_bp
    from app.departments.views import bp as departments_bp
    from app.events.views import bp as events_bp
    from app.feeds import opendata  # noqa: F401 - adds the open data files to the feeds blueprint
    from app.feeds.views import bp as feeds_bp
    from app.invitations.views import bp as invitations_bp
    from app.mail.views import bp as mail_bp
    from app.portal import machine  # noqa: F401 - adds sitemap, Atom feed and widget to portal
    from app.portal.views import bp as portal_bp
    from app.rsvp.views import bp as rsvp_bp
    from app.venues.views import bp as venues_bp
    from app.vocabularies.views import bp as vocabularies_bp

    input_guard.install(app)  # before the blueprints, which use its URL converter
    for blueprint in (
        auth_bp,
        events_bp,
        feeds_bp,
        venues_bp,
        departments_bp,
        vocabularies_bp,
        api_bp,
        contacts_bp,
        invitations_bp,
        rsvp_bp,
        conflicts_bp,
        conflict_admin_bp,
        audit_bp,
        portal_bp,
    ):
        app.register_blueprint(blueprint)
    if app.config.get("ENV_NAME") != "production":  # the caught mails do not exist there at all
        app.register_blueprint(mail_bp)

    login.login_view = "auth.login"
    login.login_message = _l("Please log in to see this page.")
    login.login_message_category = "info"

    @login.user_loader
    def _load_user(identity: str):
        """Load the user of a session or remember cookie unless its session version is outdated."""
        user_id, _sep, version = identity.partition(":")
        user_key = input_guard.parse_id(user_id)
        user = db.session.get(User, user_key) if user_key else None
        # Logout, a password or role change and deactivation bump the version: a copied
        # session or remember cookie from before no longer identifies anybody.
        if user is None or version != str(user.session_version):
            return None
        return user

    app.add_url_rule("/.well-known/security.txt", "security_txt", public(_security_txt))
    install_transactions(app)  # after the last route: wraps every handler
    install_login_wall(app)
    app.register_error_handler(HTTPException, _handle_http_error)
    db_outage.install(app)  # 503 with Retry-After instead of 500 when the database is gone
    app.after_request(_security_headers)

    @app.context_processor
    def _template_globals() -> dict:
        """Make the locale and the current time available to templates."""
        return {"current_locale": str(get_locale() or "de"), "utcnow": datetime.now(UTC)}

    @app.template_global()
    def query_with(**changes) -> str:
        """Return the current query string with some parameters replaced."""
        args = request.args.to_dict(flat=False)
        args.pop("lang", None)
        for key, value in changes.items():
            args[key] = [value]
        return urlencode(args, doseq=True)
