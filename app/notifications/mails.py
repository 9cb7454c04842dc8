"""Notification mails through the outbox: at once per immediate notification, or a daily digest.

Queueing is one INSERT for all recipients (``outbox.enqueue_refs``); the text is composed when
the delivery worker sends, in the recipient's language, by the renderers registered for the two
kinds. So a cause that notifies forty people costs two statements, not forty composed mails.
"""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.extensions import db
from app.mail import renderers
from app.mail.models import OutboxMessage
from app.mail.outbox import enqueue_refs
from app.notifications import kinds
from app.notifications.models import Notification

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


def mail_now(notification_ids: list[int], *, now: datetime) -> None:
    """Queue one mail per notification delivered immediately (composed at delivery)."""
    if not notification_ids:
        return
    recipients = db.session.execute(
        select(User.email, Notification.id)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(notification_ids))
    ).all()
    enqueue_refs(db.session, [tuple(r) for r in recipients], kind=MAIL_KIND, now=now)
    db.session.execute(
        update(Notification).where(Notification.id.in_(notification_ids)).values(mailed_at=now),
        execution_options={"synchronize_session": False},
    )


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
    renderers.register([DIGEST_KIND], render_digest)
