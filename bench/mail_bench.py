"""Mail delivery benchmark: the outbox worker against bare smtplib, into a local aiosmtpd server.

N invitation-sized mails (~30 KB: text, HTML, a base64 calendar part and the same as .ics
attachment) are queued in the PostgreSQL database ``stadtkalender_mailbench`` (created, migrated
and dropped here) and delivered by the worker: claims, one reused SMTP connection, a commit per
mail. The bare limit is smtplib sending the same pre-built bytes over one connection to the same
server. Both run interleaved, round by round, and the ratio is taken per round; the server is a
separate process (aiosmtpd's Sink), so that it does not share the GIL with the measured code.
Target: worker throughput / bare throughput >= 0.7.

Run alone: ``.venv/bin/python bench/mail_bench.py [--count 2000] [--rounds 5]``.
"""

import argparse
import contextlib
import io
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.mail.models import MailStatus, OutboxMessage  # noqa: E402
from app.mail.outbox import enqueue  # noqa: E402
from app.mail.smtp import envelope_sender  # noqa: E402
from app.mail.worker import deliver  # noqa: E402
from config import Config  # noqa: E402

ADMIN_URL = os.environ.get("MAILBENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "stadtkalender_mailbench"
TARGET = 0.7
PARAGRAPH = (
    "Sehr geehrte Frau Muster, die Oberbürgermeisterin lädt Sie herzlich zum Neujahrsempfang "
    "im Festsaal des Rathauses ein. Bitte teilen Sie uns mit, ob Sie teilnehmen können. "
)


def _database_url() -> str:
    """Return the SQLAlchemy URL of the benchmark database."""
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{DATABASE}"


def _recreate(drop_only: bool = False) -> None:
    """Drop (and unless drop_only, create) the benchmark database."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _fold(line: str) -> str:
    """Fold an iCalendar content line at 75 characters (the text here is ASCII)."""
    return "\r\n ".join(line[i : i + 74] for i in range(0, len(line), 74))


def invitation_sized(n: int, sender: str) -> EmailMessage:
    """Return a mail shaped and sized like an invitation (~30 KB on the wire)."""
    description = "\\n".join(PARAGRAPH.replace("ü", "ue") for _ in range(28))
    ics = "\r\n".join(
        _fold(line)
        for line in [
            "BEGIN:VCALENDAR",
            "METHOD:REQUEST",
            "PRODID:-//Stadtkalender//DE",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            f"UID:bench-{n}@stadtkalender.example",
            "SEQUENCE:0",
            "DTSTAMP:20261102T090000Z",
            "DTSTART;TZID=Europe/Berlin:20270110T180000",
            "DTEND;TZID=Europe/Berlin:20270110T200000",
            "SUMMARY:Neujahrsempfang",
            f"DESCRIPTION:{description}",
            f"ATTENDEE;CN=Gast {n};RSVP=TRUE:mailto:gast{n}@example.org",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    ).encode()
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"gast{n}@example.org"
    message["Subject"] = "Einladung: Neujahrsempfang"
    message.set_content("\n\n".join(PARAGRAPH * 2 for _ in range(16)))
    message.add_alternative("".join(f"<p>{PARAGRAPH * 2}</p>" for _ in range(16)), subtype="html")
    message.add_alternative(
        ics, maintype="text", subtype="calendar", params={"charset": "utf-8", "method": "REQUEST"}
    )
    message.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    return message


class SinkServer:
    """aiosmtpd's discarding server in its own process on a free port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
        self.process = subprocess.Popen([*command, "-l", f"127.0.0.1:{self.port}"])
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("aiosmtpd did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """End the server process."""
        self.process.terminate()
        self.process.wait(timeout=10)


def bare(port: int, sender: str, mails: list[tuple[str, bytes]]) -> float:
    """Send pre-built mails with smtplib over one connection; return the seconds taken."""
    started = perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for recipient, raw in mails:
            client.sendmail(sender, [recipient], raw)
    return perf_counter() - started


def worker_run(count: int) -> float:
    """Queue every row again and let the worker deliver them; return the seconds taken."""
    db.session.execute(
        update(OutboxMessage).values(
            status=MailStatus.QUEUED, next_attempt_at=datetime.now(UTC), sent_at=None, attempts=0
        )
    )
    db.session.commit()
    started = perf_counter()
    report = deliver(until_empty=True, worker_id="bench", batch_size=100)
    elapsed = perf_counter() - started
    if report.sent != count:
        raise RuntimeError(f"worker sent {report.sent} of {count}: {report}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; return 0 (a missed target is reported)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="mails per run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args(argv)

    _recreate()
    server = SinkServer()
    app = create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=_database_url(),
        ENV_NAME="test",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_SUPPRESS_SEND=False,
    )
    try:
        with app.app_context():
            with contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
                upgrade()
            sender = envelope_sender()
            now = datetime.now(UTC)
            started = perf_counter()
            for n in range(args.count):
                message = invitation_sized(n, app.config["MAIL_DEFAULT_SENDER"])
                enqueue(
                    db.session,
                    recipient=f"gast{n}@example.org",
                    kind="bench",
                    message=message,
                    now=now,
                )
            db.session.commit()
            queued = perf_counter() - started
            mails = [
                tuple(row)
                for row in db.session.execute(
                    select(OutboxMessage.recipient, OutboxMessage.message).order_by(
                        OutboxMessage.id
                    )
                )
            ]
            size = db.session.scalar(select(func.avg(func.length(OutboxMessage.message))))
            bare_times, worker_times = [], []
            for round_number in range(args.rounds):
                if round_number % 2 == 0:
                    bare_times.append(bare(server.port, sender, mails))
                    worker_times.append(worker_run(args.count))
                else:
                    worker_times.append(worker_run(args.count))
                    bare_times.append(bare(server.port, sender, mails))
            db.session.remove()
            db.engine.dispose()
    finally:
        server.stop()
        _recreate(drop_only=True)

    # Each round's two runs saw the same load on the machine, so the ratio is taken per round.
    ratios = [
        bare_time / worker_time
        for bare_time, worker_time in zip(bare_times, worker_times, strict=True)
    ]
    ratio = statistics.median(ratios)
    print(
        f"\nMail delivery: {args.count} mails of {size / 1024:.1f} KB on average, "
        f"{args.rounds} interleaved rounds, aiosmtpd Sink in its own process"
    )
    print(
        f"  enqueue (EmailMessage -> outbox, one transaction): {queued:.2f} s, "
        f"{args.count / queued:.0f} mails/s"
    )
    for label, times in (
        ("bare smtplib, one connection", bare_times),
        ("outbox worker (PostgreSQL)  ", worker_times),
    ):
        median = statistics.median(times)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"  {label}: median {median:.2f} s ({args.count / median:.0f} mails/s; runs {runs})")
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    per_round = ", ".join(f"{r:.2f}" for r in ratios)
    print(
        f"  worker throughput / bare limit: median {ratio:.2f} of the rounds ({per_round}); "
        f"target >= {TARGET}: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
