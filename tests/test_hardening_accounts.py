"""Issue 8, accounts: hidden events are 404, sessions end, production fails closed, body size
limits, and department codes whatever their letter case."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import request_started

from app import create_app, secret_key_problem
from app.accounts.models import Role, User
from app.departments import staff
from app.departments.models import Department, find_department
from app.events.models import Event, Status
from app.extensions import db
from config import DEV_SECRET_KEY, Config, TestConfig
from tests.conftest import Browser, _fresh_globals
from tests.factories import (
    PASSWORD,
    api_headers,
    make_department,
    make_event,
    make_user,
)

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "Kq3vT9xLmR2pWz8NcY4hBd7FgJ6sAe5U"
NEW_PASSWORD = "a-brand-new-passphrase"


# --------------------------------------------------------------------------- finding 6

# (method, path under the event, expected for another department's draft, ... confidential)
EVENT_ROUTES = [
    ("get", "/events/{id}", 404, 200),
    ("get", "/events/{id}.ics", 404, 200),
    ("get", "/events/{id}/edit", 404, 403),
    ("post", "/events/{id}/edit", 404, 403),
    ("get", "/events/{id}/cancel", 404, 403),
    ("post", "/events/{id}/cancel", 404, 403),
    ("post", "/events/{id}/publish", 404, 403),
    ("get", "/events/{id}/guests/", 404, 403),
    ("get", "/events/{id}/guests/export.csv", 404, 403),
    ("get", "/events/{id}/guests/export.xlsx", 404, 403),
    ("post", "/events/{id}/guests/invite", 404, 403),
    ("post", "/events/{id}/guests/1/answer", 404, 403),
    ("post", "/events/{id}/guests/1/retry", 404, 403),
    ("post", "/conflicts/check/{id}", 404, 403),
]
API_ROUTES = [
    ("get", "/api/v1/events/{id}", None, 404, 200),
    ("patch", "/api/v1/events/{id}", {"title": "Neu"}, 404, 403),
    ("post", "/api/v1/events/{id}/cancel", None, 404, 403),
    ("get", "/api/v1/events/{id}/invitations", None, 404, 403),
    ("post", "/api/v1/events/{id}/invitations", {"guests": []}, 404, 403),
    ("post", "/api/v1/conflicts/check", {"event_id": "{id}"}, 404, 403),
]


@pytest.fixture
def hidden_and_confidential():
    """Return another department's draft and its published confidential event."""
    owner = make_user()
    draft = make_event(owner, title="Entwurf")
    confidential = make_event(
        owner, title="Vertraulich", status="published", visibility="confidential"
    )
    db.session.commit()
    return {"draft": draft.id, "confidential": confidential.id}


@pytest.mark.parametrize(("method", "path", "draft", "confidential"), EVENT_ROUTES)
def test_pages_of_other_departments_drafts_are_404_and_seen_events_403(
    browser, hidden_and_confidential, method, path, draft, confidential
):
    staff = make_user()
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    for kind, expected in (("draft", draft), ("confidential", confidential)):
        url = path.format(id=hidden_and_confidential[kind])
        if method == "get":
            response = browser.get(url)
        else:
            response = browser.post(url, {"response": "accepted"}, form_page="/account")
        assert response.status_code == expected, (kind, url)
    assert db.session.get(Event, hidden_and_confidential["draft"]).status == Status.DRAFT


@pytest.mark.parametrize(("method", "path", "body", "draft", "confidential"), API_ROUTES)
def test_api_of_other_departments_drafts_is_404_and_seen_events_403(
    client, hidden_and_confidential, method, path, body, draft, confidential
):
    headers = api_headers(make_user())
    for kind, expected in (("draft", draft), ("confidential", confidential)):
        event_id = hidden_and_confidential[kind]
        url = path.format(id=event_id)
        json = body
        if body and body.get("event_id") == "{id}":
            json = {"event_id": event_id}
        response = getattr(client, method)(url, json=json, headers=headers)
        assert response.status_code == expected, (kind, url, response.get_data(as_text=True))


def test_hosts_still_reach_their_own_draft(browser):
    staff = make_user()
    draft = make_event(staff)
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    for path in ("/events/{id}/edit", "/events/{id}/cancel", "/events/{id}/guests/"):
        assert browser.get(path.format(id=draft.id)).status_code == 200


# --------------------------------------------------------------------------- finding 7


def _session_copy(app, client) -> "Browser":
    """Return a second client carrying a copy of the first one's cookies (a stolen cookie)."""
    thief = app.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return Browser(thief)


def _logged_in(browser) -> bool:
    """Return True if the client's cookies still open a page that needs a login."""
    response = browser.get("/account")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def test_a_copied_session_cookie_stops_working_after_logout(app, browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    thief = _session_copy(app, browser.client)
    assert _logged_in(thief)
    assert browser.post("/logout", form_page="/account").status_code == 302
    assert not _logged_in(browser)
    assert not _logged_in(thief)


def test_a_copied_remember_cookie_stops_working_after_logout(app, browser):
    user = make_user()
    db.session.commit()
    browser.post("/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    assert browser.client.get_cookie("remember_token") is not None
    thief = app.test_client()
    thief.set_cookie("remember_token", browser.client.get_cookie("remember_token").value)
    assert _logged_in(Browser(thief))  # the remember cookie alone logs in
    thief.delete_cookie("session")
    browser.post("/logout", form_page="/account")
    assert not _logged_in(Browser(thief))


def test_changing_the_own_password_ends_other_sessions_but_keeps_this_one(app, browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    thief = _session_copy(app, browser.client)
    response = browser.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
        form_page="/account",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert _logged_in(browser)
    assert not _logged_in(thief)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)
    fresh = Browser(app.test_client())
    fresh.login(user.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"current_password": "wrong-password-here"}, "current_password"),
        ({"new_password": "short", "repeat_password": "short"}, "new_password"),
        ({"repeat_password": "something-else-entirely"}, "repeat_password"),
    ],
)
def test_password_change_names_the_wrong_field(browser, fields, error_field):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    data = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "repeat_password": NEW_PASSWORD,
    } | fields
    response = browser.post("/account/password", data, form_page="/account")
    assert response.status_code == 422
    assert f'id="{error_field}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)
    assert _logged_in(browser)


def test_password_change_needs_a_csrf_token(browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = browser.client.post("/account/password", data=data | {"repeat_password": "x"})
    assert response.status_code == 400


def test_password_change_is_rate_limited(app, database_url):
    email = make_user().email  # read here: the other app must not load it through our session
    db.session.commit()
    limited = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        LOGIN_RATE_LIMIT="3 per minute",
        RATELIMIT_ENABLED=True,
    )
    request_started.connect(_fresh_globals, limited)
    browser = Browser(limited.test_client())
    with limited.app_context():
        browser.login(email, PASSWORD)
        token = browser.token("/account")
        data = {"current_password": "guess", "new_password": "x", "csrf_token": token}
        codes = [browser.post("/account/password", data).status_code for _ in range(5)]
        anonymous = limited.test_client().post("/account/password", data={"x": "y"})
        assert anonymous.status_code in (302, 400)  # no key error for a visitor without login
        db.session.remove()
        db.engine.dispose()
    assert codes[:3] == [422, 422, 422] and codes[-1] == 429


@pytest.mark.parametrize(
    "change",
    [
        {"role": "comms", "department": ""},
        {"active": ""},
        {"password": "set-by-the-administrator"},
    ],
)
def test_role_change_deactivation_or_new_password_by_admin_end_sessions(app, browser, change):
    user = make_user()
    admin = make_user(Role.ADMIN, department=None)
    db.session.commit()
    browser.login(user.email, PASSWORD)
    assert _logged_in(browser)
    form = {
        "email": user.email,
        "name": user.name,
        "role": "staff",
        "department": user.department.code,
        "locale": "de",
        "active": "y",
    } | change
    admin_browser = Browser(app.test_client())
    admin_browser.login(admin.email, PASSWORD)
    # An unticked checkbox is not sent at all: "active": "" means deactivating.
    form = {k: v for k, v in form.items() if v != "" or k == "department"}
    assert admin_browser.post(f"/admin/users/{user.id}", form).status_code == 302
    assert not _logged_in(browser)


def test_a_name_change_by_admin_keeps_the_session(app, browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    staff.save_user(
        user,
        {
            "email": user.email,
            "name": "Neuer Name",
            "role": "staff",
            "department": user.department.code,
            "locale": "de",
            "active": True,
        },
        now=user.created_at,
    )
    db.session.commit()
    assert _logged_in(browser)


def test_api_tokens_are_unaffected_by_logout_and_sessions_do_not_open_the_api(app, browser):
    user = make_user()
    headers = api_headers(user)
    browser.login(user.email, PASSWORD)
    assert browser.get("/api/v1/events").status_code == 401  # cookies never count there
    browser.post("/logout", form_page="/account")
    assert browser.client.get("/api/v1/events", headers=headers).status_code == 200


# --------------------------------------------------------------------------- finding 8


@pytest.mark.parametrize("name", ["prod", "Production", "staging", "", "testing", " production"])
def test_unknown_environment_names_refuse_to_start(name):
    with pytest.raises(RuntimeError, match="STADTKALENDER_ENV"):
        create_app(Config, SQLALCHEMY_DATABASE_URI="sqlite://", ENV_NAME=name)


def _flask_routes(env: dict) -> subprocess.CompletedProcess:
    """Run `flask routes` in a fresh process with the environment (start-up checks included)."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_environment_variable_prod_stops_the_app_with_a_clear_message():
    result = _flask_routes(os.environ | {"STADTKALENDER_ENV": "prod", "DATABASE_URL": "sqlite://"})
    assert result.returncode != 0
    assert "STADTKALENDER_ENV must be one of development, test, production" in result.stderr


def test_an_unset_environment_name_refuses_to_start_rather_than_run_on_the_dev_key():
    with pytest.raises(RuntimeError, match="STADTKALENDER_ENV is not set"):
        create_app(Config, SQLALCHEMY_DATABASE_URI="sqlite://", ENV_NAME="")
    env = {k: v for k, v in os.environ.items() if k != "STADTKALENDER_ENV"}
    result = _flask_routes(env | {"DATABASE_URL": "sqlite://"})
    assert result.returncode != 0 and "STADTKALENDER_ENV is not set" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "",
        DEV_SECRET_KEY,
        DEV_SECRET_KEY + "-with-a-suffix-that-is-long",
        STRONG_KEY[:31],
        "x" * 64,
        "ab" * 32,
        "0123456789abcde" * 3,
    ],
)
def test_production_refuses_weak_secret_keys(key):
    assert secret_key_problem(key)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not safe for production"):
        create_app(
            Config, SQLALCHEMY_DATABASE_URI="sqlite://", ENV_NAME="production", SECRET_KEY=key
        )


def test_production_accepts_a_generated_key_and_sends_secure_cookies_only_there():
    app = create_app(
        Config, SQLALCHEMY_DATABASE_URI="sqlite://", ENV_NAME="production", SECRET_KEY=STRONG_KEY
    )
    assert app.config["ENV_NAME"] == "production"
    assert secret_key_problem(STRONG_KEY) is None
    assert TestConfig.ENV_NAME == "test"


@pytest.fixture
def dev_mail(app, tmp_path):
    """Turn the /dev/mail pages on, as in development."""
    app.config.update(ENV_NAME="development", MAIL_CATCHER_DIR=str(tmp_path))
    return app


@pytest.mark.parametrize(
    ("role", "expected", "raw"),
    [(None, 302, 302), (Role.STAFF, 403, 403), (Role.COMMS, 403, 403), (Role.ADMIN, 200, 404)],
)
def test_dev_mail_is_for_administrators_only(dev_mail, browser, role, expected, raw):
    if role is not None:
        user = make_user(role, department=None) if role != Role.STAFF else make_user()
        db.session.commit()
        browser.login(user.email, PASSWORD)
    response = browser.get("/dev/mail/")
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]
    assert browser.get("/dev/mail/nope.eml/raw").status_code == raw


@pytest.mark.parametrize("env_name", ["test", "production"])
def test_dev_mail_is_404_outside_development_even_for_administrators(app, browser, env_name):
    admin = make_user(Role.ADMIN, department=None)
    db.session.commit()
    browser.login(admin.email, PASSWORD)
    app.config["ENV_NAME"] = env_name
    assert browser.get("/dev/mail/").status_code == 404
    browser.post("/logout", form_page="/account")
    assert browser.get("/dev/mail/").status_code == 404  # no login redirect that would tell


# --------------------------------------------------------------------------- finding 10


class CountingStream(io.RawIOBase):
    """A 30 MB request body that only counts how much of it was read."""

    size = 30 * 1024 * 1024

    def __init__(self):
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        """Say that the stream can be read."""
        return True

    def seekable(self) -> bool:
        """Let the test client measure the length."""
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move within the virtual body."""
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def tell(self) -> int:
        """Return the position within the virtual body."""
        return self.position

    def readinto(self, buffer) -> int:
        """Deliver filler bytes and count them."""
        count = min(len(buffer), self.size - self.position)
        buffer[:count] = b"a" * count
        self.position += count
        self.read_bytes += count
        return count


def test_a_30_mb_form_gets_413_before_it_is_read(client):
    body = CountingStream()
    response = client.post(
        "/login",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert body.read_bytes == 0
    page = response.get_data(as_text=True)
    assert "kern-heading-large" in page and ("zu groß" in page or "too large" in page)


def test_a_30_mb_api_body_gets_a_json_413(client):
    headers = api_headers(make_user())
    response = client.post(
        "/api/v1/events",
        data=b'{"title": "' + b"x" * (30 * 1024 * 1024) + b'"}',
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 413 and response.is_json
    assert response.json["error"] == "Request Entity Too Large"


def test_imports_may_be_larger_than_other_requests(app, browser):
    app.config.update(MAX_CONTENT_LENGTH=4000, IMPORT_MAX_CONTENT_LENGTH=20000)
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    token = browser.token("/contacts/import")
    csv = "Nachname;E-Mail\n" + "".join(f"Name{i};n{i}@example.org\n" for i in range(300))
    assert 4000 < len(csv) < 20000
    upload = {"csrf_token": token, "file": (io.BytesIO(csv.encode()), "gaeste.csv")}
    assert browser.client.post("/contacts/import", data=upload).status_code != 413
    too_big = {"csrf_token": token, "file": (io.BytesIO(b"x" * 25000), "gaeste.csv")}
    assert browser.client.post("/contacts/import", data=too_big).status_code == 413
    settings = {"csrf_token": token, "locale": "x" * 5000}
    assert browser.client.post("/account", data=settings).status_code == 413


def test_the_size_limits_must_be_positive():
    with pytest.raises(RuntimeError, match="MAX_CONTENT_LENGTH"):
        create_app(Config, SQLALCHEMY_DATABASE_URI="sqlite://", MAX_CONTENT_LENGTH=0)


# --------------------------------------------------------------------------- finding 13


def test_codes_are_stored_lower_case_and_found_whatever_their_case(app):
    department = Department(code=" KULT ", name="Kulturbüro")
    db.session.add(department)
    db.session.flush()
    assert department.code == "kult"
    db.session.expire_all()
    assert db.session.get(Department, department.id).code == "kult"
    assert find_department("Kult") is not None
    assert db.session.scalar(db.select(Department.id).filter_by(code="KULT")) == department.id


def test_cli_creates_and_finds_departments_whatever_their_case(runner):
    result = runner.invoke(args=["departments", "create", "KULT", "Kulturbüro"])
    assert result.exit_code == 0, result.output
    assert "Created department kult" in result.output
    again = runner.invoke(args=["departments", "create", "Kult", "Doppelt"])
    assert again.exit_code == 2 and "exists already" in again.output
    bad = runner.invoke(args=["departments", "create", "Kultur Amt", "Leerzeichen"])
    assert bad.exit_code == 2
    created = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "anna@stadt.example",
            "--name",
            "Anna",
            "--role",
            "staff",
            "--department",
            "KULT",
            "--password",
            PASSWORD,
        ]
    )
    assert created.exit_code == 0, created.output
    user = db.session.scalar(db.select(User).filter_by(email="anna@stadt.example"))
    assert user.department.code == "kult"


def test_forms_accept_upper_case_codes(browser):
    admin = make_user(Role.ADMIN, department=None)
    make_department(code="sozial")
    db.session.commit()
    browser.login(admin.email, PASSWORD)
    form = {"code": "KULT", "name": "Kulturbüro", "email": "", "active": "y"}
    assert browser.post("/admin/departments/new", form).status_code == 302
    assert find_department("kult").name == "Kulturbüro"
    clash = browser.post("/admin/departments/new", form | {"code": "Kult"})
    assert clash.status_code == 200 and 'id="code-error"' in clash.get_data(as_text=True)
    user = {
        "email": "neu@stadt.example",
        "name": "Neu",
        "role": "staff",
        "department": "SOZIAL",
        "locale": "de",
        "password": NEW_PASSWORD,
        "active": "y",
    }
    assert browser.post("/admin/users/new", user, form_page="/admin/users/new").status_code == 302
    created = db.session.scalar(db.select(User).filter_by(email="neu@stadt.example"))
    assert created.department.code == "sozial"


def test_urls_and_api_fields_accept_upper_case_codes(client):
    staff = make_user(department=make_department(code="kult"))
    partner = make_department(code="sport")
    make_event(staff, title="Lesung", status="published", visibility="public")
    headers = api_headers(staff)
    feed = client.get("/calendar/departments/KULT.ics")
    assert feed.status_code == 200 and "Lesung" in feed.get_data(as_text=True)
    listed = client.get("/api/v1/events?department=KULT", headers=headers)
    assert listed.status_code == 200, listed.json
    assert [e["title"] for e in listed.json["items"]] == ["Lesung"]
    assert client.get("/api/v1/conflicts?department=Kult", headers=headers).status_code == 200
    body = {
        "title": "Sportfest",
        "starts_at": "2027-01-14T18:00",
        "ends_at": "2027-01-14T20:00",
        "department": "KULT",
        "co_hosts": ["SPORT"],
    }
    created = client.post("/api/v1/events", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["department"] == "kult" and created.json["co_hosts"] == [partner.code]
    own = client.post("/api/v1/events", json=body | {"co_hosts": ["Kult"]}, headers=headers)
    assert own.status_code == 422 and "co_hosts" in own.json["errors"]
