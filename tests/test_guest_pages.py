"""Guests see a lean layout without the staff interface; fields mark errors only when invalid."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.invitations.delivery import render_queued
from app.mail.models import OutboxMessage
from tests.factories import NOW, PASSWORD, make_event, make_invitation, make_user
from tests.livesite import chromium_page, live_server

FUTURE = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=20)
STAFF_MARKS = (
    "interner Veranstaltungskalender",
    "/openapi",
    'href="/login"',
    "/contacts",
    "Abmelden",
)


def _invited(**event):
    """Return an RSVP token of a guest invited to a published future event."""
    owner = make_user()
    values = {"status": "published", "start": FUTURE, "end": FUTURE + timedelta(hours=2)}
    created = make_event(owner, **(values | event))
    _invitation, token = make_invitation(created, owner)
    db.session.commit()
    return token


def _assert_guest_layout(page: str) -> None:
    """Fail when a page shows any part of the staff interface."""
    for mark in STAFF_MARKS:
        assert mark not in page, mark
    assert "site-header--guest" in page and 'rel="icon"' in page


def test_rsvp_and_optout_pages_show_no_staff_interface(client):
    token = _invited(title="Sommerfest")
    answer = client.get(f"/rsvp/{token}").get_data(as_text=True)
    assert "Sommerfest" in answer
    _assert_guest_layout(answer)
    _assert_guest_layout(client.get(f"/rsvp/{token}/optout").get_data(as_text=True))


def test_logged_in_staff_opening_a_guest_link_sees_the_guest_layout(browser):
    token = _invited()
    staff = make_user()
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    _assert_guest_layout(browser.get(f"/rsvp/{token}").get_data(as_text=True))
    staff_page = browser.get("/").get_data(as_text=True)
    assert "interner Veranstaltungskalender" in staff_page and "/contacts" in staff_page


def test_unknown_invitation_link_answers_in_the_guest_layout(client):
    response = client.get("/rsvp/not-a-valid-token")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "Einladungslink ist nicht" in page
    _assert_guest_layout(page)
    assert "Zum Kalender" not in page


def test_staff_error_page_keeps_the_staff_layout(client):
    page = client.get("/events/999999").get_data(as_text=True)
    assert "interner Veranstaltungskalender" in page and "Zum Kalender" in page


def test_valid_fields_carry_no_aria_invalid(client):
    page = client.get(f"/rsvp/{_invited(max_plus_ones=2)}").get_data(as_text=True)
    assert "aria-invalid" not in page and 'aria-describedby=""' not in page
    assert 'name="comment"' in page


def test_invalid_field_is_marked_and_tied_to_its_error(browser):
    token = _invited(max_plus_ones=2)
    response = browser.post(f"/rsvp/{token}", {"response": "accepted", "plus_ones": "-3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    (plus_ones,) = re.findall(r"<input[^>]*name=\"plus_ones\"[^>]*>", page)
    assert 'aria-invalid="true"' in plus_ones
    assert 'aria-describedby="plus_ones-error"' in plus_ones and 'id="plus_ones-error"' in page
    assert page.count("aria-invalid") == 1 and "None" not in page


def test_favicon_is_served_as_svg(client):
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<svg")
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


def _mail_html() -> str:
    """Return the HTML part of the first queued invitation mail."""
    row = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    mail = message_from_bytes(render_queued(db.session, row, NOW), policy=policy.default)
    return mail.get_body(("html",)).get_content()


def test_invitation_mail_html_fits_a_phone_screen(app):
    _invited()
    html = _mail_html()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "overflow-wrap: anywhere" in html and "@media (max-width: 480px)" in html


def test_agenda_offers_drafts_only_to_staff(browser):
    anonymous = browser.get("/").get_data(as_text=True)
    assert 'value="draft"' not in anonymous and 'value="published"' in anonymous
    assert 'name="status"' not in browser.get("/public").get_data(as_text=True)
    staff = make_user()
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    assert 'value="draft"' in browser.get("/").get_data(as_text=True)


@pytest.mark.browser
def test_guest_answers_on_a_phone_without_staff_interface(app, database_url):
    token = _invited(title="Empfang zum Tag des Ehrenamts", max_plus_ones=1)
    with live_server(database_url) as base, chromium_page() as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/rsvp/{token}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.get_by_role("navigation", name="Hauptnavigation").count() == 0
        assert page.get_by_role("link", name="Anmelden").count() == 0
        page.get_by_label("Ja, ich nehme teil").check()
        page.get_by_role("button", name="Antwort senden").click()
        expect(page.locator("#current-answer")).to_have_text("nimmt teil")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto("about:blank")  # outside the site's CSP, as a mail program shows it
        page.set_content(_mail_html())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
