"""Mail commands: the delivery worker and the development mail catcher."""

import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from app.extensions import db
from app.mail.catcher import catcher_dir, run_catcher
from app.mail.models import OutboxMessage
from app.mail.worker import DeliveryReport, DeliveryWorker, count_due, utcnow

mail_cli = AppGroup("mail", help="Deliver queued mail; catch mail in development.")


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """Yield an event that SIGTERM and SIGINT set, instead of killing the command mid-mail."""
    stop = threading.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {number: signal.getsignal(number) for number in signals}
    for number in signals:
        signal.signal(number, lambda _number, _frame: stop.set())
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _render_queued(session: Session, row: OutboxMessage, now: datetime) -> bytes | None:
    """Render a mail queued without its bytes (bulk invitations) when it is delivered."""
    from app.invitations.delivery import render_queued  # invitations depend on mail, not back

    return render_queued(session, row, now)


class _StatusLine:
    """Counts on one line redrawn after each mail, or (logs, services) a line after each batch."""

    def __init__(self, *, redraw: bool) -> None:
        self.tty = redraw and sys.stderr.isatty()
        self.batches = 0
        self.drawn = False

    def __call__(self, report: DeliveryReport) -> None:
        """Show the counts so far."""
        if self.tty:
            click.echo(f"\r{_summary(report)}", nl=False, err=True)
            self.drawn = True
        elif report.batches != self.batches:
            self.batches = report.batches
            click.echo(_summary(report), err=True)

    def done(self) -> None:
        """End the redrawn line."""
        if self.drawn:
            click.echo("", err=True)


def _summary(report: DeliveryReport) -> str:
    """Return the counts of a report as one line."""
    line = f"sent {report.sent} · retried {report.retried} · failed {report.failed}"
    return line + (f" · dropped {report.dropped}" if report.dropped else "")


@mail_cli.command("deliver")
@click.option("--until-empty", is_flag=True, help="Exit when no mail is due.")
@click.option("--batch", "batch_size", default=100, show_default=True, type=click.IntRange(1))
@click.option("--worker-id", default=None, help="Name in the claims (default: host:pid).")
@click.option("--poll-interval", default=5.0, show_default=True, type=click.FloatRange(0.1))
def deliver_command(
    until_empty: bool, batch_size: int, worker_id: str | None, poll_interval: float
) -> None:
    """Send queued mail over SMTP; keep polling until SIGTERM unless --until-empty."""
    worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    due = count_due(db.session, now=utcnow())
    db.session.rollback()
    click.echo(f"Worker {worker_id}: {due} mails due.", err=True)
    # A polling worker is a service whose output is a log, even when started in a terminal.
    status = _StatusLine(redraw=until_empty)
    with _stop_on_signals() as stop:
        worker = DeliveryWorker(
            worker_id=worker_id,
            batch_size=batch_size,
            poll_interval=poll_interval,
            progress=status,
            stop=stop,
            render=_render_queued,
        )
        try:
            report = worker.run(until_empty=until_empty)
        finally:
            status.done()
    click.echo(_summary(report))


@mail_cli.command("catcher")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--dir",
    "directory",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the .eml files (default: instance/mailcatcher).",
)
def catcher_command(host: str, port: int, directory: Path | None) -> None:
    """Run a development SMTP server that keeps every mail as an .eml file."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.UsageError("The mail catcher is for development; refusing in production.")
    directory = directory or catcher_dir(current_app)
    click.echo(f"Catching mail on {host}:{port} into {directory}; stop with Ctrl+C.", err=True)
    with _stop_on_signals() as stop:
        run_catcher(directory, host=host, port=port, stop=stop)
    click.echo("Mail catcher stopped.", err=True)
