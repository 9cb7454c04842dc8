"""Storing received mail before anything else happens, and the runs that process and purge it.

A message is stored (and committed) first and processed afterwards, so that a crash in between
loses nothing: ``process_pending`` picks up every message still in state ``stored``.
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.inbound import mime
from app.inbound.models import InboundMessage, State
from app.inbound.processing import process

log = logging.getLogger(__name__)
KEY_MAX = 255


def message_key(raw: bytes) -> str:
    """Return what makes a message the same message: its Message-ID, else a hash of the bytes."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    message_id = " ".join(str(headers.get("Message-ID") or "").split())
    if message_id and len(message_id) <= KEY_MAX:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def store(
    raw: bytes,
    *,
    envelope_to: Iterable[str] | str = (),
    envelope_from: str = "",
    now: datetime | None = None,
) -> InboundMessage | None:
    """Store a received message without its attachments; None when it was stored before.

    The database decides races (two deliveries of one mail at once): INSERT … ON CONFLICT DO
    NOTHING on the message key. The session is flushed, not committed.
    """
    now = now or datetime.now(UTC)
    recipients = [envelope_to] if isinstance(envelope_to, str) else list(envelope_to)
    kept, dropped = mime.drop_attachments(raw)
    values = {
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
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InboundMessage.__table__)
        .values(values)
        .on_conflict_do_nothing(index_elements=["message_id_key"])
        .returning(InboundMessage.__table__.c.id)
    )
    new_id = db.session.execute(statement).scalar_one_or_none()
    return None if new_id is None else db.session.get(InboundMessage, new_id)


def process_pending(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Process every stored message, oldest first, committing each; return how many.

    Several runs at once are safe on PostgreSQL: each message is claimed with SKIP LOCKED. A
    message whose processing fails stays stored (logged) and is tried again by the next run.
    """
    done = 0
    ids = db.session.scalars(
        select(InboundMessage.id)
        .where(InboundMessage.state == State.STORED)
        .order_by(InboundMessage.received_at, InboundMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    for message_id in ids:
        message = db.session.scalar(
            select(InboundMessage)
            .where(InboundMessage.id == message_id, InboundMessage.state == State.STORED)
            .with_for_update(skip_locked=True)
        )
        if message is None:
            db.session.rollback()
            continue
        try:
            process(message, now=now or datetime.now(UTC))
            db.session.commit()
            done += 1
        except Exception:
            db.session.rollback()
            log.exception("inbound message %s could not be processed; it stays stored", message_id)
    return done


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
