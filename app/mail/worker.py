"""The delivery worker: claims due outbox rows, sends them over one SMTP connection, records.

Claims are short committed transactions, so that a row is never sent by two workers and a
crashed worker's rows come back once its claim is older than ``claim_timeout`` (renewed while a
batch is sent, see app/mail/claims.py). Each outcome is committed before the next mail's data
goes to the server, so a crash repeats at most the mail in flight. A lost database is waited
for with growing pauses; outcomes not yet written and the unsent rest of the batch are written
and handed back as soon as it answers again.
"""

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db_outage import describe, is_connection_error
from app.extensions import db
from app.mail import renderers, verp
from app.mail.claims import Heartbeat, claim, pending, release
from app.mail.models import MailStatus, OutboxMessage
from app.mail.recording import (
    MAX_ATTEMPTS,
    RECORD,
    DeliveryReport,
    Recorder,
    backoff,
    configured_claim_timeout,
    utcnow,
)
from app.mail.smtp import DeliveryError, SmtpLink, envelope_sender

log = logging.getLogger(__name__)


class DeliveryWorker:
    """Delivers the outbox in batches until it is empty, or done, or until told to stop."""

    def __init__(
        self,
        *,
        worker_id: str,
        batch_size: int = 100,
        now_fn: Callable[[], datetime] = utcnow,
        progress: Callable[[DeliveryReport], None] | None = None,
        poll_interval: float = 5.0,
        claim_timeout: timedelta | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        stop: threading.Event | None = None,
        render: renderers.Renderer | None = None,
        smtp_timeout: float = 60.0,
        outage_pause: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        self.worker_id = worker_id
        self.batch_size = batch_size
        self.now_fn = now_fn
        self.progress = progress
        self.poll_interval = poll_interval
        self.claim_timeout = claim_timeout or configured_claim_timeout()
        self.max_attempts = max_attempts
        self.stop = stop or threading.Event()
        # Rows queued without bytes are rendered by the renderer registered for their kind.
        self.render = render or renderers.render
        self.link = SmtpLink(timeout=smtp_timeout)
        self.outage_pause = outage_pause  # first and longest pause after a database error
        self.report = DeliveryReport()
        self.verp: Callable[[int], str] | None = None  # set by run(): per-row envelope senders
        self.session: Session = db.session  # for renderers, which work with the ORM
        self.conn: Connection  # the worker's own connection, set per round
        self.unreachable: DeliveryError | None = None  # the SMTP server, during this batch
        self.recorder: Recorder
        self.held: list[int] = []  # the claimed batch until it has been handed back
        self.unwritten: dict[int, dict] = {}  # outcomes submitted, not yet committed
        self.outages = 0  # database errors in a row

    def run(self, *, until_empty: bool = False, until_done: bool = False) -> DeliveryReport:
        """Deliver until stopped, or until nothing is due (until_empty) or left (until_done).

        Left are queued mails, also those waiting for a retry, and mails being sent.
        """
        sender = envelope_sender()
        self.verp = verp.sender_for()
        self.recorder = Recorder()
        try:
            while not self.stop.is_set():
                try:
                    pause = self._round(sender, until_empty=until_empty, until_done=until_done)
                except SQLAlchemyError as error:
                    if not is_connection_error(error):
                        raise
                    self._outage(error)
                    continue
                self.outages = 0
                if pause is None:
                    break
                if pause:
                    self.link.close()  # servers drop idle sessions anyway
                    self.stop.wait(pause)
        finally:
            self.link.close()
            self._shut_down()
        return self.report

    def _round(self, sender: str, *, until_empty: bool, until_done: bool) -> float | None:
        """Claim and send one batch; return the pause before the next round, None to finish."""
        # One connection per round, without a pool checkout (and its ping) per mail. The claim
        # and each outcome are single statements, so autocommit makes each its own transaction
        # in one round trip.
        connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with connection as self.conn:
            self._settle()
            now = self.now_fn()
            renderers.feed(db.engine.begin, now)  # e.g. notifications due to be mailed
            batch = claim(
                self.conn,
                worker_id=self.worker_id,
                now=now,
                limit=self.batch_size,
                claim_timeout=self.claim_timeout,
            )
            if batch:
                self._deliver_batch(batch, sender, claimed_at=now)
                return 0.0
            if until_empty:
                return None
            if not until_done:
                return self.poll_interval
            left, next_at = pending(self.conn)
            if not left:
                return None
            wait = (next_at - now).total_seconds() if next_at else self.poll_interval
            return min(max(wait, 0.05), self.poll_interval)

    def _settle(self) -> None:
        """Write the outcomes and give back the rows that a database outage left behind."""
        for params in list(self.unwritten.values()):
            self._write(params)
        if self.held:
            release(self.conn, self.held, worker_id=self.worker_id)
            self.held = []

    def _outage(self, error: SQLAlchemyError) -> None:
        """Pause after a database error, longer each time in a row; the next round reconnects."""
        self.outages += 1
        self.report.outages += 1
        self.link.close()  # a mail may be half handed over; the next starts a fresh session
        with suppress(SQLAlchemyError):
            self.recorder.wait()  # its failed outcome stays in self.unwritten
        self._end_read(close=True)
        first, longest = self.outage_pause
        pause = min(first * 2 ** min(self.outages - 1, 16), longest)
        log.warning(
            "database unavailable (%s); %d claimed mails to hand back; trying again in %.1f s",
            describe(error),
            len(self.held),
            pause,
        )
        self.stop.wait(pause)

    def _shut_down(self) -> None:
        """End the recorder, and write and hand back what an error left behind, if possible."""
        try:
            self.recorder.close()
        except SQLAlchemyError as error:
            log.warning("writing the last outcome failed: %s", describe(error))
        if not (self.held or self.unwritten):
            return
        try:
            connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with connection as self.conn:
                self._settle()
        except SQLAlchemyError as error:
            log.warning(
                "could not hand back %d claimed mails (%s); another worker sends them once "
                "the claim has expired",
                len(self.held),
                describe(error),
            )

    def _end_read(self, *, close: bool = False) -> None:
        """End the renderers' read transaction (it writes nothing); after an outage, the session."""
        try:
            self.session.rollback()
        except SQLAlchemyError:
            close = True
        if close:
            with suppress(SQLAlchemyError):
                self.session.close()

    def _deliver_batch(self, batch: list[Row], sender: str, *, claimed_at: datetime) -> None:
        """Send a claimed batch, committing each outcome; give back what is left when stopping."""
        ids = [row.id for row in batch]
        self.held = ids
        self.unreachable = None
        done = 0
        heartbeat = Heartbeat(
            db.engine,
            ids,
            worker_id=self.worker_id,
            now_fn=self.now_fn,
            claimed_at=claimed_at,
            claim_timeout=self.claim_timeout,
        )
        try:
            with heartbeat:
                for row in batch:
                    if self.stop.is_set() or heartbeat.expiring():
                        break  # stopping, or another worker may soon take these rows over
                    self._deliver_one(row, sender)
                    done += 1
                    if self.progress is not None:
                        self.progress(self.report)
                self.recorder.wait()
        finally:
            self._end_read()
        release(self.conn, ids[done:], worker_id=self.worker_id)
        self.held = []
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
            if self.verp is not None:  # the bounce then names the row (app/mail/verp.py)
                sender = self.verp(row.id)
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
        try:
            # The read transaction stays open for the batch, so the event and the departments a
            # batch shares are loaded once; _deliver_batch ends it.
            return self.render(self.session, self.session.get(OutboxMessage, row_id), self.now_fn())
        except Exception as error:  # one broken row must not stop the delivery of the others
            if is_connection_error(error):
                raise  # the database is gone, not the row broken: wait for it, count no attempt
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
        self.unwritten[row.id] = params
        self.recorder.submit(lambda: self._write(params))

    def _write(self, params: dict) -> None:
        """Write one outcome and commit it (on the recorder's thread, or after an outage)."""
        self.conn.execute(RECORD, params)
        self.conn.commit()
        self.unwritten.pop(params["row_id"], None)


def deliver(*, until_empty: bool = False, until_done: bool = False, **options) -> DeliveryReport:
    """Run a DeliveryWorker (see its arguments) once and return its report."""
    return DeliveryWorker(**options).run(until_empty=until_empty, until_done=until_done)
