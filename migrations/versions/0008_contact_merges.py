"""Contact merges: further addresses kept from a merge, and merges that can be undone

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A merge keeps the address that was not chosen as a further address of the survivor
(contact_addresses), so that pasting, importing or the API with it still finds that contact;
an address key belongs to at most one contact there. contact_merges records who undid a merge
and when (the snapshot itself is in the existing details column).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite cannot add a foreign key to an existing table in place. Nothing refers
    # to contact_merges yet, so rebuilding it cascades nowhere.
    with op.batch_alter_table("contact_merges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("undone_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_contact_merges_undone_by_id_users"),
            "users",
            ["undone_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "contact_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_addresses_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merge_id"],
            ["contact_merges.id"],
            name=op.f("fk_contact_addresses_merge_id_contact_merges"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_addresses")),
    )
    op.create_index(
        op.f("ix_contact_addresses_contact_id"), "contact_addresses", ["contact_id"], unique=False
    )
    op.create_index(
        "ux_contact_addresses_email_key", "contact_addresses", ["email_key"], unique=True
    )


def downgrade():
    op.drop_index("ux_contact_addresses_email_key", table_name="contact_addresses")
    op.drop_index(op.f("ix_contact_addresses_contact_id"), table_name="contact_addresses")
    op.drop_table("contact_addresses")
    with op.batch_alter_table("contact_merges", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_contact_merges_undone_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("undone_by_id")
        batch_op.drop_column("undone_at")
