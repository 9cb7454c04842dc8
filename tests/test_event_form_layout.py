"""The event form through HTTP: the own department is never a co-host, the compact lists."""

import re

from app.accounts.models import Role
from app.events.models import Event
from app.extensions import db
from tests.factories import login, make_department, make_event, make_user

FORM = {
    "title": "Stadtteilfest",
    "start_date": "2027-05-15",
    "start_time": "14:00",
    "end_date": "2027-05-15",
    "end_time": "18:00",
    "visibility": "internal",
    "max_plus_ones": "0",
    "save": "1",
}


def _co_host_values(page: str) -> list[str]:
    """Return the co-host checkbox values a page offers (enabled and not hidden)."""
    box = page[page.index('id="co_hosts-options"') :]
    box = box[: box.index("</fieldset>")]
    offered = []
    for item in re.findall(r'<div class="kern-form-check"([^>]*)>\s*<input([^>]*)>', box):
        if "hidden" not in item[0] and "disabled" not in item[1]:
            offered.append(re.search(r'value="([^"]*)"', item[1]).group(1))
    return offered


def test_new_event_form_does_not_offer_the_own_department_as_co_host(browser):
    staff = login(browser)
    other = make_department(code="kulturbuero", name="Kulturbüro")
    db.session.commit()
    page = browser.get("/events/new").get_data(as_text=True)
    assert _co_host_values(page) == [other.code]
    assert f'value="{staff.department.code}"' not in page[page.index('id="co_hosts"') :]


def test_edit_form_does_not_offer_the_owning_department_as_co_host(browser):
    comms = login(browser, Role.COMMS, department=None)
    owner, other = make_department(code="jugendamt"), make_department(code="sportamt")
    event = make_event(make_user(department=owner), co_hosts=[other.code])
    db.session.commit()
    page = browser.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert "jugendamt" not in _co_host_values(page) and "sportamt" in _co_host_values(page)
    assert re.search(r'value="sportamt"[^>]*checked|checked[^>]*value="sportamt"', page)
    assert comms.department is None


def test_own_department_as_co_host_is_refused_with_a_field_error(browser):
    staff = login(browser)
    other = make_department()
    db.session.commit()
    form = FORM | {"department": staff.department.code, "co_hosts": [staff.department.code]}
    response = browser.post("/events/new", form, form_page="/events/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="co_hosts-error"' in page
    assert "Das federführende Amt kann nicht zugleich mitveranstaltendes Amt sein." in page
    assert db.session.scalar(db.select(db.func.count(Event.id))) == 0
    ok = browser.post("/events/new", form | {"co_hosts": [other.code]}, form_page="/events/new")
    assert ok.status_code == 302


def test_comms_list_follows_the_chosen_department(browser):
    login(browser, Role.COMMS, department=None)
    first, second = make_department(name="A-Amt"), make_department(name="B-Amt")
    db.session.commit()
    page = browser.get("/events/new").get_data(as_text=True)
    # The first department is preselected, so it is hidden (and disabled) among the co-hosts.
    assert _co_host_values(page) == [second.code]
    assert 'data-follow="department"' in page
    chosen = browser.post(
        "/events/new",
        FORM | {"department": second.code, "co_hosts": [first.code, second.code]},
        form_page="/events/new",
    ).get_data(as_text=True)
    assert 'id="co_hosts-error"' in chosen and _co_host_values(chosen) == [first.code]


def test_conflict_check_follows_date_time_and_place_in_the_page(browser):
    login(browser)
    make_department()
    db.session.commit()
    page = browser.get("/events/new").get_data(as_text=True)
    order = [
        page.index('id="start_date"'),
        page.index('id="venue_id"'),
        page.index('id="conflict-panel"'),
        page.index('id="co_hosts"'),
        page.index('id="audiences"'),
    ]
    assert order == sorted(order)
    assert 'hx-include="closest form"' in page
    # Without JavaScript the filter stays hidden and every option is a plain checkbox.
    assert re.search(r'class="kern-form-input choice-list__filter" hidden', page)
    assert '<script src="/static/js/choice-filter.js" defer></script>' in page


def test_chosen_co_hosts_are_named_under_the_list(browser):
    staff = login(browser)
    partner = make_department(name="Umweltamt")
    event = make_event(staff, co_hosts=[partner.code])
    db.session.commit()
    page = browser.get(f"/events/{event.id}/edit").get_data(as_text=True)
    chosen = re.search(r'id="co_hosts-chosen"[^>]*>([^<]*)<', page).group(1)
    assert "Umweltamt" in chosen
