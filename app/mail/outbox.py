"""Writing mail to the outbox: one row per mail, in the same transaction as its cause.

This module is the only code that inserts into the outbox: ``enqueue`` for one mail (its bytes,
or none when a registered renderer renders it at delivery, see app/mail/renderers.py) and
``enqueue_many`` for a mail of one kind to many invitations; both ignore repeats of the same
cause. Feature packages say what to send; the delivery worker (app/mail/worker.py) sends.
Inbound mail (replies and bounces, a coming issue) gets the counterpart next to it, an inbox
module that stores each received message and hands it to handlers the features register.
"""

import re
import secrets
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from functools import cache

from flask import current_app
from sqlalchemy import TextClause, bindparam, select, text, update
from sqlalchemy.orm import Session

from app.db_upsert import insert_ignoring_conflicts
from app.mail.models import MailStatus, OutboxMessage

_BARE_LF = re.compile(rb"(?<!\r)\n")
outbox = OutboxMessage.__table__


def new_message_id(domain: str) -> str:
    """Return a new, globally unique Message-ID (with angle brackets) on the given domain."""
    return f"<{secrets.token_hex(16)}@{domain}>"


@cache
def _insert_unless_queued() -> TextClause:
    """Return INSERT … ON CONFLICT DO NOTHING RETURNING for one outbox row.

    Written as text because SQLAlchemy does not cache its dialect-specific INSERT constructs,
    and compiling one costs more than the round trip; both SQLite and PostgreSQL speak this SQL.
    """
    columns = [column for column in outbox.columns if column.key != "id"]
    names = ", ".join(column.name for column in columns)
    placeholders = ", ".join(f":{column.key}" for column in columns)
    returned = ", ".join(column.name for column in outbox.columns)
    # The names come from the table's metadata; every value is a bound parameter.
    sql = (
        f"INSERT INTO {outbox.name} ({names}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {returned}"
    )
    binds = [bindparam(column.key, type_=column.type) for column in columns]
    return text(sql).bindparams(*binds).columns(*outbox.columns)


def _serialise(message: EmailMessage | bytes | None, domain: str) -> tuple[bytes | None, str]:
    """Return the message as CRLF bytes with a Message-ID header, and that Message-ID.

    Without a message (it is rendered at delivery) only a new Message-ID is returned.
    """
    if message is None:
        return None, new_message_id(domain)
    if isinstance(message, EmailMessage):
        if message["Message-ID"] is None:
            message["Message-ID"] = new_message_id(domain)
        return message.as_bytes(policy=policy.SMTP), str(message["Message-ID"]).strip()
    raw = _BARE_LF.sub(b"\r\n", bytes(message))
    # Only the header block is parsed, so that the body keeps its bytes exactly.
    existing = BytesHeaderParser(policy=policy.SMTP).parsebytes(raw)["Message-ID"]
    if existing is not None:
        return raw, str(existing).strip()
    message_id = new_message_id(domain)
    return f"Message-ID: {message_id}\r\n".encode("ascii") + raw, message_id


def _queued(
    address: str, kind: str, invitation_id: int | None, sequence: int, domain: str, now: datetime
) -> dict:
    """Return the values of an outbox row queued to be rendered at delivery (no bytes yet)."""
    return {
        "recipient": address,
        "kind": kind,
        "invitation_id": invitation_id,
        "sequence": sequence,
        "message": None,
        "message_id": new_message_id(domain),
        "status": MailStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_by": "",
        "last_error": "",
        "created_at": now,
    }


def enqueue(
    session: Session,
    *,
    recipient: str,
    kind: str,
    message: EmailMessage | bytes | None,
    now: datetime,
    invitation_id: int | None = None,
    sequence: int = 0,
    domain: str | None = None,
) -> OutboxMessage:
    """Queue a mail for delivery, or return the row already queued for the same cause.

    A second call with the same (invitation_id, kind, sequence) writes nothing and returns the
    first row, also when the two calls race in concurrent transactions: the database's unique
    constraint decides (INSERT … ON CONFLICT DO NOTHING). Rows without an invitation are never
    duplicates of each other unless they carry the same Message-ID, which must then be for the
    same recipient and cause (ValueError otherwise). An EmailMessage
    without a Message-ID gets one on ``domain`` (default MAIL_DOMAIN); the caller's object is
    changed so that it knows the id. Without a message the worker renders the mail when it sends
    it, through the renderer registered for its kind. The session is flushed, not committed.
    """
    raw, message_id = _serialise(message, domain or current_app.config["MAIL_DOMAIN"])
    values = {
        "recipient": recipient,
        "kind": kind,
        "invitation_id": invitation_id,
        "sequence": sequence,
        "message": raw,
        "message_id": message_id,
        "status": MailStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_at": None,
        "claimed_by": "",
        "last_error": "",
        "sent_at": None,
        "body_dropped_at": None,
        "ref_id": None,
        "created_at": now,
    }
    session.flush()  # pending rows of the caller go first, so that conflicts are seen
    statement = select(OutboxMessage).from_statement(_insert_unless_queued())
    row = session.scalars(statement, values).one_or_none()
    if row is not None:
        return row
    if invitation_id is not None:
        existing = select(OutboxMessage).filter_by(
            invitation_id=invitation_id, kind=kind, sequence=sequence
        )
        row = session.scalars(existing).one_or_none()
        if row is not None:
            return row
    row = session.scalars(select(OutboxMessage).filter_by(message_id=message_id)).one()
    cause = (recipient, kind, invitation_id, sequence)
    if (row.recipient, row.kind, row.invitation_id, row.sequence) != cause:
        # Typically one EmailMessage object enqueued for two recipients: it kept the first id.
        raise ValueError(f"Message-ID {message_id} is already queued for another mail")
    return row


def enqueue_many(
    session: Session,
    recipients: list[tuple[int, str]],
    *,
    kind: str,
    sequence: int,
    now: datetime,
    domain: str | None = None,
) -> None:
    """Queue one mail of a kind per (invitation id, address), rendered at delivery; skip repeats.

    Set-based, so that inviting thousands of guests is a few statements: the unique
    (invitation_id, kind, sequence) lets the database skip what is already queued, also for a
    concurrent transaction. The session is not committed.
    """
    domain = domain or current_app.config["MAIL_DOMAIN"]
    insert_ignoring_conflicts(
        session,
        OutboxMessage,
        [
            _queued(address, kind, invitation_id, sequence, domain, now)
            for invitation_id, address in recipients
        ],
    )


def enqueue_each(
    session: Session,
    recipients: list[tuple[int, str, int]],
    *,
    kind: str,
    now: datetime,
    domain: str | None = None,
) -> None:
    """Queue one mail of a kind per (invitation id, address, sequence); skip repeats.

    As ``enqueue`` for many personal mails (confirmations) at once, each with its own
    sequence; the unique (invitation_id, kind, sequence) skips what is already queued.
    """
    domain = domain or current_app.config["MAIL_DOMAIN"]
    session.flush()  # pending rows of the caller go first, so that conflicts are seen
    insert_ignoring_conflicts(
        session,
        OutboxMessage,
        [
            _queued(address, kind, invitation_id, sequence, domain, now)
            for invitation_id, address, sequence in recipients
        ],
    )


def enqueue_refs(
    session: Session,
    recipients: list[tuple[str, int]],
    *,
    kind: str,
    now: datetime,
    domain: str | None = None,
) -> None:
    """Queue one mail of a kind per (address, row id), rendered at delivery from that row.

    For mails caused by something other than an invitation (a notification, a digest): one
    INSERT for all of them; the kind's renderer reads ``ref_id``. Not committed.
    """
    if not recipients:
        return
    domain = domain or current_app.config["MAIL_DOMAIN"]
    session.execute(
        outbox.insert(),
        [
            _queued(address, kind, None, 0, domain, now) | {"ref_id": ref_id}
            for address, ref_id in recipients
        ],
    )


def requeue(session: Session, row: OutboxMessage, *, now: datetime, recipient: str = "") -> None:
    """Queue a failed mail again, due at once; to a given recipient it is rendered anew."""
    if recipient:
        row.recipient, row.message = recipient, None
    row.status, row.next_attempt_at, row.claimed_at = MailStatus.QUEUED, now, None
    session.flush()


def readdress_queued(session: Session, invitation_ids: list[int], address: str) -> None:
    """Send the queued mails of these invitations to a new address, rendered again at delivery.

    A row a worker has already claimed keeps the old address; its renderer sees the change.
    """
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.invitation_id.in_(invitation_ids),
            OutboxMessage.status == MailStatus.QUEUED,
        )
        .values(recipient=address, message=None)
    )


def refresh_queued(session: Session, *, invitation_id: int, kind: str, recipient: str) -> bool:
    """Have a still-queued mail of this kind for the invitation rendered anew; True if one waits.

    A personal mail (a confirmation) states the guest's latest answer when it is rendered, so a
    further change while one waits needs no second mail: guests flipping their answer get one
    confirmation per delivery, not one per click.
    """
    refreshed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.invitation_id == invitation_id,
            OutboxMessage.kind == kind,
            OutboxMessage.status == MailStatus.QUEUED,
        )
        .values(recipient=recipient, message=None)
    ).rowcount
    return bool(refreshed)
