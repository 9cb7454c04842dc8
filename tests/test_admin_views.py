"""Administration pages: accounts, departments, venues, vocabularies; the own account page."""

from app.accounts.models import Role, User
from app.departments.models import Department
from app.extensions import db
from app.venues.models import Venue
from app.vocabularies.models import Audience, District
from tests.factories import PASSWORD, make_department, make_user


def _admin(browser) -> User:
    """Log in as an administrator."""
    admin = make_user(Role.ADMIN, department=None)
    db.session.commit()
    browser.login(admin.email, PASSWORD)
    return admin


def test_admin_creates_and_edits_an_account(browser):
    _admin(browser)
    department = make_department(code="umwelt", name="Umweltamt")
    db.session.commit()
    form = {
        "email": "Neu.Person@Stadt.Example",
        "name": "Neue Person",
        "role": "staff",
        "department": "umwelt",
        "locale": "de",
        "password": "ein-sicheres-passwort",
        "active": "y",
    }
    assert browser.post("/admin/users/new", form).status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="neu.person@stadt.example"))
    assert user.department == department and user.check_password("ein-sicheres-passwort")
    assert "Neue Person" in browser.get("/admin/users").get_data(as_text=True)
    form = form | {"role": "comms", "department": "", "password": "", "active": ""}
    assert browser.post(f"/admin/users/{user.id}", form).status_code == 302
    db.session.refresh(user)
    assert user.role == Role.COMMS and not user.active
    assert user.check_password("ein-sicheres-passwort")  # empty keeps the password


def test_account_form_errors_are_shown(browser):
    _admin(browser)
    form = {
        "email": "a@stadt.example",
        "name": "A",
        "role": "staff",
        "department": "",
        "locale": "de",
        "password": "kurz",
    }
    response = browser.post("/admin/users/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="password-error"' in page
    assert 'id="department-error"' in page


def test_admin_manages_departments(browser):
    _admin(browser)
    form = {"code": "kultur", "name": "Kulturbüro", "email": "kultur@stadt.example", "active": "y"}
    assert browser.post("/admin/departments/new", form).status_code == 302
    assert db.session.scalar(db.select(Department).filter_by(code="kultur")).name == "Kulturbüro"
    again = browser.post("/admin/departments/new", form | {"name": "Doppelt"})
    assert again.status_code == 200 and "vergeben" in again.get_data(as_text=True)
    bad = browser.post("/admin/departments/new", form | {"code": "Groß Buchstaben"})
    assert 'id="code-error"' in bad.get_data(as_text=True)


def test_admin_manages_venues_and_staff_only_read_them(browser, client):
    _admin(browser)
    district = District(code="hoerde", name="Hörde")
    db.session.add(district)
    db.session.commit()
    form = {
        "name": "Ratssaal",
        "address": "Friedensplatz 1",
        "district_id": str(district.id),
        "capacity": "120",
        "setup_minutes": "30",
        "teardown_minutes": "15",
        "exclusive": "y",
        "accessibility_notes": "Aufzug vorhanden",
        "active": "y",
    }
    assert browser.post("/venues/new", form).status_code == 302
    venue = db.session.scalar(db.select(Venue))
    assert (venue.capacity, venue.setup_minutes, venue.exclusive) == (120, 30, True)
    assert venue.district == district
    listing = browser.get("/venues/").get_data(as_text=True)
    assert "Ratssaal" in listing and "Aufzug vorhanden" in listing
    assert (
        browser.post(f"/venues/{venue.id}/edit", form | {"setup_minutes": "-5"}).status_code == 422
    )


def test_admin_manages_vocabularies(browser):
    _admin(browser)
    form = {"code": "presse", "name": "Presse", "name_en": "Press", "active": "y"}
    assert browser.post("/admin/vocabularies/audiences/new", form).status_code == 302
    term = db.session.scalar(db.select(Audience))
    assert term.label("en") == "Press" and term.label("de") == "Presse"
    assert browser.get("/admin/vocabularies/unknown").status_code == 404
    assert "presse" in browser.get("/admin/vocabularies/audiences").get_data(as_text=True)


def test_account_page_shows_feed_address_and_reset_replaces_it(app, browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    old = user.feed_token(app.config["SECRET_KEY"])
    assert old in browser.get("/account").get_data(as_text=True)
    assert browser.post("/account/feed-reset", form_page="/account").status_code == 302
    db.session.refresh(user)
    assert user.feed_token(app.config["SECRET_KEY"]) != old
    response = browser.post("/account", {"locale": "en"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locale == "en"
