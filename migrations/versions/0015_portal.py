"""Public portal: accessibility of venues, free events, full-text search

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01

venues gain step_free, accessible_toilet, induction_loop, sign_language_on_request and a
public transport hint (transit_hint); events
gain free and the two search columns the portal reads: search_text (PostgreSQL, GIN index on
to_tsvector('german', search_text)) and search_stems (SQLite: the FTS5 table events_fts with
external content, kept by triggers). Existing events get their search columns filled here.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

VENUE_FLAGS = ("step_free", "accessible_toilet", "induction_loop", "sign_language_on_request")

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE events_fts USING fts5(search_stems, content='events', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN "
    "INSERT INTO events_fts(rowid, search_stems) VALUES (new.id, new.search_stems); END",
    "CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN "
    "INSERT INTO events_fts(events_fts, rowid, search_stems) "
    "VALUES ('delete', old.id, old.search_stems); END",
    "CREATE TRIGGER events_fts_update AFTER UPDATE OF search_stems ON events BEGIN "
    "INSERT INTO events_fts(events_fts, rowid, search_stems) "
    "VALUES ('delete', old.id, old.search_stems); "
    "INSERT INTO events_fts(rowid, search_stems) VALUES (new.id, new.search_stems); END",
]


def _fill_search_columns(bind):
    """Compute the search columns of the existing events (title, description, venue, place)."""
    from app.portal.search import stems

    rows = bind.execute(
        sa.text(
            "SELECT e.id, e.title, e.description, coalesce(v.name, ''), e.location "
            "FROM events e LEFT JOIN venues v ON v.id = e.venue_id"
        )
    ).all()
    for row in rows:
        plain = " ".join(p for p in row[1:] if p)
        bind.execute(
            sa.text("UPDATE events SET search_text = :t, search_stems = :s WHERE id = :id"),
            {"t": plain, "s": stems(plain), "id": row[0]},
        )


def upgrade():
    with op.batch_alter_table("venues", schema=None) as batch_op:
        for name in VENUE_FLAGS:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        batch_op.add_column(
            sa.Column("transit_hint", sa.String(length=300), nullable=False, server_default="")
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("free", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("search_stems", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_events_search ON events USING gin (to_tsvector('german', search_text))"
        )
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)
    _fill_search_columns(bind)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_events_search")
    else:
        for name in ("events_fts_update", "events_fts_delete", "events_fts_insert"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE events_fts")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("search_stems")
        batch_op.drop_column("search_text")
        batch_op.drop_column("free")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_column("transit_hint")
        for name in reversed(VENUE_FLAGS):
            batch_op.drop_column(name)
