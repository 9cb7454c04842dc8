"""In headless Chromium: inviting (faulty lines, possible duplicates), withdrawing, resending,
cancelling, and the guest's lean page (issue 10, items 1, 2, 4, 11 and 14)."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.events.models import Event
from app.extensions import db
from app.invitations.models import Invitation
from app.mail.models import MailStatus, OutboxMessage
from tests.factories import PASSWORD, make_contact, make_event, make_invitation, make_user
from tests.livesite import chromium_page, live_server

pytestmark = pytest.mark.browser
DAY = date.today() + timedelta(days=40)


def _hosted(guests: int = 0):
    """Create staff with a published event and invited guests whose mails went out."""
    staff = make_user()
    start = datetime.combine(DAY, time(18, 0))
    event = make_event(staff, status="published", start=start, end=start + timedelta(hours=2))
    invited = [
        make_invitation(event, staff, now=datetime.now().astimezone()) for _ in range(guests)
    ]
    for row in db.session.scalars(select(OutboxMessage)):
        row.status = MailStatus.SENT
    db.session.commit()
    return staff, event, invited


def _log_in(page, base, user):
    """Log in through the form."""
    page.goto(f"{base}/login")
    page.get_by_label("E-Mail").fill(user.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/(\?.*)?$"))


def _guests(page, base, event):
    """Open the event's guest list."""
    page.goto(f"{base}/events/{event.id}/guests/")


def _emails_invited() -> list[str]:
    """Return the addresses of the live invitations, sorted."""
    db.session.expire_all()
    rows = db.session.scalars(select(Invitation).where(Invitation.revoked.is_(False))).all()
    return sorted(i.contact.email for i in rows)


def test_a_faulty_line_is_kept_and_marked_then_invited_without(app, database_url):
    staff, event, _ = _hosted()
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        _guests(page, base, event)
        box = page.get_by_label("Adressen einfügen")
        box.fill("Jan Peters <jan.peters@example.org>\nHerr Kaputt ohne Adresse")
        page.locator("#invite-form").get_by_role("button", name="Einladen", exact=True).click()
        expect(page.locator("#bad-lines li[data-line='2']")).to_be_visible()
        expect(box).to_have_value(re.compile("Herr Kaputt ohne Adresse"))
        assert _emails_invited() == []
        page.get_by_role("button", name="Ohne die fehlerhaften Zeilen einladen").click()
        expect(page.locator("#bad-lines")).to_have_count(0)
    assert _emails_invited() == ["jan.peters@example.org"]


def test_a_possible_duplicate_is_asked_then_invited_anyway(app, database_url):
    staff, event, _ = _hosted()
    markus = make_contact(
        first_name="Markus",
        last_name="Weber",
        email="markus.weber@ruhr-kultur.de",
        organisation="Ruhr Kultur e. V.",
    )
    make_invitation(event, staff, markus)
    db.session.commit()
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        _guests(page, base, event)
        page.get_by_label("Adressen einfügen").fill(
            "Markus Weber <markus.weber+verein@ruhr-kultur.de>"
        )
        page.locator("#invite-form").get_by_role("button", name="Einladen", exact=True).click()
        warning = page.locator(".possible-duplicate")
        expect(warning).to_have_count(1)
        expect(warning).to_contain_text("markus.weber@ruhr-kultur.de")
        expect(warning).to_contain_text("Ruhr Kultur e. V.")
        assert _emails_invited() == ["markus.weber@ruhr-kultur.de"]
        warning.locator("input[value='invite']").check()
        page.locator("#invite-form").get_by_role("button", name="Einladen", exact=True).click()
        expect(page.locator(".possible-duplicate")).to_have_count(0)
    assert "markus.weber+verein@ruhr-kultur.de" in _emails_invited()


def test_withdrawing_asks_first_and_marks_the_guest(app, database_url):
    staff, event, ((gone, token), (stays, _t)) = _hosted(guests=2)
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        _guests(page, base, event)
        row = page.locator(f"tr[data-invitation='{gone.id}']")
        row.locator("a[href$='/withdraw']").click()
        expect(page.locator("#withdraw-mail")).to_contain_text(gone.contact.last_name)
        page.locator("form[action$='/withdraw'] button[type='submit']").click()
        expect(page.locator(f"tr[data-invitation='{gone.id}'].guest-withdrawn")).to_have_count(1)
        expect(page.locator(f"tr[data-invitation='{stays.id}'].guest-withdrawn")).to_have_count(0)
        page.goto(f"{base}/rsvp/{token}")
        expect(page.locator("#invitation-withdrawn")).to_be_visible()
        expect(page.locator("a[href$='event.ics'], input[name='response']")).to_have_count(0)
    db.session.expire_all()
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "withdrawal"))
    assert list(kinds) == ["withdrawal"]


def test_bulk_resend_sends_the_ticked_guests_their_invitation_again(app, database_url):
    staff, event, invited = _hosted(guests=3)
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        _guests(page, base, event)
        for invitation, _token in invited[:2]:
            page.locator(f"#sel-{invitation.id}").check()
        page.locator("#bulk-resend button").click()
        expect(page.locator("main")).to_contain_text(re.compile("2 (Einladungen|invitations)"))
    db.session.expire_all()
    resent = db.session.scalars(
        select(OutboxMessage.invitation_id).where(OutboxMessage.kind == "resend")
    ).all()
    assert sorted(resent) == sorted(i.id for i, _t in invited[:2])


def test_cancelling_with_a_message_leaves_the_guest_no_calendar_link(app, database_url):
    staff, event, ((_invitation, token),) = _hosted(guests=1)
    with live_server(database_url) as base, chromium_page() as page:
        _log_in(page, base, staff)
        page.goto(f"{base}/events/{event.id}/cancel")
        page.get_by_label(re.compile("Nachricht an die Gäste")).fill("Neuer Termin folgt.")
        page.get_by_role("button", name="Ja, Veranstaltung absagen").click()
        page.wait_for_url(re.compile(rf".*/events/{event.id}$"))
        page.goto(f"{base}/rsvp/{token}")
        expect(page.locator("h1")).to_have_class(re.compile("event-cancelled"))
        expect(page.locator("a[href$='event.ics'], input[name='response']")).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(Event, event.id).status.value == "cancelled"
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cancel")).one()


def test_the_guest_page_shows_no_staff_interface(app, database_url):
    _staff, _event, ((_invitation, token),) = _hosted(guests=1)
    with live_server(database_url) as base, chromium_page() as page:
        page.goto(f"{base}/rsvp/{token}")
        expect(page.locator("input[name='response']")).to_have_count(3)
        expect(page.locator("nav.site-nav, a[href*='/api'], a[href$='/login']")).to_have_count(0)
        assert "interner Veranstaltungskalender" not in page.inner_text("body")
