"""Privacy notice text and the retention mark on sent mail

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

privacy_notice holds the text an administrator edited for /datenschutz (one row; without it the
built-in German default is shown). outbox.body_dropped_at records when the privacy purge
replaced a sent mail by its headers (RETENTION_MAIL_BODY_DAYS). Two partial indexes let the
purge find what it still has to do: invitations with notes, sent mails with a body.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NOTES = "comment <> '' OR needs <> ''"
BODY_KEPT = "message IS NOT NULL AND body_dropped_at IS NULL"


def upgrade():
    op.create_table(
        "privacy_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_privacy_notice_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_notice")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_dropped_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_outbox_body_kept",
        "outbox",
        ["sent_at"],
        sqlite_where=sa.text(BODY_KEPT),
        postgresql_where=sa.text(BODY_KEPT),
    )
    op.create_index(
        "ix_invitations_notes",
        "invitations",
        ["event_id"],
        sqlite_where=sa.text(NOTES),
        postgresql_where=sa.text(NOTES),
    )


def downgrade():
    op.drop_index("ix_invitations_notes", table_name="invitations")
    op.drop_index("ix_outbox_body_kept", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("body_dropped_at")
    op.drop_table("privacy_notice")
