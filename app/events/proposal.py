"""What the conflict check needs to know about a planned or stored event; nothing is written."""

from dataclasses import dataclass
from datetime import date, datetime

from app.events.models import Event
from app.events.occupancy import local_days
from app.venues.models import Venue


@dataclass(frozen=True)
class VenueInfo:
    """What the checks need of a venue, detached from any database session."""

    id: int
    name: str
    capacity: int | None
    setup_minutes: int
    teardown_minutes: int
    exclusive: bool
    district_id: int | None

    @classmethod
    def of(cls, venue: Venue | None) -> "VenueInfo | None":
        """Return the snapshot of a venue (None for None)."""
        if venue is None:
            return None
        return cls(
            venue.id,
            venue.name,
            venue.capacity,
            venue.setup_minutes or 0,
            venue.teardown_minutes or 0,
            bool(venue.exclusive),
            venue.district_id,
        )


@dataclass
class Proposal:
    """The facts of an event the conflict check needs; nothing is written."""

    starts_at: datetime
    ends_at: datetime
    start_local: datetime
    end_local: datetime
    all_day: bool
    venue_id: int | None
    audience_ids: list[int]
    capacity: int | None
    department_id: int
    event_id: int | None = None
    sequence: int = 0
    # The venue when the caller has it loaded (saves a lookup).
    venue: VenueInfo | None = None
    # The title (the duplicate check compares it; empty: nothing to compare).
    title: str = ""
    # Set when only the title of a published event changes: its title until now. Then only
    # the duplicates the new title has and this one did not are checked (see conflicts.gate).
    earlier_title: str | None = None

    @classmethod
    def from_event(cls, event: Event) -> "Proposal":
        """Return the proposal describing an existing event as stored."""
        return cls(
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            start_local=event.start_local,
            end_local=event.end_local,
            all_day=event.all_day,
            venue_id=event.venue_id,
            audience_ids=[a.id for a in event.audiences],
            capacity=event.capacity,
            department_id=event.department_id,
            event_id=event.id,
            sequence=event.sequence,
            venue=VenueInfo.of(event.venue),
            title=event.title,
        )

    @classmethod
    def from_values(cls, values: dict, department_id: int, event: Event | None) -> "Proposal":
        """Return the proposal for validated event values (see ``validation.validated``)."""
        return cls(
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
            start_local=values["start_local"],
            end_local=values["end_local"],
            all_day=values["all_day"],
            venue_id=values["venue"].id if values["venue"] else None,
            audience_ids=[a.id for a in values["audiences"]],
            capacity=values["capacity"],
            department_id=department_id,
            event_id=event.id if event is not None else None,
            venue=VenueInfo.of(values["venue"]),
            title=values["title"],
        )

    @property
    def days(self) -> tuple[date, date]:
        """Return the first and last local day the event touches."""
        return local_days(self.start_local, self.end_local)
