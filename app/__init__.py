"""Stadtkalender: the shared event and invitation management of a city administration."""

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import extensions as ext
from config import DEV_SECRET_KEY, Config


def _select_locale() -> str:
    """Choose the UI language: the visitor's explicit choice, else German."""
    if not has_request_context():
        return "de"
    choice = session.get("lang")
    if choice in ("de", "en"):
        return choice
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return "de"


def _check_production_settings(app: Flask) -> None:
    """Refuse to start production with a missing or development secret key."""
    if app.config.get("ENV_NAME") != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def _check_settings(app: Flask) -> None:
    """Refuse settings that would only fail later, at the first request that reads them."""
    severity = str(app.config.get("CONFLICT_AUDIENCE_SEVERITY", "info")).lower()
    if severity not in {"info", "warning", "off"}:
        raise RuntimeError("CONFLICT_AUDIENCE_SEVERITY must be info, warning or off.")


def create_app(config_class: type = Config, **overrides) -> Flask:
    """Create and configure the application."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    app.config.from_object(config_class)
    app.config.update(overrides)
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
    ext.limiter.init_app(app)  # before CSRF, so refused attempts count too
    ext.csrf.init_app(app)

    from app import models  # noqa: F401 - registers every table with the metadata
    from app.events import occupancy, versioning  # noqa: F401 - register flush listeners
    from app.invitations.delivery import connect_signals

    connect_signals()
    from app.web import register_web

    register_web(app)
    app.json.sort_keys = False  # keep field order; sorting costs time on large lists
    from app.cli import register_cli

    register_cli(app)

    @app.before_request
    def _remember_language() -> None:
        """Keep a ?lang= choice in the session."""
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang

    return app
