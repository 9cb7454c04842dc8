"""Co-hosting requests

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

A department asks to join another department's event; the hosts accept or decline. A partial
unique index keeps at most one pending request per (event, department), also under races.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

STATES = ("pending", "accepted", "declined")


def upgrade():
    op.create_table(
        "cohost_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                *STATES, name="requeststate", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_cohost_requests_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_cohost_requests_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_cohost_requests_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_cohost_requests_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_event_id"],
            ["events.id"],
            name=op.f("fk_cohost_requests_cancelled_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohost_requests")),
    )
    with op.batch_alter_table("cohost_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cohost_requests_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "uq_cohost_requests_pending",
            ["event_id", "department_id"],
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        )


def downgrade():
    with op.batch_alter_table("cohost_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_cohost_requests_pending")
        batch_op.drop_index(batch_op.f("ix_cohost_requests_event_id"))
    op.drop_table("cohost_requests")
