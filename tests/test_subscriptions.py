"""Subscriptions: followers hear once of published public or internal events, never of others."""

from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.events.models import Status
from app.events.operations import set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from app.notifications import kinds
from app.notifications.models import Notification
from app.subscriptions import service
from app.subscriptions.models import BRIEF, Subscription
from app.vocabularies.models import District
from tests.factories import (
    NOW,
    login,
    make_audience,
    make_department,
    make_event,
    make_user,
    make_venue,
)

START = datetime(2026, 11, 10, 18, 0)


def _notes(user) -> list[Notification]:
    """Return the user's subscription notifications."""
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "subscription"
            )
        )
    )


def _follow(user, kind: str, target: int) -> None:
    """Let the user follow one target."""
    service.replace(user, {kind: {target}})


def test_a_published_event_notifies_the_followers_of_its_department_once(app):
    host = make_user(Role.STAFF)
    follower, other = make_user(Role.STAFF), make_user(Role.STAFF)
    _follow(follower, "department", host.department_id)
    draft = make_event(host, title="Lesenacht", start=START, visibility="public")
    assert _notes(follower) == []  # a draft is no news
    set_status(draft, Status.PUBLISHED, actor=host, now=NOW)
    data = EventInput.from_event(draft)
    data.description = "Mit Musik."
    update_event(draft, data, actor=host, now=NOW + timedelta(hours=1))
    notes = _notes(follower)
    assert len(notes) == 1 and notes[0].cause == f"subscription:{draft.id}"
    assert notes[0].params == {
        "event": "Lesenacht",
        "when": "10.11.2026, 18:00",
        "department": host.department.name,
    }
    assert notes[0].url == f"/events/{draft.id}"
    assert _notes(other) == [] and _notes(host) == []
    assert kinds.message("subscription", notes[0].params).startswith(
        "Neue Veranstaltung „Lesenacht“"
    )


def test_venue_district_and_audience_followers_are_notified_but_not_the_actor(app):
    district = District(code="hoerde", name="Hörde")
    db.session.add(district)
    db.session.flush()
    hall = make_venue(name="Bezirksverwaltung Hörde", district_id=district.id)
    audience = make_audience("senioren", "Senioren")
    host = make_user(Role.STAFF)
    by_venue, by_district, by_audience = (make_user(Role.STAFF) for _ in range(3))
    _follow(by_venue, "venue", hall.id)
    _follow(by_district, "district", district.id)
    _follow(by_audience, "audience", audience.id)
    _follow(host, "venue", hall.id)  # the actor follows too, and hears nothing of their own act
    event = make_event(
        host,
        title="Seniorentreff",
        start=START,
        venue_id=hall.id,
        audiences=[audience.code],
        status="published",
        visibility="internal",
    )
    for user in (by_venue, by_district, by_audience):
        assert [n.cause for n in _notes(user)] == [f"subscription:{event.id}"]
    assert _notes(host) == []


def test_confidential_events_notify_nobody(app):
    host = make_user(Role.STAFF)
    staff, comms = make_user(Role.STAFF), make_user(Role.COMMS)
    for user in (staff, comms):
        _follow(user, "department", host.department_id)
    make_event(
        host, title="Personalrat", start=START, status="published", visibility="confidential"
    )
    assert _notes(staff) == [] and _notes(comms) == []


def test_the_user_who_turned_the_kind_off_gets_nothing(app):
    from app.notifications.service import save_settings

    host, follower = make_user(Role.STAFF), make_user(Role.STAFF)
    _follow(follower, "department", host.department_id)
    save_settings(follower, {"subscription": kinds.OFF})
    make_event(host, title="Fest", start=START, status="published", visibility="public")
    assert _notes(follower) == []


def test_the_subscriptions_page_saves_what_the_user_follows(browser):
    amt = make_department(code="kulturbuero", name="Kulturbüro")
    hall = make_venue(name="Rathaus")
    user = login(browser, Role.STAFF)
    page = browser.get("/subscriptions/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Kulturbüro" in text and "Rathaus" in text and 'name="brief"' in text
    answer = browser.post(
        "/subscriptions/", {"department": str(amt.id), "venue": str(hall.id), "brief": "y"}
    )
    assert answer.status_code == 302
    rows = db.session.execute(
        select(Subscription.kind, Subscription.target_id).where(Subscription.user_id == user.id)
    ).all()
    assert sorted(rows) == sorted([("department", amt.id), ("venue", hall.id), (BRIEF, 0)])
    assert browser.get("/brief/").status_code == 200
    browser.post("/subscriptions/", {"venue": str(hall.id)})
    assert service.targets_of(user)["department"] == set()
    assert service.targets_of(user)["venue"] == {hall.id}
    assert not service.reads_brief(user)
    refused = browser.post("/subscriptions/", {"venue": "999999"})
    assert refused.status_code == 400


def test_the_api_reads_and_replaces_the_subscriptions(client):
    from tests.factories import api_headers

    hall = make_venue(name="Rathaus")
    user = make_user(Role.STAFF)
    headers = api_headers(user)
    empty = client.get("/api/v1/account/subscriptions", headers=headers).get_json()
    assert empty == {
        "subscriptions": {
            "department": [],
            "venue": [],
            "audience": [],
            "district": [],
            "brief": False,
        }
    }
    body = {"subscriptions": {"venue": [hall.id], "department": [user.department_id]}}
    body["subscriptions"]["brief"] = True
    saved = client.put("/api/v1/account/subscriptions", json=body, headers=headers)
    assert saved.status_code == 200
    assert saved.get_json()["subscriptions"]["venue"] == [hall.id]
    assert saved.get_json()["subscriptions"]["brief"] is True
    wrong = client.put(
        "/api/v1/account/subscriptions",
        json={"subscriptions": {"venue": [999999]}},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert "subscriptions.venue" in wrong.get_json()["errors"]
    odd = client.put(
        "/api/v1/account/subscriptions", json={"subscriptions": {"tags": [1]}}, headers=headers
    )
    assert odd.status_code == 422 and "subscriptions.tags" in odd.get_json()["errors"]
    db.session.expire_all()
    assert service.targets_of(user)["venue"] == {hall.id}
