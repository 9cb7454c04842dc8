"""Rendered anonymous portal pages, kept in this process per ETag.

An anonymous portal page depends only on its URL, the language, the local day and the
calendar (the ETag says all of them), so under a rush every worker renders a page once per
calendar change and then answers from memory instead of running the count, the page query and
the template. The cache is bounded (256 pages, 16 MB; the least recently used go first) and
belongs to one app; a change of the calendar makes new ETags, so old entries simply age out.

The calendar version itself is read at most once a second per worker (``VERSION_TTL``), so a
cached answer needs no database at all; a commit in this process forgets it at once, other
workers see a change within the second (the pages are public for 60 s anyway).
"""

import threading
import time
from collections import OrderedDict
from datetime import datetime

from flask import Flask, Response, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.events import versioning
from app.extensions import db

MAX_PAGES = 256  # per worker process; a portal page is about 20-30 KB
MAX_PAGE_BYTES = 512 * 1024  # larger answers are not kept
MAX_BYTES = 16 * 1024 * 1024  # all kept bodies of one worker together
VERSION_TTL = 1.0  # seconds a worker trusts the calendar version it read
_KEY = "portal_page_cache"
_commits = 0  # commits in this process: a commit may have changed the calendar


@event.listens_for(Session, "after_commit")
def _forget_version(_session: Session) -> None:
    """Make every cache of this process read the calendar version again."""
    global _commits
    _commits += 1


class PageCache:
    """A small thread-safe LRU of rendered answers (status, headers, body) by key."""

    def __init__(self, size: int = MAX_PAGES, max_bytes: int = MAX_BYTES):
        """Create an empty cache holding at most ``size`` answers of ``max_bytes`` together."""
        self.size, self.max_bytes, self.bytes = size, max_bytes, 0
        self._items: OrderedDict[str, tuple[int, list, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._version: tuple[float, int, tuple] | None = None  # (read at, commits, version)

    def current(self) -> tuple[int, int, datetime | None]:
        """Return the calendar version (see versioning.current), read at most once a second."""
        known = self._version
        now = time.monotonic()
        if known is not None and known[1] == _commits and now - known[0] < VERSION_TTL:
            return known[2]
        commits = _commits
        version = versioning.current(db.session)
        self._version = (now, commits, version)
        return version

    def get(self, key: str) -> Response | None:
        """Return a fresh response built from the kept answer, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
        status, headers, body = item
        return current_app.response_class(body, status=status, headers=headers)

    def put(self, key: str, response: Response) -> None:
        """Keep a plain 200 answer (not streamed, not too large, setting no cookie)."""
        if response.status_code != 200 or response.is_streamed or "Set-Cookie" in response.headers:
            return
        body = response.get_data()
        if len(body) > MAX_PAGE_BYTES:
            return
        headers = [(k, v) for k, v in response.headers.items() if k != "Content-Length"]
        with self._lock:
            if key in self._items:
                self.bytes -= len(self._items.pop(key)[2])
            self._items[key] = (200, headers, body)
            self.bytes += len(body)
            while len(self._items) > self.size or self.bytes > self.max_bytes:
                self.bytes -= len(self._items.popitem(last=False)[1][2])

    def clear(self) -> None:
        """Forget every kept answer."""
        with self._lock:
            self._items.clear()
            self.bytes = 0


def for_app(app: Flask | None = None) -> PageCache:
    """Return the page cache of the (current) app, creating it on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(_KEY)
    if cache is None:
        cache = app.extensions.setdefault(_KEY, PageCache())
    return cache
