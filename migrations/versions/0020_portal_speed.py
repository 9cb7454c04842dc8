"""Portal speed: a partial index of the public events by their end

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01

The portal's start page counts the public events ahead (``ends_at`` after today); with this
index PostgreSQL counts them with an index-only scan instead of reading every event row.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.create_index(
            "ix_events_public_ends",
            ["ends_at", "status", "published_at"],
            postgresql_where=sa.text("visibility = 'public'"),
            sqlite_where=sa.text("visibility = 'public'"),
        )


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_public_ends")
