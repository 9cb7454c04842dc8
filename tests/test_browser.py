"""End to end in headless Chromium: a staff member registers an event and finds it."""

import re
from datetime import date, timedelta

import pytest

from app.extensions import db
from tests.factories import PASSWORD, make_user, make_venue
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser


def test_staff_creates_event_and_finds_it_in_agenda_and_month(app, database_url):
    staff = make_user(email="erika.muster@stadt.example")
    venue = make_venue(name="Rathaus – Bürgersaal")
    db.session.commit()
    day = date.today() + timedelta(days=9)
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.get_by_label("E-Mail").fill(staff.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("link", name="Neuer Termin").click()
        page.get_by_label("Titel").fill("Ehrenamtsempfang im Bürgersaal")
        page.get_by_label("Beginn (Datum)").fill(day.isoformat())
        page.get_by_label("Beginn (Uhrzeit)").fill("18:30")
        page.get_by_label("Ende (Uhrzeit)").fill("20:00")
        page.get_by_role("combobox", name=re.compile(r"^Ort\b")).select_option(label=venue.name)
        page.get_by_role("button", name="Speichern und veröffentlichen").click()
        page.wait_for_url("**/events/*")
        assert page.get_by_role("heading", name="Ehrenamtsempfang im Bürgersaal").is_visible()

        page.get_by_role("link", name="Terminliste").first.click()
        item = page.locator(".agenda-item", has_text="Ehrenamtsempfang im Bürgersaal")
        assert item.count() == 1 and "18:30–20:00" in item.inner_text()

        page.goto(f"{base}/month?month={day:%Y-%m}")
        cell = page.locator(f'.month-grid__day[data-date="{day.isoformat()}"]')
        assert "Ehrenamtsempfang" in cell.inner_text()
        page.get_by_role("link", name="Ehrenamtsempfang im Bürgersaal").click()
        assert "Rathaus – Bürgersaal" in page.inner_text("main")
