"""Malformed and hostile input gets a clear 4xx, never a 500, on every backend."""

import pytest

from app.extensions import db
from tests.factories import PASSWORD, make_event, make_token, make_user

HUGE = "9" * 15


@pytest.fixture
def api(client):
    """Return a function that calls the API as a staff member."""
    staff = make_user()
    make_event(staff, status="published")
    headers = {"Authorization": f"Bearer {make_token(staff)}"}
    db.session.commit()

    def call(method: str, url: str, **kwargs):
        """Send one API request."""
        return client.open(url, method=method, headers=headers, **kwargs)

    return call


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "starts_at": "2027-01-01T10:00", "venue_id": 10**12},
        {"title": "x", "starts_at": "2027-01-01T10:00", "capacity": 10**12},
        {"title": "x\x00", "starts_at": "2027-01-01T10:00"},
        {"title": 5, "starts_at": "2027-01-01T10:00"},
        {"title": "x", "starts_at": 12},
        {"title": "x", "starts_at": "2027-13-45T99:99"},
        {"title": "x", "starts_at": "2027-01-01T10:00", "audiences": "presse"},
        {"title": "x", "starts_at": "2027-01-01T10:00", "audiences": [{"a": 1}]},
        {"title": "x", "starts_at": "2027-01-01T10:00", "all_day": "kind of"},
        {"title": "x" * 100000, "starts_at": "2027-01-01T10:00"},
        {"title": "x", "starts_at": "2027-01-01T10:00", "rsvp_deadline": "bald"},
        {"title": "x", "starts_at": "2027-01-01", "all_day": True, "ends_at": "2027-01-01T10:00"},
    ],
)
def test_bad_event_bodies_get_422(api, body):
    response = api("POST", "/api/v1/events", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["errors"]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/events/{HUGE}",
        f"/api/v1/events?venue_id={HUGE}",
        "/api/v1/events?venue_id=²",
        "/api/v1/events?per_page=²",
        f"/api/v1/events?page={HUGE}",
        "/api/v1/events?audience=%00",
        "/api/v1/events?from=2027-01-01T25:00",
        f"/api/v1/events?to={HUGE}",
    ],
)
def test_bad_api_urls_get_4xx(api, url):
    assert 400 <= api("GET", url).status_code < 500


@pytest.mark.parametrize(
    "url",
    [
        f"/events/{HUGE}",
        f"/events/{HUGE}.ics",
        f"/calendar/venues/{HUGE}.ics",
        f"/calendar/private/{HUGE}-abc.ics",
        "/?venue=²",
        f"/?department={HUGE}",
        "/?audience=%00",
        "/month?month=2027-99",
        "/month?month=-1",
        "/week?date=2027-02-30",
        "/?from=gestern",
    ],
)
def test_bad_page_urls_get_4xx_or_a_page(browser, url):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    assert browser.get(url).status_code in (200, 400, 404)


def test_bad_form_values_are_field_errors(browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    form = {
        "title": "x",
        "start_date": "kein Datum",
        "start_time": "25:99",
        "capacity": HUGE,
        "venue_id": "abc",
        "max_plus_ones": "-3",
        "department": user.department.code,
        "visibility": "weird",
        "save": "1",
    }
    response = browser.post("/events/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("start_date", "capacity", "max_plus_ones"):
        assert f'id="{field}-error"' in page, field
