"""Building feed bodies fast: each event's VEVENT is serialised once per change and kept.

The serialised VEVENT lives in the event row (``ics_cache``) with the key it was made for, so
every gunicorn worker and every restart reuses it; a feed is then one query and a join.
"""

from collections.abc import Sequence
from hashlib import sha256

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import lazyload, noload

from app.events import ics
from app.events.models import Event


def cache_key(revision: int, master: int, base_url: str) -> str:
    """Return the key under which a serialised VEVENT stays valid."""
    return f"{revision}:{master}:{sha256(base_url.encode()).hexdigest()[:16]}"


def _render(event: Event, *, masked: bool, base_url: str) -> bytes:
    """Serialise one event's VEVENT."""
    url = None if masked else f"{base_url}/events/{event.id}"
    return ics.build_vevent(event, masked=masked, url=url, dtstamp=event.updated_at).to_ical()


def feed_body(
    session, query, *, name: str, base_url: str, masked_ids: set[int] | None, master: int
) -> tuple[bytes, list[dict]]:
    """Render the events selected by ``query`` (a select of Event) as one PUBLISH calendar.

    ``masked_ids`` are the confidential events to show only as "reserved". Returns the body
    and the fresh serialisations to store (see store_fragments).
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
        if row.id in masked_ids or row.ics_cache_key != cache_key(row.revision, master, base_url):
            missing.append(row.id)
        else:
            fragments[row.id] = row.ics_cache
    fresh = []
    for chunk in _chunks(missing, 2000):
        stmt = (
            select(Event)
            .where(Event.id.in_(chunk))
            .options(
                noload(Event.audiences),
                noload(Event.co_hosts),
                lazyload(Event.department),
            )
        )
        for event in session.scalars(stmt).unique():
            masked = event.id in masked_ids
            fragments[event.id] = _render(event, masked=masked, base_url=base_url)
            if not masked:
                fresh.append(
                    {
                        "event_id": event.id,
                        "rev": event.revision,
                        "data": fragments[event.id],
                        "key": cache_key(event.revision, master, base_url),
                    }
                )
    tzids = {row.timezone for row in rows if not row.all_day}
    body = ics.assemble(ics.calendar_header(name), tzids, [fragments[row.id] for row in rows])
    return body, fresh


def store_fragments(session, fresh: list[dict]) -> None:
    """Keep fresh serialisations, unless the event changed meanwhile (Core update, no flush)."""
    if not fresh:
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
