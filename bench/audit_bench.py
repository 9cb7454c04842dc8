"""Audit benchmark: what the audit log costs the guest list (2,000 guests) and the bulk invite.

The guest list page is rendered through the Flask test client on PostgreSQL, alternately with
its audit entry ("guestlist.viewed", committed with the GET) and without it (the write is
replaced by a no-op for the bench only); the medians are compared (target: at most 10 %
slower). The bulk invite of 2,000 guests (one audit row per queued invitation, one INSERT)
is timed the same way on two events.

Usage: ``.venv/bin/python bench/audit_bench.py [--quick]``
"""

import argparse
import logging
import statistics
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from flask_migrate import upgrade  # noqa: E402
from invite_bench import _contacts  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.audit.models import AuditEntry  # noqa: E402
from app.contacts.models import Contact  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events.operations import create_event  # noqa: E402
from app.events.validation import EventInput  # noqa: E402
from app.extensions import db  # noqa: E402
from app.invitations import guest_page, operations  # noqa: E402
from config import Config  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "stadtkalender_auditbench"
GUESTS = 2000
TARGET = 1.10  # with the audit write at most 10 % slower


def _fresh_database() -> str:
    """Drop and create the benchmark database; return its SQLAlchemy URL."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"


@contextmanager
def _without(module, name: str):
    """Replace an audit call of a module by a no-op for the duration (the "without" runs)."""
    original = getattr(module, name)
    setattr(module, name, lambda *args, **kwargs: None)
    try:
        yield
    finally:
        setattr(module, name, original)


@contextmanager
def _timed(module, name: str):
    """Measure the time spent in one function of a module; yields a one-item list of seconds."""
    original, spent = getattr(module, name), [0.0]

    def timed(*args, **kwargs):
        t0 = perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += perf_counter() - t0

    setattr(module, name, timed)
    try:
        yield spent
    finally:
        setattr(module, name, original)


def _event(user: User, title: str, start: datetime):
    """Create a published event of the user's department."""
    end = start + timedelta(hours=3)
    data = EventInput(
        title=title, start=start, end=end, status="published", conflict_reason="Benchmark"
    )
    return create_event(data, actor=user, now=datetime.now(UTC))


def _time_invites(app, user: User, contacts: list[Contact], start: datetime) -> dict:
    """Invite all contacts to one event with the audit rows and to another without them."""
    result = {}
    warm = _event(user, "Warm-up", start)
    db.session.commit()
    operations.invite(warm, contacts[:200], actor=user, now=datetime.now(UTC), secret_key="x")
    db.session.commit()  # the first invite pays for plans and caches, not the audit rows
    for label, offset in (("without", 1), ("with", 2)):
        event = _event(user, f"Empfang {label}", start + timedelta(days=offset))
        db.session.commit()
        secret = app.config["SECRET_KEY"]
        t0 = perf_counter()
        if label == "without":
            with _without(operations, "record_many"):
                operations.invite(
                    event, contacts, actor=user, now=datetime.now(UTC), secret_key=secret
                )
        else:
            with _timed(operations, "record_many") as spent:
                operations.invite(
                    event, contacts, actor=user, now=datetime.now(UTC), secret_key=secret
                )
            result["audit_rows"] = spent[0]
        db.session.commit()
        result[label] = perf_counter() - t0
        result.setdefault("event_id", event.id)
    return result


def run(rounds: int) -> dict:
    """Build the scene and time the guest list with and without its audit entry."""
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=_fresh_database(), ENV_NAME="test")
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        dept = Department(code="kultur", name="Kulturbüro", email="kultur@stadt.example")
        user = User(
            email="staff@stadt.example",
            name="Staff",
            role=Role.STAFF,
            department=dept,
            password_hash="x",
            created_at=now,
        )
        db.session.add_all([dept, user])
        db.session.flush()
        ids = _contacts(GUESTS, now)
        db.session.commit()
        contacts = db.session.scalars(select(Contact).where(Contact.id.in_(ids))).all()
        start = (now + timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
        invites = _time_invites(app, user, contacts, start)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user.get_id(), True
        url = f"/events/{invites['event_id']}/guests/"
        assert client.get(url).status_code == 200  # warm-up: templates, caches, plans
        timings: dict[str, list[float]] = {"with": [], "without": []}
        for _round in range(rounds):
            for label in ("with", "without"):  # interleaved: the machine's noise hits both
                t0 = perf_counter()
                if label == "without":
                    with _without(guest_page, "record_read"):
                        response = client.get(url)
                else:
                    response = client.get(url)
                timings[label].append(perf_counter() - t0)
                assert response.status_code == 200
        entries = db.session.scalar(select(func.count(AuditEntry.id)))
        db.session.remove()
        db.engine.dispose()
    return {"timings": timings, "invites": invites, "entries": entries}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 9")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(f"\nAudit log: guest list of {GUESTS:,} guests with and without its entry (PostgreSQL)")
    result = run(3 if args.quick else 9)
    with_s = statistics.median(result["timings"]["with"])
    without_s = statistics.median(result["timings"]["without"])
    ratio = with_s / without_s
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(
        f"  guest list median: with audit {with_s * 1000:.0f} ms, without {without_s * 1000:.0f} ms"
        f"  ratio {ratio:.3f}  target <= {TARGET:.2f}: {verdict}"
    )
    inv = result["invites"]
    print(
        f"  bulk invite of {GUESTS:,}: with audit rows {inv['with']:.2f} s, without "
        f"{inv['without']:.2f} s (one run each; noisy), of which writing the "
        f"{GUESTS:,} audit rows {inv['audit_rows'] * 1000:.0f} ms"
    )
    print(f"  audit entries written: {result['entries']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
