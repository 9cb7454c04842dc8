"""Inbound mail: replies, bounces and human answers received for the RSVP addresses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Every message sent to rsvp+<token>@MAIL_DOMAIN is stored first (one row per Message-ID, or per
hash of the bytes when it has none) and processed afterwards, so that a crash loses no reply.
The bytes are purged after INBOUND_RETENTION_DAYS; the outcome stays.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

KINDS = ('unknown', 'auto_reply', 'bounce', 'calendar_reply', 'other_sender', 'human')
STATES = ('stored', 'applied', 'review', 'recorded', 'ignored')


def upgrade():
    op.create_table(
        'inbound',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id_key', sa.String(length=255), nullable=False),
        sa.Column('envelope_to', sa.Text(), nullable=False),
        sa.Column('envelope_from', sa.String(length=254), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('raw', sa.LargeBinary(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            sa.Enum(*KINDS, name='kind', native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column(
            'state',
            sa.Enum(*STATES, name='state', native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column('invitation_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['invitation_id'],
            ['invitations.id'],
            name=op.f('fk_inbound_invitation_id_invitations'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound')),
        sa.UniqueConstraint('message_id_key', name=op.f('uq_inbound_message_id_key')),
    )
    with op.batch_alter_table('inbound', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_inbound_invitation_id'), ['invitation_id'], unique=False
        )
        batch_op.create_index('ix_inbound_state_received', ['state', 'received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_state_received')
        batch_op.drop_index(batch_op.f('ix_inbound_invitation_id'))
    op.drop_table('inbound')
