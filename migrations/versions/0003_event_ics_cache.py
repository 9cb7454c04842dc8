"""Persisted feed rendering of events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_cache', sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column('ics_cache_key', sa.String(length=80), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('ics_cache_key')
        batch_op.drop_column('ics_cache')
