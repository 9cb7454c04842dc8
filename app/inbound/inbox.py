"""Storing received mail before anything else happens, and the runs that process and purge it.

A message is stored (and committed) first and processed afterwards, so that a crash in between
loses nothing: ``process_pending`` picks up every message still in state ``stored``.
"""

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.inbound import mime
from app.inbound.batch import process_batch
from app.inbound.models import InboundMessage, State
from app.inbound.processing import preload, process

log = logging.getLogger(__name__)
KEY_MAX = 255
HEADER_END = re.compile(rb"\r?\n\r?\n")
_FIELD, _MORE = rb"[\x21-\x39\x3b-\x7e]+:[^\r\n]*", rb"[ \t][^\r\n]*"  # as RFC 5322 has them
WELL_FORMED = re.compile(_FIELD + rb"(?:\r?\n(?:" + _FIELD + rb"|" + _MORE + rb"))*(?:\r?\n)?")
MESSAGE_ID = re.compile(rb"^message-id:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I | re.M)
BATCH = 200  # messages per transaction when processing


def message_key(raw: bytes) -> str:
    """Return what makes a message the same message: its Message-ID, else a hash of the bytes."""
    message_id = " ".join(_message_id(HEADER_END.split(raw, 1)[0]).split())
    if message_id and len(message_id) <= KEY_MAX:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _message_id(block: bytes) -> str:
    """Return the first Message-ID header of a header block, unfolded, or ''.

    A well-formed ASCII block (field lines and their continuations only) is read with a
    regular expression, which gives what the parser would at a fraction of its cost; anything
    else is left to the parser.
    """
    if block.isascii() and WELL_FORMED.fullmatch(block):
        found = MESSAGE_ID.search(block)
        return found.group(1).decode("ascii") if found else ""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(block)
    return str(headers.get("Message-ID") or "")


def inbound_row(
    raw: bytes,
    *,
    envelope_to: Iterable[str] | str = (),
    envelope_from: str = "",
    now: datetime | None = None,
) -> dict:
    """Return the values of the ``inbound`` row that stores one message (attachments dropped)."""
    now = now or datetime.now(UTC)
    recipients = [envelope_to] if isinstance(envelope_to, str) else list(envelope_to)
    kept, dropped = mime.drop_attachments(raw)
    return {
        "message_id_key": message_key(raw),
        "envelope_to": ", ".join(r.strip() for r in recipients if r.strip())[:2000],
        "envelope_from": (envelope_from or "")[:254],
        "received_at": now,
        "raw": kept,
        "size": len(raw),
        "kind": "unknown",
        "state": State.STORED.value,
        "detail": {"dropped": dropped} if dropped else {},
    }


def insert_template(dialect: str):
    """Return the INSERT … ON CONFLICT DO NOTHING RETURNING id of ``inbound``, without values.

    The database decides races (two deliveries of one mail at once) on the message key.
    Executed with a list of rows it becomes one multi-row INSERT (SQLAlchemy's
    "insertmanyvalues"), in which the same key twice stores the first row only.
    """
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    return (
        insert(InboundMessage.__table__)
        .on_conflict_do_nothing(index_elements=["message_id_key"])
        .returning(InboundMessage.__table__.c.id)
    )


def insert_statement(
    raw: bytes,
    *,
    dialect: str,
    envelope_to: Iterable[str] | str = (),
    envelope_from: str = "",
    now: datetime | None = None,
):
    """Return the INSERT … ON CONFLICT DO NOTHING RETURNING id that stores one message."""
    row = inbound_row(raw, envelope_to=envelope_to, envelope_from=envelope_from, now=now)
    return insert_template(dialect).values(row)


def store(
    raw: bytes,
    *,
    envelope_to: Iterable[str] | str = (),
    envelope_from: str = "",
    now: datetime | None = None,
) -> InboundMessage | None:
    """Store a received message without its attachments; None when it was stored before.

    The session is flushed, not committed.
    """
    statement = insert_statement(
        raw,
        dialect=db.session.get_bind().dialect.name,
        envelope_to=envelope_to,
        envelope_from=envelope_from,
        now=now,
    )
    new_id = db.session.execute(statement).scalar_one_or_none()
    return None if new_id is None else db.session.get(InboundMessage, new_id)


@dataclass
class Ingested:
    """What storing a series of messages did."""

    stored: int = 0
    known: int = 0
    refused: list[str] = field(default_factory=list)


def ingest(
    messages: Iterable[tuple[str, bytes]],
    *,
    max_bytes: int,
    envelope_to: Iterable[str] | str = (),
    envelope_from: str = "",
    batch: int = BATCH,
) -> Ingested:
    """Store (name, bytes) messages from files, one INSERT and commit per ``batch``; process none.

    Committing per batch rather than per file is safe: the files stay where they are until
    the command has finished, and a second run finds the stored ones known by their key.
    """
    result, rows = Ingested(), []
    for name, raw in messages:
        if len(raw) > max_bytes:
            result.refused.append(name)
            continue
        rows.append(inbound_row(raw, envelope_to=envelope_to, envelope_from=envelope_from))
        if len(rows) >= batch:
            _store_rows(rows, result)
            db.session.commit()
            rows = []
    _store_rows(rows, result)
    db.session.commit()  # stored before anything is processed: a crash now loses nothing
    return result


def _store_rows(rows: list[dict], result: Ingested) -> None:
    """Insert rows in one statement; count the new ones and those stored before (or twice)."""
    if not rows:
        return
    statement = insert_template(db.session.get_bind().dialect.name)
    stored = len(db.session.execute(statement, rows).all())
    result.stored, result.known = result.stored + stored, result.known + len(rows) - stored


def process_pending(
    *, now: datetime | None = None, limit: int | None = None, batch: int = BATCH
) -> int:
    """Process every stored message, oldest first, one transaction per batch; return how many.

    A batch is first processed in one go; should a message fail, the batch is rolled back and
    done again with a SAVEPOINT per message, so that the failing one (logged) stays stored for
    the next run without spoiling the others. Several runs at once are safe on PostgreSQL: a
    batch is claimed with SKIP LOCKED.
    """
    done, failed = 0, set()
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        messages = _claim(size, failed)
        if not messages:
            break
        try:
            _process_all(messages, now)
        except Exception:
            db.session.rollback()
            messages = _claim(size, failed)
            failed |= _process_each(messages, now)
        done += len(messages) - len(failed.intersection(m.id for m in messages))
        db.session.commit()
    db.session.rollback()
    return done


def _claim(size: int, failed: set[int]) -> list[InboundMessage]:
    """Return (and on PostgreSQL lock) the next stored messages, leaving out failed ones."""
    return db.session.scalars(
        select(InboundMessage)
        .where(InboundMessage.state == State.STORED, InboundMessage.id.not_in(failed))
        .order_by(InboundMessage.received_at, InboundMessage.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    ).all()


def _process_all(messages: list[InboundMessage], now: datetime | None) -> None:
    """Process a batch without savepoints (the common case: nothing fails).

    The common messages are applied together (app/inbound/batch.py), the others one by one.
    """
    process_batch(messages, now=now, process=process)


def _process_each(messages: list[InboundMessage], now: datetime | None) -> set[int]:
    """Process a batch with a SAVEPOINT per message; return the ids of those that failed."""
    invitations, failed = preload(messages), set()
    for message in messages:
        try:
            with db.session.begin_nested():
                process(message, now=now or datetime.now(UTC), invitations=invitations)
        except Exception:
            failed.add(message.id)
            log.exception("inbound message %s could not be processed; it stays stored", message.id)
    return failed


def purge(*, now: datetime, days: int) -> int:
    """Delete the bytes of messages processed more than ``days`` ago; return how many.

    The outcome (kind, state, the answer it set) stays; a human reply's text is kept only while
    it still waits for review.
    """
    cutoff = now - timedelta(days=days)
    old = (
        InboundMessage.processed_at < cutoff,
        InboundMessage.state != State.STORED,
    )
    purged = db.session.execute(
        update(InboundMessage)
        .where(*old, InboundMessage.raw.is_not(None))
        .values(raw=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    for message in db.session.scalars(
        select(InboundMessage).where(*old, InboundMessage.state != State.REVIEW)
    ):
        if message.detail and "text" in message.detail:
            message.detail = {k: v for k, v in message.detail.items() if k != "text"}
    db.session.flush()
    return purged
