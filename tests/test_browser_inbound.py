"""In headless Chromium: the whole loop of issue 11 with the development reply button.

Staff invite a guest; the invitation goes through the real mail catcher; an administrator opens
it on /dev/mail and answers as the guest; the real inbound SMTP server receives the iTIP REPLY,
stores and processes it; the guest list shows the guest as attending, by calendar reply.
"""

import re
import time
from datetime import date, datetime, timedelta
from datetime import time as clock

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.inbound.server import inbound_server
from app.invitations.models import Answer, Invitation
from app.mail.catcher import MailCatcher
from app.mail.worker import deliver
from tests.factories import PASSWORD, make_event, make_invitation, make_user
from tests.livesite import chromium_page, live_server
from tests.smtpserver import EphemeralController, send_mail_to

pytestmark = pytest.mark.browser
GUEST = "paula.gast@example.org"


def _log_in(page, base, user):
    """Log in through the form (after logging out whoever was in)."""
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("E-Mail").fill(user.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/(\?.*)?$"))


def _answer_when_processed(timeout: float = 20.0) -> tuple:
    """Wait until the guest's answer arrived; return (status, response_source)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        row = db.session.execute(select(Invitation.status, Invitation.response_source)).one()
        if row.status != Answer.PENDING or time.monotonic() > deadline:
            return tuple(row)
        time.sleep(0.1)


@pytest.fixture
def catcher(app, tmp_path):
    """Run the development mail catcher and make the app deliver to it."""
    directory = tmp_path / "caught"
    controller = EphemeralController(MailCatcher(directory), hostname="127.0.0.1", port=0)
    controller.start()
    send_mail_to(app, controller.port)
    try:
        yield directory
    finally:
        controller.stop()


def test_the_guest_answers_with_the_dev_reply_button_and_the_guest_list_shows_it(
    app, database_url, catcher
):
    staff = make_user()
    admin = make_user(Role.ADMIN, department=None)
    start = datetime.combine(date.today() + timedelta(days=30), clock(18, 0))
    event = make_event(staff, status="published", start=start, end=start + timedelta(hours=2))
    db.session.commit()
    with inbound_server(app, port=0) as inbound:
        settings = {
            "ENV_NAME": "development",
            "MAIL_CATCHER_DIR": str(catcher),
            "INBOUND_DEV_SMTP": f"127.0.0.1:{inbound.port}",
        }
        with live_server(database_url, **settings) as base, chromium_page() as page:
            _log_in(page, base, staff)
            page.goto(f"{base}/events/{event.id}/guests/")
            page.get_by_label("Adressen einfügen").fill(f"Paula Gast <{GUEST}>")
            form = page.locator("#invite-form")
            form.get_by_role("button", name="Einladen", exact=True).click()
            expect(page.get_by_text(GUEST).first).to_be_visible()
            assert deliver(until_empty=True, worker_id="browser").sent == 1

            _log_in(page, base, admin)
            page.goto(f"{base}/dev/mail/")
            page.get_by_role("link", name=re.compile(event.title)).first.click()
            reply = page.locator("form.dev-reply")
            expect(reply).to_be_visible()
            reply.locator("button[value=accepted]").click()
            expect(page.locator(".kern-alert--success, [role=status]").first).to_contain_text(GUEST)
            assert _answer_when_processed() == (Answer.ACCEPTED, "mail")

            _log_in(page, base, staff)
            page.goto(f"{base}/events/{event.id}/guests/")
            row = page.locator("tr", has_text=GUEST)
            expect(row).to_contain_text("nimmt teil")
            expect(row).to_contain_text("Kalender-Antwort")  # the answer's source on the guest list


def test_the_button_says_when_the_inbound_server_is_not_running(app, database_url, catcher):
    staff = make_user()
    admin = make_user(Role.ADMIN, department=None)
    start = datetime.combine(date.today() + timedelta(days=30), clock(18, 0))
    event = make_event(staff, status="published", start=start, end=start + timedelta(hours=2))

    make_invitation(event, staff, email=GUEST)
    db.session.commit()
    assert deliver(until_empty=True, worker_id="browser").sent == 1
    settings = {
        "ENV_NAME": "development",
        "MAIL_CATCHER_DIR": str(catcher),
        "INBOUND_DEV_SMTP": "127.0.0.1:9",  # nothing listens on the discard port
    }
    with live_server(database_url, **settings) as base, chromium_page() as page:
        _log_in(page, base, admin)
        page.goto(f"{base}/dev/mail/")
        page.get_by_role("link", name=re.compile(event.title)).first.click()
        page.locator("form.dev-reply button[value=declined]").click()
        expect(page.get_by_text("make run")).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(select(Invitation.status)) == Answer.PENDING
