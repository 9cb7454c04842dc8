"""Notification mails through the outbox: at once per immediate notification, or a daily digest."""

from collections import defaultdict
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.mail.outbox import enqueue
from app.notifications import kinds
from app.notifications.models import Notification

MAIL_KIND = "notification"
DIGEST_KIND = "notification_digest"


def _link(path: str) -> str:
    """Return an absolute link to a page of the app."""
    return current_app.config["BASE_URL"] + path if path.startswith("/") else path


def _mail(user: User, subject: str, body: str, now: datetime) -> EmailMessage:
    """Return a plain-text mail to the user (the settings link at the end)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((user.name, user.email))
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to these, please
    footer = _(
        "Choose which notifications you receive: %(url)s", url=_link("/notifications/settings")
    )
    message.set_content(f"{body}\n\n-- \n{footer}\n")
    return message


def _language(user: User) -> str:
    """Return the user's interface language."""
    return user.locale if user.locale in ("de", "en") else "de"


def mail_now(notes: list[Notification], users: dict[int, User], *, now: datetime) -> None:
    """Queue one mail per notification delivered immediately, in the recipient's language."""
    for note in notes:
        user = users[note.user_id]
        with force_locale(_language(user)):
            text = kinds.message(note.kind, note.params)
            subject = _("Stadtkalender: %(label)s", label=kinds.KIND_LABELS[note.kind])
            body = f"{text}\n\n{_link(note.url)}" if note.url else text
            mail = _mail(user, subject, body, now)
        enqueue(db.session, recipient=user.email, kind=MAIL_KIND, message=mail, now=now)
        note.mailed_at = now


def send_digests(*, now: datetime) -> int:
    """Queue one digest per user with unmailed digest notifications; return the mails queued."""
    pending = db.session.scalars(
        select(Notification)
        .where(Notification.delivery == kinds.DIGEST, Notification.mailed_at.is_(None))
        .where(Notification.created_at <= now)
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for note in pending:
        by_user[note.user_id].append(note)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(by_user))))}
    sent = 0
    for user_id, notes in by_user.items():
        user = users[user_id]
        if user.active:
            _queue_digest(user, notes, now)
            sent += 1
        for note in notes:
            note.mailed_at = now  # also for inactive users: nothing piles up for them
    db.session.flush()
    return sent


def _queue_digest(user: User, notes: list[Notification], now: datetime) -> None:
    """Queue the daily digest of one user."""
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
        body = "\n".join(lines)
        mail = _mail(user, subject, body, now)
    enqueue(db.session, recipient=user.email, kind=DIGEST_KIND, message=mail, now=now)
