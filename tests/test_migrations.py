"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

import warnings

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db, include_object
from config import TestConfig
from tests.conftest import PG_ADMIN_URL, PG_TEST_DB, _pg_url

MIGRATE_DB = PG_TEST_DB + "_migrate"


def _fresh_url(database_url: str, tmp_path) -> str:
    """Return an empty database of the same backend as the test database."""
    if database_url.startswith("sqlite"):
        return "sqlite:///" + str(tmp_path / "migrate.sqlite")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{MIGRATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{MIGRATE_DB}"')
    return _pg_url(MIGRATE_DB)


def test_upgrade_builds_every_table_and_check_finds_no_drift(database_url, tmp_path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=_fresh_url(database_url, tmp_path))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        with warnings.catch_warnings():
            # SQLite cannot reflect PostgreSQL's range indexes; Alembic says so and skips them.
            warnings.filterwarnings("ignore", message=".*expression-based index 'ix_events_")
            with db.engine.connect() as connection:
                context = MigrationContext.configure(
                    connection, opts={"compare_type": True, "include_object": include_object}
                )
                assert compare_metadata(context, db.metadata) == []
            result = app.test_cli_runner().invoke(args=["db", "check"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()
