"""Lean notifications: fewer index entries per notification written; staff by department

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01

Publishing an event that clashes writes a notification for every staff member of the other
department, in the publishing transaction; every index is written for each of them. The
guest an entry names (``contact_id``, for erasure) is indexed only where there is one, and the
(user, read) index goes: a user's notifications are found by the unique (user, cause) key, and
retention keeps them few. The staff of a department, whom such notifications go to, are found
by an index on ``users.department_id``.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.create_index("ix_users_department_id", ["department_id"])
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_user_read")
        batch.drop_index("ix_notifications_contact_id")
        batch.create_index(
            "ix_notifications_contact_id",
            ["contact_id"],
            postgresql_where=sa.text("contact_id IS NOT NULL"),
            sqlite_where=sa.text("contact_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_contact_id")
        batch.create_index("ix_notifications_contact_id", ["contact_id"])
        batch.create_index("ix_notifications_user_read", ["user_id", "read_at"])
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_department_id")
