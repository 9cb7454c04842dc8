"""Mail commands: the delivery worker and the development mail catcher."""

import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.db_outage import describe, is_connection_error
from app.extensions import db
from app.mail.catcher import catcher_dir, run_catcher
from app.mail.claims import count_due, pending
from app.mail.recording import DeliveryReport, utcnow
from app.mail.worker import DeliveryWorker

RETRIES_PENDING = 3  # exit status of --until-empty when mails still wait for a retry

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
    line += f" · dropped {report.dropped}" if report.dropped else ""
    return line + (f" · database outages {report.outages}" if report.outages else "")


def _due_now() -> int | None:
    """Return how many mails are due, or None when the database cannot be asked."""
    try:
        return count_due(db.session, now=utcnow())
    except SQLAlchemyError as error:
        if not is_connection_error(error):
            raise
        click.echo(f"Database unavailable ({describe(error)}); waiting for it.", err=True)
        return None
    finally:
        with suppress(SQLAlchemyError):
            db.session.rollback()


def _retries_pending() -> str | None:
    """Return a line about mails still waiting for a retry (or being sent), None when done."""
    try:
        left, next_at = pending(db.session)
    except SQLAlchemyError as error:
        if not is_connection_error(error):
            raise
        return f"Database unavailable ({describe(error)}); mails may still wait for a retry."
    finally:
        with suppress(SQLAlchemyError):
            db.session.rollback()
    if not left:
        return None
    noun = "mail" if left == 1 else "mails"
    when = f" (the next at {next_at:%Y-%m-%d %H:%M:%S} UTC)" if next_at else ""
    return (
        f"Not done: {left} {noun} queued for a retry{when} or being sent; "
        "run again later or use --until-done."
    )


@mail_cli.command("deliver")
@click.option(
    "--until-empty",
    is_flag=True,
    help="Exit when no mail is due now; with status 3 if mails still wait for a retry.",
)
@click.option(
    "--until-done",
    is_flag=True,
    help="Exit when no mail is queued or being sent, waiting for scheduled retries "
    "(up to hours: the back-off grows to an hour); failed mails count as done.",
)
@click.option("--batch", "batch_size", default=100, show_default=True, type=click.IntRange(1))
@click.option("--worker-id", default=None, help="Name in the claims (default: host:pid).")
@click.option("--poll-interval", default=5.0, show_default=True, type=click.FloatRange(0.1))
@click.option(
    "--claim-timeout",
    default=None,
    type=click.FloatRange(5),
    help="Seconds a claim on a batch lasts unless renewed (default: MAIL_CLAIM_TIMEOUT, 120).",
)
def deliver_command(
    until_empty: bool,
    until_done: bool,
    batch_size: int,
    worker_id: str | None,
    poll_interval: float,
    claim_timeout: float | None,
) -> None:
    """Send queued mail over SMTP; keep polling until SIGTERM unless --until-empty/--until-done.

    \b
    Database outages are waited out (with growing pauses up to 30 s).
    Exit status: 0 when done or stopped; 3 with --until-empty when mails
    still wait for a scheduled retry (or are being sent by another worker).
    """
    if until_empty and until_done:
        raise click.UsageError("Use either --until-empty or --until-done.")
    worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    due = _due_now()
    click.echo(f"Worker {worker_id}: {'?' if due is None else due} mails due.", err=True)
    # A polling worker is a service whose output is a log, even when started in a terminal.
    status = _StatusLine(redraw=until_empty or until_done)
    with _stop_on_signals() as stop:
        worker = DeliveryWorker(
            worker_id=worker_id,
            batch_size=batch_size,
            poll_interval=poll_interval,
            claim_timeout=timedelta(seconds=claim_timeout) if claim_timeout else None,
            progress=status,
            stop=stop,  # rows without bytes are rendered through app.mail.renderers
        )
        try:
            report = worker.run(until_empty=until_empty, until_done=until_done)
        finally:
            status.done()
        stopped = stop.is_set()
    click.echo(_summary(report))
    if until_empty and not stopped:
        waiting = _retries_pending()
        if waiting:
            click.echo(waiting, err=True)
            raise SystemExit(RETRIES_PENDING)


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
