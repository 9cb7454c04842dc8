"""Notifications: once per cause, never to the actor, per-kind modes, mails, pages and API."""

from datetime import datetime
from email import message_from_bytes, policy

import pytest
from flask_babel import force_locale as app_locale
from sqlalchemy import func, select

from app.accounts.models import Role
from app.events.models import Status
from app.events.operations import set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from app.inbound.models import State
from app.mail.models import OutboxMessage
from app.mail.worker import deliver
from app.notifications import kinds, service
from app.notifications.mails import feed_immediate, send_digests
from app.notifications.models import Notification
from tests.factories import (
    NOW,
    api_headers,
    login,
    make_event,
    make_invitation,
    make_user,
    make_venue,
)
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server
from tests.test_inbound import GUEST, Guest

FACTS = {
    "event": "Sommerfest",
    "other": "Stadtfest",
    "department": "Kulturbüro",
    "conflict": "venue",
}


def _notify(users, *, kind="conflict", cause="conflict:venue:1:2", actor=None, params=FACTS):
    """Notify users of one cause and return what was created."""
    return service.notify(
        users, kind, params=params, url="/events/1", cause=cause, now=NOW, actor=actor
    )


def _count(model=Notification) -> int:
    """Return the number of rows of a model."""
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def smtp(app):
    """Run a recording SMTP server on 127.0.0.1 and send the app's mail there."""
    with smtp_server(RecordingHandler()) as controller:
        send_mail_to(app, controller.port)
        yield controller.handler


def test_once_per_recipient_and_cause_and_never_to_the_actor(app):
    actor, colleague, other = make_user(), make_user(), make_user()
    created = _notify([actor, colleague, other], actor=actor)
    assert {n.user_id for n in created} == {colleague.id, other.id}
    assert _notify([actor, colleague, other], actor=actor) == []  # the same cause again
    assert _notify([colleague], cause="conflict:venue:1:3") != []  # another cause
    assert _count() == 3


def test_a_rolled_back_cause_leaves_no_notification_and_no_mail(app):
    user = make_user()
    db.session.commit()
    _notify([user])
    db.session.rollback()
    assert _count() == 0 and _count(OutboxMessage) == 0


def test_off_creates_nothing_and_inactive_users_are_skipped(app):
    quiet, gone = make_user(), make_user(active=False)
    service.save_settings(quiet, {"conflict": "off"})
    assert _notify([quiet, gone]) == []
    privacy = make_user(Role.PRIVACY, department=None)
    assert _notify([privacy], cause="x") == []  # the privacy role hears nothing by default


def test_immediate_mail_arrives_in_the_recipients_language(app, smtp):
    german, english = make_user(), make_user(locale="en")
    _notify([german, english])
    db.session.commit()
    deliver(until_empty=True, worker_id="test")
    mails = {
        r.rcpt_tos[0]: message_from_bytes(r.data, policy=policy.default) for r in smtp.received
    }
    assert set(mails) == {german.email, english.email}
    body_de = mails[german.email].get_content()
    assert "„Sommerfest“" in body_de or "“Sommerfest”" in body_de
    assert "http://stadtkalender.test/events/1" in body_de
    assert "clashes with" in mails[english.email].get_content()
    assert mails[german.email]["Auto-Submitted"] == "auto-generated"


def test_digest_sends_one_mail_per_user_only_when_something_is_new(app, smtp):
    staff = make_user()
    comms = make_user(Role.COMMS)
    comms_email = comms.email
    _notify([staff, comms], kind="guest_clash", cause="a", params={"guest": "Frau Muster"})
    _notify([comms], cause="b")
    db.session.commit()
    assert _count(OutboxMessage) == 0  # guest clashes (staff) and comms' kinds wait for the digest
    assert send_digests(now=NOW) == 2
    db.session.commit()
    assert send_digests(now=NOW) == 0  # nothing new: no mail
    deliver(until_empty=True, worker_id="test")
    digest = next(
        message_from_bytes(r.data, policy=policy.default)
        for r in smtp.received
        if r.rcpt_tos == [comms_email]
    )
    assert "2 neue Benachrichtigungen" in digest["Subject"]
    assert digest.get_content().count("\n- ") + digest.get_content().startswith("- ") == 2


def test_digest_command_prints_what_it_queued(app):
    _notify([make_user(Role.COMMS)])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "Queued 1 digest mail" in result.output


def test_page_lists_counts_and_marks_read(app, browser):
    user = login(browser)
    other = make_user()
    _notify([user, other])
    _notify([user], cause="second")
    db.session.commit()
    page = browser.get("/notifications/").get_data(as_text=True)
    assert "„Sommerfest“ überschneidet sich mit „Stadtfest“" in page
    assert '2<span class="kern-sr-only"> ungelesen</span>' in page
    first = db.session.scalars(select(Notification).filter_by(user_id=user.id)).first()
    theirs = db.session.scalars(select(Notification).filter_by(user_id=other.id)).one()
    response = browser.post("/notifications/read", {"id": theirs.id}, form_page="/notifications/")
    assert response.status_code == 302
    db.session.refresh(theirs)
    assert theirs.read_at is None  # another user's notification stays untouched
    browser.post("/notifications/read", {"id": first.id}, form_page="/notifications/")
    assert service.unread_count(user) == 1
    browser.post("/notifications/read", {}, form_page="/notifications/")
    assert service.unread_count(user) == 0
    assert browser.client.post("/notifications/read").status_code == 400  # no CSRF token


def test_settings_page_saves_modes_and_refuses_unknown_ones(app, browser):
    user = login(browser)
    page = browser.get("/notifications/settings").get_data(as_text=True)
    assert "täglich" in page.lower() or "tägliche" in page.lower()
    data = {kind: "digest" for kind in service.kinds.KINDS} | {"conflict": "off"}
    assert browser.post("/notifications/settings", data).status_code == 302
    assert service.settings_of(user)["conflict"] == "off"
    bad = browser.post("/notifications/settings", data | {"cancelled": "sometimes"})
    assert bad.status_code == 400
    assert service.settings_of(user)["cancelled"] == "digest"


def test_api_lists_marks_read_and_changes_settings(app, client):
    user, other = make_user(), make_user()
    _notify([user, other])
    _notify([user], cause="second", kind="cancelled", params={"event": "Fest", "actor": "Amt 2"})
    headers = api_headers(user)
    listing = client.get("/api/v1/notifications?unread=1", headers=headers).json
    assert listing["unread"] == 2 and len(listing["items"]) == 2
    item = listing["items"][0]
    assert set(item) == {"id", "kind", "message", "url", "created_at", "read"}
    assert item["url"] == "http://stadtkalender.test/events/1"
    theirs = db.session.scalars(select(Notification).filter_by(user_id=other.id)).one()
    marked = client.post("/api/v1/notifications/read", headers=headers, json={"ids": [theirs.id]})
    assert marked.json["marked"] == 0
    one = client.post("/api/v1/notifications/read", headers=headers, json={"ids": [item["id"]]})
    assert one.json == {"marked": 1, "unread": 1}
    assert (
        client.post("/api/v1/notifications/read", headers=headers, json={"all": True}).json[
            "unread"
        ]
        == 0
    )
    bad = client.post("/api/v1/notifications/read", headers=headers, json={"ids": "all"})
    assert bad.status_code == 422 and "ids" in bad.json["errors"]
    url = "/api/v1/account/notification-settings"
    assert client.get(url, headers=headers).json["settings"]["conflict"] == "immediate"
    changed = client.put(url, headers=headers, json={"settings": {"conflict": "digest"}})
    assert changed.status_code == 200 and changed.json["settings"]["conflict"] == "digest"
    wrong = client.put(url, headers=headers, json={"settings": {"conflict": "loud", "x": "off"}})
    assert wrong.status_code == 422
    assert set(wrong.json["errors"]) == {"settings.conflict", "settings.x"}
    assert client.get("/api/v1/notifications").status_code == 401


def _inbox(user) -> list[str]:
    """Return the user's notification texts (German)."""
    notes = db.session.scalars(select(Notification).filter_by(user_id=user.id)).all()
    with app_locale("de"):
        return [kinds.message(n.kind, n.params) for n in notes]


def test_a_published_clash_notifies_the_other_department_once_per_state(app):
    ours, colleague = make_user(), None
    colleague = make_user(department=ours.department)
    theirs = make_user()
    hall = make_venue(name="Saal A")
    start = datetime(2027, 3, 4, 18, 0)
    make_event(ours, title="Bürgerdialog", status="published", venue_id=hall.id, start=start)
    make_event(theirs, title="Entwurf", venue_id=hall.id, start=start)  # a draft: no news
    assert _count() == 0
    other = make_event(theirs, title="Konzert", status="published", venue_id=hall.id, start=start)
    texts = _inbox(ours)
    assert texts == [
        f"„Bürgerdialog“ überschneidet sich mit „Konzert“ ({theirs.department.name}): "
        "derselbe Ort zur selben Zeit"
    ]
    assert _inbox(colleague) == texts and _inbox(theirs) == []  # never the actor's department
    update_event(
        other, EventInput.from_event(other).replace(title="Konzert!"), actor=theirs, now=NOW
    )
    assert len(_inbox(ours)) == 1  # a new title is no new clash
    moved = start.replace(minute=30)
    changed = EventInput.from_event(other).replace(
        start=moved, end=moved.replace(hour=20), conflict_reason="Abgestimmt"
    )
    update_event(other, changed, actor=theirs, now=NOW)
    assert len(_inbox(ours)) == 2  # moved and still clashing: news again
    later = start.replace(hour=22)
    update_event(
        other,
        EventInput.from_event(other).replace(start=later, end=later.replace(hour=23)),
        actor=theirs,
        now=NOW,
    )
    assert len(_inbox(ours)) == 2  # moved away: no clash, nothing new


def test_a_confidential_clash_names_the_event_reserved(app):
    ours, theirs = make_user(), make_user()
    hall = make_venue()
    start = datetime(2027, 3, 5, 18, 0)
    make_event(ours, title="Empfang", status="published", venue_id=hall.id, start=start)
    make_event(
        theirs,
        title="Geheim",
        status="published",
        visibility="confidential",
        venue_id=hall.id,
        start=start,
    )
    (text,) = _inbox(ours)
    assert text == "„Empfang“ überschneidet sich mit „Reserviert“: derselbe Ort zur selben Zeit"
    stored = db.session.scalar(select(Notification.params))
    assert "Geheim" not in str(stored)  # the title is not kept where it may not be shown
    assert theirs.department.name not in str(stored)  # nor whose it is


def test_a_confidential_event_tells_no_one_of_a_duplicate_or_shared_guests(app):
    ours, theirs = make_user(), make_user()
    start = datetime(2027, 3, 6, 18, 0)
    mine = make_event(ours, title="Neujahrsempfang", status="published", start=start)
    invitation, _token = make_invitation(mine, ours, email="vip2@example.org")
    secret = make_event(
        theirs,
        title="Neujahrsempfang 2027",
        status="published",
        visibility="confidential",
        start=start,
    )
    make_invitation(secret, theirs, invitation.contact)
    assert _inbox(ours) == []  # neither "possibly the same event" nor "also invited by"
    public = make_event(theirs, title="Neujahrsempfang!", status="published", start=start)
    make_invitation(public, theirs, invitation.contact)
    assert len(_inbox(ours)) == 2  # the same from a visible event: both are news


def test_a_clash_tells_the_co_hosts_but_not_a_department_hosting_both_events(app):
    ours, cohost, outsider = make_user(), make_user(), make_user()
    colleague = make_user(department=cohost.department)
    hall = make_venue()
    start = datetime(2027, 3, 6, 18, 0)
    reading = make_event(ours, title="Lesung", venue_id=hall.id, start=start)
    reading.co_hosts.append(cohost.department)
    set_status(reading, Status.PUBLISHED, actor=ours, now=NOW)
    make_event(cohost, title="Konzert", status="published", venue_id=hall.id, start=start)
    assert _inbox(ours) == [] and _inbox(colleague) == []  # the co-host clashes with itself
    make_event(outsider, title="Vortrag", status="published", venue_id=hall.id, start=start)
    assert [t.split("“")[0] for t in _inbox(ours)] == ["„Lesung"]
    assert sorted(t.split("“")[0] for t in _inbox(colleague)) == ["„Konzert", "„Lesung"]


def test_immediate_mails_are_queued_by_the_delivery_worker_once(app):
    user, digest_reader = make_user(), make_user(Role.COMMS)
    _notify([user, digest_reader])
    assert _count(OutboxMessage) == 0  # the cause's transaction writes only the notification
    db.session.commit()
    assert feed_immediate_now() == 1 and feed_immediate_now() == 0
    row = db.session.scalar(select(OutboxMessage))
    note = db.session.scalar(select(Notification).where(Notification.user_id == user.id))
    assert (row.recipient, row.kind, row.ref_id) == (user.email, "notification", note.id)
    assert row.message_id.startswith("<") and row.message_id.endswith("@stadt.test>")
    assert note.mailed_at is not None
    comms_note = db.session.scalar(
        select(Notification).where(Notification.user_id == digest_reader.id)
    )
    assert comms_note.mailed_at is None  # comms read it in the daily digest


def feed_immediate_now() -> int:
    """Run the notifications' feeder as the delivery worker does before a claim."""
    with db.engine.begin() as connection:
        queued = feed_immediate(connection, NOW)
    db.session.expire_all()
    return queued


def test_comms_publishing_over_a_warning_or_cancelling_notifies_the_department(app):
    staff, comms = make_user(), make_user(Role.COMMS)
    hall = make_venue()
    start = datetime(2027, 3, 6, 18, 0)
    make_event(staff, title="Lesung", status="published", venue_id=hall.id, start=start)
    draft = make_event(staff, title="Vortrag", venue_id=hall.id, start=start)
    set_status(draft, Status.PUBLISHED, actor=comms, now=NOW, conflict_reason="Abgestimmt")
    assert any("trotz Warnung veröffentlicht" in t and "Abgestimmt" in t for t in _inbox(staff))
    set_status(draft, Status.CANCELLED, actor=comms, now=NOW)
    assert any(f"wurde von {comms.name} abgesagt" in t for t in _inbox(staff))
    own = make_event(staff, title="Eigenes", status="published")
    before = len(_inbox(staff))
    colleague = make_user(department=staff.department)
    set_status(own, Status.CANCELLED, actor=colleague, now=NOW)
    assert len(_inbox(staff)) == before  # the department cancelled its own event


def test_a_reply_waiting_for_review_tells_the_hosts(app):
    guest = Guest()
    colleague = make_user(department=guest.owner.department)
    outsider = make_user()
    message = guest.receive("human_reply.eml")
    assert message.state == State.REVIEW
    texts = _inbox(colleague)
    assert texts == [f"Eine Antwort von {GUEST} zu „{guest.event.title}“ wartet auf Prüfung."]
    assert _inbox(outsider) == []
    note = db.session.scalars(select(Notification).filter_by(user_id=colleague.id)).one()
    assert note.url == f"/inbound/?state=review&event_id={guest.event.id}"


def test_inviting_a_guest_of_another_department_at_the_same_time_tells_that_department(app):
    ours, theirs = make_user(), make_user()
    start = datetime(2027, 4, 1, 18, 0)
    first = make_event(ours, title="Gala", status="published", start=start)
    invitation, _token = make_invitation(first, ours, email="vip@example.org")
    contact = invitation.contact
    later = start.replace(hour=19)
    second = make_event(theirs, title="Empfang", status="published", start=later)
    make_invitation(second, theirs, contact)
    expected = (
        f"{contact.full_name} ist zur Zeit von „Gala“ auch von {theirs.department.name} eingeladen."
    )
    assert _inbox(ours) == [expected]
    assert _inbox(theirs) == []  # the inviting department hears nothing of its own act
    elsewhere = make_event(theirs, title="Morgens", status="published", start=start.replace(hour=8))
    make_invitation(elsewhere, theirs, contact)
    assert len(_inbox(ours)) == 1  # no clash in time: nothing new
