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
    Integer,
    Row,
    String,
    and_,
    case,
    false,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import Role, User
from app.extensions import db
from app.notifications import kinds
from app.notifications.models import Notification, NotificationSetting
from app.sqltypes import UTCDateTime


def _default_mode(kind: str) -> ColumnElement:
    """SQL: the role's default mode for the kind (see kinds.DEFAULTS)."""
    users = User.__table__
    defaults = {role.value: kinds.default_mode(role, kind) for role in Role}
    return case(defaults, value=users.c.role, else_=kinds.OFF)


def department_staff(department_ids: Iterable[int]) -> ColumnElement[bool]:
    """SQL condition on users: the staff of the departments (who act for "our" events)."""
    ids = set(department_ids)
    return and_(User.department_id.in_(ids), User.role == Role.STAFF) if ids else false()


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

    ``recipients`` are users or a condition on users (``department_staff``). One INSERT …
    SELECT writes a row per recipient with the mode the user chose (else the role's default),
    skipping recipients already notified of the cause; the immediate ones are queued as mails
    in two more statements (app/notifications/mails.py), so a cause costs the same few
    statements for one recipient or fifty. ``contact_id`` names the guest the facts are about
    (erasure deletes such notifications). Returns (id, user_id, delivery) of the rows created.
    """
    if kind not in kinds.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    users, settings = User.__table__, NotificationSetting.__table__
    if isinstance(recipients, ColumnElement):
        chosen = recipients
    else:
        ids = [u.id for u in recipients]
        if not ids:
            return []
        chosen = users.c.id.in_(ids)
    mode = func.coalesce(settings.c.mode, _default_mode(kind))
    source = (
        select(
            users.c.id,
            literal(kind, String),
            literal(params, JSON),
            literal(url, String),
            literal(cause[:200], String),
            literal(contact_id, Integer),
            mode,
            literal(now, UTCDateTime()),
        )
        .select_from(
            users.outerjoin(
                settings, and_(settings.c.user_id == users.c.id, settings.c.kind == kind)
            )
        )
        .where(chosen, users.c.active.is_(True), mode != kinds.OFF)
    )
    if getattr(actor, "id", None) is not None:
        source = source.where(users.c.id != actor.id)
    table = Notification.__table__
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    names = ["user_id", "kind", "params", "url", "cause", "contact_id", "delivery", "created_at"]
    statement = (
        dialect.insert(table)
        .from_select(names, source)
        .on_conflict_do_nothing(index_elements=["user_id", "cause"])
        .returning(table.c.id, table.c.user_id, table.c.delivery)
    )
    created = db.session.execute(statement).all()
    from app.notifications.mails import mail_now  # mails word the notification; they import us

    mail_now([row.id for row in created if row.delivery == kinds.IMMEDIATE], now=now)
    return created


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
