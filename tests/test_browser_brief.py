"""The weekly brief in headless Chromium: its sections on screen, on paper without the header."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import Role
from app.extensions import db
from tests.factories import PASSWORD, make_event, make_user
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser


def test_the_brief_page_shows_its_sections_and_prints_without_the_header(app, database_url):
    now = datetime.now(UTC)
    host = make_user(Role.STAFF)
    day = (now + timedelta(days=6)).date()
    make_event(
        host,
        title="Bürgerdialog Hörde",
        start=datetime.combine(day, time(18)),
        now=now - timedelta(hours=2),
        status="published",
        visibility="internal",
    )
    comms = make_user(Role.COMMS, department=None, locale="en")
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.get_by_label("E-Mail").fill(comms.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(re.compile(r".*/(?!login).*"))
        page.get_by_role("link", name="Weekly brief").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Weekly brief")
        new = page.locator("section[aria-labelledby=brief-new]")
        expect(new.get_by_role("link", name="Bürgerdialog Hörde")).to_be_visible()
        for heading in ("Open conflicts", "Events with VIP guests", "Possible duplicate events"):
            expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible()
        header = page.locator("header.site-header")
        expect(header).to_be_visible()
        page.emulate_media(media="print")
        expect(header).to_be_hidden()
        expect(new.get_by_role("link", name="Bürgerdialog Hörde")).to_be_visible()
