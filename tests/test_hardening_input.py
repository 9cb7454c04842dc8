"""Hardening of input (issue 8): one-line fields, far dates, the API's documented contract, feeds.

Findings 3 (control characters), 4 (far dates), 11 (OpenAPI and API agree) and 12 (ORGANIZER
in every published VEVENT, checked with libical).
"""

from datetime import datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, text

from app.accounts.models import Role
from app.api.openapi import document
from app.contacts.csv_import import parse as parse_csv
from app.events.models import Event
from app.extensions import db
from app.invitations.delivery import render_queued
from app.invitations.operations import invite
from app.mail.models import MailStatus, OutboxMessage
from app.mail.worker import deliver
from tests.factories import (
    NOW,
    PASSWORD,
    login,
    make_audience,
    make_contact,
    make_event,
    make_token,
    make_user,
    make_venue,
)
from tests.icalcheck import libical_errors, parse_icalendar
from tests.smtpserver import RecordingHandler, send_mail_to, smtp_server

KEY = "test-secret-key-not-for-production"
START = datetime(2027, 2, 4, 18, 0)
BREAKS = ["A\r\nB", "A\nB", "A\rB", "A\u2028B", "A\u2029B", "A\x85B", "A\x07B", "A\tB", "A\x7fB"]


@pytest.fixture
def api(client):
    """Return a function that calls the API as a staff member (with a published event)."""
    staff = make_user()
    make_event(staff, status="published", visibility="public")
    headers = {"Authorization": f"Bearer {make_token(staff)}"}
    db.session.commit()

    def call(method: str, url: str, **kwargs):
        """Send one API request."""
        return client.open(url, method=method, headers=headers, **kwargs)

    call.user = staff
    return call


def _body(**overrides) -> dict:
    """Return a valid event body with some fields replaced."""
    return {
        "title": "Bürgerdialog",
        "starts_at": "2027-01-14T18:00",
        "ends_at": "2027-01-14T20:00",
    } | overrides


# Finding 3: control characters in one-line fields ------------------------------------------


@pytest.mark.parametrize("title", BREAKS)
def test_api_refuses_line_breaks_and_control_characters_in_the_title(api, title):
    response = api("POST", "/api/v1/events", json=_body(title=title))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert list(response.json["errors"]) == ["title"]
    assert "line breaks" in response.json["errors"]["title"][0]


@pytest.mark.parametrize(
    "field, value",
    [("location", "Saal\r\nX"), ("audiences", ["a\nb"]), ("department", "x\ny")],
)
def test_api_refuses_line_breaks_in_other_one_line_fields(api, field, value):
    response = api("POST", "/api/v1/events", json=_body(**{field: value}))
    assert response.status_code == 422
    assert any(name.startswith(field) for name in response.json["errors"])


def test_api_keeps_line_breaks_in_the_description_but_refuses_other_controls(api):
    kept = api("POST", "/api/v1/events", json=_body(description="Zeile 1\r\nZeile 2\n\tTab"))
    assert kept.status_code == 201, kept.get_data(as_text=True)
    assert kept.json["description"] == "Zeile 1\r\nZeile 2\n\tTab"
    refused = api("POST", "/api/v1/events", json=_body(description="Glocke\x07"))
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["description"]


def test_api_refuses_line_breaks_in_contact_names_and_tags(api):
    base = {"last_name": "Muster", "email": "erika@example.org"}
    for changes, field in (
        ({"last_name": "Mus\r\nter"}, "last_name"),
        ({"organisation": "Firma\nX"}, "organisation"),
        ({"tags": ["Presse\nRat"]}, "tags"),
    ):
        response = api("POST", "/api/v1/contacts", json=base | changes)
        assert response.status_code == 422, changes
        assert field in response.json["errors"], response.json


def test_api_refuses_line_breaks_in_guest_names(api):
    event = make_event(api.user, title="Gäste")
    db.session.commit()
    guest = {"email": "gast@example.org", "last_name": "Gast\r\nBcc: x@example.org"}
    response = api("POST", f"/api/v1/events/{event.id}/invitations", json={"guests": [guest]})
    assert response.status_code == 422
    assert "guests.0.last_name" in response.json["errors"]


def test_api_refuses_line_breaks_in_venue_names(client):
    admin = make_user(Role.ADMIN)
    headers = {"Authorization": f"Bearer {make_token(admin)}"}
    db.session.commit()
    response = client.post("/api/v1/venues", json={"name": "Saal\r\nA"}, headers=headers)
    assert response.status_code == 422 and "name" in response.json["errors"]


def test_event_form_shows_an_error_on_a_title_with_a_line_break(browser):
    user = login(browser)
    form = {
        "title": "Empfang\r\nim Rathaus",
        "location": "Saal\x0bB",
        "start_date": "2027-02-04",
        "start_time": "18:00",
        "end_time": "19:00",
        "department": user.department.code,
        "visibility": "internal",
        "save": "1",
    }
    response = browser.post("/events/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="title-error"' in page and 'id="location-error"' in page
    assert db.session.scalar(select(Event.id)) is None


def test_contact_form_shows_an_error_on_a_name_with_a_line_break(browser):
    login(browser)
    form = {"last_name": "Muster\nmann", "email": "m@example.org", "language": "de", "save": "1"}
    response = browser.post("/contacts/new", form)
    assert response.status_code in (200, 422)
    assert 'id="last_name-error"' in response.get_data(as_text=True)


def test_csv_import_reports_a_line_break_inside_a_cell_on_its_row(app):
    content = (
        b'Nachname;E-Mail;Organisation\nMuster;m@example.org;"Firma\nZweite Zeile"\n'
        b"Gut;gut@example.org;Amt\n"
    )
    rows, _unknown = parse_csv(content)
    assert len(rows) == 2
    assert rows[0]["errors"] and "Organisation" in rows[0]["errors"][0]
    assert rows[1]["errors"] == []


def _event_with_raw_title(actor, title: str, **overrides) -> Event:
    """Create a published public event and give it a title written before input was checked."""
    event = make_event(actor, status="published", visibility="public", **overrides)
    db.session.execute(
        text("UPDATE events SET title = :t, location = :t WHERE id = :id"),
        {"t": title, "id": event.id},
    )
    db.session.commit()
    db.session.expire_all()
    return event


def _valid_calendar(data: bytes):
    """Parse with icalendar and libical (parse errors and iTIP restrictions) and return it."""
    cal = parse_icalendar(data)
    assert libical_errors(data) == []
    return cal


def test_old_title_with_line_breaks_still_downloads_and_feeds(client):
    staff = make_user()
    event = _event_with_raw_title(staff, "Empfang\r\nX-INJECTED:1\x07;,")
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    cal = _valid_calendar(response.data)
    assert b"\r\nX-INJECTED" not in response.data
    assert b"\r\nX-WR-CALNAME:Empfang X-INJECTED:1\\;\\,\r\n" in response.data
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Empfang X-INJECTED:1;,"
    for url in ("/calendar.ics", f"/calendar/departments/{staff.department.code}.ics"):
        feed = client.get(url)
        assert feed.status_code == 200
        (vevent,) = _valid_calendar(feed.data).walk("VEVENT")
        assert str(vevent["SUMMARY"]) == "Empfang X-INJECTED:1;,"


@pytest.fixture
def smtp(app):
    """Run a recording SMTP server on 127.0.0.1 and send the app's mail there."""
    with smtp_server(RecordingHandler()) as controller:
        send_mail_to(app, controller.port)
        yield controller.handler


def test_invitation_mail_of_an_old_title_with_a_line_break_renders_and_is_delivered(app, smtp):
    owner = make_user()
    event = _event_with_raw_title(owner, "Empfang\r\nim Rathaus", start=START)
    db.session.execute(
        text("UPDATE departments SET name = :n WHERE id = :id"),
        {"n": "Amt\r\nfür\x07 Kultur", "id": owner.department_id},
    )
    invite(event, [make_contact()], actor=owner, now=NOW, secret_key=KEY)
    db.session.commit()
    deliver(until_empty=True, worker_id="test", render=render_queued)
    outbox = db.session.execute(select(OutboxMessage.status, OutboxMessage.last_error)).all()
    assert [(status, error or None) for status, error in outbox] == [(MailStatus.SENT, None)]
    (received,) = smtp.received
    mail = message_from_bytes(received.data, policy=policy.default)
    part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    data = part.get_payload(decode=True)
    (vevent,) = _valid_calendar(data).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Empfang im Rathaus"
    assert vevent["ORGANIZER"].params["CN"] == "Amt für Kultur"


# Finding 4: far dates ------------------------------------------------------------------------

PAGES = [
    "/?from=9999-12-31",
    "/?from=0001-01-01",
    "/?from=2199-12-31",
    "/?from=1900-01-01",
    "/veranstaltungen?from=0001-01-01",
    "/veranstaltungen?from=9999-12-31",
    "/veranstaltungen?from=2199-12-31",
    "/month?month=1-1",
    "/month?month=0001-01",
    "/month?month=9999-12",
    "/month?month=2199-12",
    "/month?month=1900-01",
    "/month?month=99999-1",
    "/week?date=0001-01-01",
    "/week?date=9999-12-31",
    "/week?date=2199-12-31",
    "/conflicts/?from=0001-01-01&to=9999-12-31",
    "/conflicts/?from=2199-12-31",
    "/calendar.ics?from=0001-01-01",
]
API_URLS = [
    "/api/v1/events?from=0001-01-01T00:00",
    "/api/v1/events?from=9999-12-31T23:59:59-23:59",
    "/api/v1/events?to=0001-01-01T00:00:00%2B23:59",
    "/api/v1/events?from=9999-12-31",
    "/api/v1/events?from=0001-01-01",
    "/api/v1/events?from=2027-03-28T02:30",
    "/api/v1/conflicts?from=0001-01-01",
    "/api/v1/conflicts?from=2199-12-31&to=2199-12-31",
    "/api/v1/conflicts?to=9999-12-31",
]


@pytest.mark.parametrize("role", [None, Role.STAFF, Role.COMMS])
def test_far_dates_in_page_urls_never_give_500(browser, role):
    if role is not None:
        user = make_user(role)
        db.session.commit()
        browser.login(user.email, PASSWORD)
    for url in PAGES:
        status = browser.get(url).status_code
        assert status in (200, 302, 400, 403, 404, 422), (url, status)


@pytest.mark.parametrize("url", API_URLS)
def test_far_dates_in_api_urls_are_422_on_the_parameter(api, url):
    response = api("GET", url)
    if "2199-12-31" in url or "02:30" in url:
        assert response.status_code == 200, response.get_data(as_text=True)
    else:
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert set(response.json["errors"]) <= {"from", "to"}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
        ({"starts_at": "9999-12-31T23:59:59-23:59"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:30+01:00"}, "starts_at"),
        ({"ends_at": "9999-12-31T23:59+14:00"}, "ends_at"),
        ({"rsvp_deadline": "0001-01-01T00:00+05:00"}, "rsvp_deadline"),
        ({"all_day": True, "starts_at": "9999-12-31", "ends_at": None}, "starts_at"),
    ],
)
def test_far_dates_in_api_bodies_are_422_on_the_field(api, changes, field):
    for method, url in (("POST", "/api/v1/events"), ("POST", "/api/v1/conflicts/check")):
        response = api(method, url, json=_body(**changes))
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert field in response.json["errors"]


def test_far_dates_in_the_event_form_are_field_errors(browser):
    user = login(browser)
    form = {
        "title": "Zeitreise",
        "start_date": "0001-01-01",
        "start_time": "00:00",
        "end_date": "9999-12-31",
        "end_time": "23:59",
        "rsvp_deadline_date": "0001-01-01",
        "department": user.department.code,
        "visibility": "internal",
        "save": "1",
    }
    response = browser.post("/events/new", form)
    assert response.status_code == 422
    assert 'id="start_date-error"' in response.get_data(as_text=True)
    # A far reply date is refused even when the event itself is fine.
    form |= {"start_date": "2027-02-04", "end_date": "", "end_time": "20:00"}
    response = browser.post("/events/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="rsvp_deadline_date-error"' in page and 'id="start_date-error"' not in page


# Finding 11: the OpenAPI document and the API agree --------------------------------------------

EMPTY_VALUES = [
    "/api/v1/events?per_page=&page=&from=&to=&status=&venue_id=&department=&audience=",
    "/api/v1/contacts?per_page=&page=&q=&tag=",
    "/api/v1/contacts/duplicates?limit=",
    "/api/v1/conflicts?kind=&severity=&from=&to=&department=",
]


@pytest.mark.parametrize("url", EMPTY_VALUES)
def test_empty_query_values_count_as_absent(api, url):
    response = api("GET", url)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_every_documented_query_parameter_allows_an_empty_value():
    for path, operations in document()["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("allowEmptyValue") is True, (path, parameter["name"])


@pytest.mark.parametrize("value", [0, 1, "true", "false"])
def test_booleans_must_be_json_booleans(client, value):
    admin = make_user(Role.ADMIN)
    headers = {"Authorization": f"Bearer {make_token(admin)}"}
    db.session.commit()
    body = {"name": "Saal", "exclusive": value}
    response = client.post("/api/v1/venues", json=body, headers=headers)
    assert response.status_code == 422 and "exclusive" in response.json["errors"]
    event = client.post("/api/v1/events", json=_body(all_day=value), headers=headers)
    assert event.status_code == 422 and "all_day" in event.json["errors"]
    contact = {"last_name": "Muster", "email": "m@example.org", "vip": value}
    response = client.post("/api/v1/contacts", json=contact, headers=headers)
    assert response.status_code == 422 and "vip" in response.json["errors"]


def test_numbers_must_be_json_numbers(api):
    response = api("POST", "/api/v1/events", json=_body(capacity="5"))
    assert response.status_code == 422 and "capacity" in response.json["errors"]


@pytest.mark.parametrize(
    "method, url, body, field",
    [
        ("GET", "/api/v1/events?audience=a%00b", None, "audience"),
        ("GET", "/api/v1/contacts?q=%00", None, "q"),
        ("POST", "/api/v1/events", _body(title="a\x00"), "title"),
        ("POST", "/api/v1/events", _body(audiences=["x", "\x00"]), "audiences.1"),
    ],
)
def test_nul_characters_are_a_documented_422_on_the_field(api, method, url, body, field):
    response = api(method, url, json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    operation = document()["paths"][url.split("?")[0].removeprefix("/api/v1")][method.lower()]
    assert "422" in operation["responses"] and "400" not in operation["responses"]


# Finding 12: ORGANIZER in every published VEVENT, libical's iTIP check ------------------------


def _feeds_setup():
    """Create public, internal and confidential events of two departments; return URLs."""
    staff = make_user()
    other = make_user()
    venue = make_venue()
    audience = make_audience()
    make_event(staff, status="published", visibility="public", venue_id=venue.id, start=START)
    make_event(
        staff,
        status="published",
        visibility="public",
        audiences=[audience.code],
        start=START.replace(day=5),
    )
    other.department.email = ""  # the organizer is then the sending address
    make_event(other, status="published", visibility="public", start=START.replace(day=6))
    make_event(
        other,
        status="published",
        visibility="confidential",
        venue_id=venue.id,
        start=START.replace(day=7),
    )
    db.session.commit()
    return (
        staff,
        other,
        [
            "/calendar.ics",
            f"/calendar/departments/{staff.department.code}.ics",
            f"/calendar/departments/{other.department.code}.ics",
            f"/calendar/venues/{venue.id}.ics",
            f"/calendar/audiences/{audience.code}.ics",
            f"/calendar/private/{staff.feed_token(KEY)}.ics",
        ],
    )


def test_every_feed_passes_libicals_itip_check_with_the_department_as_organizer(app, client):
    staff, other, urls = _feeds_setup()
    assert app.config["SECRET_KEY"] == KEY
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        cal = _valid_calendar(response.data)
        vevents = cal.walk("VEVENT")
        assert vevents, url
        for vevent in vevents:
            organizer = vevent["ORGANIZER"]
            if str(vevent["SUMMARY"]) == "Reserviert":
                assert str(organizer) == "mailto:noreply@stadt.test"
                assert organizer.params["CN"] == "Stadtkalender"
            elif organizer.params["CN"] == staff.department.name:
                assert str(organizer) == f"mailto:{staff.department.email}"
            else:
                assert organizer.params["CN"] == other.department.name
                assert str(organizer) == "mailto:noreply@stadt.test"
    private = _valid_calendar(client.get(urls[-1]).data)
    assert "Reserviert" in [str(v["SUMMARY"]) for v in private.walk("VEVENT")]


def test_single_event_download_passes_libicals_itip_check(client):
    staff, _other, _urls = _feeds_setup()
    for event in db.session.scalars(select(Event).where(Event.visibility == "public")):
        response = client.get(f"/events/{event.id}.ics")
        (vevent,) = _valid_calendar(response.data).walk("VEVENT")
        assert vevent["ORGANIZER"].params["CN"] == event.department.name


def test_fragments_cached_by_an_older_release_are_rendered_again(app, client):
    staff, _other, urls = _feeds_setup()
    client.get("/calendar.ics")  # fills the cache
    # What the previous release stored: a VEVENT without ORGANIZER under its key format.
    rows = db.session.execute(select(Event.id, Event.revision)).all()
    for event_id, revision in rows:
        db.session.execute(
            text("UPDATE events SET ics_cache = :d, ics_cache_key = :k WHERE id = :id"),
            {
                "d": b"BEGIN:VEVENT\r\nUID:old\r\nEND:VEVENT\r\n",
                "k": f"{revision}:1:0123456789abcdef",
                "id": event_id,
            },
        )
    db.session.commit()
    data = client.get("/calendar.ics", headers={"If-None-Match": "x"}).data
    cal = _valid_calendar(data)
    assert all("ORGANIZER" in v for v in cal.walk("VEVENT")) and b"UID:old" not in data


def test_invitation_mails_pass_libicals_itip_check(app, smtp):
    owner = make_user()
    event = make_event(owner, status="published", start=START)
    invite(event, [make_contact()], actor=owner, now=NOW, secret_key=KEY)
    db.session.commit()
    deliver(until_empty=True, worker_id="test", render=render_queued)
    (received,) = smtp.received
    mail = message_from_bytes(received.data, policy=policy.default)
    part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    _valid_calendar(part.get_payload(decode=True))
