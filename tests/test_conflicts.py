"""The conflict engine, the publishing gate and the conflict list, on SQLite and PostgreSQL."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import Role, User
from app.conflicts import listing
from app.conflicts.engine import Proposal, check
from app.conflicts.models import (
    BlockedRange,
    PublishOverride,
    ReviewStatus,
    SchoolHoliday,
    Severity,
)
from app.errors import ValidationError
from app.events.models import Event, Status
from app.events.operations import proposal_for, set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from app.invitations.models import Answer, Invitation
from app.invitations.operations import invite
from app.vocabularies.models import District
from config import TestConfig
from tests.factories import (
    NOW,
    make_audience,
    make_contact,
    make_event,
    make_user,
    make_venue,
)

KEY = TestConfig.SECRET_KEY


def _kinds(conflicts, kind):
    return [c for c in conflicts if c.kind == kind]


def _check(event, viewer):
    return check(Proposal.from_event(event), viewer)


def _published(actor, **kw):
    return make_event(actor, status="published", **kw)


def _probe(actor, start, end=None, **kw):
    """Check a proposed event without saving it."""
    data = EventInput(title="Probe", start=start, end=end or start + timedelta(hours=2), **kw)
    return check(proposal_for(data, actor=actor), actor)


# --- venue ------------------------------------------------------------------------------------


def test_venue_overlap_warns_and_touching_ranges_do_not(app):
    staff = make_user()
    hall = make_venue()
    first = _published(staff, title="Erste", venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    touching = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 20))
    assert _kinds(_check(touching, staff), "venue") == []
    overlapping = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 16, 30))
    (hit,) = _kinds(_check(overlapping, staff), "venue")
    assert hit.severity == Severity.WARNING
    assert hit.event_ids == [overlapping.id, first.id]
    assert "Erste" in hit.message and staff.department.name in hit.message
    assert staff.email in hit.message  # who holds the room
    assert hit.details["other"]["contact"]["email"] == staff.email


def test_buffers_widen_both_events_and_touching_buffers_are_fine(app):
    staff = make_user()
    hall = make_venue(setup_minutes=60, teardown_minutes=30)
    _published(
        staff, venue_id=hall.id, start=datetime(2027, 2, 3, 10), end=datetime(2027, 2, 3, 12)
    )
    # 12:00 + 30 teardown = 12:30; 14:00 - 60 setup = 13:00: free.
    assert _kinds(_probe(staff, datetime(2027, 2, 3, 14), venue_id=hall.id), "venue") == []
    # Start 13:30: its setup starts 12:30, exactly when the other's teardown ends.
    assert _kinds(_probe(staff, datetime(2027, 2, 3, 13, 30), venue_id=hall.id), "venue") == []
    # 13:00 - 60 setup = 12:00 < 12:30 teardown: clash although the events do not overlap.
    assert len(_kinds(_probe(staff, datetime(2027, 2, 3, 13), venue_id=hall.id), "venue")) == 1
    # Before: ends 08:30 + 30 teardown = 09:00 = 10:00 - 60 setup: touching, fine.
    assert (
        _kinds(
            _probe(staff, datetime(2027, 2, 3, 7), datetime(2027, 2, 3, 8, 30), venue_id=hall.id),
            "venue",
        )
        == []
    )


def test_exclusive_venue_is_hard_against_published_and_a_warning_against_drafts(app):
    staff = make_user()
    hall = make_venue(exclusive=True)
    draft = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    proposal = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 19))
    (hit,) = _kinds(_check(proposal, staff), "venue")
    assert (
        hit.severity == Severity.WARNING
        and "draft" in hit.message.lower()
        or "Entwurf" in hit.message
    )
    set_status(draft, Status.PUBLISHED, actor=staff, now=NOW, conflict_reason="ok")
    (hit,) = _kinds(_check(proposal, staff), "venue")
    assert hit.severity == Severity.HARD


def test_cancelled_events_never_conflict(app):
    staff = make_user()
    hall = make_venue(exclusive=True)
    other = _published(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18), audiences=[])
    set_status(other, Status.CANCELLED, actor=staff, now=NOW)
    proposal = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    assert _kinds(_check(proposal, staff), "venue") == []
    # A cancelled event itself is never blocked: publishing the proposal works.
    set_status(proposal, Status.PUBLISHED, actor=staff, now=NOW, conflict_reason="x")
    assert proposal.status == Status.PUBLISHED


def test_all_day_against_timed_and_multi_day(app):
    staff = make_user()
    hall = make_venue()
    fest = _published(
        staff,
        title="Stadtfest",
        all_day=True,
        venue_id=hall.id,
        start=date(2027, 6, 11),
        end=date(2027, 6, 13),
    )
    evening = make_event(staff, venue_id=hall.id, start=datetime(2027, 6, 13, 19))
    after = make_event(staff, venue_id=hall.id, start=datetime(2027, 6, 14, 0, 0))
    assert [c.event_ids for c in _kinds(_check(evening, staff), "venue")] == [[evening.id, fest.id]]
    assert _kinds(_check(after, staff), "venue") == []  # the all-day end is exclusive


def test_dst_week_uses_real_instants_not_wall_clock_arithmetic(app):
    staff = make_user()
    hall = make_venue(setup_minutes=30)
    # 28 March 2027: clocks jump from 02:00 to 03:00. 01:00-01:59 CET ends at 00:59 UTC.
    _published(
        staff, venue_id=hall.id, start=datetime(2027, 3, 28, 1, 0), end=datetime(2027, 3, 28, 1, 59)
    )
    # 03:00 CEST is 01:00 UTC; its 30-minute setup starts 00:30 UTC, inside the other event,
    # although on the wall clock there seem to be 61 minutes between them.
    later = make_event(
        staff, venue_id=hall.id, start=datetime(2027, 3, 28, 3, 0), end=datetime(2027, 3, 28, 4)
    )
    assert len(_kinds(_check(later, staff), "venue")) == 1


def test_confidential_events_show_only_reserved_to_others(app):
    owner, outsider = make_user(), make_user()
    comms = make_user(Role.COMMS, department=None)
    hall = make_venue()
    _published(
        owner,
        title="Geheime Runde",
        visibility="confidential",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 18),
    )
    proposal = make_event(outsider, venue_id=hall.id, start=datetime(2027, 2, 3, 19))
    (masked,) = _kinds(_check(proposal, outsider), "venue")
    assert "Geheime Runde" not in masked.message
    assert owner.email not in masked.message and owner.department.name not in masked.message
    assert masked.details["other"] == {
        "id": masked.event_ids[1],
        "title": masked.details["other"]["title"],
        "masked": True,
    }
    (seen,) = _kinds(_check(proposal, comms), "venue")
    assert "Geheime Runde" in seen.message


# --- person -----------------------------------------------------------------------------------


def _guest_events(staff, first_start, second_start, vip=False):
    guest = make_contact(vip=vip)
    a = _published(staff, title="Empfang A", start=first_start)
    b = _published(staff, title="Empfang B", start=second_start)
    invite(a, [guest], actor=staff, now=NOW, secret_key=KEY)
    invite(b, [guest], actor=staff, now=NOW, secret_key=KEY)
    return guest, a, b


def test_guest_invited_to_an_overlapping_event_is_a_warning(app):
    staff = make_user()
    guest, a, b = _guest_events(staff, datetime(2027, 2, 3, 18), datetime(2027, 2, 3, 19))
    (hit,) = _kinds(_check(a, staff), "person")
    assert hit.severity == Severity.WARNING
    assert hit.details["overlap"] == "time" and hit.details["contact_ids"] == [guest.id]
    assert hit.event_ids == [a.id, b.id]


def test_same_evening_is_info_and_a_vip_raises_it(app):
    staff = make_user()
    _guest, a, _b = _guest_events(staff, datetime(2027, 2, 3, 17), datetime(2027, 2, 3, 20, 30))
    (hit,) = _kinds(_check(a, staff), "person")
    assert (hit.severity, hit.details["overlap"]) == (Severity.INFO, "evening")
    vip, c, _d = _guest_events(
        staff, datetime(2027, 2, 4, 17), datetime(2027, 2, 4, 20, 30), vip=True
    )
    (hit,) = _kinds(_check(c, staff), "person")
    assert hit.severity == Severity.WARNING and hit.details["vip"]
    assert vip.last_name in hit.message


def test_morning_and_evening_and_declined_guests_do_not_clash(app):
    staff = make_user()
    _guest, a, _b = _guest_events(staff, datetime(2027, 2, 3, 9), datetime(2027, 2, 3, 19))
    assert _kinds(_check(a, staff), "person") == []
    _guest, c, d = _guest_events(staff, datetime(2027, 2, 5, 18), datetime(2027, 2, 5, 19))
    db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.event_id == d.id)
        .values(status=Answer.DECLINED.value)
    )
    assert _kinds(_check(c, staff), "person") == []


# --- audience, holidays, blocked, capacity ----------------------------------------------------


def test_audience_clash_counts_published_events_of_the_same_day(app):
    staff = make_user()
    make_audience("presse", "Presse")
    make_audience("rat", "Politik/Rat")
    _published(staff, title="Pressetermin", audiences=["presse"], start=datetime(2027, 2, 3, 10))
    make_event(staff, title="Entwurf", audiences=["presse"], start=datetime(2027, 2, 3, 12))
    _published(staff, title="Rat", audiences=["rat"], start=datetime(2027, 2, 3, 14))
    _published(staff, title="Nächster Tag", audiences=["presse"], start=datetime(2027, 2, 4, 10))
    mine = make_event(staff, audiences=["presse", "rat"], start=datetime(2027, 2, 3, 18))
    hits = _kinds(_check(mine, staff), "audience")
    assert sorted(h.details["audience"] for h in hits) == ["presse", "rat"]
    assert all(h.severity == Severity.INFO for h in hits)
    assert "Pressetermin" in next(h for h in hits if h.details["audience"] == "presse").message
    app.config["CONFLICT_AUDIENCE_IGNORE"] = "presse"
    assert [h.details["audience"] for h in _kinds(_check(mine, staff), "audience")] == ["rat"]
    app.config["CONFLICT_AUDIENCE_SEVERITY"] = "off"
    assert _kinds(_check(mine, staff), "audience") == []


def test_public_and_school_holidays(app):
    staff = make_user()
    db.session.add(
        SchoolHoliday(name="Osterferien", first_day=date(2027, 3, 22), last_day=date(2027, 4, 3))
    )
    ascension = make_event(staff, start=datetime(2027, 5, 6, 18))  # Christi Himmelfahrt
    (hit,) = _kinds(_check(ascension, staff), "holiday")
    assert hit.severity == Severity.WARNING and "Christi Himmelfahrt" in hit.message
    easter = make_event(staff, start=datetime(2027, 3, 24, 18))
    (hit,) = _kinds(_check(easter, staff), "holiday")
    assert hit.severity == Severity.INFO and "Osterferien" in hit.message
    plain = make_event(staff, start=datetime(2027, 2, 3, 18))
    assert _kinds(_check(plain, staff), "holiday") == []


def test_blocked_ranges_city_wide_and_per_district(app):
    staff = make_user()
    north, south = (
        District(code="nord", name="Innenstadt-Nord"),
        District(code="sued", name="Hörde"),
    )
    db.session.add_all([north, south])
    db.session.flush()
    hall = make_venue(district_id=north.id)
    db.session.add_all(
        [
            BlockedRange(
                title="Ratssitzung",
                starts_at=datetime(2027, 2, 3, 14, tzinfo=UTC),
                ends_at=datetime(2027, 2, 3, 20, tzinfo=UTC),
                created_at=NOW,
            ),
            BlockedRange(
                title="Stadionspiel",
                district_id=south.id,
                severity=Severity.INFO,
                starts_at=datetime(2027, 2, 4, 15, tzinfo=UTC),
                ends_at=datetime(2027, 2, 4, 21, tzinfo=UTC),
                created_at=NOW,
            ),
            BlockedRange(
                title="Weihnachtsmarkt Nord",
                district_id=north.id,
                starts_at=datetime(2027, 2, 4, 15, tzinfo=UTC),
                ends_at=datetime(2027, 2, 4, 21, tzinfo=UTC),
                created_at=NOW,
            ),
        ]
    )
    council = make_event(staff, start=datetime(2027, 2, 3, 18))  # no venue: city-wide only
    (hit,) = _kinds(_check(council, staff), "blocked")
    assert "Ratssitzung" in hit.message and hit.severity == Severity.WARNING
    north_event = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 4, 18))
    assert [c.details["title"] for c in _kinds(_check(north_event, staff), "blocked")] == [
        "Weihnachtsmarkt Nord"
    ]


def test_capacity_above_the_venue_and_accepted_guests_above_capacity(app):
    staff = make_user()
    hall = make_venue(capacity=50)
    event = _published(staff, venue_id=hall.id, capacity=80, start=datetime(2027, 2, 3, 18))
    (hit,) = _kinds(_check(event, staff), "capacity")
    assert hit.details == {"capacity": 80, "venue_capacity": 50}
    small = _published(staff, capacity=2, start=datetime(2027, 2, 10, 18))
    guests = [make_contact() for _ in range(2)]
    invite(small, guests, actor=staff, now=NOW, secret_key=KEY)
    db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.event_id == small.id)
        .values(status=Answer.ACCEPTED.value, plus_ones=1)
    )
    (hit,) = _kinds(_check(small, staff), "capacity")
    assert hit.details == {"accepted_people": 4, "capacity": 2}


# --- publishing gate --------------------------------------------------------------------------


def test_publishing_with_warnings_needs_a_reason_which_is_kept(app):
    staff = make_user()
    hall = make_venue()
    _published(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    with pytest.raises(ValidationError) as error:
        make_event(
            staff,
            status="published",
            venue_id=hall.id,
            start=datetime(2027, 2, 3, 19),
            conflict_reason="",
        )
    assert list(error.value.errors) == ["conflict_reason"]
    event = make_event(
        staff,
        status="published",
        venue_id=hall.id,
        start=datetime(2027, 2, 3, 19),
        conflict_reason="Gemeinsame Veranstaltung, mit dem Amt abgestimmt.",
    )
    (override,) = db.session.scalars(select(PublishOverride)).all()
    assert override.event_id == event.id and override.created_by_id == staff.id
    assert override.reason.startswith("Gemeinsame") and "Saal" in override.warnings


def test_info_only_needs_no_reason_and_drafts_are_never_gated(app):
    staff = make_user()
    hall = make_venue(exclusive=True)
    _published(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    draft = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18), conflict_reason="")
    assert draft.status == Status.DRAFT
    db.session.add(
        SchoolHoliday(name="Osterferien", first_day=date(2027, 3, 22), last_day=date(2027, 4, 3))
    )
    event = make_event(
        staff, status="published", start=datetime(2027, 3, 24, 18), conflict_reason=""
    )
    assert event.status == Status.PUBLISHED
    assert db.session.scalar(select(func.count(PublishOverride.id))) == 0


def test_hard_conflicts_block_even_with_a_reason_and_moving_into_them_too(app):
    staff = make_user()
    hall = make_venue(exclusive=True, setup_minutes=15)
    _published(staff, title="Erste", venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    db.session.commit()
    with pytest.raises(ValidationError) as error:
        _published(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 20, 10))  # setup overlaps
    assert "Erste" in error.value.errors["venue_id"][0]
    db.session.rollback()
    later = _published(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 21))
    moved = EventInput.from_event(later).replace(
        start=datetime(2027, 2, 3, 19), end=datetime(2027, 2, 3, 21), conflict_reason="bitte"
    )
    with pytest.raises(ValidationError):
        update_event(later, moved, actor=staff, now=NOW)


def test_two_concurrent_publishes_into_an_exclusive_venue_one_wins(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite locks before checking)")
    staff = make_user()
    hall = make_venue(exclusive=True)
    drafts = [
        make_event(staff, title=f"Entwurf {n}", venue_id=hall.id, start=datetime(2027, 2, 3, 18))
        for n in range(2)
    ]
    db.session.commit()
    ids, staff_id = [d.id for d in drafts], staff.id
    barrier = threading.Barrier(2, timeout=60)
    outcomes, errors = [], []

    def publish(event_id):
        worker = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
        with worker.app_context(), worker.test_request_context():
            try:
                actor = db.session.get(User, staff_id)
                event = db.session.get(Event, event_id)
                barrier.wait()
                set_status(event, Status.PUBLISHED, actor=actor, now=NOW, conflict_reason="x")
                db.session.commit()
                outcomes.append("published")
            except ValidationError as error:
                outcomes.append(error.errors)
            except Exception as error:  # noqa: BLE001 - asserted below
                errors.append(error)
                barrier.abort()
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=publish, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert outcomes.count("published") == 1
    (refused,) = [o for o in outcomes if o != "published"]
    assert list(refused) == ["venue_id"]
    db.session.expire_all()
    statuses = sorted(db.session.scalars(select(Event.status).where(Event.id.in_(ids))))
    assert statuses == sorted([Status.PUBLISHED, Status.DRAFT])


def test_venue_changes_update_the_stored_ranges(app):
    staff = make_user()
    hall = make_venue()
    event = make_event(staff, venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    assert (event.occupied_from, event.venue_exclusive) == (event.starts_at, False)
    hall.setup_minutes, hall.exclusive = 45, True
    db.session.flush()
    db.session.refresh(event)
    assert (event.starts_at - event.occupied_from).total_seconds() == 45 * 60
    assert event.venue_exclusive is True


# --- the list for the communications team ------------------------------------------------------


def _scenario():
    owner, other = make_user(), make_user()
    comms = make_user(Role.COMMS, department=None)
    hall = make_venue()
    a = _published(owner, title="A", venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    b = _published(other, title="B", venue_id=hall.id, start=datetime(2027, 2, 3, 19))
    c = _published(other, title="C", start=datetime(2027, 2, 10, 18))
    return owner, other, comms, a, b, c


def test_list_returns_each_pair_once_with_filters_and_department_scope(app):
    owner, other, comms, a, b, c = _scenario()
    guest = make_contact()
    invite(b, [guest], actor=other, now=NOW, secret_key=KEY)
    invite(c, [guest], actor=other, now=NOW, secret_key=KEY)
    d = _published(owner, title="D", start=datetime(2027, 2, 10, 19))
    invite(d, [guest], actor=owner, now=NOW, secret_key=KEY)
    items = listing.conflicts_between(comms, date(2027, 2, 1), date(2027, 2, 28))
    keys = [i.conflict.key for i in items]
    assert keys.count(f"venue:{a.id}:{b.id}") == 1
    assert f"person:{c.id}:{d.id}" in keys
    assert [i.conflict.day for i in items] == sorted(i.conflict.day for i in items)
    only_venue = listing.conflicts_between(
        comms, date(2027, 2, 1), date(2027, 2, 28), kinds={"venue"}
    )
    assert [i.conflict.kind for i in only_venue] == ["venue"]
    assert (
        listing.conflicts_between(comms, date(2027, 2, 1), date(2027, 2, 28), severities={"hard"})
        == []
    )
    # Staff see only conflicts that involve their department's events.
    third = make_user()
    assert listing.conflicts_between(third, date(2027, 2, 1), date(2027, 2, 28)) == []
    mine = listing.conflicts_between(owner, date(2027, 2, 1), date(2027, 2, 28))
    assert {i.conflict.key for i in mine} == {f"venue:{a.id}:{b.id}", f"person:{c.id}:{d.id}"}
    dept = listing.conflicts_between(
        comms, date(2027, 2, 1), date(2027, 2, 28), department_id=other.department_id
    )
    assert {i.conflict.key for i in dept} == {f"venue:{a.id}:{b.id}", f"person:{c.id}:{d.id}"}


def test_acknowledged_conflicts_stay_acknowledged_until_an_event_moves(app):
    _owner, other, comms, a, b, _c = _scenario()
    first, last = date(2027, 2, 1), date(2027, 2, 28)

    def venue_item():
        return next(
            i for i in listing.conflicts_between(comms, first, last) if i.conflict.kind == "venue"
        )

    listing.review(venue_item(), ReviewStatus.ACKNOWLEDGED, "Abgestimmt", actor=comms, now=NOW)
    db.session.commit()
    assert venue_item().state == "acknowledged"
    # A change that does not move the event keeps the review.
    update_event(b, EventInput.from_event(b).replace(title="B neu"), actor=other, now=NOW)
    db.session.commit()
    assert venue_item().state == "acknowledged"
    # Moving it (SEQUENCE rises) reopens the conflict, the old note stays visible.
    moved = EventInput.from_event(b).replace(
        start=datetime(2027, 2, 3, 18, 30), end=datetime(2027, 2, 3, 20, 30), conflict_reason="x"
    )
    update_event(b, moved, actor=other, now=NOW)
    db.session.commit()
    item = venue_item()
    assert (item.state, item.stale, item.review.note) == ("open", True, "Abgestimmt")


def test_guests_of_a_hidden_event_stay_hidden(app):
    owner, outsider = make_user(), make_user()
    vip = make_contact(vip=True, last_name="Oberbürgermeisterin")
    secret = _published(
        outsider, title="Geheim", visibility="confidential", start=datetime(2027, 2, 3, 18)
    )
    mine = _published(owner, title="Mein Empfang", start=datetime(2027, 2, 3, 19))
    invite(secret, [vip], actor=outsider, now=NOW, secret_key=KEY)
    invite(mine, [vip], actor=owner, now=NOW, secret_key=KEY)
    db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.event_id == secret.id)
        .values(status=Answer.ACCEPTED.value)
    )
    # Not even a count: it would tell that the guest is on a list closed to the viewer
    # (issue 8, finding 2; more in test_hardening_conflicts.py).
    assert _kinds(_check(mine, owner), "person") == []
    listed = listing.conflicts_between(owner, date(2027, 2, 1), date(2027, 2, 28))
    assert [i for i in listed if i.conflict.kind == "person"] == []


def test_a_waived_double_booking_stays_editable_until_it_moves(app, database_url):
    staff = make_user()
    hall = make_venue()
    first = _published(staff, title="Erste", venue_id=hall.id, start=datetime(2027, 2, 3, 18))
    second = _published(staff, title="Zweite", venue_id=hall.id, start=datetime(2027, 2, 3, 19))
    db.session.commit()
    # What migration 0004 leaves behind for bookings made before exclusivity was enforced.
    db.session.execute(
        type(hall).__table__.update().where(type(hall).id == hall.id).values(exclusive=True)
    )
    db.session.execute(
        Event.__table__.update().where(Event.id == first.id).values(venue_exclusive=True)
    )
    db.session.commit()
    db.session.expire_all()
    second = db.session.get(Event, second.id)
    update_event(
        second, EventInput.from_event(second).replace(title="Zweite, neu"), actor=staff, now=NOW
    )
    db.session.commit()
    assert db.session.get(Event, second.id).venue_exclusive is False
    moved = EventInput.from_event(second).replace(
        start=datetime(2027, 2, 3, 18, 30), end=datetime(2027, 2, 3, 20), conflict_reason="x"
    )
    with pytest.raises(ValidationError) as error:
        update_event(second, moved, actor=staff, now=NOW)
    assert "venue_id" in error.value.errors


def test_school_holiday_reviews_do_not_depend_on_the_window(app):
    staff = make_user()
    comms = make_user(Role.COMMS, department=None)
    db.session.add(
        SchoolHoliday(name="Osterferien", first_day=date(2027, 3, 22), last_day=date(2027, 4, 3))
    )
    make_event(staff, start=datetime(2027, 3, 24, 18))
    make_event(staff, start=datetime(2027, 4, 1, 18))

    def school(first, last):
        (item,) = [
            i
            for i in listing.conflicts_between(comms, first, last)
            if i.conflict.key.startswith("school:")
        ]
        return item

    listing.review(
        school(date(2027, 3, 15), date(2027, 3, 25)),
        ReviewStatus.ACKNOWLEDGED,
        "ok",
        actor=comms,
        now=NOW,
    )
    db.session.commit()
    assert school(date(2027, 3, 1), date(2027, 4, 30)).state == "acknowledged"
    assert school(date(2027, 3, 30), date(2027, 4, 2)).state == "acknowledged"


def test_one_conflict_is_found_by_its_key_as_the_list_shows_it(app):
    staff = make_user()
    comms = make_user(Role.COMMS, department=None)
    make_audience("presse", "Presse")
    hall = make_venue(capacity=50)
    db.session.add_all(
        [
            SchoolHoliday(
                name="Testferien", first_day=date(2027, 3, 22), last_day=date(2027, 4, 3)
            ),
            BlockedRange(
                title="Ratssitzung",
                starts_at=datetime(2027, 4, 1, 14, tzinfo=UTC),
                ends_at=datetime(2027, 4, 1, 20, tzinfo=UTC),
                created_at=NOW,
            ),
        ]
    )
    _published(staff, venue_id=hall.id, capacity=80, start=datetime(2027, 3, 24, 18))
    _published(staff, venue_id=hall.id, start=datetime(2027, 3, 24, 19))
    _guest_events(staff, datetime(2027, 4, 1, 18), datetime(2027, 4, 1, 19))
    for hour in (10, 12):
        _published(staff, audiences=["presse"], start=datetime(2027, 4, 1, hour))
    make_event(staff, start=datetime(2027, 5, 6, 18))  # Christi Himmelfahrt
    first, last = date(2027, 3, 20), date(2027, 5, 10)
    items = listing.conflicts_between(comms, first, last)
    assert any(i.conflict.key.startswith("school:") for i in items)
    assert {i.conflict.kind for i in items} == {
        "venue",
        "person",
        "audience",
        "holiday",
        "blocked",
        "capacity",
    }
    for item in items:
        found = listing.find(comms, item.conflict.key, first, last)
        assert found is not None, item.conflict.key
        assert (found.conflict, [e.id for e in found.events]) == (
            item.conflict,
            [e.id for e in item.events],
        )
    for key in ("venue:1:1", "nonsense:1", "holiday:2027-06-01", "school:x", "capacity:new:venue"):
        assert listing.find(comms, key, first, last) is None


def test_dates_outside_1900_to_2199_are_refused(app):
    staff = make_user()
    hall = make_venue(teardown_minutes=60)
    for start in (datetime(9999, 12, 31, 23, 0), datetime(1, 1, 1, 10, 0)):
        with pytest.raises(ValidationError) as error:
            _probe(staff, start, start.replace(minute=30), venue_id=hall.id)
        assert "starts_at" in error.value.errors
