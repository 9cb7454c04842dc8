"""Retention benchmark: `privacy purge` over 100,000 contacts and 500,000 invitations (issue 12).

The PostgreSQL database ``stadtkalender_privacybench`` (created, migrated and dropped here) gets
100 past events, 100,000 contacts (20,000 of them idle for four years, without invitations),
500,000 invitations (5,000 per event; 40% with a comment or needs), 50,000 sent mails with
bodies and 200,000 audit entries, loaded with COPY. Then the purge runs as the daily timer would
(batches of RETENTION_BATCH_SIZE, one transaction each, VACUUM afterwards) and the report gives
the total time (target < 60 s) and the longest batch writing ``invitations`` (target < 1 s).

Run alone: ``.venv/bin/python bench/privacy_bench.py [--contacts 100000] [--invitations 500000]``.
"""

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("STADTKALENDER_ENV", "test")

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events.operations import create_event  # noqa: E402
from app.events.validation import EventInput  # noqa: E402
from app.extensions import db  # noqa: E402
from app.privacy.retention import run  # noqa: E402
from config import TestConfig  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "stadtkalender_privacybench"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # the timer's run
EVENTS = 100
TOTAL_TARGET, BATCH_TARGET = 60.0, 1.0
BODY = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + b"Guten Tag, ... " * 200


def _urls() -> tuple[str, str]:
    """Return the SQLAlchemy and the psycopg URL of the benchmark database."""
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{DATABASE}", (
        f"{base}/{DATABASE}"
    )


def _recreate(drop_only: bool = False) -> None:
    """Drop (and unless drop_only, create) the benchmark database."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _events() -> list[tuple[int, datetime]]:
    """Create the past events through the domain; return (id, end) per event."""
    department = Department(code="bench", name="Benchamt", email="bench@stadt.example")
    db.session.add(department)
    user = User(
        email="bench@stadt.example",
        name="Bench",
        role=Role.STAFF,
        department=department,
        created_at=NOW,
    )
    user.set_password("bench-password-123")
    db.session.add(user)
    db.session.flush()
    made = []
    for n in range(EVENTS):
        start = datetime(2023, 1, 10, 18, 0) + timedelta(days=n * 12)  # until late 2026
        event = create_event(
            EventInput(title=f"Empfang {n}", start=start, end=start + timedelta(hours=2)),
            actor=user,
            now=datetime(2022, 12, 1, tzinfo=UTC),
        )
        made.append((event.id, event.ends_at))
    db.session.commit()
    return made


def _copy(conn, table: str, columns: tuple[str, ...], rows) -> None:
    """Load rows with COPY."""
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _load(pg_url: str, events: list[tuple[int, datetime]], contacts: int, invitations: int):
    """Bulk-load contacts, invitations, sent mail and audit entries."""
    idle = contacts // 5
    invited = contacts - idle
    per_event = invitations // len(events)
    old, recent = datetime(2022, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    contact_columns = (
        "id", "salutation", "title", "office_title", "first_name", "name_particle", "last_name",
        "email", "email_key", "mailbox_key", "name_key", "phonetic_key", "organisation",
        "function", "phone", "language", "vip", "do_not_invite", "role_address", "notes",
        "created_at", "updated_at",
    )  # fmt: skip
    invitation_columns = (
        "event_id", "contact_id", "status", "plus_ones", "comment", "needs", "token_nonce",
        "token_hash", "revoked", "suppressed", "response_source", "created_at", "updated_at",
    )  # fmt: skip

    def contact_rows():
        for i in range(1, contacts + 1):
            stamp = old if i > invited else recent
            email = f"gast{i}@example.org"
            yield (
                i, "Frau", "", "", "Erika", "", f"Muster{i}", email, email, email,
                f"erika muster{i}", "", "", "", "", "de", False, False, False, "", stamp, stamp,
            )  # fmt: skip

    def invitation_rows():
        n = 0
        for index, (event_id, ends_at) in enumerate(events):
            for k in range(per_event):
                n += 1
                contact = (index * per_event + k) % invited + 1
                noted = n % 5 < 2
                yield (
                    event_id, contact, "accepted" if n % 3 else "declined", 0,
                    "Komme etwas später" if noted else "", "vegetarisch" if noted else "",
                    f"{n:032x}", f"{n:064x}", False, "", "link", ends_at, ends_at,
                )  # fmt: skip

    def outbox_rows():
        for n in range(50_000):
            sent = NOW - timedelta(days=n % 60)
            message = b"Subject: Einladung\r\nTo: gast@example.org\r\n" + BODY
            yield (
                "gast@example.org", "confirmation", n, message, f"<bench{n}@stadt.test>", "sent",
                1, sent, "", "", sent, sent,
            )  # fmt: skip

    def audit_rows():
        for n in range(200_000):
            at = NOW - timedelta(hours=n // 4)  # about 5.7 years back
            yield (at, "system", "", "contact.viewed", "contact", n % contacts + 1, "{}")

    with psycopg.connect(pg_url) as conn:
        _copy(conn, "contacts", contact_columns, contact_rows())
        conn.execute("SELECT setval('contacts_id_seq', %s)", (contacts,))
        _copy(conn, "invitations", invitation_columns, invitation_rows())
        _copy(
            conn,
            "outbox",
            (
                "recipient", "kind", "sequence", "message", "message_id", "status", "attempts",
                "next_attempt_at", "claimed_by", "last_error", "sent_at", "created_at",
            ),
            outbox_rows(),
        )  # fmt: skip
        _copy(
            conn,
            "audit_log",
            ("at", "actor_type", "actor_label", "action", "object_type", "object_id", "changes"),
            audit_rows(),
        )
        conn.commit()
        conn.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    """Load the data, run the purge and print the figures; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--invitations", type=int, default=500_000)
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    _recreate()
    sa_url, pg_url = _urls()
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=sa_url)
    try:
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            events = _events()
            _load(pg_url, events, args.contacts, args.invitations)
            print(
                f"\nRetention purge (PostgreSQL, {args.contacts:,} contacts, "
                f"{args.invitations:,} invitations, 50,000 sent mails, 200,000 audit entries; "
                f"loaded in {time.perf_counter() - started:.1f} s)"
            )
            started = time.perf_counter()
            report = run(now=NOW, config=app.config)
            total = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
    finally:
        _recreate(drop_only=True)
    for r in report.results:
        print(
            f"  {r.name:<12} {r.purged:>9,} purged in {r.batches:>4} batches, "
            f"longest {r.longest * 1000:6.0f} ms"
        )
    print(f"  of which VACUUM (ANALYZE) of the changed tables {report.vacuum_seconds:.1f} s")
    longest = report.longest_batch("invitations")
    ok_total, ok_batch = total < TOTAL_TARGET, longest < BATCH_TARGET
    print(
        f"  total (with VACUUM) {total:.1f} s (target < {TOTAL_TARGET:.0f} s) "
        f"{'PASS' if ok_total else 'FAIL'}"
    )
    print(
        f"  longest batch on invitations {longest * 1000:.0f} ms (target < 1000 ms, batches of "
        f"{app.config['RETENTION_BATCH_SIZE']:,}) {'PASS' if ok_batch else 'FAIL'}"
    )
    return 0 if ok_total and ok_batch else 1


if __name__ == "__main__":
    sys.exit(main())
