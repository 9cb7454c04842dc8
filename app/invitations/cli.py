"""Invitation commands: reminders before the reply deadline."""

from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup

from app.extensions import db
from app.invitations.delivery import render_pending
from app.invitations.reminders import remind_pending

invitations_cli = AppGroup("invitations", help="Invitations: reminders.")


@invitations_cli.command("remind")
@click.option(
    "--days", default=3, show_default=True, help="Remind this many days before the reply deadline."
)
def remind(days: int) -> None:
    """Mail every guest who has not answered once, DAYS before the reply deadline."""
    count = remind_pending(now=datetime.now(UTC), lead=timedelta(days=days))
    db.session.commit()
    click.echo(f"{count} reminders queued.")


@invitations_cli.command("render")
@click.option("--batch", default=200, show_default=True, help="Rows per round.")
def render(batch: int) -> None:
    """Render queued invitation mails ahead of delivery (for large invitation rounds)."""
    count = render_pending(now=datetime.now(UTC), batch_size=batch)
    click.echo(f"{count} mails rendered.")
