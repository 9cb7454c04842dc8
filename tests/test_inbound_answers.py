"""Where an answer came from and bouncing addresses: guest list, exports, contacts, event page."""

import csv
import io
import smtplib

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from app.accounts.models import Role
from app.contacts.merge_undo import undo
from app.contacts.merges import MERGED, SURVIVOR, merge
from app.contacts.models import ContactMerge
from app.extensions import db
from app.inbound.models import State
from app.inbound.server import inbound_server
from app.invitations.answers import respond
from app.invitations.models import Answer, Invitation
from app.mail.models import MailStatus, OutboxMessage
from app.mail.worker import deliver
from tests.factories import login, make_contact, make_invitation, make_user
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server
from tests.test_inbound import DOMAIN, GUEST, NOW, Guest, _sent_invitation
from tests.test_inbound_smtp import _wait_processed


@pytest.fixture
def guest(app):
    """Return an invited guest (Erika Muster) of a published event in a month."""
    return Guest()


def _guest_row(browser, guest: Guest) -> str:
    """Return the HTML of the guest's row on the guest list."""
    page = browser.get(f"/events/{guest.event.id}/guests/").get_data(as_text=True)
    start = page.index(f'data-invitation="{guest.invitation.id}"')
    return page[start : page.index("</tr>", start)]


def _export(browser, guest: Guest) -> list[dict]:
    """Return the CSV export of the guest list as rows keyed by the header."""
    body = browser.get(f"/events/{guest.event.id}/guests/export.csv").data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body), delimiter=";"))


def _via(row: dict) -> str:
    """Return the "Answered via" cell, whichever language the header is in."""
    return row.get("Antwort über", row.get("Answered via"))


def test_calendar_reply_is_named_on_the_guest_list_and_in_the_export(browser, guest):
    guest.receive("outlook_accept_de.eml")
    db.session.refresh(guest.invitation)
    assert (guest.invitation.response_source, guest.invitation.response_via) == ("mail", "calendar")
    login(browser, Role.STAFF, department=guest.owner.department)
    row = _guest_row(browser, guest)
    assert "Kalender-Antwort, 02.11.2026" in row  # the guest's DTSTAMP, in Berlin time
    assert [_via(r) for r in _export(browser, guest)] == ["Kalender-Antwort"]


def test_human_reply_applied_from_review_is_named_email(browser, guest):
    message = guest.receive("human_reply.eml")
    staff = login(browser, Role.STAFF, department=guest.owner.department)
    response = browser.post(
        f"/inbound/{message.id}/apply", {"answer": "accepted"}, form_page="/inbound/"
    )
    assert response.status_code == 302
    invitation = db.session.get(Invitation, guest.invitation.id)
    db.session.refresh(invitation)
    assert (invitation.response_source, invitation.response_via) == ("mail", "email")
    assert invitation.recorded_by_id == staff.id
    assert "E-Mail, " in _guest_row(browser, guest)
    assert [_via(r) for r in _export(browser, guest)] == ["E-Mail"]


def test_link_and_staff_answers_are_named_and_unanswered_guests_have_none(browser, guest):
    other, _token = make_invitation(guest.event, guest.owner, now=NOW)
    third, _token = make_invitation(guest.event, guest.owner, now=NOW)
    respond(guest.invitation, Answer.DECLINED, now=NOW, source="link")
    respond(other, Answer.ACCEPTED, now=NOW, actor=guest.owner, source="staff")
    db.session.commit()
    login(browser, Role.STAFF, department=guest.owner.department)
    vias = {r["E-Mail"]: _via(r) for r in _export(browser, guest)}
    assert vias[GUEST] == "Link"
    assert vias[other.contact.email] in ("Mitarbeitende", "Staff")
    assert vias[third.contact.email] == ""


def test_source_must_be_known_and_via_only_for_mail(guest):
    with pytest.raises(ValueError):
        respond(guest.invitation, Answer.ACCEPTED, now=NOW, source="fax")
    with pytest.raises(ValueError):
        respond(guest.invitation, Answer.ACCEPTED, now=NOW, source="link", via="calendar")


def _count_queries(app, action) -> int:
    """Return how many SQL statements the action runs."""
    statements = []

    def count(*_args):
        """Count one statement."""
        statements.append(1)

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_guest_list_and_api_read_sources_and_delivery_without_a_query_per_guest(
    app, browser, client, guest
):
    staff = login(browser, Role.STAFF, department=guest.owner.department)
    headers = {"Authorization": "Bearer " + _token_of(staff)}
    url = f"/events/{guest.event.id}/guests/"
    api = f"/api/v1/events/{guest.event.id}/invitations"

    def both():
        """Load the page and the API list."""
        assert browser.get(url).status_code == 200
        assert client.get(api, headers=headers).status_code == 200

    both()  # warm caches
    few = _count_queries(app, both)
    for n in range(8):
        invitation, _token = make_invitation(guest.event, guest.owner, now=NOW)
        respond(invitation, Answer.ACCEPTED, now=NOW, source="link" if n % 2 else "staff")
    db.session.commit()
    both()
    assert _count_queries(app, both) == few


def _token_of(user) -> str:
    """Return a committed API token of the user."""
    from tests.factories import make_token

    token = make_token(user)
    db.session.commit()
    return token


def test_permanent_bounce_marks_the_address_and_shows_on_list_contact_and_api(
    browser, client, guest
):
    row = _sent_invitation(guest)
    guest.receive("postfix_dsn_5.1.1.eml", message_id=row.message_id)
    contact = guest.invitation.contact
    db.session.refresh(contact)
    assert contact.bounced_at == NOW and contact.bounce_reason.startswith("5.1.1: ")
    staff = login(browser, Role.STAFF, department=guest.owner.department)
    line = _guest_row(browser, guest)
    assert 'data-state="bounced"' in line and "unzustellbar" in line and "User unknown" in line
    page = browser.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    assert 'id="bounce-mark"' in page and "5.1.1" in page
    headers = {"Authorization": "Bearer " + _token_of(staff)}
    items = client.get(f"/api/v1/events/{guest.event.id}/invitations", headers=headers).json
    item = items["items"][0]
    assert item["delivery"]["status"] == "bounced" and "5.1.1" in item["delivery"]["error"]
    assert item["response_source"] == ""
    # A confirmation queued afterwards goes to the same bouncing address: the bounce stays shown.
    respond(guest.invitation, Answer.ACCEPTED, now=NOW, source="staff")
    db.session.commit()
    newest = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1))
    assert newest.id != row.id and newest.invitation_id == guest.invitation.id
    items = client.get(f"/api/v1/events/{guest.event.id}/invitations", headers=headers).json
    assert items["items"][0]["delivery"]["status"] == "bounced"
    assert 'data-state="bounced"' in _guest_row(browser, guest)


def test_temporary_bounce_leaves_the_address_unmarked(guest):
    row = _sent_invitation(guest)
    guest.receive("postfix_dsn_4.2.2.eml", message_id=row.message_id)
    db.session.refresh(guest.invitation.contact)
    assert guest.invitation.contact.bounced_at is None


def test_bounce_over_real_smtp_marks_the_address(app, guest):
    row = _sent_invitation(guest)
    raw = guest.mail("postfix_dsn_5.1.1.eml", message_id=row.message_id)
    address = f"rsvp+{guest.token}@{DOMAIN}"
    with inbound_server(app, port=0) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        assert smtp.sendmail("", [address], raw) == {}
        assert _wait_processed() == [("bounce", "applied")]
    db.session.expire_all()
    assert db.session.get(Invitation, guest.invitation.id).contact.bounced_at is not None


def _mark(contact, reason: str = "5.1.1: User unknown") -> None:
    """Mark the contact's address as bouncing."""
    contact.bounced_at, contact.bounce_reason = NOW, reason
    db.session.commit()


def test_api_invite_warns_about_a_bouncing_address(client, guest):
    bouncing = make_contact(email="weg@example.org")
    _mark(bouncing)
    headers = {"Authorization": "Bearer " + _token_of(guest.owner)}
    response = client.post(
        f"/api/v1/events/{guest.event.id}/invitations",
        json={"contact_ids": [bouncing.id]},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    warnings = [w for w in response.json["warnings"] if w["kind"] == "bouncing_address"]
    assert [(w["contact_id"], w["reason"]) for w in warnings] == [
        (bouncing.id, "5.1.1: User unknown")
    ]
    assert response.json["invited"] == 1  # warned, not refused


def test_invite_form_warns_about_a_bouncing_address(browser, guest):
    bouncing = make_contact(email="weg@example.org", last_name="Weg")
    _mark(bouncing)
    login(browser, Role.STAFF, department=guest.owner.department)
    url = f"/events/{guest.event.id}/guests/"
    found = browser.get(url + "?find=weg").get_data(as_text=True)
    assert "weg@example.org&gt; – Adresse unzustellbar" in found  # before inviting, in the picker
    response = browser.post(
        url + "invite", {"pasted": "weg@example.org"}, form_page=url, follow_redirects=True
    )
    assert "weg@example.org" in response.get_data(as_text=True)
    assert "5.1.1: User unknown" in response.get_data(as_text=True)


def test_changing_the_address_clears_the_mark(client, guest):
    contact = guest.invitation.contact
    _mark(contact)
    comms = make_user(Role.COMMS)
    headers = {"Authorization": "Bearer " + _token_of(comms)}
    response = client.patch(
        f"/api/v1/contacts/{contact.id}", json={"phone": "0231 1"}, headers=headers
    )
    assert response.status_code == 200, response.json
    db.session.refresh(contact)
    assert contact.bounced_at is not None  # another field: the mark stays
    response = client.patch(
        f"/api/v1/contacts/{contact.id}", json={"email": "erika@example.net"}, headers=headers
    )
    assert response.status_code == 200, response.json
    db.session.refresh(contact)
    assert (contact.bounced_at, contact.bounce_reason) == (None, "")


@pytest.mark.parametrize(
    ("email_from", "kept"), [(SURVIVOR, False), (MERGED, True)], ids=["own", "bounced"]
)
def test_merge_keeps_the_mark_only_with_the_bounced_address(app, email_from, kept):
    comms = make_user(Role.COMMS)
    survivor = make_contact(email="alt@example.org", last_name="Muster", first_name="Erika")
    other = make_contact(email="neu@example.org", last_name="Muster", first_name="Erika")
    _mark(other)
    keep = merge(survivor, other, actor=comms, now=NOW, choices={"email": email_from})
    db.session.commit()
    assert keep.id == survivor.id
    assert (keep.bounced_at is not None) is kept
    assert keep.bounce_reason == ("5.1.1: User unknown" if kept else "")


def test_event_page_counts_open_review_items_for_those_who_may_see_them(browser, guest):
    guest.receive("human_reply.eml")
    guest.receive("other_address.eml")
    url = f"/events/{guest.event.id}"
    login(browser, Role.STAFF, department=guest.owner.department)
    page = browser.get(url).get_data(as_text=True)
    assert 'id="inbound-review"' in page
    assert f"/inbound/?state=review&amp;event_id={guest.event.id}" in page
    listed = browser.get(f"/inbound/?state=review&event_id={guest.event.id}")
    assert listed.get_data(as_text=True).count('class="kern-card inbound-item"') == 2
    browser.post("/logout", form_page=url)
    login(browser, Role.STAFF)  # another department: sees the event, not its messages
    assert 'id="inbound-review"' not in browser.get(url).get_data(as_text=True)


def test_inbound_api_lists_by_state_and_event_and_applies(client, guest):
    message = guest.receive("human_reply.eml")
    guest.receive("exchange_out_of_office.eml")
    host = {"Authorization": "Bearer " + _token_of(guest.owner)}
    other = {"Authorization": "Bearer " + _token_of(make_user())}
    listed = client.get(f"/api/v1/inbound?state=review&event_id={guest.event.id}", headers=host)
    assert listed.status_code == 200
    assert [(i["id"], i["kind"], i["guest_email"]) for i in listed.json["items"]] == [
        (message.id, "human", GUEST)
    ]
    assert "Begleitung" in listed.json["items"][0]["text"]
    assert len(client.get("/api/v1/inbound", headers=host).json["items"]) == 2
    paged = client.get("/api/v1/inbound?per_page=1", headers=host).json
    assert len(paged["items"]) == 1 and paged["next"]
    assert client.get("/api/v1/inbound", headers=other).json["items"] == []
    assert client.get("/api/v1/inbound?state=nope", headers=host).status_code == 422
    url = f"/api/v1/inbound/{message.id}/apply"
    assert client.post(url, json={"answer": "accepted"}, headers=other).status_code == 404
    assert client.post(url, json={"answer": "maybe"}, headers=host).status_code == 422
    applied = client.post(url, json={"answer": "tentative"}, headers=host)
    assert applied.status_code == 200 and applied.json["state"] == State.APPLIED.value
    db.session.expire_all()
    invitation = db.session.get(Invitation, guest.invitation.id)
    assert (invitation.status, invitation.response_source) == (Answer.TENTATIVE, "mail")
    again = client.post(url, json={"answer": "note"}, headers=host)
    assert again.status_code == 422 and "answer" in again.json["errors"]


def test_inbound_api_lists_a_message_whose_guest_was_erased(client, guest):
    from app.privacy.erasure import erase

    guest.receive("human_reply.eml")
    erase(guest.invitation.contact, now=NOW)
    db.session.commit()
    host = {"Authorization": "Bearer " + _token_of(guest.owner)}
    listed = client.get("/api/v1/inbound", headers=host)
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["guest_email"] is None and item["guest_name"] == "Gelöschte Person"
    assert GUEST not in listed.get_data(as_text=True)


def test_undoing_a_merge_gives_the_survivor_its_own_mark_back(app):
    admin = make_user(Role.ADMIN)
    survivor = make_contact(email="alt@example.org", last_name="Muster", first_name="Erika")
    other = make_contact(email="neu@example.org", last_name="Muster", first_name="Erika")
    _mark(survivor)
    keep = merge(survivor, other, actor=admin, now=NOW, choices={"email": MERGED})
    db.session.commit()
    assert keep.bounced_at is None  # the kept address never bounced
    log = db.session.scalar(select(ContactMerge))
    undo(log, actor=admin, now=NOW)
    db.session.commit()
    db.session.refresh(survivor)
    assert survivor.email == "alt@example.org"
    assert (survivor.bounced_at, survivor.bounce_reason) == (NOW, "5.1.1: User unknown")


def test_verp_bounce_names_the_mail_over_real_smtp_both_ways(app, guest):
    app.config["MAIL_BOUNCE_VERP"] = True
    with smtp_server(RecordingHandler()) as outgoing:
        send_mail_to(app, outgoing.port)
        assert deliver(until_empty=True, worker_id="test").sent == 1
        sent = outgoing.handler.received[0]
    db.session.expire_all()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == GUEST))
    assert sent.mail_from.startswith(f"bounce+{row.id}-") and sent.mail_from.endswith("@" + DOMAIN)
    # A report that names no Message-ID of ours: only the bounce address tells which mail.
    raw = guest.mail("postfix_dsn_5.1.1.eml", message_id="<elsewhere@mx.example.org>")
    forged = sent.mail_from.replace(f"bounce+{row.id}-", f"bounce+{row.id + 1}-")
    with inbound_server(app, port=0) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("", [forged], raw)  # a guessed id without its signature
        assert smtp.sendmail("", [sent.mail_from], raw) == {}
        assert _wait_processed() == [("bounce", "applied")]
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    assert row.status == MailStatus.FAILED and "5.1.1" in row.last_error
    assert db.session.get(Invitation, guest.invitation.id).contact.bounced_at is not None
