"""Several workers at once, and a worker that dies mid-batch."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail.models import MailStatus, OutboxMessage
from app.mail.worker import claim, deliver
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server
from tests.test_mail_delivery import queue, rows_by_status

ROOT = Path(__file__).resolve().parent.parent


def test_two_concurrent_workers_send_each_mail_exactly_once(app):
    # PostgreSQL: SKIP LOCKED hands out disjoint batches; SQLite: its one writer serialises claims.
    rows = queue(80, now=datetime.now(UTC) - timedelta(seconds=1))
    reports = {}
    start = threading.Barrier(2, timeout=60)

    def work(name: str) -> None:
        """Deliver in small batches from this thread's own connections."""
        with app.app_context():
            start.wait()
            reports[name] = deliver(until_empty=True, worker_id=name, batch_size=2)

    with smtp_server(RecordingHandler()) as controller:
        send_mail_to(app, controller.port)
        threads = [threading.Thread(target=work, args=(name,)) for name in ("w1", "w2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        received = controller.handler.message_ids
    assert Counter(received) == Counter(row.message_id for row in rows)  # each exactly once
    assert reports["w1"].sent + reports["w2"].sent == 80
    assert reports["w1"].sent > 0 and reports["w2"].sent > 0, reports
    db.session.expire_all()
    assert rows_by_status() == {MailStatus.SENT: 80}
    senders = Counter(db.session.scalars(select(OutboxMessage.claimed_by)))
    assert senders == {"w1": reports["w1"].sent, "w2": reports["w2"].sent}


class CommitOnSignal:
    """A connection whose commit waits until the test allows it, keeping its row locks."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.holding = threading.Event()  # the claim ran; its rows are locked
        self.allowed = threading.Event()

    def execute(self, *args, **kwargs):
        """Run a statement on the wrapped connection."""
        return self.connection.execute(*args, **kwargs)

    def commit(self) -> None:
        """Say that the rows are held, and commit once allowed."""
        self.holding.set()
        self.allowed.wait(timeout=10)
        self.connection.commit()


def test_a_claim_skips_rows_another_claim_holds_instead_of_taking_them_too(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer; the other claim would simply wait")
    now = datetime.now(UTC)
    rows = queue(10, now=now - timedelta(seconds=1))
    options = {"now": now, "claim_timeout": timedelta(minutes=10)}
    engine, first = db.engine, []
    with engine.connect() as slow_connection:
        held = CommitOnSignal(slow_connection)

        def hold_three() -> None:
            """Claim three rows and keep the transaction open until allowed to commit."""
            first.extend(row.id for row in claim(held, worker_id="slow", limit=3, **options))

        thread = threading.Thread(target=hold_three)
        thread.start()
        try:
            assert held.holding.wait(timeout=10)
            with engine.connect() as connection:
                connection.exec_driver_sql("SET lock_timeout = '2s'")  # skipping, not waiting
                second = [
                    row.id for row in claim(connection, worker_id="fast", limit=10, **options)
                ]
        finally:
            held.allowed.set()
            thread.join(timeout=10)
    assert len(first) == 3 and len(second) == 7
    assert sorted(first + second) == sorted(row.id for row in rows)


def test_a_worker_killed_mid_batch_loses_nothing(app, database_url):
    rows = queue(12, now=datetime.now(UTC) - timedelta(seconds=1))
    handler = RecordingHandler(delay=0.25)  # slow enough to kill the worker while it sends
    with smtp_server(handler) as controller:
        env = os.environ | {
            "DATABASE_URL": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(controller.port),
            "STADTKALENDER_ENV": "test",
        }
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "deliver"]
        worker = subprocess.Popen(
            [*command, "--until-empty", "--worker-id", "doomed"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while handler.data_commands < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert handler.data_commands >= 4, worker.communicate(timeout=5)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.communicate(timeout=10)
        db.session.expire_all()
        counts = rows_by_status()
        assert counts[MailStatus.SENDING] > 0 and counts.get(MailStatus.QUEUED, 0) == 0, counts
        assert deliver(until_empty=True, worker_id="rescuer").sent == 0  # the claim still holds

        handler.delay = 0
        send_mail_to(app, controller.port)
        later = datetime.now(UTC) + timedelta(minutes=11)
        report = deliver(until_empty=True, worker_id="rescuer", now_fn=lambda: later)
    db.session.expire_all()
    assert rows_by_status() == {MailStatus.SENT: 12}
    received = Counter(handler.message_ids)
    assert set(received) == {row.message_id for row in rows}  # nothing lost
    assert sum(received.values()) - len(received) <= 1  # at most the one in flight came twice
    assert report.sent == 12 - counts[MailStatus.SENT]
