"""A co-hosting request in headless Chromium: ask on the event page, the host accepts."""

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.factories import PASSWORD, make_event, make_user
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser


def _login(page, base: str, email: str) -> None:
    """Log in through the form (German labels of the login page)."""
    page.goto(f"{base}/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/(?!login).*"))


def test_a_department_asks_to_co_host_and_the_host_accepts(app, database_url):
    host, asker = make_user(locale="en"), make_user(locale="en")
    event = make_event(host, title="Stadtteilfest Hörde", status="published")
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        _login(page, base, asker.email)
        page.goto(f"{base}/events/{event.id}")
        page.get_by_role("link", name="Ask to co-host").click()
        page.get_by_label("Message to the hosting department").fill("Wir bringen die Bühne mit.")
        page.get_by_role("button", name="Send request").click()
        expect(page.locator("#cohost-pending")).to_be_visible()
        page.context.clear_cookies()

        _login(page, base, host.email)
        page.goto(f"{base}/events/{event.id}")
        requests = page.locator("#cohost-requests")
        expect(requests).to_contain_text("Wir bringen die Bühne mit.")
        requests.get_by_role("link", name=re.compile("^Accept")).click()
        page.get_by_role("button", name="Yes, accept").click()
        expect(page.get_by_text("The request was accepted.")).to_be_visible()
        expect(page.locator("#cohost-requests")).to_have_count(0)
        expect(page.locator("main")).to_contain_text(asker.department.name)
