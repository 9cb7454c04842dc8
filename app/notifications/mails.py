"""Notification mails through the outbox: at once per immediate notification, or a daily digest.

A cause writes only its notifications; the delivery worker queues the immediate ones' mails
before each claim, many in one statement (``feed_immediate``), and the digest command the
daily ones. The text is composed when the worker sends, in the recipient's language, by the
renderers registered for the two kinds. So a cause that notifies forty people costs one
statement, not forty composed mails.
"""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import (
    FromClause,
    Insert,
    Integer,
    String,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.extensions import db
from app.mail import renderers
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import enqueue_refs
from app.notifications import kinds
from app.notifications.models import Notification
from app.sqltypes import UTCDateTime

MAIL_KIND = "notification"
DIGEST_KIND = "notification_digest"


def _link(path: str) -> str:
    """Return an absolute link to a page of the app."""
    return current_app.config["BASE_URL"] + path if path.startswith("/") else path


def _mail(user: User, subject: str, body: str, row: OutboxMessage) -> bytes:
    """Return a plain-text mail to the user (the settings link at the end)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((user.name, row.recipient))
    message["Date"] = format_datetime(row.created_at.astimezone(UTC))
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to these, please
    settings = _link("/notifications/settings")
    footer = _("Choose which notifications you receive: %(url)s", url=settings)
    message.set_content(f"{body}\n\n-- \n{footer}\n")
    return message.as_bytes()


def _language(user: User) -> str:
    """Return the user's interface language."""
    return user.locale if user.locale in ("de", "en") else "de"


# Immediate notifications queued per worker round; a backlog is worked off over a few rounds.
FEED_LIMIT = 1000


def feed_immediate(connection: Connection, now: datetime) -> int:
    """Queue a mail for each notification to be mailed at once, and mark it mailed.

    The delivery worker calls this before each claim (``renderers.register_feeder``), so a
    notification written in its cause's transaction is mailed within the worker's poll
    interval. Marking and queueing are one statement on PostgreSQL (rows another worker is
    queueing are skipped), two in the caller's transaction on SQLite. Returns the mails queued.
    """
    table = Notification.__table__
    due = (
        select(table.c.id)
        .where(table.c.delivery == kinds.IMMEDIATE, table.c.mailed_at.is_(None))
        .order_by(table.c.id)
        .limit(FEED_LIMIT)
    )
    postgres = connection.dialect.name == "postgresql"
    mark = update(table).values(mailed_at=now)
    if postgres:
        marked = (
            mark.where(table.c.id.in_(due.with_for_update(skip_locked=True).scalar_subquery()))
            .returning(table.c.id, table.c.user_id)
            .cte("marked")
        )
        # The marking UPDATE must lead the statement (PostgreSQL runs it exactly once).
        statement = _queue(marked, now=now, postgres=True).add_cte(marked)
        return len(connection.execute(statement.returning(OutboxMessage.__table__.c.id)).all())
    marking = mark.where(table.c.id.in_(due.scalar_subquery())).returning(table.c.id)
    ids = list(connection.scalars(marking))
    if not ids:
        return 0
    marked = select(table.c.id, table.c.user_id).where(table.c.id.in_(ids)).subquery()
    return connection.execute(_queue(marked, now=now, postgres=False)).rowcount


def _queue(notifications: FromClause, *, now: datetime, postgres: bool) -> Insert:
    """Return INSERT … SELECT of one outbox row per notification (id, user_id) given.

    The mail is composed at delivery (``render_one``); the Message-ID is drawn by the database.
    """
    domain = current_app.config["MAIL_DOMAIN"]
    if postgres:
        token = func.replace(cast(func.gen_random_uuid(), String), "-", "")
    else:
        token = func.lower(func.hex(func.randomblob(16)))
    message_id = literal("<", String) + token + literal(f"@{domain}>", String)
    users = User.__table__
    rows = select(
        users.c.email,
        literal(MAIL_KIND, String),
        notifications.c.id,
        literal(0, Integer),
        message_id,
        literal(MailStatus.QUEUED.value, String),
        literal(0, Integer),
        literal(now, UTCDateTime()),
        literal("", String),
        literal("", String),
        literal(now, UTCDateTime()),
    ).select_from(notifications.join(users, users.c.id == notifications.c.user_id))
    names = ["recipient", "kind", "ref_id", "sequence", "message_id", "status", "attempts"]
    names += ["next_attempt_at", "claimed_by", "last_error", "created_at"]
    return insert(OutboxMessage.__table__).from_select(names, rows)


def send_digests(*, now: datetime) -> int:
    """Queue one digest per user with unmailed digest notifications; return the mails queued.

    The notifications are marked with ``mailed_at = now`` in one UPDATE; the digest's renderer
    reads them back by user and that instant.
    """
    marked = db.session.execute(
        update(Notification)
        .where(
            Notification.delivery == kinds.DIGEST,
            Notification.mailed_at.is_(None),
            Notification.created_at <= now,
        )
        .values(mailed_at=now)
        .returning(Notification.user_id),
        execution_options={"synchronize_session": False},
    )
    user_ids = {row.user_id for row in marked}
    if not user_ids:
        return 0
    # Inactive users' notifications are marked too: nothing piles up for them.
    recipients = db.session.execute(
        select(User.email, User.id).where(User.id.in_(user_ids), User.active.is_(True))
    ).all()
    enqueue_refs(db.session, [tuple(r) for r in recipients], kind=DIGEST_KIND, now=now)
    return len(recipients)


def render_one(session: Session, row: OutboxMessage, now: datetime) -> bytes | None:
    """Compose the mail of one immediate notification (None when it or its user is gone)."""
    note = session.get(Notification, row.ref_id) if row.ref_id else None
    user = session.get(User, note.user_id) if note else None
    if note is None or user is None or not user.active:
        return None
    with force_locale(_language(user)):
        text = kinds.message(note.kind, note.params)
        subject = _("Stadtkalender: %(label)s", label=kinds.KIND_LABELS[note.kind])
        body = f"{text}\n\n{_link(note.url)}" if note.url else text
        return _mail(user, subject, body, row)


def render_digest(session: Session, row: OutboxMessage, now: datetime) -> bytes | None:
    """Compose a user's daily digest from the notifications marked with the row's instant."""
    user = session.get(User, row.ref_id) if row.ref_id else None
    if user is None or not user.active:
        return None
    notes = session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id, Notification.mailed_at == row.created_at)
        .where(Notification.delivery == kinds.DIGEST)
        .order_by(Notification.created_at, Notification.id)
    ).all()
    if not notes:
        return None
    with force_locale(_language(user)):
        subject = ngettext(
            "Stadtkalender: %(num)d new notification",
            "Stadtkalender: %(num)d new notifications",
            len(notes),
        )
        lines = []
        for note in notes:
            lines.append(f"- {kinds.message(note.kind, note.params)}")
            if note.url:
                lines.append(f"  {_link(note.url)}")
        return _mail(user, subject, "\n".join(lines), row)


def install() -> None:
    """Register the renderers of the two kinds (called at every app start)."""
    renderers.register([MAIL_KIND], render_one)
    renderers.register_feeder("notifications", feed_immediate)
    renderers.register([DIGEST_KIND], render_digest)
