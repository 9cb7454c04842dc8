"""The portal's in-process page cache: one render per calendar change, no shared own pages."""

from datetime import UTC, date, datetime, timedelta

from flask import Response
from sqlalchemy import event as sa_event

from app.events import operations
from app.events.validation import EventInput
from app.extensions import db
from app.portal.pagecache import PageCache
from tests.factories import make_event, make_user

SOON = datetime.combine(date.today() + timedelta(days=3), datetime.min.time()).replace(hour=10)
NOW = datetime.now(UTC)


def _public(staff, title: str):
    """Create a published public event three days ahead."""
    return make_event(
        staff,
        title=title,
        now=NOW,
        visibility="public",
        status="published",
        start=SOON,
        end=SOON + timedelta(hours=2),
    )


class _Statements:
    """Count the SQL statements the app's engine runs while active."""

    def __init__(self):
        """Start at zero."""
        self.count = 0

    def __call__(self, *_args, **_kwargs):
        """Count one statement."""
        self.count += 1

    def __enter__(self):
        """Listen on the engine."""
        sa_event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        """Stop listening."""
        sa_event.remove(db.engine, "before_cursor_execute", self)


def test_a_page_is_rendered_once_per_change(client):
    staff = make_user()
    event = _public(staff, "Fest")
    db.session.commit()
    for url in ("/veranstaltungen", "/veranstaltungen?q=fest&lang=en", "/widget"):
        first = client.get(url)
        with _Statements() as statements:
            again = client.get(url)
        assert again.status_code == 200 and again.data == first.data, url
        assert again.headers["ETag"] == first.headers["ETag"], url
        assert again.headers["Content-Type"] == first.headers["Content-Type"], url
        assert statements.count <= 1, url  # at most the calendar version
        assert "Set-Cookie" not in again.headers, url

    data = EventInput.from_event(event).replace(title="Großes Fest")
    operations.update_event(event, data, actor=staff, now=NOW, notify=False)
    db.session.commit()
    changed = client.get("/veranstaltungen").get_data(as_text=True)
    assert "Großes Fest" in changed


def test_a_visitor_with_a_session_gets_an_own_page(app, client):
    staff = make_user()
    _public(staff, "Fest")
    db.session.commit()
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Nur für diese Besucherin")]
    own = client.get("/veranstaltungen").get_data(as_text=True)
    assert "Nur für diese Besucherin" in own
    other = app.test_client().get("/veranstaltungen").get_data(as_text=True)
    assert "Nur für diese Besucherin" not in other and "Fest" in other


def test_the_cache_keeps_only_plain_pages_and_forgets_the_oldest(app):
    cache = PageCache(size=2)
    with app.test_request_context():
        cache.put("a", Response("A"))
        cache.put("redirect", Response("", status=301))
        with_cookie = Response("C")
        with_cookie.set_cookie("x", "1")
        cache.put("cookie", with_cookie)
        assert cache.get("redirect") is None and cache.get("cookie") is None
        cache.put("b", Response("B"))
        assert cache.get("a").get_data(as_text=True) == "A"  # now the most recent
        cache.put("c", Response("C"))
        assert cache.get("b") is None
        assert [cache.get(k).get_data(as_text=True) for k in ("a", "c")] == ["A", "C"]


def test_the_cache_keeps_to_its_byte_budget(app):
    cache = PageCache(size=10, max_bytes=10)
    with app.test_request_context():
        cache.put("a", Response("12345"))
        cache.put("b", Response("12345"))
        cache.put("a", Response("1234"))  # replaced, not counted twice
        assert cache.bytes == 9
        cache.put("c", Response("123"))  # over budget: the least recently used goes
        assert cache.get("b") is None and cache.bytes == 7
        assert cache.get("a") is not None and cache.get("c") is not None
