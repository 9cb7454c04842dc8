"""Fixtures: every test that uses the app runs on SQLite and on PostgreSQL."""

import os
import re

# Before the app is imported: the app refuses to start without an environment name.
os.environ.setdefault("STADTKALENDER_ENV", "test")

import psycopg
import pytest
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import TestConfig

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_TEST_DB = os.environ.get("TEST_PG_DATABASE", "stadtkalender_test")
BACKENDS = os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",")


def _pg_url(database: str) -> str:
    """Return the SQLAlchemy URL of a database on the test PostgreSQL server."""
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


def _recreate_pg_database(name: str) -> None:
    """Drop and create a PostgreSQL database for the test run."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """Build the schema through the migrations once per backend and return its URL."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    else:
        _recreate_pg_database(PG_TEST_DB)
        url = _pg_url(PG_TEST_DB)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _empty_tables() -> None:
    """Remove every row so that the next test starts from the migrated, empty schema."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # The audit log's trigger refuses TRUNCATE unless the transaction says it is a purge.
        db.session.execute(text("SET LOCAL stadtkalender.audit_purge = 'on'"))
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(
        text("INSERT INTO calendar_version (id, version, master_version) VALUES (1, 0, 0)")
    )
    db.session.commit()


def _fresh_globals(sender, **extra) -> None:
    """Forget per-request values cached in `g` by the previous request of the test."""
    g.__dict__.clear()


@pytest.fixture
def app(database_url):
    """Return an app bound to the backend's test database, emptied after the test."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
    # The test holds one app context, which Flask reuses for every request it makes; real
    # requests each get a fresh `g` (Flask-Login's user, Flask-WTF's token live there).
    request_started.connect(_fresh_globals, app)
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner."""
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


class Browser:
    """A logged-in test client that fetches CSRF tokens like a real browser."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, **kwargs):
        """GET a page."""
        return self.client.get(url, **kwargs)

    def token(self, url: str = "/login") -> str:
        """Return a CSRF token from a page with a form."""
        return csrf_from(self.client.get(url).get_data(as_text=True))

    def post(self, url: str, data: dict | None = None, *, form_page: str | None = None, **kw):
        """POST a form, with the CSRF token taken from form_page (default: the URL itself)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(form_page or url))
        return self.client.post(url, data=data, **kw)

    def login(self, email: str, password: str):
        """Log in through the login form."""
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response


@pytest.fixture
def browser(client):
    """Return a form-aware client."""
    return Browser(client)
