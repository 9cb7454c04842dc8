"""Issue 8, findings 15 and 19: the delivery worker against database outages, claim leases,
Subject headers of every mail kind, and the exit of ``mail deliver`` while retries wait."""

import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import psycopg
import pytest
from sqlalchemy import select, update

from app.events.models import Event
from app.extensions import db
from app.invitations.delivery import render_queued
from app.invitations.models import Invitation
from app.invitations.operations import invite
from app.mail import recording
from app.mail.claims import claim
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import enqueue_many
from app.mail.recording import utcnow
from app.mail.worker import deliver
from tests.conftest import PG_ADMIN_URL
from tests.factories import NOW, make_contact, make_event, make_user
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server
from tests.test_mail_delivery import queue, rows_by_status

KEY = "test-secret-key-not-for-production"


class BusyFirst(RecordingHandler):
    """Answers 421 to the first ``busy`` messages, then accepts like RecordingHandler."""

    def __init__(self, busy: int, **options) -> None:
        super().__init__(**options)
        self.busy = busy

    async def handle_DATA(self, server, session, envelope) -> str:
        """Refuse for now while busy, else record."""
        if self.busy > 0:
            self.busy -= 1
            self.data_commands += 1
            return "421 4.3.2 Service busy, try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp(app):
    """Run a recording SMTP server and point the app's mail settings at it."""
    with smtp_server(RecordingHandler()) as controller:
        send_mail_to(app, controller.port)
        yield controller.handler


def _terminate_other_backends(database: str) -> int:
    """Cut every other connection to the test database, as a server restart would."""
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def test_worker_survives_cut_database_connections_and_delivers_everything(app, caplog, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("cutting server connections is a PostgreSQL matter")
    rows = queue(40, now=datetime.now(UTC) - timedelta(seconds=1))
    handler = RecordingHandler(delay=0.03)
    reports, errors = [], []

    def work() -> None:
        """Deliver in small batches, as `mail deliver --until-empty` does."""
        with app.app_context():
            try:
                reports.append(
                    deliver(
                        until_empty=True,
                        worker_id="survivor",
                        batch_size=5,
                        outage_pause=(0.1, 0.5),
                    )
                )
            except Exception as error:  # noqa: BLE001 - asserted below
                errors.append(error)

    # Alembic's fileConfig (the migrations ran in this process) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("app.mail.worker"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="app.mail")
    with smtp_server(handler) as controller:
        send_mail_to(app, controller.port)
        thread = threading.Thread(target=work)
        thread.start()
        cuts = 0
        for mark in (5, 15, 25):
            deadline = time.monotonic() + 30
            while handler.data_commands < mark and thread.is_alive():
                assert time.monotonic() < deadline
                time.sleep(0.005)
            cuts += _terminate_other_backends(db.engine.url.database) > 0
        thread.join(timeout=60)
    assert not thread.is_alive() and errors == [], errors
    (report,) = reports
    assert cuts >= 1 and report.outages >= 1, report
    db.session.expire_all()
    assert rows_by_status() == {MailStatus.SENT: 40}
    received = Counter(handler.message_ids)
    assert set(received) == {row.message_id for row in rows}  # nothing lost
    assert sum(received.values()) - len(received) <= report.outages  # at most one per outage
    outage_lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage_lines) == report.outages  # one line per failure, no traceback


def test_a_batch_claim_is_renewed_while_it_is_sent_so_no_other_worker_takes_it(app):
    rows = queue(8, now=datetime.now(UTC) - timedelta(seconds=1))
    lease = timedelta(seconds=1.5)
    handler = RecordingHandler(delay=0.3)  # the batch takes about 2.4 s, longer than the lease
    taken, reports = [], []
    done = threading.Event()

    def thief() -> None:
        """Claim whatever looks abandoned, like a second worker would."""
        with app.app_context(), db.engine.connect() as connection:
            while not done.wait(0.1):
                found = claim(
                    connection, worker_id="thief", now=utcnow(), limit=10, claim_timeout=lease
                )
                taken.extend(row.id for row in found)

    with smtp_server(handler) as controller:
        send_mail_to(app, controller.port)
        other = threading.Thread(target=thief)
        other.start()
        try:
            reports.append(deliver(until_empty=True, worker_id="w1", claim_timeout=lease))
        finally:
            done.set()
            other.join(timeout=10)
    assert taken == []
    assert (reports[0].sent, reports[0].batches) == (8, 1)  # one claim, kept to the end
    assert sorted(handler.message_ids) == sorted(row.message_id for row in rows)
    db.session.expire_all()
    sent = db.session.scalars(select(OutboxMessage)).all()
    assert {row.status for row in sent} == {MailStatus.SENT}
    # The last rows' claims were renewed after the batch was claimed.
    assert max(row.claimed_at for row in sent) - min(row.claimed_at for row in sent) >= lease / 3


def test_the_claim_timeout_comes_from_the_configuration_and_an_expired_claim_is_taken(app, smtp):
    (row,) = queue(1)
    app.config["MAIL_CLAIM_TIMEOUT"] = 300
    crashed = {"status": MailStatus.SENDING, "claimed_by": "crashed"}
    db.session.execute(
        update(OutboxMessage).values(claimed_at=NOW - timedelta(seconds=200), **crashed)
    )
    db.session.commit()
    assert deliver(until_empty=True, worker_id="w1", now_fn=lambda: NOW).sent == 0
    later = NOW + timedelta(seconds=101)
    assert deliver(until_empty=True, worker_id="w1", now_fn=lambda: later).sent == 1
    assert smtp.message_ids == [row.message_id]


def test_the_claim_timeout_option_of_mail_deliver(app, smtp, runner):
    (row,) = queue(1)
    claimed_at = datetime.now(UTC) - timedelta(seconds=60)
    db.session.execute(
        update(OutboxMessage).values(
            status=MailStatus.SENDING, claimed_by="crashed", claimed_at=claimed_at
        )
    )
    db.session.commit()
    command = ["mail", "deliver", "--until-empty", "--worker-id", "cli"]
    result = runner.invoke(args=command)  # the default of 120 s still holds the claim
    assert result.exit_code == 3 and "sent 0" in result.output, result.output
    result = runner.invoke(args=[*command, "--claim-timeout", "30"])
    assert result.exit_code == 0 and "sent 1" in result.output, result.output
    assert smtp.message_ids == [row.message_id]


LONG_TITLE = (
    "Neujahrsempfang der Oberbürgermeisterin für Ehrenamtliche aus Vereinen, Initiativen "
    "und Bürgerstiftungen im Großen Saal – Ämter, Ölmühle & Süßes"
)


def _queue_every_kind(event: Event, invitation: Invitation) -> list[str]:
    """Queue one mail of every kind for an invitation; return the kinds."""
    kinds = ["invitation", "update", "cancel", "confirmation", "moved_up", "reminder"]
    for kind in kinds[1:]:  # the invitation itself was queued by invite()
        address = invitation.contact.email
        enqueue_many(
            db.session, [(invitation.id, address)], kind=kind, sequence=event.sequence, now=NOW
        )
    return kinds


def test_every_mail_kind_has_a_subject_folded_correctly_with_encoded_words(app, smtp):
    owner = make_user()
    event = make_event(owner, status="published", title=LONG_TITLE)
    guests = [
        make_contact(email="gast.de@example.org", language="de"),
        make_contact(email="guest.en@example.org", language="en"),
    ]
    invite(event, guests, actor=owner, now=NOW, secret_key=KEY)
    for invitation in db.session.scalars(select(Invitation)):
        kinds = _queue_every_kind(event, invitation)
    db.session.commit()
    deliver(until_empty=True, worker_id="subjects", render=render_queued)
    assert len(smtp.received) == 2 * len(kinds)
    for received in smtp.received:
        head = received.data.split(b"\r\n\r\n", 1)[0]
        lines = head.split(b"\r\n")
        assert all(len(line) <= 78 for line in lines), head
        start = next(n for n, line in enumerate(lines) if line.lower().startswith(b"subject:"))
        first = lines[start][len(b"Subject:") :].strip()
        assert first, f"empty first line: {lines[start : start + 3]}"
        folded = [lines[start]]
        for line in lines[start + 1 :]:
            if not line.startswith((b" ", b"\t")):
                break
            folded.append(line)
        assert all(b"=?utf-8?" in line for line in folded), folded  # RFC 2047 encoded words
        subject = message_from_bytes(received.data, policy=policy.default)["Subject"]
        assert subject.endswith(LONG_TITLE) and "\n" not in subject, subject


def test_until_empty_exits_3_while_a_retry_is_scheduled(app, runner):
    with smtp_server(BusyFirst(1)) as controller:
        send_mail_to(app, controller.port)
        queue(2, now=datetime.now(UTC) - timedelta(seconds=1))
        result = runner.invoke(args=["mail", "deliver", "--until-empty", "--worker-id", "cli"])
    assert result.exit_code == 3, result.output
    assert "sent 1 · retried 1 · failed 0" in result.output
    assert "Not done: 1 mail queued for a retry (the next at " in result.output
    assert rows_by_status() == {MailStatus.SENT: 1, MailStatus.QUEUED: 1}


def test_until_done_waits_for_scheduled_retries_and_counts_failed_mail_as_done(
    app, runner, monkeypatch
):
    monkeypatch.setattr(recording, "FIRST_RETRY", timedelta(seconds=0.3))  # instead of 30 s
    handler = BusyFirst(2, reject={"gast2@example.org": "550 5.1.1 Unknown user"})
    command = ["mail", "deliver", "--until-done", "--worker-id", "cli", "--poll-interval", "0.1"]
    with smtp_server(handler) as controller:
        send_mail_to(app, controller.port)
        rows = queue(3, now=datetime.now(UTC) - timedelta(seconds=1))
        started = time.monotonic()
        result = runner.invoke(args=command)
        elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "sent 2 · retried 2 · failed 1" in result.output, result.output
    assert elapsed < 15
    db.session.expire_all()
    assert rows_by_status() == {MailStatus.SENT: 2, MailStatus.FAILED: 1}
    assert sorted(handler.message_ids) == sorted(row.message_id for row in rows[:2])


def test_until_empty_and_until_done_exclude_each_other(app, runner):
    result = runner.invoke(args=["mail", "deliver", "--until-empty", "--until-done"])
    assert result.exit_code == 2 and "either --until-empty or --until-done" in result.output
