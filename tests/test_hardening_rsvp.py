"""Issue 8, findings 16 to 18: seats kept when companions do not fit, one confirmation per change,
rate limits on answers, and 503 (not saved) when the database is gone."""

import psycopg
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update

from app import create_app
from app.errors import ValidationError
from app.extensions import db
from app.invitations.answers import respond, seats_taken
from app.invitations.models import Answer, Invitation
from app.mail.models import MailStatus, OutboxMessage
from config import TestConfig
from tests.conftest import PG_ADMIN_URL, Browser
from tests.factories import NOW, PASSWORD, make_user
from tests.test_rsvp import _event, _invited


def _kinds(invitation: Invitation) -> list[str]:
    """Return the kinds of mail queued for an invitation, oldest first."""
    return db.session.scalars(
        select(OutboxMessage.kind)
        .where(OutboxMessage.invitation_id == invitation.id)
        .order_by(OutboxMessage.id)
    ).all()


def _delivered() -> None:
    """Mark every queued mail as sent (a confirmation still waiting absorbs further changes)."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MailStatus.QUEUED)
        .values(status=MailStatus.SENT)
    )
    db.session.commit()


# Finding 16: a guest with a seat keeps it.


def test_accepted_guest_asking_for_more_companions_than_fit_keeps_the_seat(app):
    event, owner = _event(capacity=3, max_plus_ones=3)
    (a, _), (b, _) = _invited(event, owner, 2)
    respond(a, Answer.ACCEPTED, now=NOW)
    respond(b, Answer.ACCEPTED, plus_ones=1, now=NOW)
    reply = respond(a, Answer.ACCEPTED, plus_ones=2, now=NOW)
    assert (reply.status, reply.refused_companions, reply.changed) == (Answer.ACCEPTED, 2, False)
    assert (a.status, a.plus_ones) == (Answer.ACCEPTED, 0)
    assert b.status == Answer.ACCEPTED and seats_taken(event) == 3
    assert _kinds(a) == ["invitation", "confirmation"]  # nothing changed, nothing confirmed


def test_accepted_guest_gets_the_companions_that_fit_and_is_told_about_the_rest(browser):
    event, owner = _event(capacity=4, max_plus_ones=3)
    (a, token), (b, _) = _invited(event, owner, 2)
    respond(a, Answer.ACCEPTED, now=NOW)
    respond(b, Answer.ACCEPTED, plus_ones=1, now=NOW)
    _delivered()
    response = browser.post(f"/rsvp/{token}", {"response": "accepted", "plus_ones": "3"})
    assert response.status_code == 302
    page = browser.get(f"/rsvp/{token}").get_data(as_text=True)
    db.session.refresh(a)
    assert (a.status, a.plus_ones) == (Answer.ACCEPTED, 1) and seats_taken(event) == 4
    assert (
        "Your acceptance stands; there is no place left for 2 companions." in page
        or "Ihre Zusage bleibt bestehen; für 2 Begleitpersonen ist kein Platz mehr frei." in page
    )
    assert _kinds(a) == ["invitation", "confirmation", "confirmation"]  # +1 is a change


def test_a_waiting_guest_asking_for_too_many_stays_waiting_and_fewer_companions_move_it_up(app):
    event, owner = _event(capacity=3, max_plus_ones=2)
    (a, _), (c, _) = _invited(event, owner, 2)
    respond(a, Answer.ACCEPTED, plus_ones=2, now=NOW)
    assert respond(c, Answer.ACCEPTED, now=NOW).status == Answer.WAITLISTED
    reply = respond(a, Answer.ACCEPTED, plus_ones=1, now=NOW)  # a companion less
    assert (reply.status, reply.refused_companions) == (Answer.ACCEPTED, 0)
    assert (a.plus_ones, c.status) == (1, Answer.ACCEPTED) and seats_taken(event) == 3
    assert "moved_up" in _kinds(c)


def test_an_accepted_guest_keeps_companions_granted_before_the_capacity_was_lowered(app):
    event, owner = _event(capacity=5, max_plus_ones=3)
    ((a, _),) = _invited(event, owner)
    respond(a, Answer.ACCEPTED, plus_ones=2, now=NOW)
    event.capacity = 2
    reply = respond(a, Answer.ACCEPTED, plus_ones=3, now=NOW)
    assert (reply.status, reply.refused_companions, a.plus_ones) == (Answer.ACCEPTED, 1, 2)


# Finding 17: confirm only a change; rate limits.


def test_sending_the_same_answer_again_queues_no_second_confirmation(browser):
    event, owner = _event(max_plus_ones=2)
    ((invitation, token),) = _invited(event, owner)
    db.session.commit()
    answer = {"response": "accepted", "plus_ones": "1", "needs": "", "comment": "Bis bald"}
    for _ in range(5):
        assert browser.post(f"/rsvp/{token}", answer).status_code == 302
    assert _kinds(invitation) == ["invitation", "confirmation"]
    page = browser.get(f"/rsvp/{token}").get_data(as_text=True)
    assert "unchanged" in page or "unverändert" in page
    # A new note is saved, but the mail (answer and companions) would say the same again.
    browser.post(f"/rsvp/{token}", answer | {"needs": "vegetarisch", "comment": "Danke"})
    db.session.refresh(invitation)
    assert (invitation.needs, invitation.comment) == ("vegetarisch", "Danke")
    assert _kinds(invitation) == ["invitation", "confirmation"]
    _delivered()
    browser.post(f"/rsvp/{token}", answer | {"plus_ones": "2"})
    _delivered()
    browser.post(f"/rsvp/{token}", answer | {"response": "declined"})
    assert _kinds(invitation) == ["invitation"] + ["confirmation"] * 3


@pytest.fixture
def limited(app, database_url):
    """Return an app like ``app`` on the same database, with small RSVP rate limits enforced."""
    limited_app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RSVP_RATE_LIMIT="3 per minute",
        RSVP_ADDRESS_RATE_LIMIT="5 per minute",
    )
    yield limited_app
    with limited_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_answers_are_rate_limited_per_link_and_per_address(app, limited):
    event, owner = _event()
    tokens = [token for _, token in _invited(event, owner, 7)]
    db.session.commit()

    def answer(token: str, address: str) -> int:
        """Send a decline to a link from a client address and return the status code."""
        browser = Browser(limited.test_client())
        browser.client.environ_base["REMOTE_ADDR"] = address
        return browser.post(f"/rsvp/{token}", {"response": "declined"}).status_code

    # No app context around the requests: each gets its own, as in a server (fresh `g`).
    per_link = [answer(tokens[0], f"198.51.100.{n}") for n in range(1, 5)]
    per_address = [answer(token, "192.0.2.7") for token in tokens[1:]]
    refused = Browser(limited.test_client())
    refused.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    response = refused.post(f"/rsvp/{tokens[1]}", {"response": "declined"})
    reading = refused.get(f"/rsvp/{tokens[1]}").status_code
    assert per_link == [302, 302, 302, 429]
    assert per_address == [302] * 5 + [429]
    assert response.status_code == 429 and response.headers.get("Retry-After")
    text = response.get_data(as_text=True)
    assert "Zu viele Versuche" in text
    assert "too often" in text or "zu oft" in text
    assert reading == 200  # reading is never limited
    confirmations = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "confirmation")
    )
    assert confirmations == 6  # one per link: the repeated declines changed nothing


def test_case_variants_of_one_link_share_its_rate_limit(app, limited):
    event, owner = _event()
    ((_, token),) = _invited(event, owner)
    db.session.commit()
    variants = [token.upper(), token, token.swapcase(), token.upper() + "%20"]
    codes = []
    for n, variant in enumerate(variants, start=1):
        browser = Browser(limited.test_client())
        browser.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        answer = "declined" if n % 2 else "accepted"
        codes.append(browser.post(f"/rsvp/{variant}", {"response": answer}).status_code)
    assert codes == [302, 302, 302, 429]


def test_flipping_the_answer_queues_one_confirmation_while_it_waits(app):
    event, owner = _event()
    ((invitation, _),) = _invited(event, owner)
    for answer in (Answer.ACCEPTED, Answer.DECLINED, Answer.ACCEPTED, Answer.DECLINED):
        respond(invitation, answer, now=NOW)
    assert _kinds(invitation) == ["invitation", "confirmation"]
    confirmation = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.invitation_id == invitation.id, OutboxMessage.kind == "confirmation"
        )
    ).one()
    confirmation.status = MailStatus.SENT  # delivered: the next change is confirmed again
    respond(invitation, Answer.ACCEPTED, now=NOW)
    assert _kinds(invitation) == ["invitation", "confirmation", "confirmation"]


# Finding 18: a lost database answers 503, and nothing is saved.


def _refuse_connections(engine):
    """Make every new connection fail as with a stopped server; return the listener."""

    def refuse(dialect, _record, _cargs, _cparams):
        """Fail like a refused TCP connection."""
        raise dialect.loaded_dbapi.OperationalError("connection refused (test outage)")

    engine.dispose()  # pooled connections would otherwise still work
    sa_event.listen(engine, "do_connect", refuse)
    return refuse


def _unchanged(invitation_id: int) -> None:
    """Assert that the invitation and the outbox are as invited."""
    db.session.rollback()
    invitation = db.session.get(Invitation, invitation_id)
    assert (invitation.status, invitation.responded_at) == (Answer.PENDING, None)
    assert _kinds(invitation) == ["invitation"]


def test_an_answer_during_a_database_outage_gets_503_and_says_it_was_not_saved(browser):
    event, owner = _event()
    ((invitation, token),) = _invited(event, owner)
    db.session.commit()
    csrf, invitation_id = browser.token(f"/rsvp/{token}"), invitation.id
    db.session.close()
    refuse = _refuse_connections(db.engine)
    try:
        response = browser.client.post(
            f"/rsvp/{token}", data={"response": "accepted", "csrf_token": csrf}
        )
        api = browser.get("/api/v1/events", headers={"Authorization": "Bearer x"})
        page = browser.get("/veranstaltungen")
    finally:
        sa_event.remove(db.engine, "do_connect", refuse)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    text = response.get_data(as_text=True)
    assert "Your answer has NOT been saved" in text or "NICHT gespeichert" in text
    assert (api.status_code, api.headers["Retry-After"]) == (503, "30")
    assert api.get_json()["error"] == "Service Unavailable"
    assert page.status_code == 503
    _unchanged(invitation_id)


def test_a_logged_in_page_during_a_database_outage_gets_the_503_page_too(browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    db.session.close()
    refuse = _refuse_connections(db.engine)
    try:
        response = browser.get("/month")
    finally:
        sa_event.remove(db.engine, "do_connect", refuse)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert 'id="outage-message"' in response.get_data(as_text=True)


def test_an_answer_whose_commit_loses_the_connection_is_rolled_back_and_reported(browser):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("cutting a server connection is a PostgreSQL matter")
    event, owner = _event()
    ((invitation, token),) = _invited(event, owner)
    db.session.commit()
    csrf = browser.token(f"/rsvp/{token}")
    cut = []

    def cut_connection(session) -> None:
        """Terminate this session's server process after its writes, just before COMMIT."""
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db.engine.url.database}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        cut.append(pid)

    sa_event.listen(db.session, "before_commit", cut_connection)
    try:
        response = browser.client.post(
            f"/rsvp/{token}", data={"response": "accepted", "csrf_token": csrf}
        )
    finally:
        sa_event.remove(db.session, "before_commit", cut_connection)
    assert cut and response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"] == "30"
    _unchanged(invitation.id)


def test_answers_with_control_characters_are_refused_on_the_field(browser):
    event, owner = _event()
    ((invitation, token),) = _invited(event, owner)
    db.session.commit()
    for field in ("comment", "needs"):
        data = {"response": "accepted", "plus_ones": "0", "comment": "", "needs": ""}
        response = browser.post(f"/rsvp/{token}", data | {field: "vegan\x1b[31m"})
        assert response.status_code == 422
        assert f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.refresh(invitation)
    assert invitation.status == Answer.PENDING and _kinds(invitation) == ["invitation"]
    with pytest.raises(ValidationError) as caught:
        respond(invitation, Answer.ACCEPTED, comment="a\x00b", now=NOW)
    assert set(caught.value.errors) == {"comment"}
