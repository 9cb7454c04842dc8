"""End to end in headless Chromium: the bell in the header, the list, marking read, settings."""

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.factories import PASSWORD, make_event, make_user, make_venue
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser


def test_a_clash_rings_the_bell_and_the_list_marks_it_read(app, database_url):
    ours, theirs = make_user(), make_user()
    hall = make_venue(name="Saal Nord")
    start = datetime.combine(datetime.now().date() + timedelta(days=30), time(18))
    own = make_event(ours, title="Bürgerdialog", status="published", venue_id=hall.id, start=start)
    make_event(theirs, title="Konzert", status="published", venue_id=hall.id, start=start)
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.get_by_label("E-Mail").fill(ours.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        bell = page.locator("header").get_by_role("link", name="Benachrichtigungen")
        expect(bell).to_contain_text("1")
        bell.click()
        item = page.locator(".notification--unread")
        expect(item).to_contain_text("„Bürgerdialog“ überschneidet sich mit „Konzert“")
        item.get_by_role("link").click()
        page.wait_for_url(f"**/events/{own.id}")
        page.go_back()
        page.get_by_role("button", name="Alle als gelesen markieren").click()
        expect(page.get_by_role("status")).to_contain_text("als gelesen markiert")
        expect(page.locator(".notification--unread")).to_have_count(0)
        expect(
            page.locator("header").get_by_role("link", name="Benachrichtigungen")
        ).not_to_contain_text("1")
        page.get_by_role("link", name="Einstellungen für Benachrichtigungen").click()
        page.locator("fieldset", has_text="überschneidet sich").get_by_label("aus").check()
        page.get_by_role("button", name="Speichern").click()
        expect(page.get_by_role("status")).to_contain_text("gespeichert")
        expect(
            page.locator("fieldset", has_text="überschneidet sich").get_by_label("aus")
        ).to_be_checked()
