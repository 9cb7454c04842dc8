"""Bouncing addresses on contacts; how a mailed answer came in

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

contacts.bounced_at and contacts.bounce_reason mark an address a permanent (5.x.x) bounce came
back for, so that the next invitation warns; changing the address clears them.
invitations.response_via tells a calendar reply ("calendar") from a written reply applied from
the review ("email") while response_source stays "mail" for both.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('bounce_reason', sa.Text(), nullable=False, server_default='')
        )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('response_via', sa.String(length=16), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('response_via')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('bounce_reason')
        batch_op.drop_column('bounced_at')
