"""The delivery worker against a real SMTP server: retries, back-off, refusals, claims."""

import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parseaddr

import pytest
from sqlalchemy import select, update

from app.extensions import db, mail
from app.mail import renderers
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import enqueue
from app.mail.recording import backoff
from app.mail.worker import deliver
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server
from tests.test_mail_outbox import make_message

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now

    def advance(self, **delta) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


@pytest.fixture
def smtp(app):
    """Run a recording SMTP server and point the app's mail settings at it."""
    with smtp_server(RecordingHandler()) as controller:
        send_mail_to(app, controller.port)
        yield controller.handler


def queue(count: int, *, now: datetime = NOW, prefix: str = "gast") -> list[OutboxMessage]:
    """Queue and commit ``count`` small mails to distinct recipients."""
    rows = []
    for n in range(count):
        address = f"{prefix}{n}@example.org"
        message = make_message(to=address)
        rows.append(enqueue(db.session, recipient=address, kind="test", message=message, now=now))
    db.session.commit()
    return rows


def rows_by_status() -> dict[MailStatus, int]:
    """Return how many outbox rows have each status."""
    counts: dict[MailStatus, int] = {}
    for status in db.session.scalars(select(OutboxMessage.status)):
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_everything_is_delivered_once_over_one_connection(app, smtp):
    rows = queue(12)
    report = deliver(until_empty=True, worker_id="w1", batch_size=5, now_fn=Clock())
    assert (report.sent, report.retried, report.failed) == (12, 0, 0)
    assert sorted(smtp.message_ids) == sorted(row.message_id for row in rows)
    assert len({message.peer for message in smtp.received}) == 1  # one connection for all
    first = smtp.received[0]
    assert first.mail_from == parseaddr(app.config["MAIL_DEFAULT_SENDER"])[1]
    assert first.rcpt_tos == ["gast0@example.org"]
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, rows[0].id)
    assert first.data == stored.message  # the stored bytes, exactly
    assert message_from_bytes(first.data, policy=policy.default)["To"] == "gast0@example.org"
    assert (stored.status, stored.sent_at, stored.claimed_by) == (MailStatus.SENT, NOW, "w1")


def test_421s_and_a_dropped_connection_are_retried_until_all_arrive_once(app, smtp):
    smtp.tempfail_every = 5
    smtp.drop_at = {8}
    rows = queue(30)
    clock = Clock()
    totals = {"sent": 0, "retried": 0}
    for _ in range(10):
        report = deliver(until_empty=True, worker_id="w1", batch_size=7, now_fn=clock)
        totals["sent"] += report.sent
        totals["retried"] += report.retried
        if rows_by_status() == {MailStatus.SENT: 30}:
            break
        clock.advance(hours=1)
    assert rows_by_status() == {MailStatus.SENT: 30}
    assert totals["sent"] == 30 and totals["retried"] >= 7
    received = smtp.message_ids
    assert len(received) == len(set(received)) == 30  # nothing lost, nothing twice
    assert set(received) == {row.message_id for row in rows}


def test_a_temporary_failure_backs_off_and_ends_failed_after_max_attempts(app, smtp):
    smtp.tempfail_every = 1  # every message gets 421
    (row,) = queue(1)
    clock = Clock()
    options = {"until_empty": True, "worker_id": "w1", "now_fn": clock, "max_attempts": 3}
    assert deliver(**options).retried == 1
    db.session.expire_all()
    assert (row.status, row.attempts, row.claimed_by) == (MailStatus.QUEUED, 1, "")
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert row.last_error.startswith("421 4.3.2")
    assert deliver(**options).retried == 0  # not due yet
    assert smtp.data_commands == 1
    clock.advance(seconds=30)
    assert deliver(**options).retried == 1
    db.session.expire_all()
    assert row.next_attempt_at == clock.now + timedelta(seconds=60)
    clock.advance(seconds=60)
    assert deliver(**options).failed == 1
    db.session.expire_all()
    assert (row.status, row.attempts) == (MailStatus.FAILED, 3)
    assert row.last_error.startswith("3 attempts: 421")


def test_a_550_makes_the_row_failed_with_the_reason_and_the_others_go_out(app, smtp):
    smtp.reject = {"gast1@example.org": "550 5.1.1 Mailbox unavailable"}
    rows = queue(3)
    report = deliver(until_empty=True, worker_id="w1", now_fn=Clock())
    assert (report.sent, report.failed) == (2, 1)
    db.session.expire_all()
    assert (rows[1].status, rows[1].attempts) == (MailStatus.FAILED, 1)
    assert rows[1].last_error == "550 5.1.1 Mailbox unavailable"
    assert rows[2].status == MailStatus.SENT
    assert len({message.peer for message in smtp.received}) == 1  # the connection survived


def test_an_unreachable_server_puts_the_batch_back_with_backoff(app, smtp):
    send_mail_to(app, 9)  # the discard port: nothing listens there
    queue(3)
    report = deliver(until_empty=True, worker_id="w1", now_fn=Clock())
    assert report.retried == 3
    db.session.expire_all()
    for row in db.session.scalars(select(OutboxMessage)):
        assert (row.status, row.attempts) == (MailStatus.QUEUED, 1)
        assert row.next_attempt_at == NOW + timedelta(seconds=30)
        assert row.last_error.startswith("connection failed")


def test_a_fresh_claim_is_respected_and_an_expired_one_taken_over(app, smtp):
    (row,) = queue(1)
    db.session.execute(
        update(OutboxMessage).values(
            status=MailStatus.SENDING, claimed_by="crashed", claimed_at=NOW - timedelta(seconds=90)
        )
    )
    db.session.commit()
    assert deliver(until_empty=True, worker_id="w1", now_fn=Clock()).sent == 0
    later = Clock(NOW + timedelta(seconds=31))
    assert deliver(until_empty=True, worker_id="w1", now_fn=later).sent == 1
    assert smtp.message_ids == [row.message_id]


def test_stopping_finishes_the_current_mail_and_gives_the_rest_back(app, smtp):
    queue(5)
    stop = threading.Event()
    report = deliver(
        until_empty=True,
        worker_id="w1",
        now_fn=Clock(),
        stop=stop,
        progress=lambda _report: stop.set(),
    )
    assert report.sent == 1 and len(smtp.received) == 1
    assert rows_by_status() == {MailStatus.SENT: 1, MailStatus.QUEUED: 4}
    waiting = db.session.scalars(select(OutboxMessage).filter_by(status=MailStatus.QUEUED))
    assert {(row.claimed_by, row.claimed_at, row.attempts) for row in waiting} == {("", None, 0)}


def test_polling_worker_sends_mail_queued_later_and_stops_when_told(app, smtp):
    stop = threading.Event()
    reports = []

    def run() -> None:
        """Run a polling worker in its own app context."""
        with app.app_context():
            reports.append(
                deliver(until_empty=False, worker_id="poller", poll_interval=0.05, stop=stop)
            )

    thread = threading.Thread(target=run)
    thread.start()
    try:
        (row,) = queue(1, now=datetime.now(UTC))
        for _ in range(200):
            if smtp.received:
                break
            threading.Event().wait(0.02)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert reports[0].sent == 1 and smtp.message_ids == [row.message_id]


def test_rows_queued_without_bytes_are_rendered_when_sent_or_dropped(app, smtp):
    rows = queue(2)
    db.session.execute(update(OutboxMessage).values(message=None))
    db.session.commit()
    wanted = rows[0].id

    def render(session, row, now):
        """Render only the first row; the second is no longer wanted."""
        if row.id != wanted:
            return None
        return f"Message-ID: {row.message_id}\r\nSubject: spät\r\n\r\nHallo\r\n".encode()

    report = deliver(until_empty=True, worker_id="w1", now_fn=Clock(), render=render)
    assert (report.sent, report.dropped) == (1, 1)
    db.session.expire_all()
    assert rows[0].status == MailStatus.SENT and rows[0].message == smtp.received[0].data
    assert (rows[1].status, rows[1].last_error) == (MailStatus.FAILED, "dropped: no longer wanted")


def test_a_renderer_that_breaks_retries_the_row_and_spares_the_others(app, smtp):
    rows = queue(2)
    db.session.execute(update(OutboxMessage).filter_by(id=rows[0].id).values(message=None))
    db.session.commit()

    def render(session, row, now):
        """Fail like a bug in a template would."""
        raise KeyError("salutation")

    report = deliver(until_empty=True, worker_id="w1", now_fn=Clock(), render=render)
    assert (report.sent, report.retried) == (1, 1)
    db.session.expire_all()
    assert rows[0].status == MailStatus.QUEUED and "KeyError" in rows[0].last_error


def test_with_mail_suppressed_nothing_is_sent_but_rows_count_as_sent(app, smtp):
    app.config["MAIL_SUPPRESS_SEND"] = True
    mail.init_app(app)
    queue(2)
    assert deliver(until_empty=True, worker_id="w1", now_fn=Clock()).sent == 2
    assert smtp.received == []


def test_deliver_command_prints_a_summary(app, smtp, runner):
    smtp.reject = {"gast2@example.org": "550 5.1.1 Unknown user"}
    queue(3, now=datetime.now(UTC) - timedelta(seconds=1))
    result = runner.invoke(args=["mail", "deliver", "--until-empty", "--worker-id", "cli"])
    assert result.exit_code == 0, result.output
    assert "sent 2 · retried 0 · failed 1" in result.output
    assert len(smtp.received) == 2


def test_without_a_render_argument_the_worker_renders_through_the_registry(app, smtp):
    rows = queue(2)
    db.session.execute(update(OutboxMessage).values(message=None))
    db.session.execute(update(OutboxMessage).filter_by(id=rows[0].id).values(kind="registry-test"))
    db.session.commit()

    def render(session, row, now):
        """Render the registered test kind."""
        return f"Message-ID: {row.message_id}\r\nSubject: Registry\r\n\r\nHallo\r\n".encode()

    renderers.register(["registry-test"], render)
    report = deliver(until_empty=True, worker_id="w1", now_fn=Clock())
    assert (report.sent, report.retried) == (1, 1)  # the kind "test" has no renderer
    db.session.expire_all()
    assert rows[0].status == MailStatus.SENT and b"Subject: Registry" in rows[0].message
    assert rows[1].status == MailStatus.QUEUED and "no renderer" in rows[1].last_error
