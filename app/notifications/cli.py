"""``flask --app wsgi notifications digest``: the daily digest mails (a timer at 07:00)."""

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.extensions import db
from app.notifications.mails import send_digests

notifications_cli = AppGroup("notifications", help="Notifications: the daily digest.")


@notifications_cli.command("digest")
def digest_command() -> None:
    """Queue one digest mail per user with new digest notifications (none when nothing is new)."""
    sent = send_digests(now=datetime.now(UTC))
    db.session.commit()
    click.echo(f"Queued {sent} digest mail(s).")
