"""The weekly brief: its sections on a fixed data set, who may read it, and the Monday mail."""

from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.brief.content import build
from app.brief.mails import send_briefs
from app.events.operations import update_event
from app.events.validation import EventInput
from app.extensions import db
from app.mail.models import OutboxMessage
from app.subscriptions import service
from app.subscriptions.models import BRIEF
from tests.factories import (
    NOW,
    login,
    make_audience,
    make_contact,
    make_department,
    make_event,
    make_invitation,
    make_user,
)

OLD, RECENT = NOW - timedelta(days=20), NOW - timedelta(days=1)


def _at(day: int, hour: int = 18) -> datetime:
    """Return a wall time in November 2026."""
    return datetime(2026, 11, day, hour, 0)


@pytest.fixture
def city(app):
    """Three departments' events around Monday 2 November 2026 (NOW), guests and a VIP."""
    a, b, c = (make_department(code=f"amt{x}", name=f"Amt {x.upper()}") for x in "abc")
    staff = {x: make_user(Role.STAFF, d) for x, d in zip("abc", (a, b, c), strict=True)}
    presse = make_audience("presse", "Presse")
    pub = {"status": "published", "visibility": "public"}
    ev = {
        "old": make_event(staff["a"], title="Herbstkonzert", start=_at(5), now=OLD, **pub),
        "changed": make_event(staff["a"], title="Stadtführung", start=_at(6, 10), now=OLD, **pub),
        "large": make_event(
            staff["a"], title="Sinfonie", start=_at(3), capacity=250, now=OLD, **pub
        ),
        "new": make_event(
            staff["b"],
            title="Bürgerdialog Hörde",
            start=_at(10),
            audiences=[presse.code],
            now=RECENT,
            **pub,
        ),
        "dup": make_event(
            staff["c"],
            title="Bürgerdialog Hörde 2026",
            start=_at(10, 19),
            audiences=[presse.code],
            now=RECENT,
            **pub,
        ),
        "secret": make_event(
            staff["b"],
            title="Personalrat",
            start=_at(12),
            status="published",
            visibility="confidential",
            now=RECENT,
        ),
        "later": make_event(staff["b"], title="Weihnachtsmarkt", start=_at(30), now=RECENT, **pub),
    }
    data = EventInput.from_event(ev["changed"])
    data.description = "Neuer Treffpunkt"
    update_event(ev["changed"], data, actor=staff["a"], now=RECENT)
    vip = make_contact(first_name="Thomas", last_name="Westphal", vip=True)
    make_invitation(ev["old"], staff["a"], vip, now=RECENT)
    guest = make_contact(first_name="Erika", last_name="Vielgeladen")
    for key, who in (("old", "a"), ("new", "b"), ("dup", "c")):
        make_invitation(ev[key], staff[who], guest, now=RECENT)
    db.session.flush()
    return {"staff": staff, "events": ev, "guest": guest, "vip": vip}


def _titles(events) -> list[str]:
    """Return the titles of events."""
    return [e.title for e in events]


def test_the_brief_lists_each_section_for_comms(city):
    comms = make_user(Role.COMMS)
    brief = build(comms, NOW)
    assert (brief.first, brief.last) == (date(2026, 11, 2), date(2026, 11, 29))
    assert _titles(brief.new) == ["Bürgerdialog Hörde", "Bürgerdialog Hörde 2026", "Personalrat"]
    assert _titles(brief.changed) == ["Stadtführung"]
    ev = city["events"]
    assert [set(item.conflict.event_ids) for item in brief.duplicates] == [
        {ev["new"].id, ev["dup"].id}
    ]
    kinds = {item.conflict.kind for items in brief.conflicts.values() for item in items}
    assert "audience" in kinds and "duplicate" not in kinds
    assert [(e.title, n) for e, n in brief.vip] == [("Herbstkonzert", 1)]
    assert [(g.name, g.departments, g.invitations) for g in brief.guests] == [
        ("Erika Vielgeladen", 3, 3)
    ]
    assert date(2026, 11, 3) not in brief.free_evenings  # the symphony for 250
    assert brief.free_evenings[:3] == [date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 5)]
    assert all(d.weekday() < 5 for d in brief.free_evenings)
    assert brief.has_news


def test_staff_see_only_what_they_may_see(city):
    staff_a = city["staff"]["a"]
    brief = build(staff_a, NOW)
    assert "Personalrat" not in _titles(brief.new)  # another department's confidential event
    assert [g.name for g in brief.guests] == ["Erika Vielgeladen"]  # we invited her too
    stranger = make_user(Role.STAFF)
    other = build(stranger, NOW)
    assert other.guests == [] and other.duplicates == []
    assert not any(other.conflicts.values())
    privacy = make_user(Role.PRIVACY)  # no department: no conflicts, no guests
    theirs = build(privacy, NOW)
    assert not any(theirs.conflicts.values()) and theirs.duplicates == [] and theirs.guests == []


def test_the_brief_page_for_comms_and_subscribers_only(app, browser):
    # The page shows the brief as of now: an event created an hour ago, five days ahead.
    now = datetime.now(UTC)
    host = make_user(Role.STAFF)
    day = (now + timedelta(days=5)).date()
    make_event(
        host,
        title="Bürgerdialog Hörde",
        start=datetime.combine(day, time(18)),
        now=now - timedelta(hours=1),
        status="published",
        visibility="internal",
    )
    db.session.commit()
    login(browser, Role.COMMS)
    page = browser.get("/brief/").get_data(as_text=True)
    assert "Bürgerdialog Hörde" in page and 'id="brief-evenings"' in page
    browser.post("/logout", form_page="/")
    user = login(browser, Role.STAFF)
    page = browser.get("/brief/").get_data(as_text=True)
    assert "Bürgerdialog Hörde" not in page and "/subscriptions/" in page
    service.replace(user, {BRIEF: {0}})
    db.session.commit()
    assert "Bürgerdialog Hörde" in browser.get("/brief/").get_data(as_text=True)


def _outbox() -> list[OutboxMessage]:
    """Return the queued brief mails."""
    rows = select(OutboxMessage).where(OutboxMessage.kind == "weekly_brief")
    return list(db.session.scalars(rows.order_by(OutboxMessage.id)))


def test_no_mail_when_there_is_nothing(app):
    make_user(Role.COMMS)
    assert send_briefs(now=NOW) == 0
    assert _outbox() == []


def test_the_monday_mail_goes_to_comms_and_subscribers_once_a_week(city):
    comms = make_user(Role.COMMS, locale="en")
    subscriber = city["staff"]["a"]
    service.replace(subscriber, {BRIEF: {0}})
    make_user(Role.STAFF)  # not subscribed: no mail
    make_user(Role.ADMIN)  # administrators read it on the page unless they subscribe
    assert send_briefs(now=NOW) == 2
    mails = {m.recipient: message_from_bytes(m.message, policy=policy.default) for m in _outbox()}
    assert set(mails) == {comms.email, subscriber.email}
    english = mails[comms.email]
    assert english["Subject"] == "Stadtkalender: the weekly brief (week 45)"
    body = english.get_content()
    assert "Personalrat" in body and "Bürgerdialog Hörde" in body and "Erika Vielgeladen" in body
    assert "http://" in body and "/brief/" in body
    assert "Personalrat" not in mails[subscriber.email].get_content()
    assert send_briefs(now=NOW + timedelta(hours=1)) == 2  # the same week: nothing new queued
    assert len(_outbox()) == 2


def test_the_command_queues_nothing_for_an_empty_calendar(app, runner):
    make_user(Role.COMMS)
    db.session.commit()
    result = runner.invoke(args=["brief", "send"])
    assert result.exit_code == 0 and "Queued 0 brief mail(s)." in result.output
    assert _outbox() == []


def test_pending_co_hosting_requests_reach_those_who_made_or_may_answer_them(city):
    from app.cohosting.operations import ask

    ev, staff = city["events"], city["staff"]
    ask(ev["new"], actor=staff["c"], message="Gemeinsam?", department_code=None, now=RECENT)
    ask(ev["old"], actor=staff["b"], message="", department_code=None, now=RECENT)
    past = make_event(staff["a"], title="Vorbei", start=_at(1, 8), now=OLD, status="published")
    ask(past, actor=staff["c"], message="", department_code=None, now=OLD)  # over: left out
    comms = build(make_user(Role.COMMS), NOW)
    assert [(r.event.title, r.department.name) for r in comms.requests] == [
        ("Bürgerdialog Hörde", "Amt C"),
        ("Herbstkonzert", "Amt B"),
    ]
    assert [r.event.title for r in build(staff["b"], NOW).requests] == [
        "Bürgerdialog Hörde",  # Amt B hosts it and may answer
        "Herbstkonzert",  # Amt B asked
    ]
    assert [r.event.title for r in build(make_user(Role.STAFF), NOW).requests] == []
    page = build(staff["c"], NOW)
    assert page.has_news and [r.department.name for r in page.requests] == ["Amt C"]
