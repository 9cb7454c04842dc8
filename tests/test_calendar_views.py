"""Calendar pages, the event detail page and the event form, through HTTP."""

from datetime import date, datetime, timedelta

from app.accounts.models import Role
from app.events.models import Event, Status
from app.extensions import db
from tests.factories import login, make_department, make_event, make_user, make_venue

TODAY = date.today()
SOON = datetime.combine(TODAY + timedelta(days=2), datetime.min.time()).replace(hour=10)


def test_anonymous_visitor_sees_public_agenda_only(client):
    staff = make_user()
    make_event(
        staff,
        title="Bürgerfest im Park",
        visibility="public",
        status="published",
        start=SOON,
        end=SOON + timedelta(hours=2),
    )
    make_event(
        staff,
        title="Interne Dienstbesprechung",
        status="published",
        start=SOON,
        end=SOON + timedelta(hours=1),
    )
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Bürgerfest im Park" in page and "Interne Dienstbesprechung" not in page
    assert "Bürgerfest im Park" in client.get("/public").get_data(as_text=True)


def test_logged_in_staff_see_internal_events_and_own_drafts(browser):
    staff = login(browser)
    other = make_user()
    make_event(staff, title="Eigener Entwurf", start=SOON, end=SOON + timedelta(hours=1))
    make_event(other, title="Fremder Entwurf", start=SOON, end=SOON + timedelta(hours=1))
    make_event(
        other,
        title="Fremd veröffentlicht",
        status="published",
        start=SOON,
        end=SOON + timedelta(hours=1),
    )
    db.session.commit()
    page = browser.get("/").get_data(as_text=True)
    assert "Eigener Entwurf" in page and "Fremd veröffentlicht" in page
    assert "Fremder Entwurf" not in page


def test_confidential_event_shows_as_reserved_to_other_departments(browser):
    login(browser)
    venue = make_venue(name="Ratssaal")
    owner = make_user()
    event = make_event(
        owner,
        title="Vertrauliche Runde",
        visibility="confidential",
        status="published",
        venue_id=venue.id,
        start=SOON,
        end=SOON + timedelta(hours=1),
    )
    db.session.commit()
    for url in (
        "/",
        f"/week?date={SOON.date()}",
        f"/month?month={SOON:%Y-%m}",
        f"/events/{event.id}",
    ):
        page = browser.get(url).get_data(as_text=True)
        assert "Vertrauliche Runde" not in page, url
        assert "Reserviert" in page, url
    assert "Ratssaal" in browser.get(f"/events/{event.id}").get_data(as_text=True)


def test_month_and_week_views_place_events_on_their_days(browser):
    staff = login(browser)
    make_event(
        staff,
        title="Dreitägige Messe",
        all_day=True,
        start=date(2027, 2, 10),
        end=date(2027, 2, 12),
    )
    db.session.commit()
    month = browser.get("/month?month=2027-02").get_data(as_text=True)
    assert month.count("Dreitägige Messe") == 3
    assert "Februar 2027" in month
    week = browser.get("/week?date=2027-02-11").get_data(as_text=True)
    assert week.count("Dreitägige Messe") == 3
    assert browser.get("/month?month=garbage").status_code == 200


def test_filters_narrow_the_agenda(browser):
    staff = login(browser)
    venue = make_venue()
    make_event(staff, title="Im Saal", venue_id=venue.id, start=SOON, end=SOON + timedelta(hours=1))
    make_event(
        staff, title="Draußen", location="Marktplatz", start=SOON, end=SOON + timedelta(hours=1)
    )
    db.session.commit()
    page = browser.get(f"/?venue={venue.id}").get_data(as_text=True)
    assert "Im Saal" in page and "Draußen" not in page
    page = browser.get("/?status=cancelled").get_data(as_text=True)
    assert "Im Saal" not in page
    assert "Draußen" in browser.get("/?mine=1").get_data(as_text=True)


def test_staff_creates_event_through_the_form(browser):
    staff = login(browser)
    venue = make_venue()
    form = {
        "title": "Neujahrsempfang",
        "start_date": "2027-01-15",
        "start_time": "18:00",
        "end_date": "2027-01-15",
        "end_time": "21:00",
        "venue_id": str(venue.id),
        "department": staff.department.code,
        "visibility": "public",
        "max_plus_ones": "1",
        "publish": "1",
    }
    response = browser.post("/events/new", form)
    assert response.status_code == 302
    event = db.session.scalars(db.select(Event)).one()
    assert response.headers["Location"].endswith(f"/events/{event.id}")
    assert event.status == Status.PUBLISHED and event.start_local == datetime(2027, 1, 15, 18)
    assert event.department == staff.department and event.venue == venue


def test_form_errors_name_the_field_and_nothing_is_written(browser):
    staff = login(browser)
    form = {
        "title": "",
        "start_date": "2027-03-28",
        "start_time": "02:30",
        "end_date": "2027-03-28",
        "end_time": "04:00",
        "department": staff.department.code,
        "visibility": "internal",
        "max_plus_ones": "0",
        "save": "1",
    }
    response = browser.post("/events/new", form, form_page="/events/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error"' in page and 'id="start_date-error"' in page
    assert "Zeitumstellung" in page
    assert db.session.scalar(db.select(db.func.count(Event.id))) == 0


def test_staff_cannot_edit_other_departments_events(browser):
    login(browser)
    event = make_event(make_user(), status="published")
    draft = make_event(make_user())
    db.session.commit()
    assert browser.get(f"/events/{event.id}/edit").status_code == 403
    response = browser.post(f"/events/{event.id}/cancel", form_page="/events/new")
    assert response.status_code == 403
    assert db.session.get(Event, event.id).status == Status.PUBLISHED
    # A draft they may not even see answers 404, like its page.
    assert browser.get(f"/events/{draft.id}/edit").status_code == 404


def test_edit_form_keeps_values_and_bumps_sequence_on_time_change(browser):
    staff = login(browser)
    event = make_event(
        staff, title="Sitzung", start=datetime(2027, 1, 20, 9, 0), end=datetime(2027, 1, 20, 11, 0)
    )
    db.session.commit()
    page = browser.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="Sitzung"' in page and 'value="2027-01-20"' in page and 'value="09:00"' in page
    form = {
        "title": "Sitzung",
        "start_date": "2027-01-20",
        "start_time": "10:00",
        "end_date": "2027-01-20",
        "end_time": "12:00",
        "visibility": "internal",
        "max_plus_ones": "0",
        "save": "1",
    }
    assert browser.post(f"/events/{event.id}/edit", form).status_code == 302
    db.session.refresh(event)
    assert event.sequence == 1 and event.start_local.hour == 10


def test_cancel_asks_for_confirmation_then_keeps_the_event(browser):
    staff = login(browser)
    event = make_event(staff, status="published")
    db.session.commit()
    confirm = browser.get(f"/events/{event.id}/cancel")
    assert confirm.status_code == 200 and "absagen" in confirm.get_data(as_text=True)
    assert db.session.get(Event, event.id).status == Status.PUBLISHED
    response = browser.post(f"/events/{event.id}/cancel", form_page=f"/events/{event.id}/cancel")
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.status == Status.CANCELLED
    assert "abgesagt" in browser.get(f"/events/{event.id}").get_data(as_text=True)


def test_publish_button_publishes_a_draft(browser):
    staff = login(browser)
    event = make_event(staff)
    db.session.commit()
    response = browser.post(f"/events/{event.id}/publish", form_page=f"/events/{event.id}")
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.status == Status.PUBLISHED and event.published_at is not None


def test_comms_may_create_for_any_department(browser):
    login(browser, Role.COMMS, department=None)
    target = make_department(code="kultur")
    db.session.commit()
    form = {
        "title": "Kulturabend",
        "start_date": "2027-01-15",
        "start_time": "19:00",
        "end_date": "2027-01-15",
        "end_time": "22:00",
        "department": "kultur",
        "visibility": "internal",
        "max_plus_ones": "0",
        "save": "1",
    }
    assert browser.post("/events/new", form).status_code == 302
    assert db.session.scalars(db.select(Event)).one().department == target


def test_hidden_events_answer_404_not_403(browser, client):
    event = make_event(make_user(), title="Geheim")
    db.session.commit()
    assert client.get(f"/events/{event.id}").status_code == 404
    login(browser)
    assert browser.get(f"/events/{event.id}").status_code == 404
    assert browser.get("/events/999999").status_code == 404
