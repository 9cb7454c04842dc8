"""End to end in headless Chromium: merge two records of one person, keep the address, undo."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.contacts.models import Contact, ContactMerge
from app.extensions import db
from app.invitations.models import Invitation
from tests.factories import PASSWORD, make_department, make_event, make_user
from tests.livesite import chromium_page, live_server
from tests.test_contacts import make_contact

pytestmark = pytest.mark.browser


def test_admin_merges_keeps_the_other_address_sees_already_merged_and_undoes(app, database_url):
    admin = make_user(Role.ADMIN, department=make_department(), email="admin.merge@stadt.example")
    day = date.today() + timedelta(days=21)
    start = datetime.combine(day, time(18))
    event = make_event(admin, title="Ehrenamtsempfang", start=start, status="published")
    now = datetime.now().astimezone()
    older = make_contact(
        "Markus Weber", "markus.weber@ruhr-kultur.de", organisation="Ruhr Kultur e. V.",
        now=now - timedelta(days=2),
    ).contact  # fmt: skip
    newer = make_contact(
        "Marcus Weber", "m.weber@ruhr-kultur.de", organisation="Ruhr Kultur e.V.",
        now=now - timedelta(days=1),
    ).contact  # fmt: skip
    db.session.commit()
    merge_url = f"/contacts/duplicates/{older.id}/{newer.id}/merge"
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.get_by_label("E-Mail").fill(admin.email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.goto(f"{base}/contacts/duplicates")
        page.goto(f"{base}{merge_url}")
        # Both contacts side by side; keep the newer one's address and the older one's name.
        expect(page.locator('input[name="email"][value="survivor"]')).to_be_checked()
        page.locator('input[name="email"][value="merged"]').check()
        expect(page.locator('input[name="first_name"][value="survivor"]')).to_be_checked()
        page.locator('form:has(input[name="email"]) button[type="submit"]').click()
        page.wait_for_url(f"**/contacts/{older.id}/edit")
        expect(page.locator('input[name="email"]')).to_have_value("m.weber@ruhr-kultur.de")
        expect(page.locator('input[name="first_name"]')).to_have_value("Markus")

        # Back to the merge page: it says that the pair is merged and links to the survivor.
        page.go_back()
        notice = page.locator("#already-merged")
        expect(notice).to_be_visible()
        expect(page.locator("h1")).to_have_text(
            re.compile("Already merged|Bereits zusammengeführt", re.I)
        )
        notice.locator(f'a[href="/contacts/{older.id}/edit"]').click()
        page.wait_for_url(f"**/contacts/{older.id}/edit")

        # The address not kept still finds the survivor: pasting it invites Markus Weber.
        page.goto(f"{base}/events/{event.id}/guests/")
        page.locator('textarea[name="pasted"]').fill("markus.weber@ruhr-kultur.de")
        page.locator('form:has(textarea[name="pasted"]) button[type="submit"]').first.click()
        page.wait_for_load_state()
        db.session.expire_all()
        invited = db.session.scalars(select(Invitation).where(Invitation.event_id == event.id))
        assert [i.contact_id for i in invited.all()] == [older.id]
        assert db.session.scalar(select(db.func.count()).select_from(Contact)) == 2

        # The administrator undoes the merge from the list of merges.
        page.goto(f"{base}/contacts/merges")
        log = db.session.scalars(select(ContactMerge)).one()
        page.locator(f'tr[data-merge="{log.id}"] a').last.click()
        page.wait_for_url(f"**/contacts/merges/{log.id}/undo")
        page.locator('main form button[type="submit"]').first.click()
        page.wait_for_url(f"**/contacts/{newer.id}/edit")
        expect(page.locator('input[name="email"]')).to_have_value("m.weber@ruhr-kultur.de")
        page.goto(f"{base}{merge_url}")
        expect(page.locator("#already-merged")).to_have_count(0)
    db.session.expire_all()
    older, newer = db.session.get(Contact, older.id), db.session.get(Contact, newer.id)
    assert newer.merged_into_id is None and older.email == "markus.weber@ruhr-kultur.de"
