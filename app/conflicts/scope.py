"""What a kind answers for: one proposal (``Checked``, ``Shape``) or a window (``Window``)."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, true

from app.conflicts import facts
from app.conflicts.describe import Describer
from app.conflicts.facts import EventFacts
from app.conflicts.overlap import day_overlap
from app.events.models import Event, Status
from app.events.proposal import Proposal, VenueInfo
from app.events.walltime import range_bounds


@dataclass(frozen=True)
class Shape:
    """What the single-check statement depends on besides bound values (it is cached by shape)."""

    has_venue: bool
    has_audiences: bool
    has_event: bool
    has_district: bool
    postgresql: bool
    # Staff checking a stored event see only their own guests among the shared ones.
    own_guests_only: bool = False


@dataclass
class Checked:
    """One proposal under check, as a kind sees it when it turns its rows into conflicts."""

    proposal: Proposal
    venue: VenueInfo | None
    viewer: Any
    tz: str
    describe: Describer

    @property
    def own_ids(self) -> list[int]:
        """Return the checked event's id as a list (empty for a new event)."""
        p = self.proposal
        return [p.event_id] if p.event_id is not None else []


@dataclass
class Window:
    """The events between two local days (inclusive), as the viewer may see them.

    A listing leaves ``only`` and ``key`` empty; looking up one conflict by its key narrows the
    window to the events (``only``) or the range the key names (see each kind's ``narrow``).
    """

    viewer: Any
    first: date
    last: date
    tz: str
    only: frozenset[int] | None = None
    key: str | None = None
    # Facts of every event loaded so far: the window's and the others that kinds found.
    facts: dict[int, EventFacts] = field(default_factory=dict)
    describe: Describer = field(init=False)
    _window_ids: set[int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.describe = Describer(self.viewer, self.facts)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """Return the window as a UTC range (start inclusive, end exclusive)."""
        return range_bounds(self.first, self.last + timedelta(days=1), self.tz)

    def condition(self, event=Event):
        """SQL: the event (or an alias) is in the window and not cancelled."""
        return and_(
            day_overlap(event.first_day, event.last_day, self.first, self.last),
            event.status != Status.CANCELLED,
            self.among(event.id),
        )

    def among(self, column):
        """SQL: the event id is one the key names (always true in a listing)."""
        return column.in_(sorted(self.only)) if self.only is not None else true()

    def events(self) -> dict[int, EventFacts]:
        """Return the facts of the window's events (loaded once, co-hosts included)."""
        if self._window_ids is None:
            found = facts.load_where(self.condition())
            self.facts.update(found)
            self._window_ids = set(found)
        return {i: self.facts[i] for i in self._window_ids}

    def load(self, ids) -> dict[int, EventFacts]:
        """Load the facts of events not loaded yet and return the shared facts."""
        missing = set(ids) - set(self.facts)
        if missing:
            self.facts.update(facts.load(missing))
        return self.facts

    def narrowed(self, **changes) -> "Window":
        """Return a copy with other bounds or restrictions (nothing loaded yet)."""
        return replace(self, facts={}, **changes)
