"""A department's request to co-host another department's event."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.departments.models import Department
from app.events.models import Event
from app.extensions import db
from app.sqltypes import UTCDateTime, string_enum


class RequestState(enum.StrEnum):
    """Where a co-hosting request stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CohostRequest(db.Model):
    """One department asking to join an event; at most one pending per (event, department)."""

    __tablename__ = "cohost_requests"
    __table_args__ = (
        Index(
            "uq_cohost_requests_pending",
            "event_id",
            "department_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[RequestState] = mapped_column(
        string_enum(RequestState), default=RequestState.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The requesting department's own event that was cancelled on accepting, if any.
    cancelled_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(foreign_keys=[event_id])
    department: Mapped[Department] = relationship(lazy="joined")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
