"""The Monday mail of the weekly brief through the outbox, one per recipient in their language.

Recipients: the active communications team and every active subscriber. A recipient gets a
mail only when their brief has news (the free evenings alone are none). The Message-ID names
the user and the ISO week, so a second run in the same week queues nothing again.
"""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role, User
from app.brief.content import SEVERITIES, Brief, build, grouped_by_day
from app.extensions import db
from app.mail.outbox import enqueue
from app.subscriptions.service import brief_subscribers

MAIL_KIND = "weekly_brief"


def recipients() -> list[User]:
    """Return the active comms users and the active subscribers, each once."""
    comms = db.session.scalars(select(User).where(User.role == Role.COMMS, User.active.is_(True)))
    users = {u.id: u for u in [*comms, *brief_subscribers()]}
    return [users[i] for i in sorted(users)]


def _view_key(user: User) -> tuple:
    """Return what the brief depends on for a user: everything, or their department."""
    return ("all",) if user.sees_everything else ("department", user.department_id)


def _mail(user: User, brief: Brief, now: datetime) -> EmailMessage:
    """Return the brief as a plain-text mail to the user, in the user's language."""
    year, week, _weekday = brief.first.isocalendar()
    message = EmailMessage()
    message["Subject"] = _("Stadtkalender: the weekly brief (week %(week)d)", week=week)
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((user.name, user.email))
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Auto-Submitted"] = "auto-generated"
    domain = current_app.config["MAIL_DOMAIN"]
    message["Message-ID"] = f"<brief-{year}-w{week:02d}-u{user.id}@{domain}>"
    body = render_template(
        "email/brief.txt",
        brief=brief,
        new_days=grouped_by_day(brief.new),
        changed_days=grouped_by_day(brief.changed),
        severities=SEVERITIES,
        base_url=current_app.config["BASE_URL"],
    )
    message.set_content(body)
    return message


def send_briefs(*, now: datetime) -> int:
    """Queue the weekly brief for every recipient with news; return how many were queued."""
    briefs: dict[tuple, Brief] = {}
    sent = 0
    for user in recipients():
        language = user.locale if user.locale in ("de", "en") else "de"
        with force_locale(language):
            key = (*_view_key(user), language)  # conflict messages are worded on building
            if key not in briefs:
                briefs[key] = build(user, now)
            brief = briefs[key]
            if not brief.has_news:
                continue
            mail = _mail(user, brief, now)
        enqueue(db.session, recipient=user.email, kind=MAIL_KIND, message=mail, now=now)
        sent += 1
    db.session.flush()
    return sent
