"""The portal in Chromium: a keyboard-only journey from the search to "add to calendar"."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from app.extensions import db
from tests.factories import make_event, make_user
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser


def _focused(page) -> str:
    """Return the text (or name) of the element that has the keyboard focus."""
    return page.evaluate(
        "() => '#' + document.activeElement.id + ' ' + document.activeElement.textContent"
    )


def _tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element's text contains `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if text in _focused(page):
            return
    raise AssertionError(f"no focusable element with {text!r} reached by Tab")


def test_keyboard_only_from_search_to_the_calendar_file(app, database_url):
    staff = make_user()
    start = datetime.combine(date.today() + timedelta(days=4), datetime.min.time()).replace(hour=18)
    event = make_event(
        staff,
        title="Stadtführung durch die Altstadt",
        visibility="public",
        status="published",
        start=start,
        end=start + timedelta(hours=2),
    )
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/veranstaltungen?lang=en")
        _tab_to(page, "#p-q ")  # the search field
        page.keyboard.type("Stadtführungen")
        page.keyboard.press("Enter")
        page.wait_for_url("**q=Stadtf*")
        assert "lang=en" in page.url
        _tab_to(page, "Stadtführung durch die Altstadt")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/veranstaltungen/{event.id}-stadtfuehrung-durch-die-altstadt*")
        _tab_to(page, "Download calendar file (.ics)")
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        assert download.value.suggested_filename == f"event-{event.id}.ics"
        assert "BEGIN:VEVENT" in Path(download.value.path()).read_text(encoding="utf-8")
