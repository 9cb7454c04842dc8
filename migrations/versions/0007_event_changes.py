"""Event changes: what guests knew before an update or a cancellation, and the message to them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Update and cancellation mails are rendered when the worker sends them; the row written with each
change keeps the title, place and time before it, so that the mail can say "old → new" and ask
for a new answer only when the time changed, and the organisers' message for the cancellation.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('title_before', sa.String(length=200), nullable=False),
        sa.Column('place_before', sa.Text(), nullable=False),
        sa.Column('all_day_before', sa.Boolean(), nullable=False),
        sa.Column('start_before', sa.DateTime(), nullable=True),
        sa.Column('end_before', sa.DateTime(), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['event_id'],
            ['events.id'],
            name=op.f('fk_event_changes_event_id_events'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_changes')),
        sa.UniqueConstraint(
            'event_id', 'sequence', name=op.f('uq_event_changes_event_id_sequence')
        ),
    )


def downgrade():
    op.drop_table('event_changes')
