"""A stricter invitation cap per contact (guest fatigue)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

contacts.invitation_cap, set by comms: at or over this many city invitations from other
departments within GUEST_FATIGUE_DAYS, staff may not invite the guest (comms are warned).
NULL means the global GUEST_FATIGUE_MAX warning only.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_cap', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('invitation_cap')
