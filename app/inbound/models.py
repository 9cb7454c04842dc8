"""Inbound mail: every message received for the RSVP addresses, kept until it is purged."""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.invitations.models import Invitation
from app.sqltypes import UTCDateTime, string_enum


class Kind(enum.StrEnum):
    """What a received message turned out to be."""

    UNKNOWN = "unknown"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    CALENDAR_REPLY = "calendar_reply"
    OTHER_SENDER = "other_sender"
    HUMAN = "human"


class State(enum.StrEnum):
    """Where a received message stands: stored until processed, then one of the outcomes."""

    STORED = "stored"
    APPLIED = "applied"  # it changed an answer or a delivery state
    REVIEW = "review"  # a person has to decide
    RECORDED = "recorded"  # kept for the record, nothing changed
    IGNORED = "ignored"  # looked at and set aside by a person


class InboundMessage(db.Model):
    """One received mail: the envelope, the bytes (until purged) and what became of it."""

    __tablename__ = "inbound"
    __table_args__ = (Index("ix_inbound_state_received", "state", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID, or "sha256:<hex>" of the bytes when there is none: the same mail twice
    # is one row (a retrying mail server, an ingest run over the same Maildir).
    message_id_key: Mapped[str] = mapped_column(String(255), unique=True)
    envelope_to: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    envelope_from: Mapped[str] = mapped_column(String(254), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # without dropped attachments
    size: Mapped[int] = mapped_column(default=0)  # of the message as it arrived
    kind: Mapped[Kind] = mapped_column(string_enum(Kind), default=Kind.UNKNOWN)
    state: Mapped[State] = mapped_column(string_enum(State), default=State.STORED)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )
    # status, diagnostic, partstat, reason, text, from, dropped …: what the page and API show.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invitation: Mapped[Invitation | None] = relationship()

    def __repr__(self) -> str:
        return f"<InboundMessage {self.id} {self.kind} {self.state}>"
