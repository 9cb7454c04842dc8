"""Inbound mail commands in the ``mail`` group: the SMTP/LMTP server, ingesting files, purging."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app

from app.extensions import db
from app.inbound.imap import MailboxError, fetch, parse_url
from app.inbound.inbox import ingest, process_pending, purge
from app.inbound.server import inbound_server
from app.mail.cli import _stop_on_signals, mail_cli


def _max_bytes() -> int:
    """Return the largest message accepted (INBOUND_MAX_BYTES)."""
    return int(current_app.config["INBOUND_MAX_BYTES"])


@mail_cli.command("inbound")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=2525, show_default=True, type=click.IntRange(0, 65535))
@click.option("--lmtp", is_flag=True, help="Speak LMTP instead of SMTP (for a local MTA).")
def inbound_command(host: str, port: int, lmtp: bool) -> None:
    """Receive replies for rsvp+<token>@MAIL_DOMAIN by SMTP (or LMTP) until SIGTERM."""
    app = current_app._get_current_object()
    with _stop_on_signals() as stop, inbound_server(app, host=host, port=port, lmtp=lmtp) as ctl:
        protocol = "LMTP" if lmtp else "SMTP"
        click.echo(f"Receiving inbound mail ({protocol}) on {host}:{ctl.port}.", err=True)
        stop.wait()
    click.echo("Inbound server stopped.", err=True)


def _files(paths: tuple[str, ...]):
    """Yield (name, bytes) of every message: files, folders, Maildirs (cur/ and new/), stdin."""
    for given in paths:
        if given == "-":
            yield "<stdin>", sys.stdin.buffer.read()
            continue
        path = Path(given)
        if path.is_dir():
            folders = [path / "cur", path / "new"] if (path / "cur").is_dir() else [path]
            for folder in folders:
                for item in sorted(folder.iterdir()):
                    if item.is_file() and not item.name.startswith("."):
                        yield str(item), item.read_bytes()
        else:
            yield str(path), path.read_bytes()


@mail_cli.command("ingest")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, readable=True, allow_dash=True)
)
@click.option(
    "--to", "envelope_to", default="", help="The envelope recipient (Postfix: ${recipient})."
)
@click.option("--from", "envelope_from", default="", help="The envelope sender (${sender}).")
def ingest_command(paths: tuple[str, ...], envelope_to: str, envelope_from: str) -> None:
    """Store and process mail from files, folders, Maildirs or - (stdin)."""
    try:
        result = ingest(
            _files(paths),
            max_bytes=_max_bytes(),
            envelope_to=envelope_to,
            envelope_from=envelope_from,
        )
    except OSError as error:  # a file that vanished or cannot be read after the check
        raise click.ClickException(f"{error.filename}: {error.strerror}") from None
    for name in result.refused:
        click.echo(f"{name}: larger than INBOUND_MAX_BYTES, refused", err=True)
    processed = process_pending()
    click.echo(
        f"stored {result.stored} · already known {result.known} · refused {len(result.refused)}"
        f" · processed {processed}"
    )
    if result.refused:
        raise SystemExit(1)


@mail_cli.command("fetch")
def fetch_command() -> None:
    """Fetch replies by IMAP (INBOUND_IMAP_URL), store, move them away, then process them."""
    config = current_app.config
    try:
        mailbox = parse_url(config["INBOUND_IMAP_URL"])
        result = fetch(
            mailbox, done_folder=config["INBOUND_IMAP_DONE_FOLDER"], max_bytes=_max_bytes()
        )
    except MailboxError as error:
        raise click.ClickException(str(error)) from error
    processed = process_pending()
    click.echo(
        f"fetched {result.stored} · already known {result.known} · moved {result.moved}"
        f" · refused {result.refused} · processed {processed}"
    )


@mail_cli.command("process-inbound")
def process_inbound_command() -> None:
    """Process stored messages that a crash or an outage left unprocessed."""
    click.echo(f"processed {process_pending()}")


@mail_cli.command("purge-inbound")
@click.option(
    "--days", default=None, type=click.IntRange(0), help="Default: INBOUND_RETENTION_DAYS."
)
def purge_inbound_command(days: int | None) -> None:
    """Delete received messages' bytes after the retention period (run daily)."""
    days = current_app.config["INBOUND_RETENTION_DAYS"] if days is None else days
    purged = purge(now=datetime.now(UTC), days=days)
    db.session.commit()
    click.echo(f"purged {purged} message(s) older than {days} days")
