"""Events through the domain functions: validation, time zones, sequence, permissions."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role
from app.errors import PermissionDenied, ValidationError
from app.events.models import Event, Status, Visibility
from app.events.operations import set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from tests.factories import NOW, make_audience, make_department, make_event, make_user, make_venue


def test_event_keeps_wall_time_and_exact_utc_instants(app):
    staff = make_user()
    event = make_event(staff, start=datetime(2026, 12, 3, 18, 0), end=datetime(2026, 12, 3, 20, 30))
    db.session.commit()
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.start_local == datetime(2026, 12, 3, 18, 0)
    assert event.starts_at == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2026, 12, 3, 19, 30, tzinfo=UTC)
    assert event.department == staff.department
    assert event.uid.endswith("@stadtkalender") and event.sequence == 0


def test_aware_input_is_converted_to_wall_time(app):
    event = make_event(
        make_user(),
        start=datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
        end=datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
    )
    assert event.start_local == datetime(2026, 7, 1, 10, 0)


def test_start_in_the_dst_change_hour_is_rejected_with_a_message(app):
    with pytest.raises(ValidationError) as error:
        make_event(make_user(), start=datetime(2026, 3, 29, 2, 30), end=datetime(2026, 3, 29, 4, 0))
    assert "starts_at" in error.value.errors
    assert "29.03.2026, 02:30" in error.value.errors["starts_at"][0]


def test_end_in_the_doubled_hour_is_rejected(app):
    with pytest.raises(ValidationError) as error:
        make_event(
            make_user(), start=datetime(2026, 10, 25, 1, 0), end=datetime(2026, 10, 25, 2, 30)
        )
    assert list(error.value.errors) == ["ends_at"]


def test_end_before_start_and_missing_title_are_reported_together(app):
    with pytest.raises(ValidationError) as error:
        make_event(
            make_user(),
            title=" ",
            start=datetime(2026, 12, 3, 18, 0),
            end=datetime(2026, 12, 3, 17, 0),
        )
    assert set(error.value.errors) == {"title", "ends_at"}


def test_all_day_event_stores_exclusive_end(app):
    event = make_event(make_user(), all_day=True, start=date(2026, 12, 24), end=date(2026, 12, 26))
    assert event.start_local == datetime(2026, 12, 24)
    assert event.end_local == datetime(2026, 12, 27)
    assert event.end_date_inclusive == date(2026, 12, 26)
    assert event.starts_at == datetime(2026, 12, 23, 23, 0, tzinfo=UTC)


def test_all_day_event_over_the_dst_change_is_fine(app):
    event = make_event(make_user(), all_day=True, start=date(2026, 3, 29), end=date(2026, 3, 29))
    assert event.ends_at - event.starts_at == timedelta(hours=23)


def test_unknown_references_are_named(app):
    with pytest.raises(ValidationError) as error:
        make_event(make_user(), venue_id=999, audiences=["nope"], category="x", co_hosts=["zz"])
    assert set(error.value.errors) == {"venue_id", "audiences", "category", "co_hosts"}


def test_sequence_rises_on_time_place_and_status_changes_only(app):
    staff = make_user()
    event = make_event(staff)
    data = EventInput.from_event(event)
    update_event(event, data.replace(description="Neue Beschreibung"), actor=staff, now=NOW)
    assert event.sequence == 0
    update_event(
        event,
        data.replace(start=datetime(2026, 11, 3, 19, 0), end=datetime(2026, 11, 3, 21, 0)),
        actor=staff,
        now=NOW,
    )
    assert event.sequence == 1
    venue = make_venue()
    update_event(
        event, EventInput.from_event(event).replace(venue_id=venue.id), actor=staff, now=NOW
    )
    assert event.sequence == 2
    set_status(event, Status.PUBLISHED, actor=staff, now=NOW)
    assert event.sequence == 3 and event.published_at == NOW
    set_status(event, Status.CANCELLED, actor=staff, now=NOW)
    assert event.sequence == 4 and event.status == Status.CANCELLED
    assert db.session.get(Event, event.id) is event  # cancelling keeps the event


def test_published_event_cannot_return_to_draft(app):
    staff = make_user()
    event = make_event(staff, status="published")
    with pytest.raises(ValidationError):
        set_status(event, Status.DRAFT, actor=staff, now=NOW)


def test_staff_edit_only_own_and_cohosted_events(app):
    owner = make_user()
    cohost_staff = make_user()
    stranger = make_user()
    event = make_event(owner, co_hosts=[cohost_staff.department.code])
    data = EventInput.from_event(event).replace(title="Geändert")
    update_event(event, data, actor=cohost_staff, now=NOW)
    with pytest.raises(PermissionDenied):
        update_event(event, data, actor=stranger, now=NOW)
    comms = make_user(Role.COMMS)
    update_event(event, data.replace(title="Von Komm"), actor=comms, now=NOW)
    assert event.title == "Von Komm"


def test_staff_cannot_create_for_another_department(app):
    staff = make_user()
    other = make_department()
    with pytest.raises(PermissionDenied):
        make_event(staff, department=other.code)
    comms = make_user(Role.COMMS)
    assert make_event(comms, department=other.code).department == other


def test_owning_department_cannot_cohost(app):
    staff = make_user()
    with pytest.raises(ValidationError) as error:
        make_event(staff, co_hosts=[staff.department.code])
    assert "co_hosts" in error.value.errors


def test_rsvp_deadline_after_the_event_is_rejected(app):
    with pytest.raises(ValidationError) as error:
        make_event(make_user(), rsvp_deadline=datetime(2026, 11, 10, 12, 0))
    assert "rsvp_deadline" in error.value.errors


def test_audiences_and_cohosts_are_stored(app):
    make_audience("presse", "Presse")
    make_audience("politik", "Politik/Rat")
    partner = make_department(code="kultur")
    event = make_event(
        make_user(),
        audiences=["politik", "presse"],
        co_hosts=["kultur"],
        visibility=Visibility.PUBLIC.value,
    )
    assert [a.code for a in event.audiences] == ["politik", "presse"]
    assert event.co_hosts == [partner]


def _raw_event_values(department_id: int, **overrides) -> dict:
    """Return column values for a direct INSERT that bypasses the domain checks."""
    values = {
        "uid": "raw@test",
        "title": "Roh",
        "description": "",
        "all_day": False,
        "start_local": "2026-12-01 10:00:00",
        "end_local": "2026-12-01 11:00:00",
        "timezone": "Europe/Berlin",
        "starts_at": "2026-12-01 09:00:00+00",
        "ends_at": "2026-12-01 10:00:00+00",
        "location": "",
        "department_id": department_id,
        "visibility": "internal",
        "status": "draft",
        "max_plus_ones": 0,
        "sequence": 0,
        "revision": 1,
        "occupied_from": "2026-12-01 09:00:00+00",
        "occupied_until": "2026-12-01 10:00:00+00",
        "venue_exclusive": False,
        "first_day": "2026-12-01",
        "last_day": "2026-12-01",
        "created_at": "2026-11-01 10:00:00+00",
        "updated_at": "2026-11-01 10:00:00+00",
    } | overrides
    return values


def _insert(values: dict) -> None:
    """Insert an event row directly."""
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    db.session.execute(text(f"INSERT INTO events ({columns}) VALUES ({params})"), values)
    db.session.flush()


def test_database_enforces_end_after_start(app):
    department = make_department()
    with pytest.raises(IntegrityError):
        _insert(_raw_event_values(department.id, ends_at="2026-12-01 08:00:00+00"))


def test_database_enforces_foreign_keys_on_every_backend(app):
    with pytest.raises(IntegrityError):
        _insert(_raw_event_values(424242))


def test_database_enforces_unique_uids(app):
    department = make_department()
    _insert(_raw_event_values(department.id))
    with pytest.raises(IntegrityError):
        _insert(_raw_event_values(department.id))
