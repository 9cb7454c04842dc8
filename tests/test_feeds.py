"""ICS feeds: content, time zones read identically by two parsers, masking, conditional GET."""

from datetime import date, datetime

from app.accounts.models import Role
from app.events.models import Event, Status
from app.events.operations import set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from tests.factories import NOW, make_audience, make_event, make_user, make_venue
from tests.icalcheck import icaljs, icaljs_instants, parse_icalendar, python_instants

WINTER = datetime(2026, 12, 3, 18, 0)
SUMMER = datetime(2027, 6, 3, 18, 0)


def _published(actor, **overrides):
    """Create a published event."""
    return make_event(actor, status="published", **overrides)


def test_public_feed_lists_published_public_events_only(client):
    staff = make_user()
    shown = _published(
        staff, title="Bürgerfest", visibility="public", start=WINTER, end=WINTER.replace(hour=22)
    )
    _published(staff, title="Intern", visibility="internal")
    make_event(staff, title="Entwurf", visibility="public")
    db.session.commit()
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = parse_icalendar(response.data)
    assert cal["METHOD"] == "PUBLISH"
    events = cal.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Bürgerfest"]
    assert str(events[0]["UID"]) == shown.uid
    # PUBLISH requires an ORGANIZER (RFC 5546): the hosting department; never an ATTENDEE.
    assert "ATTENDEE" not in events[0]
    assert events[0]["ORGANIZER"].params["CN"] == staff.department.name


def test_feed_times_agree_between_icalendar_and_icaljs_across_dst(client):
    staff = make_user()
    for start in (WINTER, SUMMER, datetime(2027, 3, 28, 3, 0), datetime(2027, 10, 31, 3, 0)):
        _published(staff, visibility="public", start=start, end=start.replace(hour=start.hour + 1))
    _published(
        staff, visibility="public", all_day=True, start=date(2027, 3, 27), end=date(2027, 3, 29)
    )
    db.session.commit()
    data = client.get("/calendar.ics").data
    ours = python_instants(parse_icalendar(data))
    theirs = icaljs_instants(data)
    assert ours == theirs and len(ours) == 5
    summer = [v for v in ours.values() if v[0].startswith("2027-06-03")]
    assert summer == [("2027-06-03T16:00:00.000Z", "2027-06-03T17:00:00.000Z")]
    assert ("2027-03-27", "2027-03-30") in ours.values()  # DTEND exclusive


def test_vtimezone_uses_the_rrule_form_outlook_understands(client):
    _published(make_user(), visibility="public")
    db.session.commit()
    cal = parse_icalendar(client.get("/calendar.ics").data)
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Berlin"
    daylight, standard = tz.walk("DAYLIGHT"), tz.walk("STANDARD")
    assert len(daylight) == len(standard) == 1
    assert daylight[0]["RRULE"]["BYMONTH"] == [3] and standard[0]["RRULE"]["BYMONTH"] == [10]
    assert "RDATE" not in daylight[0] and "RDATE" not in standard[0]


def test_cancelled_event_stays_in_feed_with_status_cancelled_and_higher_sequence(client):
    staff = make_user()
    event = _published(staff, visibility="public")
    set_status(event, Status.CANCELLED, actor=staff, now=NOW)
    db.session.commit()
    (vevent,) = parse_icalendar(client.get("/calendar.ics").data).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) == event.sequence == 1
    parsed = icaljs(client.get("/calendar.ics").data)["events"][0]
    assert parsed["status"] == "CANCELLED" and parsed["sequence"] == 1


def test_uid_is_stable_and_sequence_rises_after_a_time_change(client):
    staff = make_user()
    event = _published(staff, visibility="public")
    db.session.commit()
    first = parse_icalendar(client.get("/calendar.ics").data).walk("VEVENT")[0]
    data = EventInput.from_event(event).replace(start=WINTER, end=WINTER.replace(hour=21))
    update_event(event, data, actor=staff, now=NOW)
    db.session.commit()
    second = parse_icalendar(client.get("/calendar.ics").data).walk("VEVENT")[0]
    assert second["UID"] == first["UID"]
    assert int(second["SEQUENCE"]) == int(first["SEQUENCE"]) + 1


def test_unchanged_feed_answers_304_and_a_change_makes_a_new_etag(client):
    staff = make_user()
    event = _published(staff, visibility="public")
    db.session.commit()
    first = client.get("/calendar.ics")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    update_event(event, EventInput.from_event(event).replace(title="Neu"), actor=staff, now=NOW)
    db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert b"SUMMARY:Neu" in changed.data


def test_department_venue_and_audience_feeds_filter(client):
    staff, other = make_user(), make_user()
    venue = make_venue()
    make_audience("presse", "Presse")
    _published(staff, title="A", visibility="public", venue_id=venue.id, audiences=["presse"])
    _published(other, title="B", visibility="public")
    db.session.commit()

    def titles(url):
        """Return the summaries of a feed."""
        response = client.get(url)
        assert response.status_code == 200, url
        return [str(e["SUMMARY"]) for e in parse_icalendar(response.data).walk("VEVENT")]

    assert titles(f"/calendar/departments/{staff.department.code}.ics") == ["A"]
    assert titles(f"/calendar/departments/{other.department.code}.ics") == ["B"]
    assert titles(f"/calendar/venues/{venue.id}.ics") == ["A"]
    assert titles("/calendar/audiences/presse.ics") == ["A"]
    assert client.get("/calendar/departments/nope.ics").status_code == 404
    assert client.get("/calendar/audiences/nope.ics").status_code == 404


def test_private_feed_shows_internal_and_masks_confidential_for_outsiders(app, client):
    owner, outsider = make_user(), make_user()
    comms = make_user(Role.COMMS, department=None)
    _published(owner, title="Internes Treffen", visibility="internal")
    _published(owner, title="Geheime Runde", visibility="confidential")
    make_event(owner, title="Entwurf des Amts")
    db.session.commit()
    key = app.config["SECRET_KEY"]

    def titles(user):
        """Return the summaries of the user's private feed."""
        response = client.get(f"/calendar/private/{user.feed_token(key)}.ics")
        assert response.status_code == 200
        return sorted(str(e["SUMMARY"]) for e in parse_icalendar(response.data).walk("VEVENT"))

    assert titles(outsider) == ["Internes Treffen", "Reserviert"]
    assert titles(owner) == ["Entwurf des Amts", "Geheime Runde", "Internes Treffen"]
    assert titles(comms) == ["Entwurf des Amts", "Geheime Runde", "Internes Treffen"]
    # Filtered by the owning department, the reserved slot is not found by what it hides.
    only = f"?department={owner.department_id}"

    def filtered(user):
        """Return the summaries of the user's private feed filtered by the owner's department."""
        response = client.get(f"/calendar/private/{user.feed_token(key)}.ics{only}")
        return sorted(str(e["SUMMARY"]) for e in parse_icalendar(response.data).walk("VEVENT"))

    assert filtered(outsider) == ["Internes Treffen"]
    assert filtered(owner) == ["Entwurf des Amts", "Geheime Runde", "Internes Treffen"]


def test_private_feed_token_is_checked_and_resettable(app, client):
    user = make_user()
    db.session.commit()
    token = user.feed_token(app.config["SECRET_KEY"])
    assert client.get(f"/calendar/private/{token}.ics").status_code == 200
    assert client.get(f"/calendar/private/{user.id}-{'0' * 40}.ics").status_code == 404
    assert client.get("/calendar/private/nonsense.ics").status_code == 404
    user.reset_feed_token()
    db.session.commit()
    assert client.get(f"/calendar/private/{token}.ics").status_code == 404


def test_single_event_download_is_a_publish_calendar(client):
    staff = make_user()
    event = _published(staff, visibility="public", start=SUMMER, end=SUMMER.replace(hour=20))
    db.session.commit()
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    cal = parse_icalendar(response.data)
    assert cal["METHOD"] == "PUBLISH"
    assert python_instants(cal) == icaljs_instants(response.data)
    assert (
        client.get(f"/events/{_published(staff).id}.ics").status_code == 404
    )  # internal, anonymous


def test_feed_keeps_serialised_events_and_renders_again_after_a_venue_change(client):
    staff = make_user()
    venue = make_venue(name="Alter Saal")
    event = _published(staff, visibility="public", venue_id=venue.id)
    db.session.commit()
    assert b"Alter Saal" in client.get("/calendar.ics").data
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert stored.ics_cache and b"Alter Saal" in stored.ics_cache and stored.ics_cache_key
    venue.name = "Neuer Saal"
    db.session.commit()
    body = client.get("/calendar.ics").data
    assert b"Neuer Saal" in body and b"Alter Saal" not in body


def test_feed_answers_304_to_if_modified_since_alone(client):
    staff = make_user()
    event = _published(staff, visibility="public")
    db.session.commit()
    first = client.get("/calendar.ics")
    stamp = first.headers["Last-Modified"]
    again = client.get("/calendar.ics", headers={"If-Modified-Since": stamp})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    older = client.get(
        "/calendar.ics", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert older.status_code == 200 and b"BEGIN:VEVENT" in older.data
    update_event(event, EventInput.from_event(event).replace(title="Neu"), actor=staff, now=NOW)
    db.session.commit()
    # A stale ETag wins over a fresh-looking date: the client's copy is not the current one.
    both = client.get(
        "/calendar.ics",
        headers={"If-None-Match": first.headers["ETag"], "If-Modified-Since": stamp},
    )
    assert both.status_code == 200 and b"SUMMARY:Neu" in both.data


def test_feed_takes_a_date_range_of_local_days(client):
    staff = make_user()
    late = datetime(2026, 12, 31, 22, 0)
    _published(
        staff, title="Dezember", visibility="public", start=late, end=late.replace(minute=59)
    )
    _published(staff, title="Januar", visibility="public", start=datetime(2027, 1, 15, 18, 0))
    # 00:30 local on 1 February is still 31 January in UTC.
    _published(staff, title="Februar", visibility="public", start=datetime(2027, 2, 1, 0, 30))
    db.session.commit()

    def titles(query):
        """Return the summaries of the city feed for a query string."""
        response = client.get("/calendar.ics" + query)
        assert response.status_code == 200, query
        return sorted(str(e["SUMMARY"]) for e in parse_icalendar(response.data).walk("VEVENT"))

    assert titles("?from=2027-01-01&to=2027-01-31") == ["Januar"]
    assert titles("?from=2026-12-31&to=2026-12-31") == ["Dezember"]
    assert titles("?from=2027-02-01") == ["Februar"]
    assert titles("?to=2027-01-31") == ["Dezember", "Januar"]
    department = client.get(f"/calendar/departments/{staff.department.code}.ics?to=2026-12-31")
    assert [str(e["SUMMARY"]) for e in parse_icalendar(department.data).walk("VEVENT")] == [
        "Dezember"
    ]
    bad = client.get("/calendar.ics?from=31.01.2027")
    assert bad.status_code == 422 and b"from" in bad.data
    backwards = client.get("/calendar.ics?from=2027-02-01&to=2027-01-01")
    assert backwards.status_code == 422 and b"to" in backwards.data
