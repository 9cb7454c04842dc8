"""The privacy notice: public, linked from mails, RSVP pages and footers, edited by admins only."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.extensions import db
from app.invitations.delivery import settings_from_config
from app.invitations.emails import compose
from app.privacy.models import PrivacyNotice
from tests.factories import login, make_event, make_invitation, make_user

FUTURE = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=20)
NOTICE_URL = "http://stadtkalender.test/datenschutz"


def _invitation():
    """Return an invitation to a published future event and its RSVP token."""
    staff = make_user(Role.STAFF)
    event = make_event(staff, status="published", start=FUTURE.replace(hour=18, minute=0))
    invitation, token = make_invitation(event, staff)
    db.session.commit()
    return invitation, token


def _parts(message) -> dict[str, str]:
    """Return the decoded text parts of a mail by subtype (plain, html)."""
    return {
        part.get_content_subtype(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_maintype() == "text" and part.get_content_subtype() != "calendar"
    }


def test_the_notice_is_public_with_the_controller_from_the_configuration(app, client):
    app.config.update(
        PRIVACY_CONTROLLER_NAME="Stadt Musterstadt, Der Oberbürgermeister",
        PRIVACY_CONTROLLER_CONTACT="Friedensplatz 1, poststelle@stadt.test",
        PRIVACY_OFFICER_CONTACT="datenschutzbeauftragte@stadt.test",
    )
    response = client.get("/datenschutz")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Stadt Musterstadt, Der Oberbürgermeister" in page
    assert "Friedensplatz 1, poststelle@stadt.test" in page
    assert "datenschutzbeauftragte@stadt.test" in page
    # The German default, with the configured periods.
    assert "Rechtsgrundlage" in page and "Art. 6 Abs. 1 Buchst. e DSGVO" in page
    assert "bis 30 Tage nach der Veranstaltung" in page
    assert "Edit the privacy notice" not in page and "bearbeiten" not in page


@pytest.mark.parametrize("kind", ["invitation", "update", "reminder", "confirmation", "cancel"])
def test_every_mail_links_the_notice_in_text_and_html(app, kind):
    invitation, _token = _invitation()
    message = compose(invitation, kind, settings_from_config(), datetime.now(UTC))
    parts = _parts(message)
    assert set(parts) == {"plain", "html"}
    assert NOTICE_URL in parts["plain"]
    assert f'href="{NOTICE_URL}"' in parts["html"]


def test_the_rsvp_page_and_every_footer_link_the_notice(client):
    _invitation_row, token = _invitation()
    for path in (f"/rsvp/{token}", f"/rsvp/{token}/optout", "/veranstaltungen", "/login"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/datenschutz"' in page, path


def test_an_admin_edits_the_notice_and_html_is_shown_as_text(app, browser):
    admin = login(browser, Role.ADMIN, department=None)
    form = browser.get("/datenschutz/bearbeiten")
    assert form.status_code == 200
    assert "Rechtsgrundlage" in form.get_data(as_text=True)  # the default, ready to change
    body = (
        "## Zweck\r\nWir laden ein.\r\n<script>alert(1)</script>\r\n\r\n"
        '- Punkt <a href="javascript:x">eins</a>\r\n- zwei'
    )
    response = browser.post("/datenschutz/bearbeiten", {"body": body})
    assert response.status_code == 302 and response.headers["Location"].endswith("/datenschutz")
    page = browser.get("/datenschutz").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    assert '<h2 class="kern-heading-medium">Zweck</h2>' in page
    assert "<li>zwei</li>" in page
    assert "Rechtsgrundlage" not in page
    assert "privacy notice has been saved" in page or "gespeichert" in page  # confirmed
    stored = db.session.get(PrivacyNotice, 1)
    assert stored.updated_by_id == admin.id and stored.body.startswith("## Zweck\nWir laden ein.")
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "privacy_notice.changed")
    )
    assert entry.actor_id == admin.id and entry.object_id == 1


def test_saving_an_empty_notice_names_the_field_and_changes_nothing(browser):
    login(browser, Role.ADMIN, department=None)
    response = browser.post("/datenschutz/bearbeiten", {"body": "  "})
    assert response.status_code == 422
    assert 'id="body-error"' in response.get_data(as_text=True)
    assert db.session.get(PrivacyNotice, 1) is None


def test_saving_needs_the_csrf_token(browser):
    login(browser, Role.ADMIN, department=None)
    response = browser.client.post("/datenschutz/bearbeiten", data={"body": "Neu"})
    assert response.status_code == 400
    assert db.session.get(PrivacyNotice, 1) is None


@pytest.mark.parametrize("role", [Role.STAFF, Role.COMMS, Role.PRIVACY])
def test_only_administrators_edit_the_notice(browser, role):
    login(browser, role, **({} if role == Role.STAFF else {"department": None}))
    assert browser.get("/datenschutz/bearbeiten").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_for_the_edit_page(client):
    response = client.get("/datenschutz/bearbeiten")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
