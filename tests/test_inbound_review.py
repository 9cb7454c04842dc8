"""The "Eingang" page: who sees which received message, one-click answers with CSRF."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.inbound.models import InboundMessage, State
from app.invitations.models import Answer, Invitation
from tests.factories import login
from tests.test_inbound import Guest


@pytest.fixture
def guest(app):
    """Return an invited guest (Erika Muster) of a published event in a month."""
    return Guest()


def _reviewed(guest: Guest) -> InboundMessage:
    """Receive a human reply that waits for review."""
    message = guest.receive("human_reply.eml")
    assert message.state == State.REVIEW
    return message


def test_staff_of_the_host_department_see_the_reply_as_text_and_apply_it(browser, guest):
    message = _reviewed(guest)
    login(browser, Role.STAFF, department=guest.owner.department)
    page = browser.get("/inbound/").get_data(as_text=True)
    assert "ich komme gerne mit Begleitung." in page
    assert "<script>alert" not in page and "&lt;script" not in page  # never rendered, no script
    response = browser.post(
        f"/inbound/{message.id}/apply", {"answer": "accepted"}, form_page="/inbound/"
    )
    assert response.status_code == 302
    db.session.expire_all()
    invitation = db.session.get(Invitation, guest.invitation.id)
    assert (invitation.status, invitation.response_source) == (Answer.ACCEPTED, "mail")
    assert db.session.get(InboundMessage, message.id).state == State.APPLIED


def test_staff_of_another_department_neither_see_nor_apply_it(browser, guest):
    message = _reviewed(guest)
    login(browser, Role.STAFF)
    assert "Begleitung" not in browser.get("/inbound/").get_data(as_text=True)
    response = browser.post(
        f"/inbound/{message.id}/apply", {"answer": "accepted"}, form_page="/inbound/"
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Invitation, guest.invitation.id).status == Answer.PENDING


def test_comms_note_a_message_without_changing_the_answer(browser, guest):
    message = _reviewed(guest)
    login(browser, Role.COMMS)
    response = browser.post(
        f"/inbound/{message.id}/apply", {"answer": "note"}, form_page="/inbound/"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(InboundMessage.state)) == State.RECORDED
    assert db.session.get(Invitation, guest.invitation.id).status == Answer.PENDING


def test_apply_without_csrf_token_changes_nothing(browser, guest):
    message = _reviewed(guest)
    login(browser, Role.COMMS)
    response = browser.client.post(f"/inbound/{message.id}/apply", data={"answer": "declined"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(InboundMessage, message.id).state == State.REVIEW


def test_the_inbox_needs_a_login(client, guest):
    response = client.get("/inbound/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
