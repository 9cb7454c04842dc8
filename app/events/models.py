"""Events of the shared city calendar."""

import enum
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.departments.models import Department
from app.extensions import db
from app.sqltypes import UTCDateTime, string_enum
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category


class Visibility(enum.StrEnum):
    """Who may see an event."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"


class Status(enum.StrEnum):
    """Where an event is in its lifecycle."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


event_audiences = Table(
    "event_audiences",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("audience_id", ForeignKey("audiences.id"), primary_key=True, index=True),
)

event_cohosts = Table(
    "event_cohosts",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True, index=True),
)


def new_uid() -> str:
    """Return a globally unique iCalendar UID for a new event."""
    return f"{uuid.uuid4()}@stadtkalender"


class Event(db.Model):
    """A calendar event with its wall time in a named zone and the exact UTC instants."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint("end_local > start_local", name="local_end_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("max_plus_ones >= 0", name="plus_ones_not_negative"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        Index("ix_events_range", "starts_at", "ends_at"),
        Index("ix_events_venue_range", "venue_id", "starts_at", "ends_at"),
        Index("ix_events_department_start", "department_id", "starts_at"),
        CheckConstraint("occupied_until > occupied_from", name="occupied_until_after_from"),
        CheckConstraint("last_day >= first_day", name="last_day_not_before_first"),
        # Composite indexes for the conflict checks (SQLite and PostgreSQL) ...
        Index("ix_events_venue_occupied", "venue_id", "occupied_from", "occupied_until"),
        Index("ix_events_days", "first_day", "last_day"),
        # ... and a range index on PostgreSQL, where overlap queries use the && operator.
        Index(
            "ix_events_occupied_range",
            "venue_id",
            func.tstzrange(text("occupied_from"), text("occupied_until"), "[)"),
            postgresql_using="gist",
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_events_day_range",
            func.daterange(text("first_day"), text("last_day"), "[]"),
            postgresql_using="gist",
        ).ddl_if(dialect="postgresql"),
        # The portal counts the public events ahead: an index-only scan of the public ones.
        Index(
            "ix_events_public_ends",
            "ends_at",
            "status",
            "published_at",
            postgresql_where=text("visibility = 'public'"),
            sqlite_where=text("visibility = 'public'"),
        ),
        Index(
            "ix_events_search",
            func.to_tsvector(text("'german'"), text("search_text")),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        # The last line against double bookings: published events at an exclusive venue never
        # overlap, buffers included (needs btree_gist for the equality on venue_id).
        ExcludeConstraint(
            ("venue_id", "="),
            (func.tstzrange(text("occupied_from"), text("occupied_until"), "[)"), "&&"),
            name="excl_events_exclusive_venue",
            using="gist",
            where=text("status = 'published' AND venue_exclusive"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True, default=new_uid)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    all_day: Mapped[bool] = mapped_column(default=False)
    # Wall time as entered (naive, in `timezone`); for all-day events midnight of the dates,
    # the end exclusive. The UTC instants are derived once and kept for range queries.
    start_local: Mapped[datetime]
    end_local: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    # Derived on every save (see occupancy): the range the venue is taken, buffers included,
    # whether the venue is exclusive, and the local days the event touches (last inclusive).
    occupied_from: Mapped[datetime] = mapped_column(UTCDateTime)
    occupied_until: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_exclusive: Mapped[bool] = mapped_column(default=False)
    first_day: Mapped[date]
    last_day: Mapped[date]
    location: Mapped[str] = mapped_column(String(300), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    visibility: Mapped[Visibility] = mapped_column(
        string_enum(Visibility), default=Visibility.INTERNAL
    )
    status: Mapped[Status] = mapped_column(string_enum(Status), default=Status.DRAFT)
    capacity: Mapped[int | None]
    max_plus_ones: Mapped[int] = mapped_column(default=0)
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Free of charge for the public ("kostenlos" on the portal, isAccessibleForFree in JSON-LD).
    free: Mapped[bool] = mapped_column(default=False)
    # What the portal's full-text search reads (kept by app/portal/search.py on every save):
    # the plain words for PostgreSQL's `german` configuration and their Snowball stems for
    # SQLite's FTS5 table events_fts (filled by triggers, see migration 0015).
    search_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    search_stems: Mapped[str] = mapped_column(Text, default="", deferred=True)
    sequence: Mapped[int] = mapped_column(default=0)
    # Rises with every change of the row or its links (see versioning); keys rendering caches.
    revision: Mapped[int] = mapped_column(default=1)
    # The serialised feed VEVENT and the key (revision, master data, base URL) it was made for;
    # feeds reuse it across processes and restarts, so a change is serialised once.
    ics_cache: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    ics_cache_key: Mapped[str] = mapped_column(String(80), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    venue: Mapped[Venue | None] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    category: Mapped[Category | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    audiences: Mapped[list[Audience]] = relationship(
        secondary=event_audiences, lazy="selectin", order_by=Audience.code
    )
    co_hosts: Mapped[list[Department]] = relationship(
        secondary=event_cohosts, lazy="selectin", order_by=Department.code
    )

    @property
    def start_date(self) -> date:
        """Return the first day (local) of the event."""
        return self.start_local.date()

    @property
    def end_date_inclusive(self) -> date:
        """Return the last day (local) the event touches."""
        if self.all_day or self.end_local.time() == datetime.min.time():
            return (self.end_local - timedelta(days=1)).date()
        return self.end_local.date()

    @property
    def host_department_ids(self) -> set[int]:
        """Return the owning and co-hosting department ids."""
        return {self.department_id, *(d.id for d in self.co_hosts)}

    @property
    def place(self) -> str:
        """Return the venue name with address, or the free-text location."""
        if self.venue is not None:
            return ", ".join(p for p in (self.venue.name, self.venue.address) if p)
        return self.location

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r}>"


class CalendarVersion(db.Model):
    """One row whose counter rises with every change that can alter a feed or a view."""

    __tablename__ = "calendar_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    # Rises only when master data (venues, departments, vocabularies) changes.
    master_version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
