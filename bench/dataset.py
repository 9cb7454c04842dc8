"""Benchmark data set: a PostgreSQL database with 20,000 realistic events.

Creates (drop + create) the database ``stadtkalender_bench``, applies the migrations and
bulk-inserts master data, two users with API tokens and the events with SQLAlchemy Core
executemany inserts (the ORM domain functions are far too slow for 20,000 events).

Layout of the events (12 calendar months, starting with the month after today, Europe/Berlin):

* the "bench month" (the 3rd month) holds exactly 2,000 events,
* the "small month" (the 5th month) holds exactly 800 events,
* the other ten months share the rest (1,720 each).

Every event lies inside its month (all-day events are clamped), so an API query for the local
month returns exactly these events. About 92% are public and about 97% published or cancelled
after publication, so the public feed carries roughly 89% of all events.

The derived columns (``occupied_from/until`` with the venue's setup/teardown buffers,
``venue_exclusive``, ``first_day/last_day``) are computed with ``app.events.occupancy`` as the
ORM does on flush. Published events at an exclusive venue never overlap (the exclusion
constraint): a clashing timed event moves to the nearest free start time of the same day,
otherwise (all-day events, full days) to one of the venues that are not exclusive. These moves
draw from a separate random source, so every other event is the same as without them.

An existing database is reused only if it holds the 20,000 events and was built by this
generator version (``DATASET_VERSION``, kept as the database comment); bump the version
whenever the generator changes. ``--rebuild`` forces a rebuild.

Run alone: ``.venv/bin/python bench/dataset.py [--rebuild]``.
"""

import argparse
import os
import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import psycopg.sql  # noqa: E402
from sqlalchemy import create_engine, delete, func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import demo_data as data  # noqa: E402
from app.accounts.models import ApiToken, Role, User  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events.models import (  # noqa: E402
    CalendarVersion,
    Event,
    Status,
    Visibility,
    event_audiences,
    event_cohosts,
)
from app.events.occupancy import local_days, occupied_range  # noqa: E402
from app.events.walltime import local_to_utc, utc_to_local  # noqa: E402
from app.venues.models import Venue  # noqa: E402
from app.vocabularies.models import Audience, Category, District  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "stadtkalender_bench"
# Bump on every change of the generated data; a database built by another version is rebuilt.
DATASET_VERSION = 2  # 2: derived occupancy columns, no overlaps at exclusive venues
DATASET_TAG = f"stadtkalender bench data set v{DATASET_VERSION}, {{events}} events"
TZ = "Europe/Berlin"
TOTAL_EVENTS = 20_000
MONTHS = 12
BENCH_MONTH_INDEX = 2  # the 3rd month from next month on
BENCH_MONTH_EVENTS = 2_000
SMALL_MONTH_INDEX = 4
SMALL_MONTH_EVENTS = 800
VENUE_COUNT = 15
STAFF_EMAIL = "bench.staff@stadt.example"
COMMS_EMAIL = "bench.comms@stadt.example"
STAFF_DEPARTMENT = "kulturbetriebe"
BENCH_PASSWORD = "Bench-Passwort-2026"  # noqa: S105 - benchmark database only
SEED = 20_000

# Shares (chosen so that the public feed carries the large majority of all events).
PUBLIC_SHARE = 0.92
CONFIDENTIAL_SHARE = 0.02  # the rest is internal
STATUS_WEIGHTS = ((Status.PUBLISHED, 94), (Status.DRAFT, 3), (Status.CANCELLED, 3))
ALL_DAY_CATEGORY_SHARE = 0.2  # of events in categories that can last all day (~8% overall)
VENUE_SHARE = 0.7
COHOST_SHARE = 0.15


def bench_url(admin_url: str = ADMIN_URL) -> str:
    """Return the SQLAlchemy URL (psycopg 3 driver) of the benchmark database."""
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=DB_NAME)
    return url.render_as_string(hide_password=False)


def libpq_url(sqlalchemy_url: str) -> str:
    """Return a libpq connection string for psycopg.connect from a SQLAlchemy URL."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class Months:
    """The twelve local months of the data set and the two special ones."""

    starts: tuple[date, ...]  # first day of each month, plus the first day after the last

    @classmethod
    def from_today(cls, today: date) -> "Months":
        """Return the twelve months starting with the month after ``today``."""
        first = _add_months(today.replace(day=1), 1)
        return cls(tuple(_add_months(first, i) for i in range(MONTHS + 1)))

    def bounds(self, index: int) -> tuple[date, date]:
        """Return (first day, first day of the next month) of month ``index``."""
        return self.starts[index], self.starts[index + 1]

    @property
    def bench(self) -> tuple[date, date]:
        """Return the bounds of the month with 2,000 events."""
        return self.bounds(BENCH_MONTH_INDEX)

    @property
    def small(self) -> tuple[date, date]:
        """Return the bounds of the month with 800 events."""
        return self.bounds(SMALL_MONTH_INDEX)


def _add_months(day: date, months: int) -> date:
    """Return the first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def events_per_month() -> list[int]:
    """Return how many events each of the twelve months gets (summing to TOTAL_EVENTS)."""
    counts = [0] * MONTHS
    counts[BENCH_MONTH_INDEX] = BENCH_MONTH_EVENTS
    counts[SMALL_MONTH_INDEX] = SMALL_MONTH_EVENTS
    rest = TOTAL_EVENTS - BENCH_MONTH_EVENTS - SMALL_MONTH_EVENTS
    others = [i for i in range(MONTHS) if counts[i] == 0]
    for n, index in enumerate(others):
        counts[index] = rest // len(others) + (1 if n < rest % len(others) else 0)
    assert sum(counts) == TOTAL_EVENTS
    return counts


# --------------------------------------------------------------------------- database


def recreate_database(admin_url: str = ADMIN_URL) -> None:
    """Drop and create the benchmark database."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def database_exists(admin_url: str = ADMIN_URL) -> bool:
    """Return True if the benchmark database exists."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
    return row is not None


def dataset_tag(admin_url: str = ADMIN_URL) -> str | None:
    """Return the version tag (the comment) of the benchmark database, if any."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (DB_NAME,),
        ).fetchone()
    return row[0] if row is not None else None


def set_dataset_tag(admin_url: str = ADMIN_URL) -> None:
    """Mark the benchmark database as built by this generator version."""
    tag = DATASET_TAG.format(events=TOTAL_EVENTS)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                psycopg.sql.Identifier(DB_NAME), psycopg.sql.Literal(tag)
            )
        )


def event_count(url: str) -> int:
    """Return the number of events in the benchmark database (0 if there is no schema)."""
    with psycopg.connect(libpq_url(url)) as conn:
        exists = conn.execute("SELECT to_regclass('public.events')").fetchone()[0]
        if exists is None:
            return 0
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def migrate(url: str) -> None:
    """Apply the migrations to the database at ``url``."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, ENV_NAME="test")
    with app.app_context():
        upgrade()
        db.engine.dispose()


# --------------------------------------------------------------------------- generation


class _Generator:
    """Draws the rows of the data set from one seeded random source."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.district_names = [name for _code, name in data.DISTRICTS]
        self.departments = {d.code: d for d in data.DEPARTMENTS}
        # Moves against double bookings draw from their own source, so that the main one (and
        # with it every event that needs no move) stays as it was before the moves existed.
        self.place_rng = random.Random(SEED + 1)  # noqa: S311
        # (venue id, UTC date) -> occupied ranges of published events at exclusive venues
        self.booked: dict[tuple[int, date], list[tuple[datetime, datetime]]] = {}
        self.moved = 0  # to another time of the same day
        self.revenued = 0  # to a venue that is not exclusive

    # master data ---------------------------------------------------------------

    def master_rows(self) -> dict[str, list[dict]]:
        """Return the rows of the vocabularies and departments (with explicit ids)."""

        def terms(rows):
            return [
                {"id": i, "code": code, "name": name, "name_en": name_en, "active": True}
                for i, (code, name, name_en) in enumerate(rows, 1)
            ]

        districts = terms((code, name, name) for code, name in data.DISTRICTS)
        return {
            "districts": districts,
            "audiences": terms(data.AUDIENCES),
            "categories": terms(data.CATEGORIES),
            "departments": [
                {
                    "id": i,
                    "code": d.code,
                    "name": d.name,
                    "email": f"{d.code}@{data.MAIL_DOMAIN}",
                    "active": True,
                }
                for i, d in enumerate(data.DEPARTMENTS, 1)
            ],
        }

    def venue_rows(self, district_ids: dict[str, int]) -> list[dict]:
        """Return the first VENUE_COUNT demo venues as rows (with explicit ids)."""
        rows = []
        for i, venue in enumerate(data.VENUES[:VENUE_COUNT], 1):
            row = venue._asdict()
            row.update(id=i, district_id=district_ids[row.pop("district")], active=True)
            rows.append(row)
        return rows

    # events --------------------------------------------------------------------

    def _day(self, first: date, last_exclusive: date, category: str) -> date:
        """Return a day of the month, rarely a weekend unless the category suits one."""
        weekend_chance = 0.5 if category in data.WEEKEND_CATEGORIES else 0.05
        span = (last_exclusive - first).days
        while True:
            day = first + timedelta(days=self.rng.randrange(span))
            if (day.month, day.day) in data.HOLIDAYS:
                continue
            if day.weekday() < 5 or self.rng.random() < weekend_chance:
                return day

    def _when(self, first: date, last_exclusive: date, category: str):
        """Return (all_day, start_local, end_local) inside the month."""
        rng = self.rng
        day = self._day(first, last_exclusive, category)
        if category in data.ALL_DAY_CATEGORIES and rng.random() < ALL_DAY_CATEGORY_SHARE:
            length = rng.choice((1, 1, 1, 2, 3))
            start = min(day, last_exclusive - timedelta(days=length))
            begin = datetime.combine(start, time())
            return True, begin, begin + timedelta(days=length)
        # Timed events between 08:00 and 21:00, far from the 02:00-03:00 DST hour.
        minutes = 15 * rng.randint(2, 16)
        start_minute = 15 * rng.randint(8 * 4, (21 * 60 - minutes) // 15)
        begin = datetime.combine(day, time()) + timedelta(minutes=start_minute)
        return False, begin, begin + timedelta(minutes=minutes)

    # exclusive venues --------------------------------------------------------------

    @staticmethod
    def _occupied(venue, start_local: datetime, end_local: datetime):
        """Return the occupied UTC range and its (venue id, UTC date) bookkeeping keys."""
        occ = occupied_range(local_to_utc(start_local, TZ), local_to_utc(end_local, TZ), venue)
        first, last = occ[0].date(), occ[1].date()
        keys = [(venue.id, first + timedelta(days=n)) for n in range((last - first).days + 1)]
        return occ, keys

    def _book(self, venue, start_local: datetime, end_local: datetime) -> bool:
        """Book the venue for the event unless that would overlap a booking; return success."""
        (start, end), keys = self._occupied(venue, start_local, end_local)
        for key in keys:
            if any(a < end and start < b for a, b in self.booked.get(key, ())):
                return False
        for key in keys:
            self.booked.setdefault(key, []).append((start, end))
        return True

    def _place(self, venue, all_day: bool, start_local: datetime, end_local: datetime, others):
        """Return (venue, start, end) for a published event at an exclusive venue.

        Keeps the event if the venue is free, else moves a timed event to the nearest free
        start (same day, same length, within the usual 08:00-21:00), else takes one of
        ``others`` (venues that are not exclusive) at the original time.
        """
        if self._book(venue, start_local, end_local):
            return venue, start_local, end_local
        if not all_day:
            length = end_local - start_local
            midnight = datetime.combine(start_local.date(), time())
            quarter = timedelta(minutes=15)
            original = (start_local - midnight) // quarter
            slots = range(8 * 4, (21 * 60 - length // timedelta(minutes=1)) // 15 + 1)
            for slot in sorted(slots, key=lambda q: (abs(q - original), self.place_rng.random())):
                begin = midnight + slot * quarter
                if self._book(venue, begin, begin + length):
                    self.moved += 1
                    return venue, begin, begin + length
        self.revenued += 1
        return self.place_rng.choice(others), start_local, end_local

    # texts ---------------------------------------------------------------------------

    def _text(self, dept: data.DepartmentSeed, category: str, day: date) -> tuple[str, str]:
        """Return a German title and description fitting the department and category."""
        rng = self.rng
        templates = [t for t in data.TEMPLATES[category] if len(t) < 3 or dept.code in t[2]]
        title, description = rng.choice(templates)[:2]
        context = {
            "thema": rng.choice(dept.themes),
            "ausschuss": dept.committee,
            "abteilung": dept.name,
            "bezirk": rng.choice(self.district_names),
            "partner": rng.choice(data.PARTNER_CITIES),
            "ausstellung": rng.choice(data.EXHIBITIONS),
            "sport": rng.choice(data.SPORTS),
            "training": rng.choice(data.TRAININGS),
            "saison": data.SEASONAL_RECEPTIONS[day.month],
            "jahr": day.year + 1,
        }
        title = title.format(**context)[:200]
        description = description.format(**context)
        if rng.random() < 0.4:
            description += " " + rng.choice(data.EXTRA_SENTENCES)
        return title, description

    def event_rows(
        self,
        months: Months,
        ids: dict[str, dict[str, int]],
        venues: list[dict],
        creators: list[int],
    ) -> tuple[list[dict], list[dict], list[dict]]:
        """Return the event rows and their audience and co-host links."""
        rng = self.rng
        events: list[dict] = []
        audience_links: list[dict] = []
        cohost_links: list[dict] = []
        audience_codes = list(ids["audiences"])
        department_codes = list(ids["departments"])
        statuses = [s for s, _w in STATUS_WEIGHTS]
        weights = [w for _s, w in STATUS_WEIGHTS]
        # Attribute access for app.events.occupancy (a venue-like object is enough).
        venue_objs = [SimpleNamespace(**v) for v in venues]
        not_exclusive = [v for v in venue_objs if not v.exclusive]
        event_id = 0
        for index, count in enumerate(events_per_month()):
            first, last_exclusive = months.bounds(index)
            for _ in range(count):
                event_id += 1
                dept = self.departments[rng.choice(department_codes)]
                category = rng.choice(dept.categories)
                all_day, start_local, end_local = self._when(first, last_exclusive, category)
                title, description = self._text(dept, category, start_local.date())
                venue = rng.choice(venue_objs) if rng.random() < VENUE_SHARE else None
                outdoor = category in data.OUTDOOR_CATEGORIES
                locations = data.OUTDOOR_LOCATIONS if outdoor else data.INDOOR_LOCATIONS
                roll = rng.random()
                visibility = (
                    Visibility.PUBLIC
                    if roll < PUBLIC_SHARE
                    else Visibility.CONFIDENTIAL
                    if roll < PUBLIC_SHARE + CONFIDENTIAL_SHARE
                    else Visibility.INTERNAL
                )
                status = rng.choices(statuses, weights=weights)[0]
                if venue is not None and venue.exclusive and status == Status.PUBLISHED:
                    venue, start_local, end_local = self._place(
                        venue, all_day, start_local, end_local, not_exclusive
                    )
                starts_at = local_to_utc(start_local, TZ)
                ends_at = local_to_utc(end_local, TZ)
                occupied_from, occupied_until = occupied_range(starts_at, ends_at, venue)
                first_day, last_day = local_days(start_local, end_local)
                created_at = self.now - timedelta(
                    days=rng.randint(1, 90), minutes=rng.randint(0, 1439)
                )
                updated_at = created_at + timedelta(minutes=rng.randint(0, 60 * 24 * 10))
                updated_at = min(updated_at, self.now)
                published_at = updated_at if status != Status.DRAFT else None
                deadline = None
                if rng.random() < 0.3:
                    deadline = starts_at - timedelta(days=rng.randint(2, 7))
                capacity = None
                if rng.random() < 0.5:
                    capacity = rng.choice((20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300))
                    if venue is not None and venue.capacity is not None:
                        capacity = min(capacity, venue.capacity)
                events.append(
                    {
                        "id": event_id,
                        "uid": f"bench-{event_id:05d}-{rng.getrandbits(64):016x}@stadtkalender",
                        "title": title,
                        "description": description,
                        "all_day": all_day,
                        "start_local": start_local,
                        "end_local": end_local,
                        "timezone": TZ,
                        "starts_at": starts_at,
                        "ends_at": ends_at,
                        "venue_id": venue.id if venue is not None else None,
                        "occupied_from": occupied_from,
                        "occupied_until": occupied_until,
                        "venue_exclusive": bool(venue is not None and venue.exclusive),
                        "first_day": first_day,
                        "last_day": last_day,
                        "location": "" if venue is not None else rng.choice(locations),
                        "department_id": ids["departments"][dept.code],
                        "category_id": ids["categories"][category],
                        "visibility": visibility,
                        "status": status,
                        "capacity": capacity,
                        "max_plus_ones": rng.choices((0, 1, 2), weights=(6, 3, 1))[0],
                        "rsvp_deadline": deadline,
                        # Every significant change raises SEQUENCE; cancelling is one.
                        "sequence": rng.choices((0, 1, 2, 3), weights=(70, 20, 7, 3))[0]
                        + (status == Status.CANCELLED),
                        "revision": 1,
                        "published_at": published_at,
                        "created_at": created_at,
                        "updated_at": updated_at,
                        "created_by_id": rng.choice(creators),
                    }
                )
                wanted = set()
                if category in data.CATEGORY_AUDIENCE:
                    wanted.add(data.CATEGORY_AUDIENCE[category])
                wanted.update(rng.sample(audience_codes, rng.randint(1, 3)))
                audience_links.extend(
                    {"event_id": event_id, "audience_id": ids["audiences"][code]}
                    for code in sorted(wanted)
                )
                if rng.random() < COHOST_SHARE:
                    others = [c for c in department_codes if c != dept.code]
                    cohost_links.extend(
                        {"event_id": event_id, "department_id": ids["departments"][code]}
                        for code in rng.sample(others, rng.choice((1, 1, 2)))
                    )
        return events, audience_links, cohost_links


# --------------------------------------------------------------------------- build


def new_api_token(conn, user_id: int, now: datetime) -> str:
    """Replace the user's API tokens by a fresh one (ApiToken.issue); return the plain token."""
    user = User(id=user_id)
    token, plain = ApiToken.issue(user, now)
    conn.execute(delete(ApiToken.__table__).where(ApiToken.__table__.c.user_id == user_id))
    conn.execute(
        insert(ApiToken.__table__).values(
            user_id=user_id, token_hash=token.token_hash, created_at=now, revoked=False
        )
    )
    return plain


def _insert_all(conn, table, rows: list[dict], chunk: int = 5_000) -> None:
    """Insert rows with executemany in chunks."""
    for start in range(0, len(rows), chunk):
        conn.execute(insert(table), rows[start : start + chunk])


def _reset_sequences(conn, tables: list[str]) -> None:
    """Move each table's id sequence past the explicitly inserted ids."""
    for name in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
            )
        )


def fill(url: str, now: datetime | None = None) -> dict:
    """Insert the whole data set into the migrated, empty database; return a summary."""
    from werkzeug.security import generate_password_hash

    now = now or datetime.now(UTC)
    rng = random.Random(SEED)  # noqa: S311 - reproducible benchmark data
    gen = _Generator(rng, now)
    months = Months.from_today(utc_to_local(now, TZ).date())
    engine = create_engine(url)
    timings = {}
    with engine.begin() as conn:
        started = perf_counter()
        master = gen.master_rows()
        for name, model in (
            ("districts", District),
            ("audiences", Audience),
            ("categories", Category),
            ("departments", Department),
        ):
            _insert_all(conn, model.__table__, master[name])
        ids = {name: {row["code"]: row["id"] for row in rows} for name, rows in master.items()}
        venues = gen.venue_rows(ids["districts"])
        _insert_all(conn, Venue.__table__, venues)
        password_hash = generate_password_hash(BENCH_PASSWORD)
        users = [
            {
                "id": 1,
                "email": STAFF_EMAIL,
                "name": "Bench Staff",
                "role": Role.STAFF,
                "department_id": ids["departments"][STAFF_DEPARTMENT],
            },
            {
                "id": 2,
                "email": COMMS_EMAIL,
                "name": "Bench Kommunikation",
                "role": Role.COMMS,
                "department_id": ids["departments"][data.COMMS_DEPARTMENT],
            },
        ]
        _insert_all(
            conn,
            User.__table__,
            [
                {
                    **u,
                    "password_hash": password_hash,
                    "active": True,
                    "locale": "de",
                    "feed_nonce": f"{rng.getrandbits(128):032x}",
                    "created_at": now,
                }
                for u in users
            ],
        )
        for user in users:
            new_api_token(conn, user["id"], now)
        timings["master data"] = perf_counter() - started

        started = perf_counter()
        events, audience_links, cohost_links = gen.event_rows(
            months, ids, venues, [u["id"] for u in users]
        )
        timings["generate rows"] = perf_counter() - started

        started = perf_counter()
        _insert_all(conn, Event.__table__, events)
        _insert_all(conn, event_audiences, audience_links, chunk=20_000)
        _insert_all(conn, event_cohosts, cohost_links, chunk=20_000)
        _reset_sequences(
            conn,
            ["districts", "audiences", "categories", "departments", "venues", "users", "events"],
        )
        # Feeds and ETags key on this counter; the bulk insert bypassed the ORM listener.
        result = conn.execute(
            update(CalendarVersion.__table__)
            .where(CalendarVersion.__table__.c.id == 1)
            .values(
                version=CalendarVersion.__table__.c.version + 1,
                master_version=CalendarVersion.__table__.c.master_version + 1,
                changed_at=now,
            )
        )
        if result.rowcount == 0:
            conn.execute(
                insert(CalendarVersion.__table__).values(
                    id=1, version=1, master_version=1, changed_at=now
                )
            )
        timings["insert"] = perf_counter() - started
    engine.dispose()

    started = perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = perf_counter() - started
    return {
        "events": len(events),
        "audience links": len(audience_links),
        "co-host links": len(cohost_links),
        "moved": gen.moved,
        "re-venued": gen.revenued,
        "timings": timings,
    }


# --------------------------------------------------------------------------- description


@dataclass
class DataSetInfo:
    """What the benchmark needs to know about the data set in the database."""

    url: str
    events: int
    bench_month: tuple[date, date]
    bench_month_events: int
    bench_month_public: int
    small_month: tuple[date, date]
    small_month_events: int
    small_month_public: int
    public_feed_events: int
    comms_user_id: int
    staff_user_id: int
    built: bool
    build_seconds: float | None = None


def _month_counts(conn) -> list[tuple[date, int, int]]:
    """Return (month, events, public published events) per local month."""
    stmt = text(
        "SELECT date_trunc('month', start_local)::date AS month, count(*) AS n, "
        "count(*) FILTER (WHERE visibility = 'public' AND (status = 'published' OR "
        "(status = 'cancelled' AND published_at IS NOT NULL))) AS public "
        "FROM events GROUP BY 1 ORDER BY 1"
    )
    return [(row.month, row.n, row.public) for row in conn.execute(stmt)]


def describe(url: str, built: bool, build_seconds: float | None = None) -> DataSetInfo:
    """Read the special months and counts back from the database."""
    engine = create_engine(url)
    with engine.connect() as conn:
        months = _month_counts(conn)
        by_size = {n: (month, n, public) for month, n, public in months}
        if BENCH_MONTH_EVENTS not in by_size or SMALL_MONTH_EVENTS not in by_size:
            raise RuntimeError(
                "The benchmark database does not have the expected months; run with --rebuild."
            )
        bench, small = by_size[BENCH_MONTH_EVENTS], by_size[SMALL_MONTH_EVENTS]
        users = {row.email: row.id for row in conn.execute(select(User.id, User.email))}
        events = conn.scalar(select(func.count()).select_from(Event.__table__))
    engine.dispose()
    return DataSetInfo(
        url=url,
        events=events,
        bench_month=(bench[0], _add_months(bench[0], 1)),
        bench_month_events=bench[1],
        bench_month_public=bench[2],
        small_month=(small[0], _add_months(small[0], 1)),
        small_month_events=small[1],
        small_month_public=small[2],
        public_feed_events=sum(public for _m, _n, public in months),
        comms_user_id=users[COMMS_EMAIL],
        staff_user_id=users[STAFF_EMAIL],
        built=built,
        build_seconds=build_seconds,
    )


def ensure(rebuild: bool = False, admin_url: str = ADMIN_URL, log=print) -> DataSetInfo:
    """Build the data set unless the database already has the 20,000 events of this version."""
    url = bench_url(admin_url)
    expected = DATASET_TAG.format(events=TOTAL_EVENTS)
    exists = not rebuild and database_exists(admin_url)
    tag = dataset_tag(admin_url) if exists else None
    if exists and tag == expected and event_count(url) == TOTAL_EVENTS:
        migrate(url)  # a no-op unless someone added a migration since
        log(
            f"Data set: reusing database {DB_NAME!r} with {TOTAL_EVENTS:,} events "
            f"(v{DATASET_VERSION}; pass --rebuild to recreate it)."
        )
        return describe(url, built=False)
    started = perf_counter()
    reason = ""
    if exists:
        found = "not all events" if tag == expected else repr(tag or "no version tag")
        reason = f" (found {found}, want {expected!r})"
    log(f"Data set: creating database {DB_NAME!r}{reason} ...")
    recreate_database(admin_url)
    migrate(url)
    summary = fill(url)
    set_dataset_tag(admin_url)  # last: an interrupted build is never reused
    seconds = perf_counter() - started
    steps = ", ".join(f"{name} {value:.1f} s" for name, value in summary["timings"].items())
    log(
        f"Data set: {summary['events']:,} events, {summary['audience links']:,} audience links, "
        f"{summary['co-host links']:,} co-host links in {seconds:.1f} s ({steps}); "
        f"{summary['moved']:,} published events at exclusive venues moved to another time of "
        f"the same day, {summary['re-venued']:,} to a venue that is not exclusive."
    )
    return describe(url, built=True, build_seconds=seconds)


def main(argv: list[str] | None = None) -> None:
    """Command line: build (or reuse) the data set and print what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    info = ensure(rebuild=args.rebuild)
    for name, value in vars(info).items():
        print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
