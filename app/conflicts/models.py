"""School holidays, blocked ranges, reviews of conflicts and reasons given for publishing."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.events.models import Event
from app.extensions import db
from app.sqltypes import UTCDateTime, string_enum
from app.vocabularies.models import District


class Severity(enum.StrEnum):
    """How bad a conflict is; only hard conflicts block publishing."""

    HARD = "hard"
    WARNING = "warning"
    INFO = "info"


class SchoolHoliday(db.Model):
    """A school holiday period of a German state (Ferien), both days inclusive."""

    __tablename__ = "school_holidays"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="last_day_not_before_first"),
        UniqueConstraint("region", "first_day", "name"),
        Index("ix_school_holidays_days", "first_day", "last_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(8), default="NW")
    name: Mapped[str] = mapped_column(String(100))
    first_day: Mapped[date]
    last_day: Mapped[date]

    def __repr__(self) -> str:
        return f"<SchoolHoliday {self.name} {self.first_day}>"


class BlockedRange(db.Model):
    """A time the communications team keeps free, city-wide or in one Stadtbezirk."""

    __tablename__ = "blocked_ranges"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        Index("ix_blocked_ranges_range", "starts_at", "ends_at"),
        UniqueConstraint("source", "source_uid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    all_day: Mapped[bool] = mapped_column(default=False)
    # None: the whole city.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    severity: Mapped[Severity] = mapped_column(string_enum(Severity), default=Severity.WARNING)
    # Where an imported range came from, and its UID there (re-importing the same source
    # updates, never duplicates).
    source: Mapped[str] = mapped_column(String(500), default="")
    source_uid: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    district: Mapped[District | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<BlockedRange {self.title!r}>"


class ReviewStatus(enum.StrEnum):
    """What the communications team decided about a conflict."""

    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ConflictReview(db.Model):
    """A conflict acknowledged or resolved by the communications team, with a note.

    Conflicts are computed, not stored; ``key`` names one (kind and what it is about). The
    ``fingerprint`` records the events involved and their SEQUENCE at review time: when an event
    moves or another joins, the review no longer matches and the conflict is open again.
    """

    __tablename__ = "conflict_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[ReviewStatus] = mapped_column(string_enum(ReviewStatus))
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    reviewed_by: Mapped[User | None] = relationship(lazy="joined")


class PublishOverride(db.Model):
    """The reason staff gave for publishing an event despite warnings."""

    __tablename__ = "publish_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    # The warnings overridden, one message per line, as shown at the time.
    warnings: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    created_by: Mapped[User | None] = relationship(lazy="joined")
