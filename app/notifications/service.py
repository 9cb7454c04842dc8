"""Creating and reading notifications; flushes, never commits.

``notify`` is called in the transaction of the cause, so a notification exists exactly when its
cause does; the unique (user, cause) pair makes a second call for the same cause a no-op, also
when two transactions race. Whoever caused the change is never notified.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import Role, User
from app.extensions import db
from app.notifications import kinds
from app.notifications.models import Notification, NotificationSetting


def modes_for(users: list[User], kind: str) -> dict[int, str]:
    """Return each user's mode for the kind: their choice, else their role's default."""
    chosen = dict(
        db.session.execute(
            select(NotificationSetting.user_id, NotificationSetting.mode).where(
                NotificationSetting.user_id.in_([u.id for u in users]),
                NotificationSetting.kind == kind,
            )
        ).all()
    )
    return {u.id: chosen.get(u.id) or kinds.default_mode(u.role, kind) for u in users}


def notify(
    recipients: Iterable[User],
    kind: str,
    *,
    params: dict,
    url: str,
    cause: str,
    now: datetime,
    actor: User | None = None,
    contact_id: int | None = None,
) -> list[Notification]:
    """Notify active users (not the actor, not those who turned the kind off) of one cause.

    ``contact_id`` names the guest the facts are about (erasure deletes such notifications).
    Returns the notifications created now; those marked immediate are mailed by the caller's
    transaction through the outbox (app/notifications/mails.py).
    """
    if kind not in kinds.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    actor_id = getattr(actor, "id", None)
    users = {u.id: u for u in recipients if u.active and u.id != actor_id}
    if not users:
        return []
    modes = modes_for(list(users.values()), kind)
    rows = [
        {
            "user_id": uid,
            "kind": kind,
            "params": params,
            "url": url,
            "cause": cause[:200],
            "contact_id": contact_id,
            "delivery": mode,
            "created_at": now,
        }
        for uid, mode in modes.items()
        if mode != kinds.OFF
    ]
    if not rows:
        return []
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Notification)
        .on_conflict_do_nothing(index_elements=["user_id", "cause"])
        .returning(Notification.id)
    )
    # One statement for all recipients; a repeated cause returns no id for that recipient.
    created = list(db.session.scalars(statement, rows))
    if not created:
        return []
    notes = db.session.scalars(select(Notification).where(Notification.id.in_(created))).all()
    from app.notifications.mails import mail_now  # mails word the notification; they import us

    mail_now([n for n in notes if n.delivery == kinds.IMMEDIATE], users, now=now)
    return list(notes)


def department_staff(department_ids: Iterable[int]) -> list[User]:
    """Return the active staff of the departments (those who act for "our" events)."""
    ids = set(department_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User).where(
                User.department_id.in_(ids), User.role == Role.STAFF, User.active.is_(True)
            )
        )
    )


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
