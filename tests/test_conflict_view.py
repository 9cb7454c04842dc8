"""The communications team's conflict view: pages, position after a review, the period's
field errors, the CSV export, and conflict wording that names the cause and the other event."""

import csv
import io
import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from flask import g, session

from app.accounts.models import Role
from app.conflicts import export, listing
from app.conflicts.engine import Proposal, check
from app.events.operations import proposal_for
from app.events.validation import EventInput
from app.extensions import db
from tests.conftest import Browser
from tests.factories import PASSWORD, make_event, make_user, make_venue

FIRST = date(2027, 3, 1)
URL = "/conflicts/?from=2027-03-01&to=2027-03-31&kind=venue"


@contextmanager
def english(app):
    """Run domain code as in a request of an English-speaking user."""
    with app.test_request_context():
        g.pop("_flask_babel", None)  # the test's app context caches the locale in g
        session["lang"] = "en"
        try:
            yield
        finally:
            g.pop("_flask_babel", None)


def _double_bookings(n: int = 30):
    """Create n venue conflicts, one a day from 1 March 2027, and return the owner."""
    owner = make_user()
    hall = make_venue(name="Ratssaal")
    for day in range(n):
        start = datetime.combine(FIRST + timedelta(days=day), datetime.min.time()) + timedelta(
            hours=10
        )
        make_event(owner, title=f"Sitzung {day + 1}", venue_id=hall.id, start=start)
        make_event(owner, title=f"Probe {day + 1}", venue_id=hall.id, start=start)
    return owner


def _comms(app):
    comms = make_user(Role.COMMS, department=None, locale="en")
    db.session.commit()
    browser = Browser(app.test_client())
    browser.login(comms.email, PASSWORD)
    return browser


def _rows(page: str) -> list[str]:
    return re.findall(r'<li class="conflict conflict--\w+[^"]*" id="(conflict-[\w-]+)"', page)


def test_the_list_shows_25_conflicts_a_page_with_plain_links_keeping_the_filters(app):
    _double_bookings()
    browser = _comms(app)
    first = browser.get(URL).get_data(as_text=True)
    assert len(_rows(first)) == 25 and "Page 1 of 2" in first
    (next_link,) = set(re.findall(r'href="([^"]+)" rel="next"', first))  # above and below
    query = parse_qs(urlsplit(next_link.replace("&amp;", "&")).query)
    assert query["page"] == ["2"] and query["kind"] == ["venue"] and query["to"] == ["2027-03-31"]
    second = browser.get(next_link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(_rows(second)) == 5 and 'rel="prev"' in second
    assert not set(_rows(first)) & set(_rows(second))
    assert "30 conflicts: 0 blocking, 30 warnings, 0 notes." in first


def test_density_overview_comes_first_in_its_own_scrolling_box(app):
    _double_bookings(2)
    page = _comms(app).get(URL).get_data(as_text=True)
    assert page.index('id="density-heading"') < page.index('id="conflicts-heading"')
    assert page.index('id="density-heading"') < page.index('class="conflict-list"')
    box = re.search(r'<div class="density-figure__scroll"[^>]*>', page).group(0)
    assert 'tabindex="0"' in box and 'role="region"' in box and 'aria-label="' in box


def test_the_review_form_is_inline_and_the_review_returns_to_the_same_row(app):
    _double_bookings()
    browser = _comms(app)
    url = URL + "&page=2"
    page = browser.get(url).get_data(as_text=True)
    assert "<details" not in page.split('id="conflicts-heading"')[1]
    assert page.count('action="/conflicts/review"') == 5
    row = _rows(page)[0]
    key = re.search(rf'id="{row}".*?name="key"[^>]*value="([^"]+)"', page, re.S).group(1)
    response = browser.post(
        "/conflicts/review",
        {"key": key, "day": "2027-03-26", "resolve": "1", "note": "Saal geteilt", "next": url},
        form_page=url,
    )
    target = urlsplit(response.headers["Location"])
    assert response.status_code == 302 and target.fragment == row
    query = parse_qs(target.query)
    assert query["page"] == ["2"] and query["kind"] == ["venue"] and query["shown"] == [key]
    back = browser.get(f"{target.path}?{target.query}").get_data(as_text=True)
    # The resolved conflict stays where it was (no jump), marked as resolved.
    assert _rows(back) == _rows(page) and "Saal geteilt" in back
    assert re.search(rf'id="{row}"', back) and "Resolved" in back
    # Later visits leave it out: the filter shows unresolved conflicts.
    assert row not in _rows(browser.get(url).get_data(as_text=True))
    # An incomplete review also goes back to the row.
    refused = browser.post("/conflicts/review", {"key": key, "day": "", "next": url}, form_page=url)
    assert urlsplit(refused.headers["Location"]).fragment == row


def test_an_end_before_the_start_is_a_field_error_and_keeps_the_input(app):
    browser = _comms(app)
    response = browser.get("/conflicts/?from=2027-03-10&to=2027-03-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Until: The end date is before the start." in page
    assert re.search(r'id="c-to" name="to" value="2027-03-01" aria-invalid="true"', page)
    assert 'id="c-to-error"' in page and 'class="conflict-list"' not in page
    assert '<label class="kern-label" for="c-to">Until</label>' in page


def test_the_csv_export_has_every_filtered_conflict_with_bom_and_labels(app):
    _double_bookings()
    browser = _comms(app)
    page = browser.get(URL).get_data(as_text=True)
    link = re.search(r'href="(/conflicts/export\.csv\?[^"]+)"', page).group(1).replace("&amp;", "&")
    response = browser.get(link)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Kind",
        "Severity",
        "Date",
        "Time",
        "Venue",
        "Event",
        "Other events",
        "Departments",
        "Description",
        "Review",
    ]
    assert len(rows) == 31  # all pages, not only the first 25
    first = rows[1]
    assert first[:3] == ["Venue", "Warning", "01/03/2027"] and first[4] == "Ratssaal"
    assert {first[5], first[6]} == {"Sitzung 1", "Probe 1"} and first[9] == "Open"
    assert first[3] == "10:00–12:00 / 10:00–12:00"
    only_march_2 = browser.get(link.replace("from=2027-03-01", "from=2027-03-02"))
    assert len(only_march_2.data.decode("utf-8-sig").splitlines()) == 30


def test_staff_may_not_export_and_hidden_events_stay_hidden_in_the_csv(app, client):
    owner, staff = make_user(), make_user()
    hall = make_venue(name="Ratssaal")
    secret = make_event(
        owner,
        title="Geheime Sitzung",
        visibility="confidential",
        venue_id=hall.id,
        start=datetime(2027, 3, 3, 10),
    )
    make_event(staff, title="Bürgersprechstunde", venue_id=hall.id, start=datetime(2027, 3, 3, 11))
    db.session.commit()
    with english(app):
        items = listing.conflicts_between(staff, FIRST, date(2027, 3, 31), kinds={"venue"})
        text = export.to_csv(items, staff, "Europe/Berlin").decode("utf-8-sig")
    assert "Reserved" in text and "Bürgersprechstunde" in text
    assert "Geheime Sitzung" not in text and owner.department.name not in text
    assert str(secret.id) not in text.split("\r\n", 1)[1].split(";")[5]
    browser = Browser(client)
    browser.login(staff.email, PASSWORD)
    assert browser.get("/conflicts/export.csv").status_code == 403


def test_a_venue_conflict_names_the_buffer_that_causes_it(app):
    staff = make_user()
    hall = make_venue(setup_minutes=45)
    make_event(
        staff,
        title="Erste",
        status="published",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 10),
        end=datetime(2027, 2, 3, 12),
    )
    with english(app):
        start = datetime(2027, 2, 3, 12, 30)
        data = EventInput(
            title="Probe", start=start, end=start + timedelta(hours=1), venue_id=hall.id
        )
        (buffered,) = [
            c for c in check(proposal_for(data, actor=staff), staff) if c.kind == "venue"
        ]
        same = EventInput(title="Probe", start=datetime(2027, 2, 3, 11), venue_id=hall.id)
        (at_once,) = [
            c
            for c in check(
                proposal_for(same.replace(end=same.start + timedelta(hours=2)), actor=staff), staff
            )
            if c.kind == "venue"
        ]
    assert "the times overlap only with 45 minutes of setup for your event" in buffered.message
    assert "Same venue at the same time." in at_once.message
    assert "setup" not in at_once.message.split(".")[0]


def test_the_list_names_both_buffers_of_a_double_booking(app):
    staff = make_user()
    hall = make_venue(setup_minutes=30, teardown_minutes=15)
    make_event(staff, title="Vormittag", venue_id=hall.id, start=datetime(2027, 2, 3, 10))
    make_event(staff, title="Mittag", venue_id=hall.id, start=datetime(2027, 2, 3, 12, 30))
    with english(app):
        (item,) = listing.conflicts_between(staff, date(2027, 2, 3), date(2027, 2, 3))
        message = str(item.conflict.message)
    assert (
        "only with 15 minutes of teardown after “Vormittag” and 30 minutes of setup for “Mittag”"
    ) in message


def test_the_form_panel_links_other_events_by_title_and_hides_reserved_ones(app, browser):
    owner, staff = make_user(), make_user(locale="en")
    hall = make_venue(name="Ratssaal")
    visible = make_event(
        owner,
        title="Sitzung des Rates",
        status="published",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 17),
    )
    secret = make_event(
        owner,
        title="Geheime Sitzung",
        visibility="confidential",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 18),
    )
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    form = {
        "title": "Neujahrsempfang",
        "start_date": "2027-02-03",
        "start_time": "18:00",
        "end_date": "2027-02-03",
        "end_time": "20:00",
        "venue_id": str(hall.id),
        "department": staff.department.code,
        "visibility": "internal",
        "max_plus_ones": "0",
    }
    page = browser.post("/conflicts/check", form, form_page="/events/new").get_data(as_text=True)
    assert f'href="/events/{visible.id}">Sitzung des Rates</a>' in page
    assert "Reserved" in page and "Geheime Sitzung" not in page
    assert f"/events/{secret.id}" not in page
    assert not re.search(r"(Event|Veranstaltung) \d+", page)


def test_proposal_messages_keep_their_cause_for_stored_events(app):
    staff = make_user()
    hall = make_venue(teardown_minutes=60)
    make_event(staff, title="Abend", venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    later = make_event(staff, title="Spät", venue_id=hall.id, start=datetime(2027, 2, 3, 20, 30))
    with english(app):
        (hit,) = [c for c in check(Proposal.from_event(later), staff) if c.kind == "venue"]
    assert "60 minutes of teardown after “Abend”" in hit.message
