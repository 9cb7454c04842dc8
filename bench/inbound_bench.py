"""Inbound mail benchmark: calendar replies ingested from files and over SMTP (issue 11).

N mails (93% calendar replies mixed accept/decline/tentative, 5% out-of-office, 2% bounces,
built from the corpus in tests/data/inbound) for N invitations in the PostgreSQL database
``BENCH_INBOUND_DB`` (default ``stadtkalender_inboundbench``; created, migrated and dropped here):
(a) from files as ``mail ingest DIR`` does (the token from the To: header): store, committing
per batch, then processing in batches; target >= 300 replies/s end to end;
(b) over SMTP, in the same run, in alternating rounds (``--rounds``, default 3; the medians
count): the same N mails are sent over K concurrent connections
(``--connections``, default 20: Postfix's ``default_destination_concurrency_limit``, so as many
as a Postfix relay opens to our LMTP/SMTP server for one burst), each from its own
client process so that the clients do not share the server's interpreter, first to a bare
aiosmtpd server that only keeps the bytes, then to the inbound server (store with a group
commit, 250 only after the commit; processing is not part of it). Reported: both rates in mails
per second from the first connection to the last answer, and their ratio (bare time / our
time); target ratio >= 0.5. Every mail must have been stored exactly once.

Run alone:
``.venv/bin/python bench/inbound_bench.py [--count 10000] [--connections 20] [--rounds 3]``.
"""

import argparse
import base64
import multiprocessing
import os
import re
import smtplib
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("STADTKALENDER_ENV", "test")

import psycopg  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.contacts.models import Contact  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events.operations import create_event  # noqa: E402
from app.events.validation import EventInput  # noqa: E402
from app.extensions import db  # noqa: E402
from app.inbound.inbox import ingest, process_pending  # noqa: E402
from app.inbound.models import InboundMessage, State  # noqa: E402
from app.inbound.server import inbound_server  # noqa: E402
from app.invitations.models import Invitation  # noqa: E402
from app.invitations.operations import invite  # noqa: E402
from app.invitations.tokens import token_for  # noqa: E402
from config import TestConfig  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("BENCH_INBOUND_DB", "stadtkalender_inboundbench")
CORPUS = ROOT / "tests" / "data" / "inbound"
B64 = re.compile(r"\{\{BASE64\}\}\n(.*?)\{\{/BASE64\}\}\n", re.S)
FILE_TARGET, SMTP_TARGET = 300.0, 0.5


def _url() -> str:
    """Return the SQLAlchemy URL of the benchmark database."""
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{DATABASE}"


def _recreate(drop_only: bool = False) -> None:
    """Drop (and unless drop_only, create) the benchmark database."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _mail(name: str, number: int, **values: str) -> bytes:
    """Return a corpus mail with placeholders filled and a Message-ID of its own."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key.upper() + "}}", value)
    text = B64.sub(lambda m: base64.encodebytes(m.group(1).encode()).decode(), text)
    text = re.sub(r"(?im)^Message-I[dD]: .*$", f"Message-ID: <bench-{number}@example.org>", text)
    return text.replace("\n", "\r\n").encode()


def _mails(count: int, domain: str, now: datetime) -> list[tuple[str, bytes]]:
    """Invite ``count`` guests to one event and return (envelope recipient, mail) per guest."""
    department = Department(code="bench", name="Amt für Benchmarks", email="bench@stadt.example")
    actor = User(
        email="bench@stadt.example",
        name="Bench",
        role=Role.STAFF,
        department=department,
        created_at=now,
        password_hash="!",  # cannot log in
    )
    db.session.add_all([department, actor])
    db.session.flush()
    start = (now + timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
    fields = EventInput(
        title="Empfang", start=start, end=start + timedelta(hours=2), status="published"
    )
    event = create_event(fields, actor=actor, now=now)
    contacts = [
        Contact(
            first_name="Gast",
            last_name=f"Nummer {n}",
            email=f"gast{n}@example.org",
            email_key=f"gast{n}@example.org",
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    ]
    db.session.add_all(contacts)
    db.session.flush()
    invite(event, contacts, actor=actor, now=now, secret_key=TestConfig.SECRET_KEY)
    db.session.commit()
    kinds = ["gmail_accept.eml", "apple_mail_decline.eml", "thunderbird_tentative.eml"]
    result = []
    for n, invitation in enumerate(db.session.scalars(select(Invitation).order_by(Invitation.id))):
        token = token_for(invitation.token_nonce, TestConfig.SECRET_KEY)
        name = kinds[n % 3]
        if n % 100 < 5:
            name = "exchange_out_of_office.eml"
        elif n % 100 < 7:
            name = "postfix_dsn_5.1.1.eml"
        fill = {
            "token": token,
            "domain": domain,
            "uid": event.uid,
            "guest": invitation.contact.email,
        }
        fill["message_id"] = "<none@bench>"
        result.append((f"rsvp+{token}@{domain}", _mail(name, n, **fill)))
    return result


class BareHandler:
    """An aiosmtpd handler that only keeps the bytes."""

    def __init__(self) -> None:
        self.kept: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        """Keep the message."""
        self.kept.append(envelope.original_content)
        return "250 OK"


_MAILS: list[tuple[str, bytes]] = []  # set before the client processes are forked


def _send_share(port: int, share: int, shares: int) -> None:
    """Send every ``shares``-th mail from ``share`` on over one connection (a client process)."""
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for recipient, raw in _MAILS[share::shares]:
            smtp.sendmail("gast@example.org", [recipient], raw)


def _send_all(pool, port: int, connections: int) -> float:
    """Send every mail over ``connections`` concurrent connections; return the seconds it took."""
    started = time.perf_counter()
    pool.starmap(_send_share, [(port, share, connections) for share in range(connections)])
    return time.perf_counter() - started


def _smtp(
    app, mails: list[tuple[str, bytes]], connections: int, rounds: int
) -> tuple[list[float], list[float], int]:
    """Send the mails to a bare server, then to ours, ``rounds`` times alternately.

    Returns the seconds of each round of both and how many mails ours stored (each of its
    rounds starts from an empty inbound table, so that nothing is skipped as known).
    """
    global _MAILS
    _MAILS = mails
    bare_times, our_times, stored = [], [], 0
    # Forked before any server thread runs; the clients only read _MAILS.
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        for _round in range(rounds):
            db.session.execute(delete(InboundMessage))
            db.session.commit()
            controller = Controller(BareHandler(), hostname="127.0.0.1", port=0)
            controller.port = _free_port()
            controller.start()
            try:
                bare_times.append(_send_all(pool, controller.port, connections))
            finally:
                controller.stop()
            with inbound_server(app, port=0) as server:
                our_times.append(_send_all(pool, server.port, connections))
            db.session.rollback()
            stored = db.session.scalar(select(func.count(InboundMessage.id)))
            if stored != len(mails):
                break
    return bare_times, our_times, stored


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print the report; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=20, help="concurrent SMTP clients")
    parser.add_argument("--rounds", type=int, default=3, help="SMTP rounds of each server")
    options = parser.parse_args(argv)
    count, connections = options.count, options.connections
    _recreate()
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=_url(), MAIL_SUPPRESS_SEND=True)
    try:
        with app.app_context():
            upgrade()
            now = datetime.now(UTC)
            mails = _mails(count, app.config["MAIL_DOMAIN"], now)
            started = time.perf_counter()
            files = [(f"bench-{n}.eml", raw) for n, (_recipient, raw) in enumerate(mails)]
            ingest(files, max_bytes=app.config["INBOUND_MAX_BYTES"])  # as `mail ingest DIR`
            stored_at = time.perf_counter()
            process_pending(now=now)
            files_seconds = time.perf_counter() - started
            files_rate = count / files_seconds
            store_share = (stored_at - started) / files_seconds
            states = dict(
                db.session.execute(
                    select(InboundMessage.state, func.count()).group_by(InboundMessage.state)
                ).all()
            )
            db.session.execute(delete(InboundMessage))
            db.session.commit()
            bare_times, our_times, smtp_stored = _smtp(app, mails, connections, options.rounds)
            bare_seconds, smtp_seconds = median(bare_times), median(our_times)
            ratio = bare_seconds / smtp_seconds
            db.session.remove()
            db.engine.dispose()
    finally:
        _recreate(drop_only=True)
    print(
        f"inbound: {count} mails from files: {files_rate:.0f}/s end to end (target >= 300);"
        f" storing {store_share:.0%} of the time"
    )
    print(f"inbound: outcomes {', '.join(f'{s.value} {n}' for s, n in sorted(states.items()))}")
    rounds = ", ".join(f"{b / o:.2f}" for b, o in zip(bare_times, our_times, strict=True))
    print(
        f"inbound: SMTP over {connections} connections, median of {len(our_times)} alternating"
        f" rounds: {count / smtp_seconds:.0f}/s vs bare aiosmtpd {count / bare_seconds:.0f}/s:"
        f" ratio {ratio:.2f} (target >= {SMTP_TARGET}); stored {smtp_stored} of {count};"
        f" per round {rounds}"
    )
    ok = files_rate >= FILE_TARGET and ratio >= SMTP_TARGET and State.STORED not in states
    ok = ok and smtp_stored == count
    return 0 if ok else 1


def _free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    raise SystemExit(main())
