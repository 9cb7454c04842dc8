"""End to end in headless Chromium: the privacy officer downloads an export and erases a person."""

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.contacts.models import Contact
from app.extensions import db
from app.invitations.models import Invitation
from tests.factories import PASSWORD, make_department, make_event, make_invitation, make_user
from tests.livesite import chromium_page, live_server
from tests.test_contacts import make_contact

pytestmark = pytest.mark.browser


def test_privacy_officer_exports_and_erases_a_person(app, database_url, tmp_path):
    owner = make_user(Role.STAFF, department=make_department(name="Kulturbüro"))
    officer = make_user(Role.PRIVACY, email="datenschutz@stadt.example")
    event = make_event(owner, title="Ehrenamtsempfang", status="published")
    person = make_contact("Gudrun Pfeffersack", "gudrun.pfeffersack@example.org").contact
    invitation, _token = make_invitation(event, owner, person)
    db.session.commit()
    person_id, invitation_id = person.id, invitation.id
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.get_by_label("E-Mail").fill(officer.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/login" not in url)

        page.goto(f"{base}/contacts/{person_id}/edit")
        page.locator("#privacy-actions a").first.click()
        page.wait_for_url(f"**/privacy/contacts/{person_id}/export")
        expect(page.locator("#export-invitations")).to_contain_text("Ehrenamtsempfang")
        html = tmp_path / "auskunft.html"
        html.write_text(page.content(), encoding="utf-8")  # the printable page, as saved
        assert "gudrun.pfeffersack@example.org" in html.read_text(encoding="utf-8")
        with page.expect_download() as info:
            page.locator("#export-json").click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        data = json.loads(saved.read_text(encoding="utf-8"))
        assert data["contact"]["email"] == "gudrun.pfeffersack@example.org"
        assert [i["event"]["title"] for i in data["invitations"]] == ["Ehrenamtsempfang"]

        page.goto(f"{base}/contacts/{person_id}/edit")
        page.locator("#privacy-actions a").nth(1).click()
        page.wait_for_url(f"**/privacy/contacts/{person_id}/erase")
        page.locator('main form button[type="submit"]').click()  # not ticked: refused
        expect(page.locator("#confirm-error")).to_be_visible()
        page.locator("#confirm").check()
        page.locator('main form button[type="submit"]').click()
        page.wait_for_url("**/contacts/")
        expect(page.locator(".kern-alert--success")).to_be_visible()
    db.session.rollback()  # end the test's read transaction: see what the server committed
    assert db.session.get(Contact, person_id) is None
    row = db.session.scalar(select(Invitation).where(Invitation.id == invitation_id))
    assert row is not None and row.contact_id is None
