"""The delivery worker: claims due outbox rows, sends them over one SMTP connection, records.

Claims are short committed transactions, so that a row is never sent by two workers and a
crashed worker's rows come back once its claim is older than ``claim_timeout``. Each outcome is
committed before the next mail's data goes to the server, so a crash repeats at most the mail in
flight.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from app.extensions import db
from app.mail.models import MailStatus, OutboxMessage
from app.mail.smtp import DeliveryError, SmtpLink, envelope_sender

log = logging.getLogger(__name__)
outbox = OutboxMessage.__table__

CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)

# Renders a row queued without its bytes (bulk invitations); None means "no longer wanted".
Renderer = Callable[[Session, OutboxMessage, datetime], bytes | None]
# The columns to set come with the parameters; built once, so that SQLAlchemy's cache serves it.
RECORD = update(outbox).where(
    outbox.c.id == bindparam("row_id"), outbox.c.claimed_by == bindparam("holder")
)


@dataclass
class DeliveryReport:
    """Counts of what a run of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    batches: int = 0


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def backoff(failures: int) -> timedelta:
    """Return the wait before the next try after the given number of failed attempts."""
    if failures >= 8:  # 30 s · 2^7 is past the cap; large powers would overflow timedelta
        return LONGEST_RETRY
    return min(FIRST_RETRY * 2 ** max(failures - 1, 0), LONGEST_RETRY)


def claim(
    db_conn: Connection | Session,
    *,
    worker_id: str,
    now: datetime,
    limit: int,
    claim_timeout: timedelta,
) -> list[Row]:
    """Mark up to ``limit`` due rows as being sent by this worker, commit, and return them.

    Due are queued rows whose time has come and rows whose claim has expired (a crashed worker).
    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so concurrent workers get
    disjoint sets without waiting; SQLite has a single writer, so the one UPDATE is atomic.
    """
    due = or_(
        and_(outbox.c.status == MailStatus.QUEUED, outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == MailStatus.SENDING, outbox.c.claimed_at < now - claim_timeout),
    )
    picked = (
        select(outbox.c.id)
        .where(due)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(outbox)
        .where(outbox.c.id.in_(picked.scalar_subquery()))
        .values(status=MailStatus.SENDING, claimed_by=worker_id, claimed_at=now)
        .returning(outbox.c.id, outbox.c.recipient, outbox.c.message, outbox.c.attempts)
    )
    rows = db_conn.execute(statement).all()
    db_conn.commit()
    return sorted(rows, key=lambda row: row.id)


def count_due(session: Session, *, now: datetime) -> int:
    """Return how many queued mails are due now."""
    return session.scalar(
        select(func.count())
        .select_from(outbox)
        .where(outbox.c.status == MailStatus.QUEUED, outbox.c.next_attempt_at <= now)
    )


def release(db_conn: Connection | Session, ids: Sequence[int], *, worker_id: str) -> None:
    """Give claimed rows back to the queue unchanged (the worker is stopping), and commit."""
    if not ids:
        return
    db_conn.execute(
        update(outbox)
        .where(
            outbox.c.id.in_(ids),
            outbox.c.status == MailStatus.SENDING,
            outbox.c.claimed_by == worker_id,
        )
        .values(status=MailStatus.QUEUED, claimed_at=None, claimed_by="")
    )
    db_conn.commit()


class _Recorder:
    """Writes each outcome on a helper thread, one at a time, while the next mail is begun.

    The worker waits for the write before it hands the next mail's data to the server, so the
    database round trip overlaps the SMTP envelope commands instead of adding to them.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-recorder")
        self._pending: Future | None = None

    def submit(self, write: Callable[[], None]) -> None:
        """Start a write once the previous one has finished (raising its error, if any)."""
        self.wait()
        self._pending = self._pool.submit(write)

    def wait(self) -> None:
        """Wait for the pending write; raise its error, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Finish the pending write and end the helper thread."""
        try:
            self.wait()
        finally:
            self._pool.shutdown()


class DeliveryWorker:
    """Delivers the outbox in batches until it is empty or until told to stop."""

    def __init__(
        self,
        *,
        worker_id: str,
        batch_size: int = 100,
        now_fn: Callable[[], datetime] = utcnow,
        progress: Callable[[DeliveryReport], None] | None = None,
        poll_interval: float = 5.0,
        claim_timeout: timedelta = CLAIM_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        stop: threading.Event | None = None,
        render: Renderer | None = None,
        smtp_timeout: float = 60.0,
    ) -> None:
        self.worker_id = worker_id
        self.batch_size = batch_size
        self.now_fn = now_fn
        self.progress = progress
        self.poll_interval = poll_interval
        self.claim_timeout = claim_timeout
        self.max_attempts = max_attempts
        self.stop = stop or threading.Event()
        self.render = render
        self.link = SmtpLink(timeout=smtp_timeout)
        self.report = DeliveryReport()
        self.session: Session = db.session  # for renderers, which work with the ORM
        self.conn: Connection  # the worker's own connection, set per batch
        self.unreachable: DeliveryError | None = None  # the SMTP server, during this batch
        self.recorder: _Recorder

    def run(self, *, until_empty: bool) -> DeliveryReport:
        """Deliver due mail; return when nothing is due (until_empty) or when stopped."""
        sender = envelope_sender()
        self.recorder = _Recorder()
        try:
            while not self.stop.is_set():
                # One connection per batch, without a pool checkout (and its ping) per mail. The
                # claim and each outcome are single statements, so autocommit makes each its own
                # transaction in one round trip.
                connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                with connection as self.conn:
                    now = self.now_fn()
                    batch = claim(
                        self.conn,
                        worker_id=self.worker_id,
                        now=now,
                        limit=self.batch_size,
                        claim_timeout=self.claim_timeout,
                    )
                    if batch:
                        self._deliver_batch(batch, sender, claimed_at=now)
                        continue
                if until_empty:
                    break
                self.link.close()  # servers drop idle sessions anyway
                self.stop.wait(self.poll_interval)
        finally:
            self.link.close()
            self.recorder.close()
        return self.report

    def _deliver_batch(self, batch: list[Row], sender: str, *, claimed_at: datetime) -> None:
        """Send a claimed batch, committing each outcome; give back what is left when stopping."""
        done = 0
        self.unreachable = None
        try:
            for row in batch:
                age = self.now_fn() - claimed_at
                if self.stop.is_set() or age > self.claim_timeout / 2:
                    break  # stopping, or another worker may soon take these rows over
                self._deliver_one(row, sender)
                done += 1
                if self.progress is not None:
                    self.progress(self.report)
        finally:
            try:
                self.recorder.wait()
            finally:
                self.session.rollback()  # ends the renderers' read transaction (writes nothing)
                self.conn.rollback()  # a no-op unless an error left a transaction open
                release(self.conn, [row.id for row in batch[done:]], worker_id=self.worker_id)
        self.report.batches += 1
        if self.progress is not None:
            self.progress(self.report)

    def _deliver_one(self, row: Row, sender: str) -> None:
        """Send one claimed row and record the outcome."""
        if self.unreachable is not None:
            self._failed(row, self.unreachable)  # the rest of the batch would only wait and fail
            return
        raw = row.message
        try:
            if raw is None:
                raw = self._render(row.id)
                if raw is None:
                    self._finish(row, MailStatus.FAILED, "dropped: no longer wanted", {})
                    self.report.dropped += 1
                    return
            # The previous outcome must be written before this mail is handed over, so that a
            # crash can leave at most one delivered mail unrecorded.
            self.link.send(sender, row.recipient, raw, before_data=self.recorder.wait)
        except DeliveryError as error:
            if error.connecting:
                self.unreachable = error
            self._failed(row, error)
            return
        values: dict = {"sent_at": self.now_fn()}
        if row.message is None:
            values["message"] = raw  # keep what was rendered and sent, for the record
        self._finish(row, MailStatus.SENT, "", values)
        self.report.sent += 1

    def _render(self, row_id: int) -> bytes | None:
        """Render a row queued without its bytes; a failure is a temporary DeliveryError."""
        if self.render is None:
            raise DeliveryError("queued without a message and no renderer", permanent=False)
        try:
            # The read transaction stays open for the batch, so the event and the departments a
            # batch shares are loaded once; _deliver_batch ends it.
            return self.render(self.session, self.session.get(OutboxMessage, row_id), self.now_fn())
        except Exception as error:  # one broken row must not stop the delivery of the others
            log.exception("rendering outbox row %s failed", row_id)
            self.session.rollback()
            raise DeliveryError(f"rendering failed: {error!r}", permanent=False) from error

    def _failed(self, row: Row, error: DeliveryError) -> None:
        """Schedule a retry with back-off, or give up after a permanent error or too many tries."""
        attempts = row.attempts + 1
        log.warning("outbox row %s to %s: %s", row.id, row.recipient, error.reason)
        if error.permanent or attempts >= self.max_attempts:
            reason = error.reason if error.permanent else f"{attempts} attempts: {error.reason}"
            self._finish(row, MailStatus.FAILED, reason, {"attempts": attempts})
            self.report.failed += 1
            return
        retry = {
            "attempts": attempts,
            "next_attempt_at": self.now_fn() + backoff(attempts),
            "claimed_at": None,
            "claimed_by": "",
        }
        self._finish(row, MailStatus.QUEUED, error.reason, retry)
        self.report.retried += 1

    def _finish(self, row: Row, status: MailStatus, error: str, values: dict) -> None:
        """Record the outcome of one row, if this worker still holds its claim."""
        params = {"row_id": row.id, "holder": self.worker_id, "status": status}
        params |= {"last_error": error[:2000]} | values
        self.recorder.submit(lambda: self._write(params))

    def _write(self, params: dict) -> None:
        """Write one outcome and commit it (on the recorder's thread)."""
        self.conn.execute(RECORD, params)
        self.conn.commit()


def deliver(*, until_empty: bool, **options) -> DeliveryReport:
    """Run a DeliveryWorker (see its arguments) once and return its report."""
    return DeliveryWorker(**options).run(until_empty=until_empty)
