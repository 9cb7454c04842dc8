"""The JSON API v1: authentication, permissions, validation, events, venues, OpenAPI."""

from datetime import datetime

from sqlalchemy import select

from app.accounts.models import ApiToken, Role
from app.events import queries
from app.events.models import Event, Status
from app.events.queries import CalendarFilter
from app.extensions import db
from tests.factories import (
    api_headers,
    make_audience,
    make_category,
    make_department,
    make_event,
    make_token,
    make_user,
    make_venue,
)

EVENT = {"title": "Bürgerdialog", "starts_at": "2027-01-14T18:00", "ends_at": "2027-01-14T20:00"}


def test_requests_without_valid_token_get_401(client):
    assert client.get("/api/v1/events").status_code == 401
    response = client.get("/api/v1/events", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_and_inactive_user_are_refused(client):
    user = make_user()
    headers = api_headers(user)
    assert client.get("/api/v1/departments", headers=headers).status_code == 200
    db.session.scalars(db.select(ApiToken)).one().revoked = True
    db.session.commit()
    assert client.get("/api/v1/departments", headers=headers).status_code == 401
    other = make_user(active=False)
    assert client.get("/api/v1/departments", headers=api_headers(other)).status_code == 401


def test_session_cookie_does_not_authenticate_the_api(browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, "correct-horse-battery")
    assert browser.get("/api/v1/events").status_code == 401


def test_tokens_are_stored_hashed(app):
    user = make_user()
    plain = make_token(user)
    row = db.session.scalars(db.select(ApiToken)).one()
    assert plain not in row.token_hash and len(row.token_hash) == 64


def test_staff_creates_event_for_own_department(client):
    staff = make_user()
    make_audience("presse")
    venue = make_venue()
    body = EVENT | {
        "audiences": ["presse"],
        "venue_id": venue.id,
        "visibility": "public",
        "capacity": 80,
        "max_plus_ones": 1,
        "rsvp_deadline": "2027-01-10",
    }
    response = client.post("/api/v1/events", json=body, headers=api_headers(staff))
    assert response.status_code == 201, response.json
    data = response.json
    assert data["department"] == staff.department.code
    assert data["starts_at"] == "2027-01-14T18:00:00+01:00" and data["sequence"] == 0
    assert data["uid"] and data["audiences"] == ["presse"] and data["venue_id"] == venue.id
    assert response.headers["Location"].endswith(f"/api/v1/events/{data['id']}")
    assert db.session.get(Event, data["id"]).capacity == 80


def test_offsets_and_all_day_dates_are_understood(client):
    headers = api_headers(make_user())
    utc = client.post(
        "/api/v1/events",
        headers=headers,
        json=EVENT | {"starts_at": "2027-07-01T16:00:00Z", "ends_at": "2027-07-01T17:00Z"},
    )
    assert utc.json["starts_at"] == "2027-07-01T18:00:00+02:00"
    all_day = client.post(
        "/api/v1/events",
        headers=headers,
        json={
            "title": "Stadtfest",
            "all_day": True,
            "starts_at": "2027-08-20",
            "ends_at": "2027-08-22",
        },
    )
    assert all_day.status_code == 201
    assert (all_day.json["starts_at"], all_day.json["ends_at"]) == ("2027-08-20", "2027-08-22")


def test_invalid_input_gets_422_naming_each_field(client):
    headers = api_headers(make_user())
    cases = [
        ({"title": "x"}, "starts_at"),
        (EVENT | {"starts_at": "2027-03-28T02:30"}, "starts_at"),
        (EVENT | {"ends_at": "2027-01-14T17:00"}, "ends_at"),
        (EVENT | {"ends_at": "morgen"}, "ends_at"),
        (EVENT | {"venue_id": 4711}, "venue_id"),
        (EVENT | {"audiences": ["gibtsnicht"]}, "audiences"),
        (EVENT | {"visibility": "geheim"}, "visibility"),
        (EVENT | {"capacity": -1}, "capacity"),
        (EVENT | {"colour": "red"}, "colour"),
        (EVENT | {"title": ""}, "title"),
        (EVENT | {"starts_at": "2027-01-14"}, "starts_at"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/events", json=body, headers=headers)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], (body, response.json)
    assert client.post("/api/v1/events", data="nicht json", headers=headers).status_code == 422
    assert client.post("/api/v1/events", json=[1, 2], headers=headers).status_code == 422
    assert db.session.scalar(db.select(db.func.count(Event.id))) == 0


def test_staff_may_not_create_for_other_department(client):
    other = make_department(code="kultur")
    response = client.post(
        "/api/v1/events", json=EVENT | {"department": other.code}, headers=api_headers(make_user())
    )
    assert response.status_code == 403


def test_comms_create_for_any_department(client):
    make_department(code="kultur")
    response = client.post(
        "/api/v1/events",
        json=EVENT | {"department": "kultur"},
        headers=api_headers(make_user(Role.COMMS, department=None)),
    )
    assert response.status_code == 201 and response.json["department"] == "kultur"


def test_list_filters_by_range_department_and_status_with_pages(client):
    staff, other = make_user(), make_user()
    for day in (10, 11, 12):
        make_event(
            staff,
            status="published",
            start=datetime(2027, 2, day, 9),
            end=datetime(2027, 2, day, 10),
        )
    make_event(other, status="published")
    headers = api_headers(staff)
    response = client.get("/api/v1/events?from=2027-02-11&to=2027-02-13", headers=headers)
    assert [e["starts_at"][:10] for e in response.json["items"]] == ["2027-02-11", "2027-02-12"]
    dept = staff.department.code
    first = client.get(f"/api/v1/events?department={dept}&per_page=2", headers=headers).json
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(first["next"], headers=headers).json
    assert len(second["items"]) == 1 and second["next"] is None
    assert client.get("/api/v1/events?status=draft", headers=headers).json["items"] == []
    for bad in ("from=gestern", "per_page=0", "status=x", "department=nope", "venue_id=a"):
        assert client.get(f"/api/v1/events?{bad}", headers=headers).status_code == 422, bad


def test_get_patch_and_cancel(client):
    staff = make_user()
    event = make_event(staff, status="published")
    headers = api_headers(staff)
    assert client.get(f"/api/v1/events/{event.id}", headers=headers).json["title"] == "Empfang"
    patched = client.patch(
        f"/api/v1/events/{event.id}",
        headers=headers,
        json={"starts_at": "2026-11-03T19:00", "ends_at": "2026-11-03T21:00"},
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["sequence"] == 1 and patched.json["title"] == "Empfang"
    renamed = client.patch(f"/api/v1/events/{event.id}", headers=headers, json={"title": "Neu"})
    # Guests see the title: a new one is a revision they are sent (RFC 5545 allows the rise).
    assert renamed.json["sequence"] == 2 and renamed.json["title"] == "Neu"
    cancelled = client.post(f"/api/v1/events/{event.id}/cancel", headers=headers)
    assert cancelled.json["status"] == "cancelled" and cancelled.json["sequence"] == 3
    assert db.session.get(Event, event.id).status == Status.CANCELLED


def test_patch_and_cancel_of_foreign_event_are_403_and_hidden_ones_404(client):
    owner, stranger = make_user(), make_user()
    published = make_event(owner, status="published")
    draft = make_event(owner)
    headers = api_headers(stranger)
    assert (
        client.patch(
            f"/api/v1/events/{published.id}", json={"title": "x"}, headers=headers
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/events/{published.id}/cancel", headers=headers).status_code == 403
    assert client.get(f"/api/v1/events/{draft.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/events/99999", headers=headers).status_code == 404
    assert (
        client.patch(
            f"/api/v1/events/{published.id}", json={"title": ""}, headers=api_headers(owner)
        ).status_code
        == 422
    )


def test_confidential_event_is_reserved_for_outsiders(client):
    owner, outsider = make_user(), make_user()
    event = make_event(owner, title="Geheim", visibility="confidential", status="published")
    seen = client.get(f"/api/v1/events/{event.id}", headers=api_headers(outsider)).json
    assert seen["reserved"] and seen["title"] == "Reserviert" and seen["department"] is None
    mine = client.get(f"/api/v1/events/{event.id}", headers=api_headers(owner)).json
    assert mine["title"] == "Geheim" and not mine["reserved"]


def test_departments_and_venues(client):
    make_department(code="kultur", name="Kulturbüro")
    staff = make_user()
    headers = api_headers(staff)
    codes = [d["code"] for d in client.get("/api/v1/departments", headers=headers).json["items"]]
    assert "kultur" in codes
    venue = {"name": "Ratssaal", "capacity": 120, "exclusive": True, "setup_minutes": 30}
    assert client.post("/api/v1/venues", json=venue, headers=headers).status_code == 403
    admin_headers = api_headers(make_user(Role.ADMIN, department=None))
    created = client.post("/api/v1/venues", json=venue, headers=admin_headers)
    assert created.status_code == 201 and created.json["exclusive"] is True
    assert (
        client.post("/api/v1/venues", json={"name": ""}, headers=admin_headers).status_code == 422
    )
    names = [v["name"] for v in client.get("/api/v1/venues", headers=headers).json["items"]]
    assert names == ["Ratssaal"]


def test_openapi_document_describes_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {
        "/events",
        "/events/{event_id}",
        "/events/{event_id}/cancel",
        "/venues",
        "/departments",
    } <= set(doc["paths"])
    assert "starts_at" in doc["components"]["schemas"]["EventCreate"]["properties"]


def test_unknown_api_path_and_method_answer_json(client):
    headers = api_headers(make_user())
    response = client.get("/api/v1/nope", headers=headers)
    assert response.status_code == 404 and response.is_json
    response = client.delete("/api/v1/events", headers=headers)
    assert response.status_code == 405 and response.is_json


def test_filters_do_not_find_a_reserved_event_by_what_its_mask_hides(client):
    staff, owner = make_user(), make_user()
    make_audience("presse")
    make_category("empfang")
    make_event(
        owner,
        title="Geheim",
        status="published",
        visibility="confidential",
        audiences=["presse"],
        category="empfang",
    )
    db.session.commit()

    def found(user, query: str) -> list[str]:
        """Return the titles the API lists for the user with the filter."""
        response = client.get(f"/api/v1/events?{query}", headers=api_headers(user))
        assert response.status_code == 200, response.json
        return [e["title"] for e in response.json["items"]]

    assert found(staff, "") == ["Reserviert"]  # the slot itself stays visible
    code = owner.department.code
    for query in (f"department={code}", "audience=presse"):
        assert found(staff, query) == [], query  # else each guess would tell the hidden value
        assert found(owner, query) == ["Geheim"], query
    by_category = queries.apply_filter(
        select(Event.title), CalendarFilter(category="empfang"), staff
    )
    assert db.session.scalars(by_category).all() == []  # the calendar pages' category filter
    by_category = queries.apply_filter(
        select(Event.title), CalendarFilter(category="empfang"), owner
    )
    assert db.session.scalars(by_category).all() == ["Geheim"]


def test_list_searches_words_the_caller_may_read(client):
    staff, other = make_user(), make_user()
    make_event(staff, title="Bürgerdialog Hörde")  # a draft of the caller's own department
    make_event(other, title="Bürgerdialog Hombruch", status="published")
    make_event(other, title="Geheimtreffen Hörde", status="published", visibility="confidential")
    db.session.commit()
    headers = api_headers(staff)

    def titles(query: str) -> list[str]:
        """Return the titles the search finds, as the API shows them to the caller."""
        response = client.get(f"/api/v1/events?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return sorted(e["title"] for e in response.json["items"])

    assert titles("q=dialog") == ["Bürgerdialog Hombruch", "Bürgerdialog Hörde"]
    assert titles("q=buergerdialog+HÖRDE") == ["Bürgerdialog Hörde"]  # folded, every word
    # The confidential title is not the caller's to read: a search must not reveal it.
    assert titles("q=Geheimtreffen") == []
    assert titles(f"q=Hörde&department={staff.department.code}") == ["Bürgerdialog Hörde"]
    assert titles("q=" + "x" * 500) == []
