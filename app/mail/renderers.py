"""Rendering mails queued without their bytes, through renderers the feature packages register.

A feature package that queues mail to be rendered at delivery (``outbox.enqueue_many``) registers
one renderer per mail kind at app start (invitations do so in ``app.invitations.wiring``); the
delivery worker and ``render_pending`` look the renderer up by the row's kind, so that mail
imports no feature package.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.mail.models import MailStatus, OutboxMessage

# Queues the mails that rows of a feature package have become due for (a notification to be
# mailed at once), in the transaction of the given connection; returns how many it queued.
Feeder = Callable[[Connection, datetime], int]
# Returns the mail's bytes, or None when it is no longer wanted (the worker then drops the row).
Renderer = Callable[[Session, OutboxMessage, datetime], bytes | None]
# Loads what a batch of rows needs in one query; the result is held while the batch renders.
Preparer = Callable[[Session, list[OutboxMessage]], Any]

_feeders: dict[str, Feeder] = {}
_renderers: dict[str, Renderer] = {}
_preparers: dict[str, Preparer] = {}
outbox = OutboxMessage.__table__
STORE_RENDERED = (
    update(outbox)
    .where(
        outbox.c.id == bindparam("row_id"),
        outbox.c.message.is_(None),
        # An address change meanwhile (outbox.readdress_queued) wants a new rendering.
        outbox.c.recipient == bindparam("queued_for"),
    )
    .values(message=bindparam("raw"))
)


def register(kinds: Iterable[str], render: Renderer, *, prepare: Preparer | None = None) -> None:
    """Make ``render`` the renderer of these kinds of mail (every app start calls it again)."""
    for kind in kinds:
        _renderers[kind] = render
        if prepare is not None:
            _preparers[kind] = prepare
        else:
            _preparers.pop(kind, None)


def register_feeder(name: str, feed: Feeder) -> None:
    """Have the delivery worker call ``feed`` before each claim (every app start calls it)."""
    _feeders[name] = feed


def feed(connection_factory: Callable[[], Any], now: datetime) -> int:
    """Run every feeder, each in its own transaction; return how many mails they queued."""
    queued = 0
    for feeder in _feeders.values():
        with connection_factory() as connection:
            queued += feeder(connection, now)
    return queued


def render(session: Session, row: OutboxMessage, now: datetime) -> bytes | None:
    """Return the bytes of a queued row from its kind's renderer (LookupError without one)."""
    renderer = _renderers.get(row.kind)
    if renderer is None:
        raise LookupError(f"no renderer for mails of kind {row.kind!r}")
    return renderer(session, row, now)


def prepare(session: Session, rows: list[OutboxMessage]) -> list[Any]:
    """Let the renderers of the rows' kinds load what the batch needs; return it, to be held."""
    preparers = {_preparers[row.kind] for row in rows if row.kind in _preparers}
    return [load(session, rows) for load in preparers]


def render_pending(session: Session, *, now: datetime, batch_size: int = 200) -> int:
    """Render queued mails that wait without bytes, ahead of delivery; commit; return how many.

    Delivery then only sends bytes; rendering can run in parallel processes. Two renderers
    rendering the same row write the same mail (the Message-ID is the row's), so no claim is
    needed; a row sent meanwhile is left alone. Each batch is committed: this is a command's
    work, run outside any request.
    """
    done = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.id > last_id,
                OutboxMessage.message.is_(None),
                OutboxMessage.status == MailStatus.QUEUED,
            )
            .order_by(OutboxMessage.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return done
        held = prepare(session, list(rows))  # noqa: F841 - kept in the identity map for the loop
        rendered = []
        for row in rows:
            # A kind without a renderer is left to the worker, which retries and reports it.
            raw = render(session, row, now) if row.kind in _renderers else None
            if raw is not None:
                rendered.append({"row_id": row.id, "raw": raw, "queued_for": row.recipient})
        last_id = rows[-1].id
        session.rollback()  # end the read transaction before writing
        if rendered:
            session.execute(STORE_RENDERED, rendered)
            session.commit()
        done += len(rendered)
