"""Building feed bodies fast: each event's VEVENT is serialised once per version."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import noload

from app.events import ics
from app.events.models import Event, Visibility

_MAX_ENTRIES = 200_000
_fragments: dict[tuple[int, datetime, bool], bytes] = {}


def _fragment_key(row, masked: bool) -> tuple[int, datetime, bool]:
    """Return the cache key of one event in one rendering."""
    return (row.id, row.updated_at, masked)


def vevent_bytes(event: Event, *, masked: bool, base_url: str) -> bytes:
    """Return the serialised VEVENT of an event, from the cache when its version is known."""
    key = _fragment_key(event, masked)
    data = _fragments.get(key)
    if data is None:
        url = None if masked else f"{base_url}/events/{event.id}"
        data = ics.build_vevent(event, masked=masked, url=url, dtstamp=event.updated_at).to_ical()
        if len(_fragments) >= _MAX_ENTRIES:
            _fragments.clear()  # versions change rarely; a full rebuild is cheap enough
        _fragments[key] = data
    return data


def feed_body(session, query, *, name: str, base_url: str, masked_ids: set[int] | None,
              ) -> bytes:
    """Render the events selected by ``query`` (a select of Event) as one PUBLISH calendar.

    ``masked_ids`` are the confidential events to show only as "reserved"; None shows none masked.
    """
    light = query.with_only_columns(
        Event.id, Event.updated_at, Event.visibility, Event.all_day, Event.timezone
    ).order_by(Event.starts_at, Event.id)
    rows = session.execute(light).all()
    masked_ids = masked_ids or set()
    fragments: dict[int, bytes] = {}
    missing: list[int] = []
    for row in rows:
        cached = _fragments.get(_fragment_key(row, row.id in masked_ids))
        if cached is None:
            missing.append(row.id)
        else:
            fragments[row.id] = cached
    for chunk in _chunks(missing, 2000):
        stmt = select(Event).where(Event.id.in_(chunk))
        stmt = stmt.options(noload(Event.audiences), noload(Event.co_hosts))
        for event in session.scalars(stmt).unique():
            fragments[event.id] = vevent_bytes(
                event, masked=event.id in masked_ids, base_url=base_url
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
