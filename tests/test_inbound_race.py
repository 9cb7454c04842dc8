"""Calendar replies and link answers at once never exceed the capacity (PostgreSQL)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.inbound.inbox import process_pending, store
from app.invitations.answers import respond, seats_taken
from app.invitations.models import Answer, Invitation
from tests.factories import make_event, make_invitation, make_user
from tests.test_inbound import DOMAIN, NOW, corpus


def test_30_mail_and_30_link_accepts_for_20_places_fill_exactly_20(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer; the race needs PostgreSQL's row locks")
    owner = make_user()
    start = (NOW + timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
    event = make_event(
        owner, status="published", start=start, end=start + timedelta(hours=2), capacity=20
    )
    guests = [make_invitation(event, owner, now=NOW) for _ in range(60)]
    for number, (invitation, token) in enumerate(guests[:30]):
        raw = corpus(
            "gmail_accept.eml",
            token=token,
            domain=DOMAIN,
            uid=event.uid,
            guest=invitation.contact.email,
        ).replace(b"<CAGmail0000reply1@", b"<race-%d@" % number)
        store(raw, envelope_to=[f"rsvp+{token}@{DOMAIN}"], now=NOW)
    link_ids = [invitation.id for invitation, _token in guests[30:]]
    db.session.commit()
    start_together = threading.Barrier(33)
    errors = []

    def by_link(invitation_id: int) -> None:
        with app.app_context():
            try:
                start_together.wait()
                respond(db.session.get(Invitation, invitation_id), Answer.ACCEPTED, now=NOW)
                db.session.commit()
            except Exception as error:  # reported below, a thread cannot fail the test
                errors.append(error)
            finally:
                db.session.remove()

    def by_mail() -> None:
        with app.app_context():
            try:
                start_together.wait()
                process_pending(now=NOW)
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=by_link, args=(i,)) for i in link_ids]
    threads += [threading.Thread(target=by_mail) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.rollback()
    assert seats_taken(event) == 20
    counts = dict(
        db.session.execute(
            select(Invitation.status, func.count())
            .where(Invitation.event_id == event.id)
            .group_by(Invitation.status)
        ).all()
    )
    assert counts == {Answer.ACCEPTED: 20, Answer.WAITLISTED: 40}
    sources = db.session.scalars(
        select(Invitation.response_source).where(Invitation.id.in_([g.id for g, _ in guests[:30]]))
    ).all()
    assert set(sources) == {"mail"}
