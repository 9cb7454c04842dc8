"""Conflicts in the event form, on the event page, in the comms view and in the API."""

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from app.accounts.models import Role
from app.conflicts.models import ConflictReview, PublishOverride, ReviewStatus
from app.events.models import Event, Status
from app.extensions import db
from tests.conftest import Browser
from tests.factories import PASSWORD, api_headers, make_event, make_token, make_user, make_venue


def _form(staff, venue, start="18:00", end="20:00", **extra) -> dict:
    return {
        "title": "Neujahrsempfang",
        "start_date": "2027-02-03",
        "start_time": start,
        "end_date": "2027-02-03",
        "end_time": end,
        "venue_id": str(venue.id),
        "department": staff.department.code,
        "visibility": "internal",
        "max_plus_ones": "0",
        **extra,
    }


def _clash(exclusive=False):
    owner, staff = make_user(), make_user()
    hall = make_venue(name="Ratssaal", exclusive=exclusive)
    other = make_event(
        owner,
        title="Sitzung des Rates",
        status="published",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 17),
    )
    db.session.commit()
    return owner, staff, hall, other


def test_live_check_returns_the_panel_for_the_form_values(browser):
    _owner, staff, hall, _other = _clash()
    browser.login(staff.email, PASSWORD)
    response = browser.post("/conflicts/check", _form(staff, hall), form_page="/events/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sitzung des Rates" in page and "Ratssaal" in page
    free = browser.post(
        "/conflicts/check", _form(staff, hall, "20:00", "22:00"), form_page="/events/new"
    )
    assert "Keine Konflikte" in free.get_data(as_text=True)
    incomplete = browser.post(
        "/conflicts/check", _form(staff, hall, start=""), form_page="/events/new"
    )
    assert "sobald Datum, Uhrzeit und Ort" in incomplete.get_data(as_text=True)
    # The live check is a POST like the form: without the CSRF token it is refused.
    assert browser.client.post("/conflicts/check", data=_form(staff, hall)).status_code == 400


def test_the_form_without_javascript_asks_for_a_reason_then_keeps_it(browser):
    owner, staff, hall, other = _clash()
    browser.login(staff.email, PASSWORD)
    response = browser.post("/events/new", _form(staff, hall, publish="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="conflict_reason-error"' in page and "Sitzung des Rates" in page
    assert db.session.scalar(select(func.count(Event.id))) == 1
    reason = "Abgestimmt mit dem Ratsbüro, der Saal wird geteilt."
    response = browser.post("/events/new", _form(staff, hall, publish="1", conflict_reason=reason))
    assert response.status_code == 302
    event = db.session.scalar(select(Event).where(Event.id != other.id))
    assert event.status == Status.PUBLISHED
    page = browser.get(f"/events/{event.id}").get_data(as_text=True)
    assert reason in page and "Sitzung des Rates" in page  # reason and current conflicts
    override = db.session.scalar(select(PublishOverride))
    assert override.created_by_id == staff.id and "Ratssaal" in override.warnings


def test_hard_conflicts_block_in_the_form_and_on_the_publish_button(browser):
    _owner, staff, hall, _other = _clash(exclusive=True)
    browser.login(staff.email, PASSWORD)
    response = browser.post("/events/new", _form(staff, hall, publish="1", conflict_reason="x"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="venue_id-error"' in page
    draft = browser.post("/events/new", _form(staff, hall, save="1"))
    assert draft.status_code == 302
    event = db.session.scalar(select(Event).where(Event.status == Status.DRAFT))
    publish = browser.post(
        f"/events/{event.id}/publish", {"conflict_reason": "bitte"}, form_page=f"/events/{event.id}"
    )
    assert publish.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == Status.DRAFT
    assert "Veröffentlichung nicht möglich" in browser.get(f"/events/{event.id}").get_data(
        as_text=True
    )


def test_publish_button_takes_the_reason(browser):
    _owner, staff, hall, _other = _clash()
    event = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    page = browser.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'name="conflict_reason"' in page and "Sitzung des Rates" in page
    refused = browser.post(f"/events/{event.id}/publish", form_page=f"/events/{event.id}")
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == Status.DRAFT
    browser.post(
        f"/events/{event.id}/publish",
        {"conflict_reason": "Geteilter Saal"},
        form_page=f"/events/{event.id}",
    )
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == Status.PUBLISHED


def test_comms_view_lists_reviews_and_filters(app, browser):
    owner, staff, hall, other = _clash()
    mine = make_event(
        staff,
        title="Empfang",
        status="published",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 18),
        conflict_reason="Abgestimmt",
    )
    comms = make_user(Role.COMMS, department=None)
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    assert browser.get("/conflicts/").status_code == 403
    browser = Browser(app.test_client())
    browser.login(comms.email, PASSWORD)
    url = "/conflicts/?from=2027-02-01&to=2027-02-28"
    page = browser.get(url).get_data(as_text=True)
    assert "Sitzung des Rates" in page and "Empfang" in page and "Abgestimmt" in page
    assert f"/events/{other.id}" in page and f"/events/{mine.id}" in page
    assert "<table" in page and "/conflicts/density.svg" in page
    key = f"venue:{min(other.id, mine.id)}:{max(other.id, mine.id)}"
    no_note = browser.post(
        "/conflicts/review",
        {"key": key, "day": "2027-02-03", "resolve": "1", "next": url},
        form_page=url,
    )
    assert no_note.status_code == 302 and db.session.scalar(select(ConflictReview)) is None
    browser.post(
        "/conflicts/review",
        {"key": key, "day": "2027-02-03", "acknowledge": "1", "note": "Saal geteilt", "next": url},
        form_page=url,
    )
    review = db.session.scalar(select(ConflictReview))
    assert review.status == ReviewStatus.ACKNOWLEDGED and review.reviewed_by_id == comms.id
    page = browser.get(url).get_data(as_text=True)
    assert "Saal geteilt" in page and "Zur Kenntnis genommen" in page
    assert "Saal geteilt" not in browser.get(url + "&state=open").get_data(as_text=True)
    only_holidays = browser.get(url + "&kind=holiday").get_data(as_text=True)
    assert "Sitzung des Rates" not in only_holidays
    bad = browser.get("/conflicts/?from=2027-02-10&to=2027-02-01")
    assert bad.status_code == 422
    assert browser.get("/conflicts/?from=9999-12-31").status_code == 422
    svg = browser.get(url.replace("/conflicts/", "/conflicts/density.svg"))
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data and b"Ratssaal" not in svg.data
    # An off-site "next" is ignored.
    away = browser.post(
        "/conflicts/review",
        {"key": key, "day": "2027-02-03", "acknowledge": "1", "next": "//evil.example/"},
        form_page=url,
    )
    target = urlsplit(away.headers["Location"])
    assert target.path == "/conflicts/" and target.netloc in ("", "localhost")


def test_venue_cannot_become_exclusive_while_published_events_overlap(browser):
    owner, staff, hall, other = _clash()
    make_event(
        staff,
        title="Empfang",
        status="published",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 18),
    )
    admin = make_user(Role.ADMIN, department=None)
    db.session.commit()
    browser.login(admin.email, PASSWORD)
    form = {
        "name": "Ratssaal",
        "address": "",
        "district_id": "0",
        "capacity": "100",
        "setup_minutes": "0",
        "teardown_minutes": "0",
        "exclusive": "y",
        "accessibility_notes": "",
        "active": "y",
    }
    response = browser.post(f"/venues/{hall.id}/edit", form)
    assert response.status_code == 422
    assert "Sitzung des Rates" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(hall), hall.id).exclusive is False


def test_api_check_and_list(client):
    owner, staff, hall, other = _clash()
    headers = api_headers(staff)
    comms_headers = api_headers(make_user(Role.COMMS, department=None))
    db.session.commit()
    body = {
        "title": "Probe",
        "starts_at": "2027-02-03T18:00",
        "ends_at": "2027-02-03T20:00",
        "venue_id": hall.id,
    }
    response = client.post("/api/v1/conflicts/check", json=body, headers=headers)
    assert response.status_code == 200
    (venue,) = [c for c in response.json["conflicts"] if c["kind"] == "venue"]
    assert venue["severity"] == "warning" and venue["event_ids"] == [other.id]
    assert venue["details"]["other"]["title"] == "Sitzung des Rates"
    assert client.post("/api/v1/conflicts/check", json=body).status_code == 401
    bad = client.post("/api/v1/conflicts/check", json={"title": "x", "venue": 1}, headers=headers)
    assert bad.status_code == 422 and "venue" in bad.json["errors"]
    missing = client.post("/api/v1/conflicts/check", json={"title": "x"}, headers=headers)
    assert missing.status_code == 422 and "starts_at" in missing.json["errors"]
    # event_id checks changes to an existing event and excludes the event itself.
    own = client.post(
        "/api/v1/conflicts/check", json={"event_id": other.id}, headers=api_headers(owner)
    )
    assert own.status_code == 200
    assert all(other.id not in c["event_ids"][1:] for c in own.json["conflicts"])
    foreign = client.post("/api/v1/conflicts/check", json={"event_id": other.id}, headers=headers)
    assert foreign.status_code == 403
    # Publishing through the API with warnings needs conflict_reason.
    create = {**body, "status": "published"}
    refused = client.post("/api/v1/events", json=create, headers=headers)
    assert refused.status_code == 422 and "conflict_reason" in refused.json["errors"]
    created = client.post(
        "/api/v1/events", json={**create, "conflict_reason": "geteilt"}, headers=headers
    )
    assert created.status_code == 201
    listed = client.get(
        "/api/v1/conflicts?from=2027-02-01&to=2027-02-28&kind=venue", headers=comms_headers
    )
    assert listed.status_code == 200
    (item,) = listed.json["conflicts"]
    assert item["state"] == "open" and item["date"] == "2027-02-03"
    assert sorted(item["event_ids"]) == sorted([other.id, created.json["id"]])
    assert client.get("/api/v1/conflicts?from=2027-13-01", headers=headers).status_code == 422
    assert client.get("/api/v1/conflicts?kind=nope", headers=headers).status_code == 422
    # Staff of an uninvolved department see none of it.
    outsider = api_headers(make_user())
    db.session.commit()
    assert (
        client.get("/api/v1/conflicts?from=2027-02-01&to=2027-02-28", headers=outsider).json[
            "conflicts"
        ]
        == []
    )
    assert date.fromisoformat(listed.json["from"]) == date(2027, 2, 1)


def test_staff_see_their_conflicts_without_comms_notes_or_hidden_events(client):
    owner, staff, hall, other = _clash()
    make_event(
        staff,
        title="Empfang",
        status="published",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 18),
        conflict_reason="geteilt",
    )
    hidden = make_event(owner, title="Entwurf", start=datetime(2027, 5, 6, 10))  # holiday
    own = make_event(staff, title="Feiertag", start=datetime(2027, 5, 6, 18))
    comms = make_user(Role.COMMS, department=None)
    db.session.add(
        ConflictReview(
            key=f"venue:{other.id}:{other.id + 1}",
            fingerprint="x",
            status=ReviewStatus.RESOLVED,
            note="interne Notiz",
            reviewed_at=datetime(2026, 11, 1, tzinfo=UTC),
            reviewed_by=comms,
        )
    )
    headers = {"Authorization": f"Bearer {make_token(staff)}"}
    db.session.commit()
    body = client.get("/api/v1/conflicts?from=2027-02-01&to=2027-05-31", headers=headers).json
    assert all("review_note" not in c for c in body["conflicts"])
    (holiday,) = [c for c in body["conflicts"] if c["kind"] == "holiday"]
    assert holiday["event_ids"] == [own.id] and hidden.id not in holiday["event_ids"]
    bad = client.get("/api/v1/conflicts?from=9999-12-01&to=9999-12-02", headers=headers)
    assert bad.status_code == 422 and "from" in bad.json["errors"]
    browser_bad = client.get("/conflicts/?from=9999-12-31")
    assert browser_bad.status_code in (302, 401)  # not logged in: the login wall, never a 500
