"""In headless Chromium: the compact event form, calendar titles, search and print."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.events import operations
from app.events.models import Status
from app.extensions import db
from tests.axe import run_axe
from tests.factories import (
    NOW,
    PASSWORD,
    make_audience,
    make_department,
    make_event,
    make_invitation,
    make_user,
    make_venue,
)
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser
# The form with 20 departments and 9 audiences measured 3,896 px at 1280 px before the layout.
FORM_HEIGHT_BEFORE = 3896
DAY = date.today() + timedelta(days=30)


def _registers():
    """Create 20 departments and 9 audiences like the demo data; return a staff user."""
    departments = [make_department(name=f"Amt für Aufgabe {n:02d}") for n in range(20)]
    for n in range(9):
        make_audience(code=f"zg{n}", name=f"Zielgruppe {n}")
    make_venue(name="Rathaus")
    staff = make_user(department=departments[3])
    db.session.commit()
    return staff


def _log_in(page, base, user):
    """Log in through the form."""
    page.goto(f"{base}/login")
    page.get_by_label("E-Mail").fill(user.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/(\?.*)?$"))


def _visible_co_hosts(page) -> list[str]:
    """Return the labels of the co-host options the user can see."""
    return page.locator("#co_hosts-options .kern-form-check:visible label").all_inner_texts()


def test_event_form_is_compact_with_the_conflict_check_beside_the_dates(app, database_url):
    staff = _registers()
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        page.goto(f"{base}/events/new")
        height = page.locator("form.event-form").bounding_box()["height"]
        assert height < FORM_HEIGHT_BEFORE * 0.75, height
        panel = page.locator("#conflict-panel").bounding_box()
        dates = page.get_by_label("Beginn (Uhrzeit)").bounding_box()
        co_hosts = page.locator("#co_hosts").bounding_box()
        # Beside the date fields, in the first screen, above (not after) the co-host list.
        assert panel["x"] > dates["x"] + dates["width"]
        assert panel["y"] + panel["height"] < 900 and panel["y"] < co_hosts["y"]
        # The own department is never offered; the filter narrows the list.
        offered = _visible_co_hosts(page)
        assert len(offered) == 19 and "Amt für Aufgabe 03" not in offered
        page.locator("#co_hosts-filter").fill("aufgabe 1")
        assert _visible_co_hosts(page) == [f"Amt für Aufgabe {n}" for n in range(10, 20)]
        page.locator("#co_hosts-filter").press("Enter")  # filters, does not submit
        assert page.url.endswith("/events/new")
        page.get_by_label("Amt für Aufgabe 12").check()
        expect(page.locator("#co_hosts-chosen")).to_contain_text("Amt für Aufgabe 12")
        # Narrow screens: the conflict check directly under date, time and venue.
        page.set_viewport_size({"width": 390, "height": 800})
        venue = page.locator("#venue_id").bounding_box()
        panel = page.locator("#conflict-panel").bounding_box()
        co_hosts = page.locator("#co_hosts").bounding_box()
        assert venue["y"] < panel["y"] < co_hosts["y"]
        assert abs(panel["x"] - venue["x"]) < 40


def test_comms_co_host_list_follows_the_chosen_department(app, database_url):
    _registers()
    comms = make_user(Role.COMMS, department=None)
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, comms)
        page.goto(f"{base}/events/new")
        assert "Amt für Aufgabe 00" not in _visible_co_hosts(page)  # preselected owner
        page.get_by_label("Amt für Aufgabe 05").check()
        page.get_by_label("Federführendes Amt").select_option(label="Amt für Aufgabe 05")
        offered = _visible_co_hosts(page)
        assert "Amt für Aufgabe 05" not in offered and "Amt für Aufgabe 00" in offered
        assert len(offered) == 19
        expect(page.locator("#co_hosts-chosen")).not_to_contain_text("Amt für Aufgabe 05")


def test_editing_a_published_event_offers_to_inform_its_guest(app, database_url):
    staff = make_user()
    start = datetime.combine(DAY, time(18, 0))
    event = make_event(staff, title="Jahresempfang", status="published", start=start)
    make_invitation(event, staff)
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        page.goto(f"{base}/events/{event.id}/edit")
        expect(page.get_by_role("button", name="Speichern", exact=True)).to_be_visible()
        page.get_by_label("Beginn (Uhrzeit)").fill("19:00")
        page.get_by_label("Ende (Uhrzeit)").fill("21:00")
        page.get_by_role("button", name="Speichern und 1 Gast informieren").click()
        page.wait_for_url(f"**/events/{event.id}")
        expect(page.get_by_role("status").first).to_contain_text(
            "1 Gast wird über die Änderung informiert"
        )


def test_calendar_titles_wrap_and_cancelled_events_keep_their_contrast(app, database_url):
    staff = make_user()
    title = "Informationsveranstaltung zur Kommunalen Wärmeplanung im Stadtbezirk"
    word = "Donaudampfschifffahrtsgesellschaftskapitänsversammlung"
    start = datetime.combine(DAY, time(18, 0))
    make_event(staff, title=title, status="published", start=start)
    cancelled = make_event(staff, title=word, status="published", start=start)
    operations.set_status(cancelled, Status.CANCELLED, actor=staff, now=NOW)
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        page.goto(f"{base}/month?month={DAY:%Y-%m}")
        link = page.locator(".month-grid a", has_text="Informationsveranstaltung")
        assert link.get_attribute("title") == title
        box, line = (
            link.bounding_box(),
            link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight)"),
        )
        assert box["height"] > 1.5 * line  # two lines, not one cut after ten characters
        page.goto(f"{base}/week?date={DAY.isoformat()}")
        card = page.locator(".event-card", has_text=word[:20])
        column = page.locator(".week-grid__day", has=card)
        assert card.evaluate("c => c.scrollWidth <= c.clientWidth")
        assert card.bounding_box()["width"] <= column.bounding_box()["width"] + 1
        assert "line-through" in card.locator("a").evaluate(
            "a => getComputedStyle(a).textDecorationLine"
        )
        contrast = [v for v in run_axe(page) if v.rule == "color-contrast"]
        assert not contrast, "\n".join(map(str, contrast))


def test_search_and_print_view(app, database_url):
    staff = make_user()
    start = datetime.combine(DAY, time(18, 0))
    make_event(staff, title="Bürgerdialog Innenstadt", start=start)
    make_event(staff, title="Sportlerehrung", start=start)
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        page.goto(f"{base}/week?date={DAY.isoformat()}")
        page.locator("#f-q").fill("BUERGERDIALOG")
        page.locator(".filter-bar button[type=submit]").click()
        expect(page.locator(".week-grid")).not_to_contain_text("Sportlerehrung")
        assert "Bürgerdialog Innenstadt" in page.locator(".week-grid").inner_text()
        page.locator(".print-link").click()
        assert "print=1" in page.url and "q=BUERGERDIALOG" in page.url
        assert page.locator(".filter-bar, .site-header, .view-switch").count() == 0
        assert "Bürgerdialog Innenstadt" in page.inner_text("main")
        assert "Sportlerehrung" not in page.inner_text("main")
        page.emulate_media(media="print")
        assert not page.locator(".calendar-print__back").is_visible()
        assert not page.locator(".kern-kopfzeile").is_visible()
