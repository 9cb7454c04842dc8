"""The demo data generator and the ``flask demo seed`` command."""

from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import combinations

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app import create_app
from app.accounts import models as account_models
from app.accounts.models import Role, User
from app.demo import DEMO_PASSWORD, seed
from app.departments.models import Department
from app.events.models import Event, Status, Visibility
from app.extensions import db
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category, District
from config import TestConfig

# The three months after this instant include the switch to summer time on 29 March 2026.
NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)


def _make_app(tmp_path, **overrides):
    """Return an app on a fresh SQLite file with all tables created."""
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI="sqlite:///" + str(tmp_path / "demo.sqlite"),
        **overrides,
    )
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Hash with few rounds: thirty scrypt hashes per seed would dominate the test time."""
    cheap = partial(generate_password_hash, method="pbkdf2:sha256:1000")
    monkeypatch.setattr(account_models, "generate_password_hash", cheap)


@pytest.fixture
def demo_app(tmp_path):
    """An app on an empty database, disposed of afterwards so no connection leaks."""
    app = _make_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _count(model) -> int:
    """Return the number of rows of a model."""
    return db.session.scalar(select(func.count()).select_from(model))


def _overlapping_pairs(events: list[Event]) -> list[tuple[Event, Event]]:
    """Return pairs of live timed events at the same venue whose times overlap."""
    live = [e for e in events if e.venue_id and not e.all_day and e.status != Status.CANCELLED]
    return [
        (a, b)
        for a, b in combinations(live, 2)
        if a.venue_id == b.venue_id and a.starts_at < b.ends_at and b.starts_at < a.ends_at
    ]


def test_seed_fills_an_empty_database_with_a_realistic_city(demo_app):
    with demo_app.app_context():
        logins = seed(now=NOW, events=300)
        db.session.commit()
        db.session.expire_all()

        assert 18 <= _count(Department) <= 22
        departments = db.session.scalars(select(Department))
        assert all(d.email == f"{d.code}@stadt.example" for d in departments)
        districts = {d.code: d for d in db.session.scalars(select(District))}
        assert len(districts) == 12
        assert districts["hoerde"].name == districts["hoerde"].name_en == "Hörde"
        assert {"buergerschaft", "presse", "politik"} <= set(
            db.session.scalars(select(Audience.code))
        )
        assert _count(Category) >= 8
        assert _count(Venue) >= 15
        assert any(v.exclusive for v in db.session.scalars(select(Venue)))

        events = list(db.session.scalars(select(Event)))
        assert len(events) == 300
        assert all(NOW < e.starts_at < e.ends_at <= NOW + timedelta(days=92) for e in events)
        timed = [e for e in events if not e.all_day]
        # Neither end may fall into the DST change hour, which calendar programs read differently.
        assert all(e.start_local.hour != 2 and e.end_local.hour != 2 for e in timed)
        all_day = [e for e in events if e.all_day]
        assert all_day and any(e.end_local - e.start_local > timedelta(days=1) for e in all_day)

        by_status = {s: [e for e in events if e.status == s] for s in Status}
        assert len(by_status[Status.PUBLISHED]) > 180
        assert by_status[Status.DRAFT]
        assert all(e.published_at is None for e in by_status[Status.DRAFT])
        assert by_status[Status.CANCELLED]
        assert all(e.published_at is not None for e in by_status[Status.CANCELLED])
        assert any(e.visibility == Visibility.CONFIDENTIAL for e in events)
        assert any(e.visibility == Visibility.PUBLIC for e in events)
        assert any(e.co_hosts for e in events)
        assert all(1 <= len(e.audiences) <= 3 and e.category is not None for e in events)
        assert any(e.rsvp_deadline and e.rsvp_deadline < e.starts_at for e in events)
        assert any("Bürgersprechstunde Bezirk" in e.title for e in events)
        assert _overlapping_pairs(events)

        users = list(db.session.scalars(select(User)))
        assert len(users) == len(logins)
        assert all(u.department is not None for u in users if u.role == Role.STAFF)
        assert ("admin@stadt.example", "admin", "") in logins
        assert ("datenschutz@stadt.example", "privacy", "") in logins
        assert sum(role == "comms" for _email, role, _dept in logins) == 2
        admin = db.session.scalar(select(User).filter_by(email="admin@stadt.example"))
        assert admin.role == Role.ADMIN and admin.check_password(DEMO_PASSWORD)
        # Every event was created by someone allowed to: a staff member of a host, or comms.
        for event in events:
            creator = event.created_by
            assert creator.role == Role.COMMS or creator.department_id == event.department_id

        with pytest.raises(ValueError, match="already contains departments"):
            seed(now=NOW, events=5)


def test_seed_is_reproducible(tmp_path):
    titles = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        app = _make_app(tmp_path / name)
        with app.app_context():
            seed(now=NOW, events=40)
            rows = db.session.execute(
                select(Event.title, Event.start_local, Event.venue_id).order_by(Event.id)
            ).all()
            titles.append([tuple(row) for row in rows])
            db.session.remove()
            db.engine.dispose()
    assert titles[0] == titles[1]


def test_cli_seeds_once_and_prints_the_logins(demo_app):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--events", "20"])
    assert result.exit_code == 0, result.output
    assert "Demo-Zugänge (Passwort für alle: Dortmund-Demo-2026)" in result.output
    assert "admin@stadt.example" in result.output
    assert "datenschutz@stadt.example" in result.output and " privacy\n" in result.output
    assert "komm.schmidt@stadt.example" in result.output
    with demo_app.app_context():
        assert _count(Event) == 20

    again = runner.invoke(args=["demo", "seed", "--events", "20"])
    assert again.exit_code == 0, again.output
    assert "Demo-Daten sind bereits vorhanden" in again.output
    assert "admin@stadt.example" in again.output
    with demo_app.app_context():
        assert _count(Event) == 20


def test_cli_refuses_production(tmp_path):
    app = _make_app(tmp_path, ENV_NAME="production", SECRET_KEY="Kq3vT9xLmR2pWz8NcY4hBd7FgJ6sAe5U")
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "Produktion" in result.output
    with app.app_context():
        assert _count(Department) == 0
        db.session.remove()
        db.engine.dispose()
