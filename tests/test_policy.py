"""The visibility rules in Python and in SQL agree for every kind of user and event."""

import itertools

from sqlalchemy import select

from app.accounts.models import Role
from app.events import policy
from app.events.models import Event, Status
from app.events.operations import set_status
from app.extensions import db
from tests.factories import NOW, make_event, make_user


def test_sql_visibility_matches_python_rules_for_every_combination(app):
    owner, cohost, outsider = make_user(), make_user(), make_user()
    comms = make_user(Role.COMMS, department=None)
    admin = make_user(Role.ADMIN, department=None)
    events = []
    for visibility, status in itertools.product(
        ("public", "internal", "confidential"), ("draft", "published", "cancelled", "withdrawn")
    ):
        initial = "published" if status in ("published", "cancelled") else "draft"
        event = make_event(
            owner,
            title=f"{visibility}-{status}",
            visibility=visibility,
            status=initial,
            co_hosts=[cohost.department.code],
        )
        if status in ("cancelled", "withdrawn"):
            set_status(event, Status.CANCELLED, actor=owner, now=NOW)  # withdrawn: never published
        events.append(event)
    db.session.flush()
    for user in (None, owner, cohost, outsider, comms, admin):
        visible = set(db.session.scalars(select(Event.id).where(policy.visible_clause(user))))
        expected = {e.id for e in events if policy.can_view(user, e)}
        assert visible == expected, user
    anonymous = {e.title for e in events if policy.can_view(None, e)}
    assert anonymous == {"public-published", "public-cancelled"}
    assert {e.title for e in events if policy.can_view(outsider, e)} == {
        f"{v}-{s}"
        for v in ("public", "internal", "confidential")
        for s in ("published", "cancelled")
    }
    secret = next(e for e in events if e.title == "confidential-published")
    assert not policy.can_see_details(outsider, secret)
    assert policy.can_see_details(cohost, secret) and policy.can_see_details(comms, secret)
    assert policy.can_edit(cohost, secret) and not policy.can_edit(outsider, secret)
