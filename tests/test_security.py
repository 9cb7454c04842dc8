"""Security defaults: CSRF, login wall, roles, headers, rate limits, production settings."""

from pathlib import Path

import pytest

from app import create_app
from app.accounts.models import Role
from app.extensions import db
from config import DEV_SECRET_KEY, Config, TestConfig
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent


def test_post_without_csrf_token_is_refused(client):
    user = make_user()
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/month",
        "/week",
        "/events/new",
        "/venues/",
        "/account",
        "/admin/users",
        "/admin/departments/",
        "/admin/vocabularies/audiences",
    ],
)
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users",
        "/admin/users/new",
        "/admin/departments/",
        "/admin/departments/new",
        "/admin/vocabularies/categories",
        "/venues/new",
    ],
)
def test_admin_pages_are_forbidden_for_staff_and_comms(browser, url):
    user = make_user(Role.COMMS, department=None)
    db.session.commit()
    browser.login(user.email, PASSWORD)
    assert browser.get(url).status_code == 403


def test_login_rejects_wrong_password_and_inactive_accounts(browser):
    user = make_user()
    locked = make_user(active=False)
    db.session.commit()
    response = browser.post("/login", {"email": user.email, "password": "wrong"})
    assert response.status_code == 200 and "falsch" in response.get_data(as_text=True)
    response = browser.post("/login", {"email": locked.email, "password": PASSWORD})
    assert response.status_code == 200
    assert browser.get("/month").status_code == 302


def test_login_checks_a_password_hash_also_for_unknown_and_inactive_addresses(browser, monkeypatch):
    # The scrypt check is most of a login's time: without it for unknown addresses, the
    # answer's speed would tell which addresses have an account.
    from app.accounts import models

    checked = []
    real = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    user, locked = make_user(), make_user(active=False)
    db.session.commit()
    for email in ("niemand@stadt.example", locked.email, user.email):
        response = browser.post("/login", {"email": email, "password": "wrong"})
        assert response.status_code == 200
    assert len(checked) == 3 and checked[2] == user.password_hash
    assert checked[0] == checked[1] != user.password_hash  # the decoy, made like real hashes
    assert checked[0].split("$")[0] == user.password_hash.split("$")[0]


def test_login_does_not_redirect_to_other_hosts(browser):
    user = make_user()
    db.session.commit()
    response = browser.post(
        "/login?next=https://evil.example/",
        {"email": user.email, "password": PASSWORD},
        form_page="/login",
    )
    assert response.headers["Location"] == "/"


def test_logout_needs_post_and_ends_the_session(browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    assert browser.get("/logout").status_code == 405
    assert browser.post("/logout", form_page="/").status_code == 302
    assert browser.get("/month").status_code == 302


def test_login_attempts_are_rate_limited(database_url):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        LOGIN_RATE_LIMIT="3 per minute",
        RATELIMIT_ENABLED=True,
    )
    browser = Browser(app.test_client())
    with app.app_context():
        token = browser.token("/login")
        codes = [
            browser.post(
                "/login", {"email": "x@stadt.example", "password": "x", "csrf_token": token}
            ).status_code
            for _ in range(5)
        ]
        db.session.remove()
        db.engine.dispose()
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


def test_security_headers_and_cookie_flags(app, browser):
    response = browser.get("/login")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_development_or_short_secret_key(monkeypatch):
    class Production(Config):
        ENV_NAME = "production"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    for key in (DEV_SECRET_KEY, "", "short", "x" * 48):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(Production, SECRET_KEY=key)
    key = "Kq3vT9xLmR2pWz8NcY4hBd7FgJ6sAe5U"
    app = create_app(Production, SECRET_KEY=key)
    assert app.config["SECRET_KEY"] == key


def test_passwords_are_stored_as_strong_hashes(app):
    user = make_user()
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_a_misspelt_conflict_setting_is_refused_at_start():
    with pytest.raises(RuntimeError, match="CONFLICT_AUDIENCE_SEVERITY"):
        create_app(Config, SQLALCHEMY_DATABASE_URI="sqlite://", CONFLICT_AUDIENCE_SEVERITY="laut")
    app = create_app(Config, SQLALCHEMY_DATABASE_URI="sqlite://", CONFLICT_AUDIENCE_SEVERITY="off")
    assert app.config["CONFLICT_AUDIENCE_SEVERITY"] == "off"


def test_security_txt_names_the_contact_and_needs_no_login(client, app):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert f"Contact: {app.config['SECURITY_CONTACT']}" in text
    assert "Expires: " in text and "Canonical: http://stadtkalender.test/" in text
