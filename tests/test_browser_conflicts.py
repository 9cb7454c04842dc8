"""The conflict view in headless Chromium: pages, the heatmap's own scroll box, an inline review
that keeps the position, the period's field error and the CSV download."""

import csv
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from tests.factories import PASSWORD, make_event, make_user, make_venue
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser

FIRST = date(2027, 3, 1)
URL = "/conflicts/?from=2027-03-01&to=2027-03-31&kind=venue"


def _setup() -> str:
    """Create 30 double-bookings (one a day in March 2027) and a comms user; return the email."""
    owner = make_user()
    hall = make_venue(name="Ratssaal")
    for day in range(30):
        start = datetime.combine(FIRST + timedelta(days=day), time(10))
        make_event(owner, title=f"Sitzung {day + 1}", venue_id=hall.id, start=start)
        make_event(owner, title=f"Probe {day + 1}", venue_id=hall.id, start=start)
    comms = make_user(Role.COMMS, department=None, locale="en")
    db.session.commit()
    return comms.email


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/(?!login).*"))


def test_conflict_view_pages_scrolls_the_heatmap_reviews_in_place_and_exports(
    app, database_url, tmp_path
):
    email = _setup()
    with live_server(database_url) as base, chromium_page() as page:
        _login(page, base, email)
        page.set_viewport_size({"width": 800, "height": 900})
        page.goto(base + URL)
        rows = page.locator("li.conflict")
        expect(rows).to_have_count(25)

        # The heatmap scrolls inside its own focusable box; the page itself does not.
        box = page.get_by_role("region", name=re.compile("Heatmap"))
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("End")
        for _attempt in range(50):  # the CSP forbids wait_for_function's eval
            if box.evaluate("el => el.scrollLeft") > 0:
                break
            page.wait_for_timeout(100)
        assert box.evaluate("el => el.scrollLeft") > 0
        # It comes before the list.
        assert box.evaluate(
            "el => el.compareDocumentPosition(document.querySelector('.conflict-list')) & 4"
        )

        # Plain links to the next page keep the filters.
        page.get_by_role("link", name="Next page").first.click()
        page.wait_for_url(re.compile(r".*page=2.*"))
        assert "kind=venue" in page.url
        expect(rows).to_have_count(5)
        page.get_by_role("link", name="Previous page").first.click()
        page.wait_for_url(re.compile(r".*page=1.*"))

        # An inline review (no collapsed section) returns to the same row.
        row = rows.nth(19)
        row_id = row.get_attribute("id")
        row.get_by_label("Note").fill("Mit dem Ratsbüro abgestimmt")
        row.get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(re.compile(rf".*#{row_id}$"))
        reviewed = page.locator(f"#{row_id}")
        expect(reviewed).to_be_in_viewport()
        expect(reviewed).to_contain_text("Mit dem Ratsbüro abgestimmt")
        expect(reviewed).to_contain_text("Acknowledged")
        assert page.evaluate("window.scrollY") > 0

        # The CSV link downloads every filtered conflict, not only this page.
        page.goto(base + URL)
        with page.expect_download() as info:
            page.get_by_role("link", name=re.compile("as CSV")).click()
        path = tmp_path / "conflicts.csv"
        info.value.save_as(path)
        data = path.read_bytes()
        assert data.startswith("\ufeff".encode())
        table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert len(table) == 31 and table[0][0] == "Kind"
        assert {r[0] for r in table[1:]} == {"Venue"} and "Acknowledged" in {r[9] for r in table}

        # An end before the start is refused with a field error, the input kept.
        page.get_by_label("Until").fill("2027-02-01")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r".*to=2027-02-01.*"))
        expect(page.locator("#c-to-error")).to_have_text("The end date is before the start.")
        expect(page.get_by_label("Until")).to_have_value("2027-02-01")
        expect(page.get_by_label("Until")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_role("alert").first).to_contain_text("Until")
