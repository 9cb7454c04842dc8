"""Group commit for the inbound server: one writer stores what many sessions received at once.

Each SMTP/LMTP session hands its accepted message to the one writer thread and waits. The writer
takes everything that is pending, stores it in ONE transaction, commits, and only then lets each
waiting session answer. While one commit (an fsync) is under way, the next messages gather, so
sessions that deliver in parallel share a commit instead of queueing for one each. Should the
transaction fail, every message of that group is told so (the sessions answer 451) and none of
it is stored: a sender never hears 250 for a message that is not on disk.
"""

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.engine import Connection, Engine

from app.inbound.inbox import inbound_row, insert_template

log = logging.getLogger(__name__)
COLUMNS = ("message_id_key", "envelope_to", "envelope_from", "received_at", "raw", "size")
COLUMNS += ("kind", "state", "detail")
# psycopg's own placeholders: the writer runs it on the driver's connection (see _insert).
PG_INSERT = (
    "INSERT INTO inbound (message_id_key, envelope_to, envelope_from, received_at, raw, size,"
    " kind, state, detail)"
    " SELECT * FROM unnest(CAST(%(message_id_key)s AS text[]), CAST(%(envelope_to)s AS text[]),"
    " CAST(%(envelope_from)s AS text[]), CAST(%(received_at)s AS timestamptz[]),"
    " CAST(%(raw)s AS bytea[]), CAST(%(size)s AS integer[]), CAST(%(kind)s AS text[]),"
    " CAST(%(state)s AS text[]), CAST(%(detail)s AS json[]))"
    " ON CONFLICT (message_id_key) DO NOTHING"  # also the same key twice in one group
)
GROUP_MOST = 200  # messages per transaction: bounds the memory and the time a group holds locks
INLINE_BYTES = 256 * 1024  # a smaller message is read on the event loop (a fraction of a ms)
IDLE_SECONDS = 30.0  # a connection unused this long is handed back and a checked one taken


class NotStored(Exception):
    """The message was not stored (the commit failed, or the writer has stopped)."""


@dataclass
class Pending:
    """One accepted message waiting for the writer, and how to tell its session the outcome."""

    row: dict  # the values of its ``inbound`` row
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future = field(repr=False)


_STOP = object()  # put on the queue by close(): what came before it is still written


class GroupWriter:
    """One thread with its own transactions that stores pending messages a group at a time."""

    def __init__(self, engine: Engine, *, most: int = GROUP_MOST) -> None:
        self.engine = engine
        self.template = insert_template(engine.dialect.name).execution_options(
            insertmanyvalues_page_size=most
        )
        self.most = most
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.closed = False
        self.lock = threading.Lock()  # orders submissions against close()
        self.thread = threading.Thread(target=self._run, name="inbound-writer", daemon=True)
        self.groups = 0  # committed groups, for the curious (tests, benchmarks)
        self.connection: Connection | None = None  # used by the writer thread only
        self.used = 0.0

    def start(self) -> None:
        """Start the writer thread."""
        self.thread.start()

    async def store(self, raw: bytes, recipients: list[str], sender: str) -> None:
        """Have the message stored; return once it is committed, raise NotStored otherwise.

        The row is made here, by the session, so that the reading of one message overlaps
        the commit of the group before it instead of lengthening the writer's round.
        """
        loop = asyncio.get_running_loop()
        made = partial(inbound_row, raw, envelope_to=recipients, envelope_from=sender)
        try:
            if len(raw) <= INLINE_BYTES:
                row = made()
            else:  # a big message is parsed aside, so that the other sessions keep going
                row = await loop.run_in_executor(None, made)
        except Exception as error:  # a message that cannot be read fails alone
            log.exception("could not read an inbound message")
            raise NotStored("unreadable message") from error
        pending = Pending(row, loop, loop.create_future())
        with self.lock:
            if self.closed:
                raise NotStored("the inbound server is shutting down")
            self.queue.put(pending)
        await pending.future

    def close(self, timeout: float = 30.0) -> None:
        """Refuse new messages, write (or fail) every pending one, and stop the thread."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self.queue.put(_STOP)
        if self.thread.is_alive():
            self.thread.join(timeout=timeout)

    def _run(self) -> None:
        """Write groups until close() was called and everything before it is written."""
        stopping = False
        while not stopping:
            group = [self.queue.get()]
            while len(group) < self.most:  # everything that gathered during the last commit
                try:
                    group.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(item is _STOP for item in group)
            group = [item for item in group if item is not _STOP]
            if group:
                self._write(group)
        self._drop()

    def _write(self, group: list[Pending]) -> None:
        """Store a group with one statement, its own transaction, and tell every session."""
        now = datetime.now(UTC)
        rows = [pending.row | {"received_at": now} for pending in group]
        try:
            # In autocommit mode one INSERT of all rows is one transaction that has committed
            # when the statement returns: a single round trip the whole group waits for.
            self._insert(self._connection(), rows)
        except Exception as error:
            log.exception("could not store %d inbound messages; all answered 451", len(group))
            self._drop()  # the next group starts on a fresh connection
            _settle(group, error)
            return
        self.groups += 1
        _settle(group, None)

    def _insert(self, connection: Connection, rows: list[dict]) -> None:
        """Store the rows with ONE statement (so atomic even in autocommit mode)."""
        if self.engine.dialect.name == "postgresql":
            # One prepared statement over arrays, whatever the group's size, sent in binary
            # (the messages' bytes as they are, not hex-encoded) on the driver's connection:
            # the group's one round trip without SQLAlchemy's work per statement, which on a
            # busy server takes the interpreter from the sessions.
            values = {name: [row[name] for row in rows] for name in COLUMNS}
            values["detail"] = [json.dumps(detail) for detail in values["detail"]]
            driver = connection.connection.driver_connection
            driver.execute(PG_INSERT, values, prepare=True, binary=True)
        else:  # one multi-row INSERT; the page size keeps SQLAlchemy from splitting it
            connection.execute(self.template, rows)

    def _connection(self) -> Connection:
        """Return the writer's own autocommit connection; after a pause, a checked one."""
        if self.connection is not None and time.monotonic() - self.used > IDLE_SECONDS:
            self._drop()  # the pool checks (pre-ping) what it hands out; a busy writer skips that
        if self.connection is None:
            connection = self.engine.connect()
            self.connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        self.used = time.monotonic()
        return self.connection

    def _drop(self) -> None:
        """Give the connection back (closed if it broke)."""
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def _settle(group: list[Pending], error: Exception | None) -> None:
    """Resolve the sessions' futures on their event loop (called from the writer thread).

    One call per loop for the whole group: each call wakes the loop through its pipe.
    """
    loops: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
    for pending in group:
        loops.setdefault(pending.loop, []).append(pending.future)
    for loop, futures in loops.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_resolve, futures, error)


def _resolve(futures: list[asyncio.Future], error: Exception | None) -> None:
    """Tell each waiting session (on its loop) whether its message is stored."""
    for future in futures:
        if future.done():  # the session went away (connection lost, shutdown)
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(NotStored(str(error) or type(error).__name__))
