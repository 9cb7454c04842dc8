"""The answers class: invitations of past events reduced to counts (needs app.privacy.anonymise).

``app.privacy.anonymise`` comes with the erasure; until it is merged these tests are skipped.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db
from app.invitations.models import Answer, Invitation
from app.privacy.retention import classes, months_before, run
from tests.factories import make_event, make_invitation, make_user

pytest.importorskip("app.privacy.anonymise", reason="the erasure's anonymisation is not merged")

EVENT_END = datetime(2026, 11, 3, 19, 0, tzinfo=UTC)  # make_event's default, in UTC


def test_the_answers_class_is_registered_once_anonymise_exists():
    assert [c.name for c in classes()][:2] == ["rsvp_text", "answers"]


def test_answers_of_past_events_become_counts_after_24_months(app):
    staff = make_user(Role.STAFF)
    event = make_event(staff, status="published")
    accepted, _token = make_invitation(event, staff)
    accepted.status = Answer.ACCEPTED
    make_invitation(event, staff)
    db.session.commit()
    just_before = months_before(EVENT_END, -24) - timedelta(minutes=1)
    assert run(now=just_before, config=app.config).counts()["answers"] == 0
    report = run(now=just_before + timedelta(minutes=2), config=app.config, batch_size=1)
    assert report.counts()["answers"] == 2
    rows = db.session.execute(
        select(Invitation.status, func.count())
        .where(Invitation.event_id == event.id, Invitation.contact_id.is_(None))
        .group_by(Invitation.status)
    ).all()
    assert dict(rows) == {Answer.ACCEPTED: 1, Answer.PENDING: 1}  # the counts stay right
