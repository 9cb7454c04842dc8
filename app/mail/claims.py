"""Claims on outbox rows: taking a batch, keeping it while it is sent, giving it back, counting.

A claim is a committed mark (status ``sending``, ``claimed_by``, ``claimed_at``) so that a row is
never sent by two workers; it expires ``claim_timeout`` after ``claimed_at``, when another worker
takes the row over. A worker renews the claims of the batch it is sending (a heartbeat), so the
timeout can be short and a crashed worker's batch goes out again soon.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db_outage import describe
from app.mail.models import MailStatus, OutboxMessage

log = logging.getLogger(__name__)
outbox = OutboxMessage.__table__


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


def _held(ids: Sequence[int], worker_id: str):
    """Return the condition "one of these rows, still being sent by this worker"."""
    return and_(
        outbox.c.id.in_(ids),
        outbox.c.status == MailStatus.SENDING,
        outbox.c.claimed_by == worker_id,
    )


def extend(
    db_conn: Connection | Session, ids: Sequence[int], *, worker_id: str, now: datetime
) -> int:
    """Renew this worker's claim on those of the rows it still holds, commit, return how many."""
    if not ids:
        return 0
    result = db_conn.execute(update(outbox).where(_held(ids, worker_id)).values(claimed_at=now))
    db_conn.commit()
    return result.rowcount


def release(db_conn: Connection | Session, ids: Sequence[int], *, worker_id: str) -> None:
    """Give claimed rows back to the queue unchanged (the worker is stopping), and commit."""
    if not ids:
        return
    db_conn.execute(
        update(outbox)
        .where(_held(ids, worker_id))
        .values(status=MailStatus.QUEUED, claimed_at=None, claimed_by="")
    )
    db_conn.commit()


def count_due(db_conn: Connection | Session, *, now: datetime) -> int:
    """Return how many queued mails are due now."""
    return db_conn.scalar(
        select(func.count())
        .select_from(outbox)
        .where(outbox.c.status == MailStatus.QUEUED, outbox.c.next_attempt_at <= now)
    )


def pending(db_conn: Connection | Session) -> tuple[int, datetime | None]:
    """Return how many mails are not done (queued or being sent), and the next queued one's time.

    Sent and failed mails are done; a queued mail waiting for its retry is not.
    """
    queued = outbox.c.status == MailStatus.QUEUED
    count, next_at = db_conn.execute(
        select(func.count(), func.min(outbox.c.next_attempt_at).filter(queued)).where(
            outbox.c.status.in_([MailStatus.QUEUED, MailStatus.SENDING])
        )
    ).one()
    return count, next_at


class Heartbeat:
    """Renews the claim on a batch from a helper thread, with its own connection, while it is sent.

    The worker asks ``expiring`` before each mail: when renewing has failed for half the timeout
    (the database is gone), another worker may soon take the rows over, so it stops sending.
    """

    def __init__(
        self,
        engine: Engine,
        ids: Sequence[int],
        *,
        worker_id: str,
        now_fn: Callable[[], datetime],
        claimed_at: datetime,
        claim_timeout: timedelta,
    ) -> None:
        self.engine = engine
        self.ids = list(ids)
        self.worker_id = worker_id
        self.now_fn = now_fn
        self.claim_timeout = claim_timeout
        self.renewed_at = claimed_at
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="outbox-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        """Start renewing."""
        self._thread.start()
        return self

    def __exit__(self, *_exc_info) -> None:
        """Stop renewing."""
        self._done.set()
        self._thread.join()

    def expiring(self) -> bool:
        """Return True when the claim was last renewed more than half the timeout ago."""
        return self.now_fn() - self.renewed_at > self.claim_timeout / 2

    def _beat(self) -> None:
        """Renew the claim every third of the timeout until told to stop."""
        while not self._done.wait(self.claim_timeout.total_seconds() / 3):
            now = self.now_fn()
            try:
                with self.engine.connect() as connection:
                    connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                    extend(connection, self.ids, worker_id=self.worker_id, now=now)
            except SQLAlchemyError as error:
                log.warning(
                    "renewing the claim of %d mails failed: %s", len(self.ids), describe(error)
                )
                continue
            self.renewed_at = now
