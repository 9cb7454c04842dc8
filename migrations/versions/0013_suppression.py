"""Erasure and the suppression list

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

suppressions keeps a keyed hash (HMAC-SHA256) of the email key of every erased person, so that
their address cannot be invited again until the privacy role lifts it. invitations.contact_id
becomes nullable: an erased person's invitations stay as anonymous rows (the counts stay right).

On SQLite the nullability change rebuilds invitations; dropping the old table would run the
foreign key actions of the rows that refer to it (ON DELETE CASCADE / SET NULL), so those links
are copied aside first and put back afterwards.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (table, temporary copy) of the rows that refer to invitations.
_KEEP = (
    ("invitation_departments", "SELECT * FROM invitation_departments"),
    ("outbox", "SELECT id, invitation_id FROM outbox WHERE invitation_id IS NOT NULL"),
    ("inbound", "SELECT id, invitation_id FROM inbound WHERE invitation_id IS NOT NULL"),
)


def _keep_links() -> None:
    """Copy the rows referring to invitations aside (SQLite only)."""
    for table, query in _KEEP:
        op.execute(f"CREATE TEMP TABLE _keep_{table} AS {query}")


def _restore_links() -> None:
    """Put back what the rebuild of invitations cascaded away (SQLite only)."""
    op.execute(
        "INSERT INTO invitation_departments SELECT * FROM _keep_invitation_departments "
        "WHERE id NOT IN (SELECT id FROM invitation_departments)"
    )
    for table in ("outbox", "inbound"):
        op.execute(
            f"UPDATE {table} SET invitation_id = (SELECT k.invitation_id FROM _keep_{table} k "
            f"WHERE k.id = {table}.id) WHERE id IN (SELECT id FROM _keep_{table})"  # noqa: S608 - fixed names
        )
    for table, _query in _KEEP:
        op.execute(f"DROP TABLE _keep_{table}")


def _set_contact_nullable(nullable: bool) -> None:
    """Change invitations.contact_id's nullability, keeping the rows that refer to invitations."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _keep_links()
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.alter_column("contact_id", existing_type=sa.Integer(), nullable=nullable)
    if sqlite:
        _restore_links()


def upgrade():
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint("address_hash", name=op.f("uq_suppressions_address_hash")),
    )
    _set_contact_nullable(True)


def downgrade():
    # Anonymous invitations have no contact to return to: they go.
    op.execute("DELETE FROM invitations WHERE contact_id IS NULL")
    _set_contact_nullable(False)
    op.drop_table("suppressions")
