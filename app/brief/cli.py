"""``flask --app wsgi brief send``: the weekly brief mails (a timer on Mondays at 07:00)."""

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.brief.mails import send_briefs
from app.extensions import db

brief_cli = AppGroup("brief", help="The weekly brief for the communications team and subscribers.")


@brief_cli.command("send")
def send_command() -> None:
    """Queue one brief mail per recipient with news (none when nothing is new)."""
    sent = send_briefs(now=datetime.now(UTC))
    db.session.commit()
    click.echo(f"Queued {sent} brief mail(s).")
