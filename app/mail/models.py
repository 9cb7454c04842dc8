"""The outbox: every mail is a row written in the same transaction as its cause."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.sqltypes import UTCDateTime


class MailStatus(enum.StrEnum):
    """Delivery state of an outbox row."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


# Rows whose message still has its body (the partial index below).
BODY_KEPT_PREDICATE = "message IS NOT NULL AND body_dropped_at IS NULL"


class OutboxMessage(db.Model):
    """One mail to one recipient, rendered when it was caused, delivered by the worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("invitation_id", "kind", "sequence"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Mails whose body is still stored: the privacy purge finds the old ones quickly.
        Index(
            "ix_outbox_body_kept",
            "sent_at",
            sqlite_where=text(BODY_KEPT_PREDICATE),
            postgresql_where=text(BODY_KEPT_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(32))  # invitation, update, cancel, reminder, …
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    # For invitation mails the event's SEQUENCE; for others a counter that keeps rows unique.
    sequence: Mapped[int] = mapped_column(default=0)
    # For mails rendered at delivery from another row than an invitation (a notification, a
    # user's daily digest): that row's id, read by the renderer of the kind.
    ref_id: Mapped[int | None]
    # The complete RFC 5322 message, or None when the worker renders it from the row's cause
    # at delivery time (bulk invitations: what is needed to render it is the invitation).
    message: Mapped[bytes | None] = mapped_column(LargeBinary)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[MailStatus] = mapped_column(
        db.Enum(
            MailStatus,
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MailStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(120), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When retention replaced the message by its headers (privacy purge, RETENTION_MAIL_BODY_DAYS).
    body_dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
