"""Guest fatigue: warnings and the per-contact cap at invitation time, the guest list column."""

from datetime import datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from app.accounts.models import Role
from app.events.models import Status
from app.extensions import db
from app.invitations import fatigue
from app.invitations.models import Invitation
from app.invitations.operations import invite
from tests.factories import NOW, make_contact, make_event, make_user

KEY = "test-secret-key-not-for-production"
START = datetime(2026, 11, 20, 18, 0)  # wall time of the event the tests invite to


def _target(**overrides):
    """Return a staff member and their published event at START."""
    staff = make_user()
    event = make_event(
        staff, status="published", start=START, title="Zielveranstaltung", **overrides
    )
    return staff, event


def _elsewhere(guests, start: datetime, actor=None, **overrides):
    """Invite the guests to a published event of another department starting at ``start``."""
    actor = actor or make_user()
    title = overrides.pop("title", f"Termin {start:%d.%m. %H:%M}")
    other = make_event(actor, status="published", start=start, title=title, **overrides)
    invite(other, list(guests), actor=actor, now=NOW, secret_key=KEY)
    return other


def _fatigue(result) -> list[dict]:
    """Return the fatigue warnings of an invite result."""
    return [w for w in result.warnings if w["kind"] == "guest_fatigue"]


def test_more_than_the_maximum_from_other_departments_warns_with_the_events(app):
    staff, event = _target()
    guest, calm = make_contact(last_name="Viel"), make_contact(last_name="Ruhig")
    for day in (1, 2, 3):
        _elsewhere([guest], START + timedelta(days=day))
    _elsewhere([calm], START + timedelta(days=1))
    result = invite(event, [guest, calm], actor=staff, now=NOW, secret_key=KEY)
    (warning,) = _fatigue(result)
    assert warning["contact_id"] == guest.id and warning["count"] == 4
    assert [e["title"] for e in warning["events"]] == [
        "Termin 21.11. 18:00",
        "Termin 22.11. 18:00",
        "Termin 23.11. 18:00",
    ]
    assert warning["others"] == 0 and warning["refused"] is False
    assert "Viel" in warning["message"] and "Termin 22.11. 18:00" in warning["message"]
    assert len(result.invited) == 2


def test_exactly_the_maximum_does_not_warn(app):
    staff, event = _target()
    guest = make_contact()
    for day in (1, 2):
        _elsewhere([guest], START + timedelta(days=day))
    assert _fatigue(invite(event, [guest], actor=staff, now=NOW, secret_key=KEY)) == []


def test_window_edges_count_inclusive_and_nothing_beyond(app):
    staff, event = _target()
    guest = make_contact()
    _elsewhere([guest], START - timedelta(days=14))  # counts
    _elsewhere([guest], START + timedelta(days=14))  # counts
    _elsewhere([guest], START - timedelta(days=14, minutes=1))  # outside
    _elsewhere([guest], START + timedelta(days=14, minutes=1))  # outside
    assert fatigue.counts(event, [guest.id], staff.department_id, 14) == {guest.id: 2}
    _elsewhere([guest], START + timedelta(days=5))
    (warning,) = _fatigue(invite(event, [guest], actor=staff, now=NOW, secret_key=KEY))
    assert warning["count"] == 4


def test_own_department_revoked_and_cancelled_do_not_count(app):
    staff, event = _target()
    guest = make_contact()
    colleague = make_user(department=staff.department)
    _elsewhere([guest], START + timedelta(days=1), actor=colleague)  # own department
    _elsewhere([guest], START + timedelta(days=2))
    withdrawn = _elsewhere([guest], START + timedelta(days=3))
    cancelled = _elsewhere([guest], START + timedelta(days=4))
    db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.event_id == withdrawn.id)
        .values(revoked=True)
    )
    cancelled.status = Status.CANCELLED
    db.session.flush()
    assert fatigue.counts(event, [guest.id], staff.department_id, 14) == {guest.id: 1}
    assert _fatigue(invite(event, [guest], actor=staff, now=NOW, secret_key=KEY)) == []


def test_a_guest_already_invited_here_is_not_warned_again(app):
    staff, event = _target()
    guest = make_contact()
    for day in (1, 2, 3):
        _elsewhere([guest], START + timedelta(days=day))
    assert _fatigue(invite(event, [guest], actor=staff, now=NOW, secret_key=KEY))
    assert _fatigue(invite(event, [guest], actor=staff, now=NOW, secret_key=KEY)) == []


def test_confidential_titles_stay_unnamed_and_count_as_other_invitations(app):
    staff, event = _target()
    guest = make_contact()
    _elsewhere(
        [guest], START + timedelta(days=1), title="Geheimes Treffen", visibility="confidential"
    )
    _elsewhere([guest], START + timedelta(days=2), title="Offener Empfang")
    _elsewhere(
        [guest], START + timedelta(days=3), title="Zweites Geheimnis", visibility="confidential"
    )
    (warning,) = _fatigue(invite(event, [guest], actor=staff, now=NOW, secret_key=KEY))
    assert [e["title"] for e in warning["events"]] == ["Offener Empfang"]
    assert warning["others"] == 2 and warning["count"] == 4
    assert "Geheim" not in warning["message"] and "2 weitere Einladungen" in warning["message"]


def test_comms_see_confidential_titles(app):
    _staff, event = _target()
    guest = make_contact()
    for day in (1, 2, 3):
        _elsewhere([guest], START + timedelta(days=day), visibility="confidential")
    comms = make_user(Role.COMMS, department=None)
    (warning,) = _fatigue(invite(event, [guest], actor=comms, now=NOW, secret_key=KEY))
    assert len(warning["events"]) == 3 and warning["others"] == 0


def test_a_contact_cap_refuses_staff_but_invites_the_others(app):
    staff, event = _target()
    vip = make_contact(last_name="Wichtig", invitation_cap=1, vip=True)
    other = make_contact()
    _elsewhere([vip, other], START + timedelta(days=2))
    result = invite(event, [vip, other], actor=staff, now=NOW, secret_key=KEY)
    assert result.counts() == {"invited": 1, "already_invited": 0, "suppressed": 0}
    assert result.refused == [vip.id]
    (warning,) = _fatigue(result)
    assert warning["refused"] is True and warning["cap"] == 1
    assert "Wichtig wurde nicht eingeladen" in warning["message"]
    invited = db.session.scalars(
        select(Invitation.contact_id).where(Invitation.event_id == event.id)
    )
    assert list(invited) == [other.id]


def test_below_the_cap_staff_invite_without_warning(app):
    staff, event = _target()
    vip = make_contact(invitation_cap=2)
    _elsewhere([vip], START + timedelta(days=2))
    result = invite(event, [vip], actor=staff, now=NOW, secret_key=KEY)
    assert result.invited and _fatigue(result) == []


def test_a_contact_cap_only_warns_comms(app):
    _staff, event = _target()
    vip = make_contact(last_name="Wichtig", invitation_cap=1)
    _elsewhere([vip], START + timedelta(days=2))
    comms = make_user(Role.COMMS, department=None)
    result = invite(event, [vip], actor=comms, now=NOW, secret_key=KEY)
    assert len(result.invited) == 1
    (warning,) = _fatigue(result)
    assert warning["refused"] is False and "hat die Obergrenze" in warning["message"]


def test_bulk_invite_uses_grouped_queries_per_chunk(app):
    staff, event = _target()
    guests = [make_contact() for _ in range(1200)]
    statements = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        found = fatigue.check(event, guests, staff.department_id, viewer=staff)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    assert found.warnings == [] and len(statements) == 2  # two chunks of 1000
    assert all("GROUP BY" in s for s in statements)


def test_guest_counts_in_one_query_include_all_departments(app):
    staff, event = _target()
    guests = [make_contact() for _ in range(3)]
    invite(event, guests, actor=staff, now=NOW, secret_key=KEY)
    _elsewhere(guests[:2], START + timedelta(days=1))
    _elsewhere(guests[:1], START + timedelta(days=1), actor=make_user(department=staff.department))
    _elsewhere(guests[:1], START + timedelta(days=20))
    statements = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        counts = fatigue.guest_counts(event)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert counts == {guests[0].id: 3, guests[1].id: 2, guests[2].id: 1}
    assert db.session.scalar(select(func.count(Invitation.id))) == 7
