"""Writing mail to the outbox: one row per mail, in the same transaction as its cause."""

import re
import secrets
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from functools import cache

from flask import current_app
from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.orm import Session

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


def _serialise(message: EmailMessage | bytes, domain: str) -> tuple[bytes, str]:
    """Return the message as CRLF bytes with a Message-ID header, and that Message-ID."""
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


def enqueue(
    session: Session,
    *,
    recipient: str,
    kind: str,
    message: EmailMessage | bytes,
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
    changed so that it knows the id. The session is flushed, not committed.
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
