"""Contact keys: tags compared by one match key, one live contact per address and name

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Existing data may break both new unique indexes; the upgrade repairs it instead of failing:
- tags whose names give the same match key ("Presse", "presse ") become the oldest of them,
  which takes over every contact link;
- live contacts with the same address and name (made by two requests at the same moment) are
  merged into the oldest, as the address book's own merge would: tags and flags are combined,
  invitations move to the survivor unless it is invited to the same event (then the invitation
  stays on the merged record, so that no guest's answer and no sent link is lost), and each
  merge is written to contact_merges with the reason below.
The downgrade drops the key and the index; merges are not undone.
"""
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

REASON = 'migration 0006: same address and name'
LIVE = sa.text('merged_into_id IS NULL')

_merges = sa.table(
    'contact_merges',
    sa.column('survivor_id', sa.Integer),
    sa.column('merged_id', sa.Integer),
    sa.column('reason', sa.String),
    sa.column('details', sa.JSON),
    sa.column('merged_by_id', sa.Integer),
    sa.column('merged_at', sa.DateTime(timezone=True)),
)


def _tag_key(name):
    """The match key as app.contacts.dedup.tag_key computed it in this revision."""
    folded = unicodedata.normalize('NFC', name).casefold()
    return unicodedata.normalize('NFC', ' '.join(folded.split()))


def _move_links(bind, keep, other, column):
    """Give `keep` every contact_tags link of `other` it does not have yet."""
    partner = 'contact_id' if column == 'tag_id' else 'tag_id'
    bind.execute(
        sa.text(
            f'INSERT INTO contact_tags (contact_id, tag_id) '  # noqa: S608 - fixed names
            f'SELECT {"contact_id, :keep" if column == "tag_id" else ":keep, tag_id"} '
            f'FROM contact_tags WHERE {column} = :other AND {partner} NOT IN '
            f'(SELECT {partner} FROM contact_tags WHERE {column} = :keep)'
        ),
        {'keep': keep, 'other': other},
    )


def _merge_tags(bind):
    """Fill tags.match_key, folding tags with the same key into the oldest."""
    groups = defaultdict(list)
    for tag_id, name in bind.execute(sa.text('SELECT id, name FROM tags ORDER BY id')):
        groups[_tag_key(name)].append(tag_id)
    for key, (keep, *others) in groups.items():
        for other in others:
            _move_links(bind, keep, other, 'tag_id')
            bind.execute(sa.text('DELETE FROM contact_tags WHERE tag_id = :t'), {'t': other})
            bind.execute(sa.text('DELETE FROM tags WHERE id = :t'), {'t': other})
        bind.execute(
            sa.text('UPDATE tags SET match_key = :k WHERE id = :t'), {'k': key, 't': keep}
        )


def _merge_contact(bind, keep, other, now):
    """Merge one live duplicate into the survivor and log it."""
    params = {'keep': keep, 'other': other}
    _move_links(bind, keep, other, 'contact_id')
    moved = bind.execute(
        sa.text(
            'SELECT id FROM invitations WHERE contact_id = :other AND event_id NOT IN '
            '(SELECT event_id FROM invitations WHERE contact_id = :keep)'
        ),
        params,
    ).scalars().all()
    if moved:
        bind.execute(
            sa.text('UPDATE invitations SET contact_id = :keep WHERE id IN :ids').bindparams(
                sa.bindparam('ids', expanding=True)
            ),
            params | {'ids': moved},
        )
    flags = bind.execute(
        sa.text('SELECT vip, do_not_invite FROM contacts WHERE id = :other'), params
    ).one()
    for name, value in zip(('vip', 'do_not_invite'), flags, strict=True):
        if value:  # an opt-out (or the protocol flag) survives the merge
            update = f'UPDATE contacts SET {name} = :v WHERE id = :keep'  # noqa: S608 - fixed
            bind.execute(sa.text(update), params | {'v': True})
    bind.execute(
        sa.text('UPDATE contacts SET merged_into_id = :keep WHERE merged_into_id = :other'),
        params,
    )
    bind.execute(sa.text('UPDATE contacts SET merged_into_id = :keep WHERE id = :other'), params)
    bind.execute(
        _merges.insert().values(
            survivor_id=keep,
            merged_id=other,
            reason=REASON,
            details={'invitations_moved': moved, 'migration': '0006'},
            merged_by_id=None,
            merged_at=now,
        )
    )


def _merge_contacts(bind):
    """Merge live contacts that share address and name into the oldest of each group."""
    now = datetime.now(UTC)
    groups = bind.execute(
        sa.text(
            'SELECT email_key, name_key FROM contacts WHERE merged_into_id IS NULL '
            'GROUP BY email_key, name_key HAVING count(*) > 1'
        )
    ).all()
    for email_key, name_key in groups:
        keep, *others = bind.execute(
            sa.text(
                'SELECT id FROM contacts WHERE merged_into_id IS NULL AND email_key = :e '
                'AND name_key = :n ORDER BY created_at, id'
            ),
            {'e': email_key, 'n': name_key},
        ).scalars().all()
        for other in others:
            _merge_contact(bind, keep, other, now)


def upgrade():
    bind = op.get_bind()
    # Added with a default so that SQLite can add it in place: rebuilding the table would
    # cascade-delete contact_tags through the foreign key. Every row is filled below.
    op.add_column(
        'tags', sa.Column('match_key', sa.String(length=240), nullable=False, server_default='')
    )
    _merge_tags(bind)
    if bind.dialect.name == 'postgresql':
        op.alter_column('tags', 'match_key', server_default=None)
    op.create_index('ix_tags_match_key', 'tags', ['match_key'], unique=True)
    _merge_contacts(bind)
    op.create_index(
        'ux_contacts_live_person',
        'contacts',
        ['email_key', 'name_key'],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade():
    op.drop_index('ux_contacts_live_person', table_name='contacts')
    op.drop_index('ix_tags_match_key', table_name='tags')
    # In place (SQLite 3.35+ drops columns itself); a rebuild would cascade to contact_tags.
    op.drop_column('tags', 'match_key')
