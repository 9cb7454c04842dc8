"""What guests were told about a change: the event before it, kept for mails rendered later."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.events.models import Event
from app.extensions import db
from app.sqltypes import UTCDateTime

MESSAGE_MAX = 2000


class EventChange(db.Model):
    """One change of a published event sent to guests (an update or the cancellation)."""

    __tablename__ = "event_changes"
    __table_args__ = (UniqueConstraint("event_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The event's SEQUENCE after the change: the mails of that SEQUENCE describe it.
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # update or cancel
    title_before: Mapped[str] = mapped_column(String(200), default="")
    place_before: Mapped[str] = mapped_column(Text, default="")
    all_day_before: Mapped[bool] = mapped_column(Boolean, default=False)
    start_before: Mapped[datetime | None]  # wall time, as Event.start_local
    end_before: Mapped[datetime | None]
    # The organisers' words to the guests (cancellation).
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Snapshot:
    """What a guest sees of an event: title, place and wall time."""

    title: str
    place: str
    all_day: bool
    start: datetime
    end: datetime

    @classmethod
    def of(cls, event: Event) -> "Snapshot":
        """Return the guest-visible state of an event now."""
        return cls(event.title, event.place, event.all_day, event.start_local, event.end_local)

    def time_differs(self, other: "Snapshot") -> bool:
        """Return True when the date or time differs (guests must answer again)."""
        return (self.all_day, self.start, self.end) != (other.all_day, other.start, other.end)

    def differs(self, other: "Snapshot") -> list[str]:
        """Return which of time, place and title differ, in that order."""
        found = ["time"] if self.time_differs(other) else []
        found += [
            name for name in ("place", "title") if getattr(self, name) != getattr(other, name)
        ]
        return found


def record(event: Event, before: Snapshot | None, *, kind: str, now: datetime, message: str = ""):
    """Record the change that raised the event to its current SEQUENCE (flushes nothing)."""
    before = before or Snapshot.of(event)
    change = EventChange(
        event_id=event.id,
        sequence=event.sequence,
        kind=kind,
        title_before=before.title,
        place_before=before.place,
        all_day_before=before.all_day,
        start_before=before.start,
        end_before=before.end,
        message=message,
        created_at=now,
    )
    db.session.add(change)
    return change


def told_since(session: Session, event_id: int, after: int, upto: int) -> list[EventChange]:
    """Return the recorded changes with a SEQUENCE in (after, upto], oldest first."""
    return list(
        session.scalars(
            select(EventChange)
            .where(
                EventChange.event_id == event_id,
                EventChange.sequence > after,
                EventChange.sequence <= upto,
            )
            .order_by(EventChange.sequence)
        )
    )


def snapshot_before(change: EventChange) -> Snapshot | None:
    """Return the event as guests knew it before a recorded change."""
    if change.start_before is None or change.end_before is None:
        return None
    return Snapshot(
        change.title_before,
        change.place_before,
        change.all_day_before,
        change.start_before,
        change.end_before,
    )
