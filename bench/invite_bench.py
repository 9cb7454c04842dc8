"""Invitation benchmark: five departments each invite 2,000 contacts (40% overlap) to one event.

Prints the time to create the invitations on PostgreSQL (target under 5 s) and how long the
queued mails take to render, which the delivery worker does when it sends them.
"""

import logging
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

import psycopg
from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from flask_migrate import upgrade  # noqa: E402
from mail_bench import SinkServer, bare  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.contacts.models import Contact  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events.operations import create_event  # noqa: E402
from app.events.validation import EventInput  # noqa: E402
from app.extensions import db, mail  # noqa: E402
from app.invitations.delivery import render_pending, render_queued  # noqa: E402
from app.invitations.models import Invitation, InvitationDepartment  # noqa: E402
from app.invitations.operations import invite  # noqa: E402
from app.mail.models import MailStatus, OutboxMessage  # noqa: E402
from app.mail.smtp import envelope_sender  # noqa: E402
from app.mail.worker import deliver  # noqa: E402
from config import Config  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "stadtkalender_invitebench"
DEPARTMENTS, PER_DEPARTMENT, SHARED = 5, 2000, 800  # 800 of each 2,000 are on every list
DELIVERED = 1000


def _fresh_database() -> str:
    """Drop and create the benchmark database; return its SQLAlchemy URL."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"


def _contacts(count: int, now: datetime) -> list[int]:
    """Insert contacts in bulk and return their ids."""
    rows = [
        {
            "salutation": "Frau" if i % 2 else "Herr",
            "first_name": f"Vorname{i}",
            "last_name": f"Nachname{i}",
            "email": f"gast{i}@example.org",
            "email_key": f"gast{i}@example.org",
            "name_key": f"nachname{i} vorname{i}",
            "language": "de" if i % 5 else "en",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    db.session.execute(insert(Contact), rows)
    return list(db.session.scalars(select(Contact.id).order_by(Contact.id)))


def run() -> dict:
    """Build the scene, time the five invite calls and a sample of renders."""
    app = create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=_fresh_database(),
        ENV_NAME="test",
        MAIL_DOMAIN="stadt.example",
        BASE_URL="https://termine.stadt.example",
    )
    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        users = []
        for n in range(DEPARTMENTS):
            dept = Department(code=f"amt{n}", name=f"Amt {n}", email=f"amt{n}@stadt.example")
            user = User(
                email=f"staff{n}@stadt.example",
                name=f"Staff {n}",
                role=Role.STAFF,
                department=dept,
                password_hash="x",
                created_at=now,
            )
            db.session.add_all([dept, user])
            users.append(user)
        db.session.flush()
        start = (now + timedelta(days=30)).replace(
            tzinfo=None, hour=18, minute=0, second=0, microsecond=0
        )
        event = create_event(
            EventInput(
                title="Neujahrsempfang",
                start=start,
                end=start + timedelta(hours=3),
                status="published",
                visibility="public",
                co_hosts=[f"amt{n}" for n in range(1, DEPARTMENTS)],
                department="amt0",
            ),
            actor=users[0],
            now=now,
        )
        unique = PER_DEPARTMENT - SHARED
        ids = _contacts(SHARED + DEPARTMENTS * unique, now)
        db.session.commit()
        lists = [
            ids[:SHARED] + ids[SHARED + n * unique : SHARED + (n + 1) * unique]
            for n in range(DEPARTMENTS)
        ]
        timings = []
        started = perf_counter()
        for user, contact_ids in zip(users, lists, strict=True):
            t0 = perf_counter()
            contacts = db.session.scalars(select(Contact).where(Contact.id.in_(contact_ids))).all()
            invite(event, contacts, actor=user, now=now, secret_key=app.config["SECRET_KEY"])
            db.session.commit()
            timings.append(perf_counter() - t0)
        total = perf_counter() - started
        counts = {
            "invitations": db.session.scalar(select(func.count(Invitation.id))),
            "department_links": db.session.scalar(select(func.count(InvitationDepartment.id))),
            "queued_mails": db.session.scalar(select(func.count(OutboxMessage.id))),
        }
        delivery = _delivery(app)
        db.session.remove()
        db.engine.dispose()
    return {"total": total, "per_department": timings, "counts": counts, **delivery}


def _delivery(app) -> dict:
    """Deliver DELIVERED queued invitations (rendered by the worker) into a local aiosmtpd
    process, then send the very same bytes with bare smtplib over one connection."""
    server = SinkServer()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False)
        mail.init_app(app)
        ids = db.session.scalars(
            select(OutboxMessage.id).order_by(OutboxMessage.id).limit(DELIVERED)
        ).all()
        parked = update(OutboxMessage).where(OutboxMessage.id.not_in(ids))
        db.session.execute(parked.values(status=MailStatus.SENT))  # the rest stays out of it
        db.session.commit()
        started = perf_counter()
        rendered = render_pending(now=datetime.now(UTC))
        render_seconds = perf_counter() - started
        started = perf_counter()
        report = deliver(until_empty=True, worker_id="bench", batch_size=100, render=render_queued)
        worker_seconds = perf_counter() - started
        rows = db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.message).where(OutboxMessage.id.in_(ids))
        ).all()
        mails = [(row.recipient, row.message) for row in rows]
        bare_seconds = bare(server.port, envelope_sender(), mails)
    finally:
        server.stop()
    size = statistics.mean(len(raw) for _recipient, raw in mails) / 1024
    return {
        "sent": report.sent,
        "worker_s": worker_seconds,
        "bare_s": bare_seconds,
        "mail_kb": size,
        "rendered": rendered,
        "render_s": render_seconds,
    }


def main() -> int:
    """Run the benchmark and print the figures."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(
        "\nInvitations: 5 departments x 2,000 contacts, 40% on every list, one event "
        "(PostgreSQL, in-process)"
    )
    result = run()
    counts = result["counts"]
    print(
        f"  invitations {counts['invitations']}, department links "
        f"{counts['department_links']}, queued mails {counts['queued_mails']}"
    )
    per = ", ".join(f"{t:.2f}" for t in result["per_department"])
    verdict = "PASS" if result["total"] < 5 else "FAIL"
    print(
        f"  time to create all invitations: {result['total']:.2f} s "
        f"(per department: {per} s)  target < 5 s: {verdict}"
    )
    ratio = result["bare_s"] / result["worker_s"]
    print(
        f"  rendering {result['rendered']} queued mails ahead of delivery (flask invitations "
        f"render): {result['render_s']:.2f} s, {result['render_s'] / result['rendered'] * 1000:.1f}"
        f" ms each"
    )
    print(
        f"  delivery of the {result['sent']} rendered mails ("
        f"{result['mail_kb']:.1f} KB each) into aiosmtpd: {result['worker_s']:.2f} s; bare "
        f"smtplib, same bytes, one connection: {result['bare_s']:.2f} s; ratio {ratio:.2f} "
        f"(target >= 0.7: {'PASS' if ratio >= 0.7 else 'FAIL'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
