"""Conditional GET for everything derived from the calendar: one ETag, one Last-Modified.

Feeds and open data files change only when the calendar's change counter moves (or, as their
window moves, at midnight UTC), so a revalidation is answered from two small values without
reading or rendering a single event.
"""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, time

from flask import Response, current_app, request

from app.events import versioning
from app.extensions import db


def _not_modified(tag: str, last_modified: datetime) -> bool:
    """Return True when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    if request.if_none_match:
        return tag in request.if_none_match
    since = request.if_modified_since
    return since is not None and last_modified.replace(microsecond=0) <= since


def conditional(
    scope: str,
    render: Callable[[int], Response],
    *,
    cache_control: str,
    cache=None,
    current: Callable[[], tuple[int, int, datetime | None]] | None = None,
) -> Response:
    """Answer 304 when the client's copy is current, else ``render(master_version)``.

    ``scope`` separates what different callers see from the same URL (public, one user).
    ``cache`` (optional; ``get(key)``/``put(key, response)``, e.g. the portal's page cache)
    keeps rendered answers by ETag and change time, so that a page is rendered once per change;
    ``current`` (optional) reads the calendar version instead of ``versioning.current``.
    """
    version, master, changed_at = current() if current else versioning.current(db.session)
    day = datetime.now(UTC).date()  # the windows move daily
    tag = hashlib.sha256(f"{scope}|{request.full_path}|{version}|{day}".encode()).hexdigest()[:32]
    midnight = datetime.combine(day, time(), UTC)
    last_modified = max(changed_at, midnight) if changed_at else midnight
    if _not_modified(tag, last_modified):
        response = current_app.response_class(status=304)
    else:
        key = f"{tag}|{changed_at.isoformat()}" if cache is not None and changed_at else None
        response = cache.get(key) if key else None
        if response is None:
            response = render(master)
            if key:
                cache.put(key, response)
    response.set_etag(tag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response
