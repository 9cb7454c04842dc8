"""What the delivery worker counts and writes, and when it tries again: its report, the retry
back-off, the claim timeout, and the recorder thread that writes each outcome (see worker.py)."""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, update

from app.mail.models import OutboxMessage

outbox = OutboxMessage.__table__

CLAIM_TIMEOUT = timedelta(seconds=120)  # unless MAIL_CLAIM_TIMEOUT says otherwise
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)

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
    outages: int = 0  # database errors waited out


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def backoff(failures: int) -> timedelta:
    """Return the wait before the next try after the given number of failed attempts."""
    if failures >= 8:  # 30 s · 2^7 is past the cap; large powers would overflow timedelta
        return LONGEST_RETRY
    return min(FIRST_RETRY * 2 ** max(failures - 1, 0), LONGEST_RETRY)


def configured_claim_timeout() -> timedelta:
    """Return MAIL_CLAIM_TIMEOUT of the current app as a timedelta."""
    seconds = current_app.config.get("MAIL_CLAIM_TIMEOUT")
    return timedelta(seconds=float(seconds)) if seconds else CLAIM_TIMEOUT


class Recorder:
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
