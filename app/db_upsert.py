"""INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL, the database deciding races."""

from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(session, model_or_table, rows: list[dict]) -> None:
    """Insert rows, silently skipping those that violate a unique constraint."""
    if not rows:
        return
    table = getattr(model_or_table, "__table__", model_or_table)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(table).on_conflict_do_nothing(), rows)
