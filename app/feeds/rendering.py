"""Building feed bodies fast: each event's VEVENT is serialised once per version."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import noload

from app.events import ics
from app.events.models import Event, Visibility

_MAX_ENTRIES = 200_000
_fragments: dict[tuple[str, int, int, bool, str], bytes] = {}


def _fragment_key(row, masked: bool, master: int, base_url: str) -> tuple:
    """Return the cache key of one event in one rendering.

    The UID is unique across databases, the revision rises with every change of the event,
    and the master-data version with every change of venues or vocabularies it shows.
    """
    return (row.uid, row.revision, master, masked, base_url)


def vevent_bytes(event: Event, *, masked: bool, base_url: str, master: int) -> bytes:
    """Return the serialised VEVENT of an event, from the cache when its version is known."""
    key = _fragment_key(event, masked, master, base_url)
    data = _fragments.get(key)
    if data is None:
        url = None if masked else f"{base_url}/events/{event.id}"
        data = ics.build_vevent(event, masked=masked, url=url, dtstamp=event.updated_at).to_ical()
        if len(_fragments) >= _MAX_ENTRIES:
            _fragments.clear()  # versions change rarely; a full rebuild is cheap enough
        _fragments[key] = data
    return data


def feed_body(
    session, query, *, name: str, base_url: str, masked_ids: set[int] | None, master: int
) -> bytes:
    """Render the events selected by ``query`` (a select of Event) as one PUBLISH calendar.

    ``masked_ids`` are the confidential events to show only as "reserved"; None shows none masked.
    """
    light = query.with_only_columns(
        Event.id, Event.uid, Event.revision, Event.all_day, Event.timezone
    ).order_by(Event.starts_at, Event.id)
    rows = session.execute(light).all()
    masked_ids = masked_ids or set()
    fragments: dict[int, bytes] = {}
    missing: list[int] = []
    for row in rows:
        cached = _fragments.get(_fragment_key(row, row.id in masked_ids, master, base_url))
        if cached is None:
            missing.append(row.id)
        else:
            fragments[row.id] = cached
    for chunk in _chunks(missing, 2000):
        stmt = select(Event).where(Event.id.in_(chunk))
        stmt = stmt.options(noload(Event.audiences), noload(Event.co_hosts))
        for event in session.scalars(stmt).unique():
            fragments[event.id] = vevent_bytes(
                event, masked=event.id in masked_ids, base_url=base_url, master=master
            )
    tzids = {row.timezone for row in rows if not row.all_day}
    ordered = [fragments[row.id] for row in rows]
    return ics.assemble(ics.calendar_header(name), tzids, ordered)


def _chunks(items: Sequence[int], size: int):
    """Yield slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def confidential_ids(session, query) -> set[int]:
    """Return the ids of confidential events in a query's result."""
    stmt = query.with_only_columns(Event.id).where(Event.visibility == Visibility.CONFIDENTIAL)
    return set(session.scalars(stmt))
