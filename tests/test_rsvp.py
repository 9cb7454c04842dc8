"""Guests answer by link: only POST changes anything, capacity and waiting list hold."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.invitations.answers import respond, seats_taken
from app.invitations.models import Answer, Invitation
from app.invitations.operations import invite
from app.mail.models import OutboxMessage
from app.rsvp.operations import find_by_token
from config import TestConfig
from tests.factories import NOW, make_event, make_invitation, make_user

KEY = TestConfig.SECRET_KEY
FUTURE = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=20)


def _event(**overrides):
    """Return a published future event and its owner."""
    owner = make_user()
    start = FUTURE.replace(hour=18, minute=0, second=0, microsecond=0)
    values = {"status": "published", "start": start, "end": start + timedelta(hours=2)} | overrides
    return make_event(owner, **values), owner


def _invited(event, owner, n=1, **contact):
    """Invite n new contacts and return (invitation, token) pairs."""
    return [make_invitation(event, owner, **contact) for _ in range(n)]


def test_get_shows_the_invitation_and_changes_nothing(client):
    event, owner = _event(title="Neujahrsempfang")
    ((invitation, token),) = _invited(event, owner)
    db.session.commit()
    page = client.get(f"/rsvp/{token}")
    assert page.status_code == 200 and "Neujahrsempfang" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    db.session.refresh(invitation)
    assert invitation.status == Answer.PENDING and invitation.responded_at is None


def test_guest_accepts_with_companion_and_gets_a_confirmation(browser):
    event, owner = _event(max_plus_ones=2)
    ((invitation, token),) = _invited(event, owner)
    db.session.commit()
    response = browser.post(
        f"/rsvp/{token}",
        {"response": "accepted", "plus_ones": "1", "needs": "vegetarisch", "comment": ""},
    )
    assert response.status_code == 302
    db.session.refresh(invitation)
    assert (invitation.status, invitation.plus_ones, invitation.needs) == (
        Answer.ACCEPTED,
        1,
        "vegetarisch",
    )
    assert invitation.response_source == "link"
    kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == ["invitation", "confirmation"]
    page = browser.get(f"/rsvp/{token}").get_data(as_text=True)
    assert "nehme teil" in page or "attending" in page or "Teilnahme" in page


def test_answer_errors_name_the_field(browser):
    event, owner = _event(max_plus_ones=1)
    ((_invitation, token),) = _invited(event, owner)
    db.session.commit()
    response = browser.post(f"/rsvp/{token}", {"response": "accepted", "plus_ones": "3"})
    assert response.status_code == 422 and 'id="plus_ones-error"' in response.get_data(as_text=True)
    response = browser.post(f"/rsvp/{token}", {"response": "vielleicht-doch"})
    assert 'id="response-error"' in response.get_data(as_text=True)


def test_unknown_or_revoked_token_gets_a_friendly_404(client):
    event, owner = _event()
    ((invitation, token),) = _invited(event, owner)
    invitation.revoked = True
    db.session.commit()
    for url in (f"/rsvp/{token}", "/rsvp/abcdefghijklmnop", f"/rsvp/{'x' * 200}"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Einladungslink" in response.get_data(
            as_text=True
        ) or "invitation link" in response.get_data(as_text=True)


def test_tokens_are_long_random_and_stored_only_as_hash(app):
    event, owner = _event()
    ((invitation, token),) = _invited(event, owner)
    assert len(token) == 32 and token not in (invitation.token_hash, invitation.token_nonce)
    assert find_by_token(token) is invitation and find_by_token(token.upper()) is invitation


def test_answers_after_the_deadline_are_refused_but_staff_may_record(app):
    event, owner = _event(rsvp_deadline=datetime(2026, 11, 10, 12, 0))
    ((invitation, _token),) = _invited(event, owner)
    late = datetime(2026, 11, 11, tzinfo=UTC)
    with pytest.raises(Exception, match="deadline|Frist"):
        respond(invitation, Answer.ACCEPTED, now=late)
    assert respond(invitation, Answer.ACCEPTED, now=late, actor=owner).status == Answer.ACCEPTED
    assert invitation.response_source == "staff" and invitation.recorded_by == owner


def test_full_event_waitlists_and_a_decline_moves_the_first_up(app):
    event, owner = _event(capacity=3, max_plus_ones=1)
    (a, _), (b, _), (c, _) = _invited(event, owner, 3)
    assert respond(a, Answer.ACCEPTED, plus_ones=1, now=NOW).status == Answer.ACCEPTED
    assert respond(b, Answer.ACCEPTED, plus_ones=1, now=NOW).status == Answer.WAITLISTED
    assert respond(c, Answer.ACCEPTED, now=NOW).status == Answer.ACCEPTED
    assert seats_taken(event) == 3
    respond(c, Answer.DECLINED, now=NOW)
    assert b.status == Answer.WAITLISTED  # a party of two does not fit into one place
    respond(a, Answer.DECLINED, now=NOW)
    assert b.status == Answer.ACCEPTED and seats_taken(event) == 2
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.invitation_id == b.id)
    ).all()
    assert "moved_up" in kinds


def test_opt_out_needs_a_post_and_suppresses_future_invitations(browser):
    event, owner = _event()
    ((invitation, token),) = _invited(event, owner)
    db.session.commit()
    assert browser.get(f"/rsvp/{token}/optout").status_code == 200
    db.session.refresh(invitation.contact)
    assert not invitation.contact.do_not_invite
    assert browser.post(f"/rsvp/{token}/optout").status_code == 200
    db.session.refresh(invitation.contact)
    assert invitation.contact.do_not_invite
    other, _ = _event()
    result = invite(other, [invitation.contact], actor=other.created_by, now=NOW, secret_key=KEY)
    assert result.counts()["suppressed"] == 1


def test_add_to_calendar_download_is_publish_without_attendee(client):
    event, owner = _event()
    ((_invitation, token),) = _invited(event, owner)
    db.session.commit()
    response = client.get(f"/rsvp/{token}/event.ics")
    assert response.status_code == 200 and b"METHOD:PUBLISH" in response.data
    assert b"ATTENDEE" not in response.data


def test_fifty_concurrent_accepts_never_exceed_twenty_places(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks under real concurrency are a PostgreSQL matter")
    event, owner = _event(capacity=20)
    ids = [inv.id for inv, _ in _invited(event, owner, 50)]
    db.session.commit()
    # One app and engine for all threads, like a threaded server process; the bounded pool
    # keeps the test within the database's connection limit. A failing thread breaks the
    # barrier, so no other thread waits for it forever.
    worker = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 0},
    )
    barrier = threading.Barrier(50, timeout=60)
    errors = []

    def accept(invitation_id):
        """Accept in its own app context, like a separate request."""
        with worker.app_context():
            try:
                barrier.wait()
                respond(
                    db.session.get(Invitation, invitation_id),
                    Answer.ACCEPTED,
                    now=datetime.now(UTC),
                )
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with worker.app_context():
        db.engine.dispose()
    assert errors == []
    db.session.expire_all()
    counts = dict(
        db.session.execute(
            select(Invitation.status, func.count())
            .where(Invitation.event_id == event.id)
            .group_by(Invitation.status)
        ).all()
    )
    assert counts == {Answer.ACCEPTED: 20, Answer.WAITLISTED: 30}
