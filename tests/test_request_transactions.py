"""One transaction per request: handlers flush, app/web.py commits once they have answered."""

import pytest
from flask import abort, redirect
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.accounts.access import public
from app.accounts.models import User
from app.departments.models import Department
from app.extensions import db
from app.web import transactional
from tests.factories import PASSWORD, make_user


def _departments_saved() -> int:
    """Return how many departments were committed (the test shares the request's session)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Department))


@pytest.fixture
def probe(app):
    """Add a handler that creates a department, then answers as its URL says."""
    app.config["WTF_CSRF_ENABLED"] = False

    @public
    def answer(how: str):
        """Create a department and answer with a redirect, an invalid form or a refusal."""
        db.session.add(Department(code=how, name=how))
        db.session.flush()
        if how == "refused":
            abort(403)
        if how == "invalid":
            return "invalid", 422
        return redirect("/")

    app.add_url_rule("/_probe/<how>", "probe", transactional(answer), methods=["GET", "POST"])
    return app.test_client()


def test_a_handler_that_answers_normally_is_committed(probe):
    assert probe.post("/_probe/saved").status_code == 302
    assert _departments_saved() == 1


@pytest.mark.parametrize(("how", "status"), [("invalid", 422), ("refused", 403)])
def test_an_error_answer_saves_nothing(probe, how, status):
    assert probe.post(f"/_probe/{how}").status_code == status
    assert _departments_saved() == 0


def test_a_get_request_commits_nothing(probe):
    assert probe.get("/_probe/saved").status_code == 302
    assert _departments_saved() == 0


def test_a_failed_commit_answers_503_and_keeps_neither_the_change_nor_the_message(
    app, browser, monkeypatch
):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    token = browser.token("/account")

    def lost_connection() -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr(db.session, "commit", lost_connection)
        response = browser.client.post("/account", data={"csrf_token": token, "locale": "en"})
    assert response.status_code == 503
    db.session.rollback()
    assert db.session.get(User, user.id).locale == "de"
    with browser.client.session_transaction() as cookie:
        assert "_flashes" not in cookie  # no "Settings saved." on the next page
        assert cookie.get("lang") != "en"
