"""End to end in headless Chromium: a staff member registers an event and finds it."""

import re
from datetime import date, datetime, time, timedelta

import holidays
import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.factories import PASSWORD, make_event, make_user, make_venue
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser


def _ordinary_day(day: date) -> date:
    """Return the first day from `day` on that is no NRW public holiday (no warning there)."""
    nrw = holidays.country_holidays("DE", subdiv="NW", years=[day.year, day.year + 1])
    while day in nrw:
        day += timedelta(days=1)
    return day


def test_staff_creates_event_and_finds_it_in_agenda_and_month(app, database_url):
    staff = make_user(email="erika.muster@stadt.example")
    venue = make_venue(name="Rathaus – Bürgersaal")
    db.session.commit()
    day = _ordinary_day(date.today() + timedelta(days=9))
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.get_by_label("E-Mail").fill(staff.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("link", name="Neue Veranstaltung").click()
        page.get_by_label("Titel").fill("Ehrenamtsempfang im Bürgersaal")
        page.get_by_label("Beginn (Datum)").fill(day.isoformat())
        page.get_by_label("Beginn (Uhrzeit)").fill("18:30")
        page.get_by_label("Ende (Uhrzeit)").fill("20:00")
        page.get_by_role("combobox", name=re.compile(r"^Ort\b")).select_option(label=venue.name)
        page.get_by_role("button", name="Speichern und veröffentlichen").click()
        page.wait_for_url("**/events/*")
        assert page.get_by_role("heading", name="Ehrenamtsempfang im Bürgersaal").is_visible()

        page.get_by_role("link", name="Veranstaltungsliste").first.click()
        item = page.locator(".agenda-item", has_text="Ehrenamtsempfang im Bürgersaal")
        assert item.count() == 1 and "18:30–20:00" in item.inner_text()

        page.goto(f"{base}/month?month={day:%Y-%m}")
        cell = page.locator(f'.month-grid__day[data-date="{day.isoformat()}"]')
        assert "Ehrenamtsempfang" in cell.inner_text()
        page.get_by_role("link", name="Ehrenamtsempfang im Bürgersaal").click()
        assert "Rathaus – Bürgersaal" in page.inner_text("main")


def test_conflicts_show_while_typing_and_publishing_asks_for_a_reason(app, database_url):
    owner, staff = make_user(), make_user(email="max.beispiel@stadt.example")
    hall = make_venue(name="Dietrich-Keuning-Haus")
    day = _ordinary_day(date.today() + timedelta(days=20))
    make_event(
        owner,
        title="Stadtteilkonferenz Nord",
        status="published",
        venue_id=hall.id,
        start=datetime.combine(day, time(17, 0)),
    )
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.get_by_label("E-Mail").fill(staff.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.goto(f"{base}/events/new")
        panel = page.locator("#conflict-panel")
        assert "sobald Datum, Uhrzeit und Ort" in panel.inner_text()
        page.get_by_label("Titel").fill("Jugendforum")
        page.get_by_label("Beginn (Datum)").fill(day.isoformat())
        page.get_by_label("Beginn (Uhrzeit)").fill("18:00")
        page.get_by_label("Ende (Uhrzeit)").fill("20:00")
        page.get_by_role("combobox", name=re.compile(r"^Ort\b")).select_option(label=hall.name)
        # The panel updates through htmx, without submitting the form.
        expect(panel).to_contain_text("Stadtteilkonferenz", timeout=15_000)
        assert "Dietrich-Keuning-Haus" in panel.inner_text()
        assert page.url.endswith("/events/new")
        page.get_by_label("Beginn (Uhrzeit)").fill("20:30")
        page.get_by_label("Ende (Uhrzeit)").fill("22:00")
        page.get_by_label("Beginn (Uhrzeit)").dispatch_event("change")
        expect(panel).to_contain_text("Keine Konflikte", timeout=15_000)
        page.get_by_label("Beginn (Uhrzeit)").fill("18:00")
        page.get_by_label("Ende (Uhrzeit)").fill("20:00")
        page.get_by_role("button", name="Speichern und veröffentlichen").click()
        assert page.locator("#conflict_reason-error").is_visible()
        page.get_by_label("Begründung für die Veröffentlichung trotz Warnungen").fill(
            "Mit dem Bezirksamt abgestimmt: zwei Räume."
        )
        page.get_by_role("button", name="Speichern und veröffentlichen").click()
        page.wait_for_url("**/events/*")
        assert "Mit dem Bezirksamt abgestimmt" in page.inner_text("main")
