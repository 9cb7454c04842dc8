"""Stadtkalender: the shared event and invitation management of a city administration."""

import threading
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import extensions as ext
from config import DEV_SECRET_KEY, ENV_NAMES, Config

MIN_SECRET_KEY_LENGTH = 32
# Public pages that a shared cache may keep: they carry the language in the URL, not a cookie.
COOKIELESS_BLUEPRINTS = frozenset({"portal"})
MIN_SECRET_KEY_DISTINCT = 16


def _select_locale() -> str:
    """Choose the UI language: the visitor's explicit choice, else German."""
    if not has_request_context():
        return "de"
    asked = request.args.get("lang")
    if asked in ("de", "en"):
        return asked
    choice = session.get("lang")
    if choice in ("de", "en"):
        return choice
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return "de"


def _check_environment(app: Flask) -> None:
    """Refuse an unknown environment name rather than guess (``prod`` is not production)."""
    name = app.config.get("ENV_NAME")
    if not name:
        # Failing closed: a server that forgot the variable must not run on the development key.
        raise RuntimeError(
            "STADTKALENDER_ENV is not set: set it to production on a server, or to development "
            "for a local run (make run does that)."
        )
    if name not in ENV_NAMES:
        raise RuntimeError(
            f"STADTKALENDER_ENV must be one of {', '.join(ENV_NAMES)} (exactly, lower-case); "
            f"got {name!r}."
        )


def secret_key_problem(key: str) -> str | None:
    """Return why a secret key is too weak for production, or None when it is acceptable."""
    if not key or DEV_SECRET_KEY in key:
        return "it is missing or the development value"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"it has fewer than {MIN_SECRET_KEY_LENGTH} characters"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        # Catches "xxxx…", "abababab…" and keys typed by hand rather than generated.
        return f"it has fewer than {MIN_SECRET_KEY_DISTINCT} different characters"
    return None


def _check_production_settings(app: Flask) -> None:
    """Refuse to start production with a missing, development or low-entropy secret key."""
    if app.config.get("ENV_NAME") != "production":
        return
    problem = secret_key_problem(app.config.get("SECRET_KEY") or "")
    if problem:
        raise RuntimeError(
            f"SECRET_KEY is not safe for production: {problem}. Set a random value of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def _check_settings(app: Flask) -> None:
    """Refuse settings that would only fail later, at the first request that reads them."""
    severity = str(app.config.get("CONFLICT_AUDIENCE_SEVERITY", "info")).lower()
    if severity not in {"info", "warning", "off"}:
        raise RuntimeError("CONFLICT_AUDIENCE_SEVERITY must be info, warning or off.")
    for name in ("MAX_CONTENT_LENGTH", "IMPORT_MAX_CONTENT_LENGTH"):
        value = app.config.get(name)
        if not isinstance(value, int) or value <= 0:
            raise RuntimeError(f"{name} must be a positive number of bytes.")


# Building the URL map compiles code (werkzeug parses each rule's builder); CPython 3.11 can fail
# with "AST constructor recursion depth mismatch" when threads do that at once (gh-106905).
_BUILDING = threading.Lock()


def create_app(config_class: type = Config, **overrides) -> Flask:
    """Create and configure the application (one at a time per process)."""
    with _BUILDING:
        return _create_app(config_class, **overrides)


def _create_app(config_class: type, **overrides) -> Flask:
    """Build the application: configuration, extensions, blueprints, hooks and commands."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    app.config.from_object(config_class)
    app.config.update(overrides)
    _check_environment(app)
    _check_production_settings(app)
    _check_settings(app)
    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Sessions in UTC: instants come back already in UTC, with no conversion per value.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"options": "-c timezone=UTC"} | options.get("connect_args", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    ext.db.init_app(app)
    ext.migrate.init_app(
        app,
        ext.db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=ext.include_object,
    )
    ext.mail.init_app(app)
    ext.login.init_app(app)
    ext.babel.init_app(app, locale_selector=_select_locale)
    from app.web import install_body_limit

    install_body_limit(app)  # first, so that no other hook parses an oversized body
    ext.limiter.init_app(app)  # before CSRF, so refused attempts count too
    ext.csrf.init_app(app)

    from app import models  # noqa: F401 - registers every table with the metadata
    from app.conflicts import register as register_conflicts
    from app.events import occupancy, versioning  # noqa: F401 - register flush listeners

    register_conflicts(app)  # publishing gate, conflict panels, exclusive-venue check
    from app.invitations.wiring import install as install_invitations

    install_invitations()  # mail renderers, contact hooks, update mails on rescheduling
    from app.web import register_web

    register_web(app)
    from app.audit.wiring import install as install_audit

    install_audit(app)  # login, logout and failed logins go to the audit log
    from app.dates import day_filter

    app.add_template_filter(day_filter, "day")  # {{ value|day("weekday_date") }}, see app/dates.py
    app.json.sort_keys = False  # keep field order; sorting costs time on large lists
    from app.cli import register_cli

    register_cli(app)
    from app.inbound import register as register_inbound

    register_inbound(app)  # inbound mail: commands in the mail group, the "Eingang" pages
    from app.notifications import register as register_notifications

    register_notifications(app)  # notifications: pages, digest command, unread count
    from app.privacy import register as register_privacy

    register_privacy(app)  # retention (privacy purge, the dry-run page), the privacy notice
    from app.cohosting import register as register_cohosting

    register_cohosting(app)  # co-hosting requests: the pages and the event page's panel
    from app.subscriptions import register as register_subscriptions

    register_subscriptions(app)  # "Abonnements": followers hear of newly published events
    from app.brief import register as register_brief

    register_brief(app)  # the weekly brief: /brief and ``brief send``

    @app.before_request
    def _remember_language() -> None:
        """Keep a ?lang= choice in the session (not on the portal: it sets no cookie)."""
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"] and request.blueprint not in COOKIELESS_BLUEPRINTS:
            session["lang"] = lang

    return app
