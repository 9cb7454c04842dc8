"""Creating and reading notifications; flushes, never commits.

``notify`` is called in the transaction of the cause, so a notification exists exactly when its
cause does; the unique (user, cause) pair makes a second call for the same cause a no-op, also
when two transactions race. Whoever caused the change is never notified.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    JSON,
    ColumnElement,
    FromClause,
    Insert,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.dml import OnConflictDoNothing
from sqlalchemy.sql.visitors import InternalTraversal

from app.accounts.models import Role, User
from app.extensions import db
from app.notifications import kinds
from app.notifications.models import Notification, NotificationSetting
from app.sqltypes import UTCDateTime


class _SkipTold(OnConflictDoNothing):
    """ON CONFLICT DO NOTHING with a cache key (SQLAlchemy 2.0 gives the clause none)."""

    __visit_name__ = "on_conflict_do_nothing"
    _traverse_internals = [
        ("constraint_target", InternalTraversal.dp_string),
        ("inferred_target_elements", InternalTraversal.dp_clauseelement_list),
        ("inferred_target_whereclause", InternalTraversal.dp_clauseelement),
    ]


class _InsertUntold(postgresql.Insert):
    """PostgreSQL INSERT … ON CONFLICT (user_id, cause) DO NOTHING that can be cached.

    SQLAlchemy 2.0 compiles its PostgreSQL INSERT anew on every call (no cache key for the ON
    CONFLICT clause); this statement is the hot path of publishing, and compiling it cost more
    than running it. The conflict clause is always the same one, and it has a cache key.
    """

    inherit_cache = True

    def __init__(self, table):
        super().__init__(table)
        self._post_values_clause = _SkipTold(index_elements=[table.c.user_id, table.c.cause])


def _default_mode(kind: str) -> ColumnElement:
    """SQL: the role's default mode for the kind (see kinds.DEFAULTS)."""
    users = User.__table__
    defaults = {role.value: kinds.default_mode(role, kind) for role in Role}
    return case(defaults, value=users.c.role, else_=kinds.OFF)


def department_staff(department_ids: Iterable[int]) -> ColumnElement[bool]:
    """SQL condition on users: the staff of the departments (who act for "our" events)."""
    ids = set(department_ids)
    return and_(User.department_id.in_(ids), User.role == Role.STAFF) if ids else false()


def recipients_of(kind: str) -> tuple[FromClause, ColumnElement[str], ColumnElement[bool]]:
    """Return the users joined with their choice for the kind, the mode, and who may be told.

    The mode is the user's choice, else the role's default; active users whose mode is not
    "off" may be told. Callers add who the recipients are and what each is told.
    """
    users, settings = User.__table__, NotificationSetting.__table__
    joined = users.outerjoin(
        settings, and_(settings.c.user_id == users.c.id, settings.c.kind == kind)
    )
    mode = func.coalesce(settings.c.mode, _default_mode(kind))
    return joined, mode, and_(users.c.active.is_(True), mode != kinds.OFF)


def insert_told(kind: str, source: Select, dialect: str) -> Insert:
    """Return the INSERT … SELECT that writes the notifications ``source`` names.

    ``source`` selects (user id, params, url, cause, contact id, mode) per notification, built
    on ``recipients_of(kind)``. The statement takes the bind parameters ``now`` and
    ``actor_id`` (0 for none; whoever caused the change is never told) and skips recipients
    already told of the cause. Built once, it can be executed many times (``notices`` keeps
    its statement): SQLAlchemy then neither builds nor compiles it again.
    """
    users = User.__table__
    rows = source.where(users.c.id != bindparam("actor_id", type_=Integer)).subquery("told")
    chosen = select(
        rows.c.user_id,
        literal(kind, String),
        rows.c.params,
        rows.c.url,
        func.substr(rows.c.cause, 1, 200),
        rows.c.contact_id,
        rows.c.mode,
        bindparam("now", type_=UTCDateTime()),
    ).where(true())  # SQLite reads "FROM told ON CONFLICT" as a join without the WHERE
    table = Notification.__table__
    into = (
        _InsertUntold(table)
        if dialect == "postgresql"
        else sqlite.insert(table).on_conflict_do_nothing(index_elements=["user_id", "cause"])
    )
    names = ["user_id", "kind", "params", "url", "cause", "contact_id", "delivery", "created_at"]
    return into.from_select(names, chosen).returning(table.c.id, table.c.user_id, table.c.delivery)


def write(statement: Insert, *, now: datetime, actor: User | None = None, **values) -> list[Row]:
    """Execute an ``insert_told`` statement; return (id, user_id, delivery) of the rows written.

    One statement, whatever the number of recipients. The rows to be mailed at once are queued
    by the delivery worker (``mails.feed_immediate``), not here: publishing an event that
    concerns forty people writes forty small rows and nothing else.
    """
    actor_id = getattr(actor, "id", None) or 0
    return db.session.execute(statement, {"now": now, "actor_id": actor_id, **values}).all()


def notify(
    recipients: Iterable[User] | ColumnElement[bool],
    kind: str,
    *,
    params: dict,
    url: str,
    cause: str,
    now: datetime,
    actor: User | None = None,
    contact_id: int | None = None,
) -> list[Row]:
    """Notify active users (not the actor, not those who turned the kind off) of one cause.

    ``recipients`` are users or a condition on users (``department_staff``); each is told the
    same facts with the mode they chose (else the role's default), see ``write``.
    ``contact_id`` names the guest the facts are about (erasure deletes such notifications).
    Returns (id, user_id, delivery) of the rows created.
    """
    users = User.__table__
    if isinstance(recipients, ColumnElement):
        chosen = recipients
    else:
        ids = [u.id for u in recipients]
        if not ids:
            return []
        chosen = users.c.id.in_(ids)
    if kind not in kinds.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    joined, mode, allowed = recipients_of(kind)
    source = (
        select(
            users.c.id.label("user_id"),
            literal(params, JSON).label("params"),
            literal(url, String).label("url"),
            literal(cause, String).label("cause"),
            literal(contact_id, Integer).label("contact_id"),
            mode.label("mode"),
        )
        .select_from(joined)
        .where(chosen, allowed)
    )
    dialect = db.session.get_bind().dialect.name
    return write(insert_told(kind, source, dialect), now=now, actor=actor)


def unread_count(user: User) -> int:
    """Return how many notifications the user has not read."""
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(user: User, ids: list[int] | None, *, now: datetime) -> int:
    """Mark the user's notifications read (the given ids, or all); return how many changed."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return db.session.execute(stmt.values(read_at=now)).rowcount


def save_settings(user: User, choices: dict[str, str]) -> None:
    """Store the user's mode per kind (unknown kinds or modes are the caller's to refuse)."""
    existing = {
        s.kind: s
        for s in db.session.scalars(
            select(NotificationSetting).where(NotificationSetting.user_id == user.id)
        )
    }
    for kind, mode in choices.items():
        row = existing.get(kind)
        if row is None:
            db.session.add(NotificationSetting(user_id=user.id, kind=kind, mode=mode))
        else:
            row.mode = mode
    db.session.flush()


def settings_of(user: User) -> dict[str, str]:
    """Return the user's effective mode for every kind."""
    chosen = dict(
        db.session.execute(
            select(NotificationSetting.kind, NotificationSetting.mode).where(
                NotificationSetting.user_id == user.id
            )
        ).all()
    )
    return {kind: chosen.get(kind) or kinds.default_mode(user.role, kind) for kind in kinds.KINDS}
