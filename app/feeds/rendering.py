"""Building feed bodies fast: each event's VEVENT is serialised once per change and kept.

The serialised VEVENT lives in the event row (``ics_cache``) with the key it was made for, so
every gunicorn worker and every restart reuses it; a feed is then one query and a join.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from types import SimpleNamespace

from sqlalchemy import Integer, LargeBinary, String, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from app.departments.models import Department
from app.events import ics
from app.events.models import Event, Status, Visibility
from app.venues.models import Venue
from app.vocabularies.models import Category

_FEED_COLUMNS = (
    select(
        Event.id,
        Event.revision,
        Event.uid,
        Event.title,
        Event.description,
        Event.all_day,
        Event.start_local,
        Event.end_local,
        Event.timezone,
        Event.status,
        Event.visibility,
        Event.sequence,
        Event.location,
        Event.updated_at,
        Event.created_at,
        Venue.name.label("venue_name"),
        Venue.address.label("venue_address"),
        Category.name.label("category_name"),
        Department.name.label("department_name"),
        Department.email.label("department_email"),
    )
    .select_from(Event)
    .join(Department, Department.id == Event.department_id)
    .outerjoin(Venue, Venue.id == Event.venue_id)
    .outerjoin(Category, Category.id == Event.category_id)
)


@dataclass(slots=True)
class _FeedEvent:
    """The attributes of an event that ics.build_vevent reads, from one row."""

    id: int
    revision: int
    uid: str
    title: str
    description: str
    all_day: bool
    start_local: datetime
    end_local: datetime
    timezone: str
    status: Status
    visibility: Visibility
    sequence: int
    location: str
    updated_at: datetime
    created_at: datetime
    place: str
    category: SimpleNamespace | None
    department_name: str
    department_email: str | None

    @classmethod
    def from_row(cls, row) -> "_FeedEvent":
        """Build from a row of _FEED_COLUMNS (the place as Event.place words it)."""
        *head, venue_name, venue_address, category_name, dept_name, dept_email = row
        if venue_name is not None:
            place = ", ".join(p for p in (venue_name, venue_address) if p)
        else:
            place = head[12]
        category = SimpleNamespace(name=category_name) if category_name is not None else None
        return cls(*head, place, category, dept_name, dept_email)


# Raised whenever the serialised form changes, so that fragments cached in the rows by an
# older release are rendered again (2: ORGANIZER in every VEVENT, sanitised one-line values).
FRAGMENT_FORMAT = 2


def cache_key(revision: int, master: int, base_url: str, sender: str) -> str:
    """Return the key under which a serialised VEVENT stays valid.

    Departments are master data (a change raises ``master``); the sending address, the
    organizer of departments without an address of their own, is configuration.
    """
    digest = sha256(f"{base_url}|{sender}".encode()).hexdigest()[:16]
    return f"v{FRAGMENT_FORMAT}:{revision}:{master}:{digest}"


def _render(event, *, masked: bool, base_url: str, sender: str) -> bytes:
    """Serialise one event's VEVENT."""
    url = None if masked else f"{base_url}/events/{event.id}"
    organized_by = ics.organizer_for(
        event.department_name, event.department_email, sender, masked=masked
    )
    return ics.build_vevent(
        event, masked=masked, url=url, dtstamp=event.updated_at, organized_by=organized_by
    ).to_ical()


def feed_body(
    session,
    query,
    *,
    name: str,
    base_url: str,
    masked_ids: set[int] | None,
    master: int,
    sender: str,
) -> tuple[bytes, list[dict]]:
    """Render the events selected by ``query`` (a select of Event) as one PUBLISH calendar.

    ``masked_ids`` are the confidential events to show only as "reserved"; ``sender`` is the
    mail sender, the organizer for departments without an address. Returns the body and the
    fresh serialisations to store (see store_fragments).
    """
    light = query.with_only_columns(
        Event.id,
        Event.revision,
        Event.all_day,
        Event.timezone,
        Event.ics_cache,
        Event.ics_cache_key,
    ).order_by(Event.starts_at, Event.id)
    rows = session.execute(light).all()
    masked_ids = masked_ids or set()
    fragments: dict[int, bytes] = {}
    missing: list[int] = []
    for row in rows:
        key = cache_key(row.revision, master, base_url, sender)
        if row.id in masked_ids or row.ics_cache_key != key:
            missing.append(row.id)
        else:
            fragments[row.id] = row.ics_cache
    fresh = []
    for chunk in _chunks(missing, 2000):
        # Plain rows with just what a VEVENT needs: loading ORM objects cost as much as
        # building the VEVENTs on a first render of thousands of events.
        for event in map(
            _FeedEvent.from_row, session.execute(_FEED_COLUMNS.where(Event.id.in_(chunk)))
        ):
            masked = event.id in masked_ids
            fragments[event.id] = _render(event, masked=masked, base_url=base_url, sender=sender)
            if not masked:
                fresh.append(
                    {
                        "event_id": event.id,
                        "rev": event.revision,
                        "data": fragments[event.id],
                        "key": cache_key(event.revision, master, base_url, sender),
                    }
                )
    tzids = {row.timezone for row in rows if not row.all_day}
    body = ics.assemble(ics.calendar_header(name), tzids, [fragments[row.id] for row in rows])
    return body, fresh


_UPDATE_FROM_ARRAYS = text(
    "UPDATE events SET ics_cache = v.data, ics_cache_key = v.key "
    "FROM unnest(:ids, :revs, :datas, :keys) AS v(id, rev, data, key) "
    "WHERE events.id = v.id AND events.revision = v.rev"
).bindparams(
    bindparam("ids", type_=ARRAY(Integer)),
    bindparam("revs", type_=ARRAY(Integer)),
    bindparam("datas", type_=ARRAY(LargeBinary)),
    bindparam("keys", type_=ARRAY(String)),
)


def store_fragments(session, fresh: list[dict]) -> None:
    """Keep fresh serialisations, unless the event changed meanwhile (Core update, no flush)."""
    if not fresh:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One statement per few thousand rows (arrays unnested), not one round trip each.
        for start in range(0, len(fresh), 5000):
            part = fresh[start : start + 5000]
            session.execute(
                _UPDATE_FROM_ARRAYS,
                {
                    "ids": [f["event_id"] for f in part],
                    "revs": [f["rev"] for f in part],
                    "datas": [f["data"] for f in part],
                    "keys": [f["key"] for f in part],
                },
            )
        return
    stmt = (
        update(Event.__table__)
        .where(
            Event.__table__.c.id == bindparam("event_id"),
            Event.__table__.c.revision == bindparam("rev"),
        )
        .values(ics_cache=bindparam("data"), ics_cache_key=bindparam("key"))
    )
    session.execute(stmt, fresh)


def _chunks(items: Sequence[int], size: int):
    """Yield slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def confidential_ids(session, query) -> set[int]:
    """Return the ids of confidential events in a query's result."""
    from app.events.models import Visibility

    stmt = query.with_only_columns(Event.id).where(Event.visibility == Visibility.CONFIDENTIAL)
    return set(session.scalars(stmt))
