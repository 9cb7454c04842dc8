"""Calendar pages, the event detail page and the event form, through HTTP."""

import re
from datetime import date, datetime, timedelta

from app.accounts.models import Role
from app.events import operations
from app.events.models import Event, Status
from app.extensions import db
from tests.factories import NOW, login, make_department, make_event, make_user, make_venue

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
    assert "Bürgerfest im Park" in client.get("/public", follow_redirects=True).get_data(
        as_text=True
    )


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
    assert month.count(">Dreitägige Messe</a>") == 3  # the link text; its title repeats it
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


def _search_events(staff):
    """Create events to search: by title, description, free location and venue name."""
    hall = make_venue(name="Bürgerhaus Hörde")
    make_event(staff, title="Straßenfest Nordmarkt", start=SOON, end=SOON + timedelta(hours=1))
    make_event(
        staff,
        title="Sitzung",
        description="Thema: Grünflächen im Quartier",
        start=SOON,
        end=SOON + timedelta(hours=1),
    )
    make_event(staff, title="Lesung", venue_id=hall.id, start=SOON, end=SOON + timedelta(hours=1))
    make_event(
        staff, title="Konzert", location="Westfalenpark", start=SOON, end=SOON + timedelta(hours=1)
    )
    db.session.commit()


def test_search_finds_title_description_and_place_ignoring_case_and_umlauts(browser):
    _search_events(login(browser))
    for q, found in [
        ("strassenfest", "Straßenfest Nordmarkt"),
        ("GRUENFLÄCHEN", "Sitzung"),
        ("burgerhaus horde", "Lesung"),
        ("westfalen", "Konzert"),
    ]:
        page = browser.get(f"/?q={q}").get_data(as_text=True)
        titles = {t for t in ("Straßenfest", "Sitzung", "Lesung", "Konzert") if t in page}
        assert titles == {found.split()[0]}, q
    week = browser.get(f"/week?date={SOON.date()}&q=lesung").get_data(as_text=True)
    month = browser.get(f"/month?month={SOON:%Y-%m}&q=lesung").get_data(as_text=True)
    assert "Lesung" in week and "Konzert" not in week
    assert "Lesung" in month and "Konzert" not in month
    assert 'value="lesung"' in month  # the search field keeps the term


def test_search_keeps_the_other_filters_and_escapes_wildcards(browser):
    staff = login(browser)
    venue = make_venue(name="Rathaus")
    make_event(
        staff, title="Empfang A", venue_id=venue.id, start=SOON, end=SOON + timedelta(hours=1)
    )
    make_event(
        staff, title="Empfang B", location="Hafen", start=SOON, end=SOON + timedelta(hours=1)
    )
    db.session.commit()
    page = browser.get(f"/?q=empfang&venue={venue.id}").get_data(as_text=True)
    assert "Empfang A" in page and "Empfang B" not in page
    assert "Empfang" not in browser.get("/?q=%25").get_data(as_text=True).split("</form>")[-1]


def test_search_does_not_reveal_what_a_reserved_event_is_about(browser):
    login(browser)
    make_event(
        make_user(),
        title="Geheimtreffen",
        description="Kennwort Löwenzahn",
        location="Ratssaal",
        visibility="confidential",
        status="published",
        start=SOON,
        end=SOON + timedelta(hours=1),
    )
    db.session.commit()
    for q in ("geheimtreffen", "loewenzahn"):
        assert "Reserviert" not in browser.get(f"/?q={q}").get_data(as_text=True), q
    assert "Reserviert" in browser.get("/?q=ratssaal").get_data(as_text=True)


def test_public_agenda_searches_without_draft_filter(client):
    staff = make_user()
    make_event(
        staff,
        title="Bürgerfest im Park",
        visibility="public",
        status="published",
        start=SOON,
        end=SOON + timedelta(hours=2),
    )
    db.session.commit()
    page = client.get("/public?q=buergerfest", follow_redirects=True).get_data(as_text=True)
    assert "Bürgerfest im Park" in page and 'value="draft"' not in page
    assert "Bürgerfest" not in client.get("/public?q=jazz", follow_redirects=True).get_data(
        as_text=True
    )


def test_print_view_drops_navigation_and_filters_but_keeps_the_query(browser):
    _search_events(login(browser))
    for url in ("/", f"/week?date={SOON.date()}", f"/month?month={SOON:%Y-%m}"):
        screen = browser.get(url + ("&" if "?" in url else "?") + "q=lesung").get_data(as_text=True)
        link = re.search(r'class="kern-link print-link" href="\?([^"]*)"', screen).group(1)
        assert "print=1" in link and "q=lesung" in link, url
        printed = browser.get(f"{url.split('?')[0]}?{link.replace('&amp;', '&')}")
        page = printed.get_data(as_text=True)
        assert printed.status_code == 200 and "Lesung" in page and "Konzert" not in page
        assert 'class="filter-bar"' not in page and 'class="site-header"' not in page
        assert "print-link" not in page and 'class="calendar-print"' in page


def test_month_titles_are_whole_with_a_title_attribute(browser):
    staff = login(browser)
    title = "Informationsveranstaltung zur Kommunalen Wärmeplanung"
    event = make_event(staff, title=title, start=SOON, end=SOON + timedelta(hours=1))
    operations.set_status(event, Status.CANCELLED, actor=staff, now=NOW)
    db.session.commit()
    page = browser.get(f"/month?month={SOON:%Y-%m}").get_data(as_text=True)
    assert f'title="{title} (Abgesagt)">{title}</a>' in page


def test_month_more_link_keeps_the_filters(browser):
    staff = login(browser)
    day = datetime(2027, 3, 9, 8, 0)
    for hour in range(8):
        start = day + timedelta(hours=hour)
        make_event(staff, title=f"Termin {hour}", start=start, end=start + timedelta(minutes=30))
    db.session.commit()
    page = browser.get("/month?month=2027-03&q=Termin&mine=1&lang=de").get_data(as_text=True)
    link = re.search(r'href="(/\?[^"]*)">2 weitere', page)
    assert link, "the day with eight events links to the rest"
    target = link.group(1).replace("&amp;", "&")
    assert "q=Termin" in target and "mine=1" in target and "from=2027-03-09" in target
    assert "month=" not in target and "lang=" not in target
    listed = browser.get(target).get_data(as_text=True)
    assert listed.count("Termin ") >= 8
