"""Audit log and the privacy role

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

audit_log is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE unless the
transaction set stadtkalender.audit_purge (the purge by age and the erasure do, see
app/audit/log.py). users.role gains "privacy" (Datenschutz).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OLD_ROLES = ('staff', 'comms', 'admin')
NEW_ROLES = OLD_ROLES + ('privacy',)

TRIGGER = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('stadtkalender.audit_purge', true), '') = 'on' THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""


def _role_enum(values):
    return sa.Enum(*values, name='role', native_enum=False, create_constraint=True, length=16)


def upgrade():
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_type', sa.String(length=8), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=254), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('object_type', sa.String(length=32), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_at', ['action', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_object', ['object_type', 'object_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column(
            'role', existing_type=_role_enum(OLD_ROLES), type_=_role_enum(NEW_ROLES),
            existing_nullable=False,
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_log_no_truncate ON audit_log')
        op.execute('DROP TRIGGER audit_log_append_only ON audit_log')
        op.execute('DROP FUNCTION audit_log_append_only()')
    op.execute("UPDATE users SET role = 'staff', active = false WHERE role = 'privacy'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column(
            'role', existing_type=_role_enum(NEW_ROLES), type_=_role_enum(OLD_ROLES),
            existing_nullable=False,
        )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_object')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index('ix_audit_log_action_at')
    op.drop_table('audit_log')
