"""Conflict benchmark data set: 100,000 events over five years and 50,000 invitations.

Creates (drop + create) the database ``stadtkalender_conflictbench``, applies the migrations
(which also seed the NRW school holidays) and bulk-inserts with SQLAlchemy Core executemany:

* 50 departments (the 20 demo departments and 30 more), the 12 Dortmund districts, the
  9 audiences, the 10 categories, a comms user and a staff user;
* 60 venues (the 20 demo venues and 40 more): 15 exclusive, setup/teardown buffers 0-60 min;
* 20,000 contacts, about 2% VIPs; the first 300 are "regulars" (council, press, business,
  a fifth of them VIPs) who get half of all invitations, so that guests really are invited to
  several events on the same day or evening;
* 100,000 events from 2.5 years back to 2.5 years ahead of today (about 385 a week, fewer at
  weekends): 70% at a venue, 8% all-day (some over several days), 1% running past midnight,
  0.5% timed over several days; 5% cancelled, about 4% drafts (plus the drafts below);
  public 85%, internal 12%, confidential 3%; 1-2 audiences each;
* the derived columns (``occupied_from/until`` with the venue buffers, ``venue_exclusive``,
  ``first_day/last_day``) computed with ``app.events.occupancy`` as the ORM does on flush.
  Published events at an exclusive venue never overlap (the exclusion constraint): a clashing
  one is moved to another time of the same day (up to three tries), else it stays a draft;
* 50,000 invitations on 2,500 events (unique per event and contact; pending, accepted,
  declined, tentative; accepted guests bring 0-2 plus-ones);
* 50 blocked ranges (city-wide or one district, some all-day, hard/warning/info).

An existing database with exactly 100,000 events is reused (``--rebuild`` forces a rebuild).
Run alone: ``.venv/bin/python bench/conflict_dataset.py [--rebuild]``.
"""

import argparse
import os
import random
import secrets
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from pathlib import Path
from time import perf_counter
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import demo_data as data  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.contacts.models import Contact  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events.models import (  # noqa: E402
    CalendarVersion,
    Event,
    Status,
    Visibility,
    event_audiences,
)
from app.events.occupancy import local_days, occupied_range  # noqa: E402
from app.events.walltime import local_to_utc, utc_to_local  # noqa: E402
from app.venues.models import Venue  # noqa: E402
from app.vocabularies.models import Audience, Category, District  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "stadtkalender_conflictbench"
TZ = "Europe/Berlin"
SEED = 100_000

TOTAL_EVENTS = 100_000
DAYS_BACK = 913  # 2.5 years back ...
DAYS_AHEAD = 913  # ... and ahead of today
DEPARTMENT_COUNT = 50
VENUE_COUNT = 60
EXCLUSIVE_VENUES = 15
CONTACT_COUNT = 20_000
REGULARS = 300  # contacts (council, press, business) who get REGULAR_SHARE of all invitations
REGULAR_SHARE = 0.5
VIP_SHARE_REGULARS = 0.2
VIP_SHARE_OTHERS = 0.02
INVITATION_COUNT = 50_000
BLOCKED_COUNT = 50

VENUE_SHARE = 0.7
ALL_DAY_SHARE = 0.08
PAST_MIDNIGHT_SHARE = 0.01
MULTI_DAY_TIMED_SHARE = 0.005
STATUS_WEIGHTS = ((Status.PUBLISHED, 91), (Status.DRAFT, 4), (Status.CANCELLED, 5))
VISIBILITY_WEIGHTS = (
    (Visibility.PUBLIC, 85),
    (Visibility.INTERNAL, 12),
    (Visibility.CONFIDENTIAL, 3),
)
ANSWER_WEIGHTS = (("pending", 35), ("accepted", 40), ("declined", 15), ("tentative", 10))
MOVE_TRIES = 3  # new times of the same day tried before a clashing event stays a draft

STAFF_EMAIL = "bench.staff@stadt.example"
COMMS_EMAIL = "bench.comms@stadt.example"
STAFF_DEPARTMENT = "kulturbetriebe"
BENCH_PASSWORD = "Bench-Passwort-2026"  # noqa: S105 - benchmark database only

EXTRA_DEPARTMENTS = (  # 30 more, none of them among the 20 demo departments
    ("Amt für Wohnen", "wohnen"),
    ("Stadtkämmerei", "kaemmerei"),
    ("Steueramt", "steuer"),
    ("Rechtsamt", "recht"),
    ("Standesamt", "standesamt"),
    ("Veterinäramt", "veterinaer"),
    ("Städtische Immobilienwirtschaft", "immobilien"),
    ("Grünflächenamt", "gruen"),
    ("Friedhöfe Dortmund", "friedhoefe"),
    ("Musikschule", "musikschule"),
    ("Volkshochschule", "vhs"),
    ("Theater Dortmund", "theater"),
    ("Konzerthaus", "konzerthaus"),
    ("Zoo Dortmund", "zoo"),
    ("Seniorenbüros", "seniorenbueros"),
    ("Integrationsrat", "integrationsrat"),
    ("Behindertenpolitisches Netzwerk", "inklusion"),
    ("Personalrat", "personalrat"),
    ("Rechnungsprüfungsamt", "rpa"),
    ("Stadtbahnbau", "stadtbahnbau"),
    ("Amt für Angelegenheiten des Oberbürgermeisters und des Rates", "ob-rat"),
    ("Vergabe- und Beschaffungszentrum", "vergabe"),
    ("Dortmunder Systemhaus", "systemhaus"),
    ("Stadt- und Landesbibliothek", "bibliothek"),
    ("Museum für Kunst und Kulturgeschichte", "mkk"),
    ("Museum Ostwall", "ostwall"),
    ("Agentur für Klimaschutz", "klimaschutz"),
    ("Bezirksverwaltungsstellen", "bezirke"),
    ("Kommunales Integrationszentrum", "integration"),
    ("Kinder- und Jugendbüro", "kinderbuero"),
)

EXTRA_VENUE_KINDS = (
    # (name pattern, capacity range, setup/teardown choices)
    ("Stadtteilbibliothek {d} – Lesesaal", (40, 120)),
    ("Bezirksverwaltungsstelle {d} – Besprechungsraum", (15, 40)),
    ("Jugendfreizeitstätte {d} – Mehrzweckraum", (30, 150)),
    ("Gesamtschule {d} – Aula", (150, 600)),
    ("Seniorenbegegnungsstätte {d}", (30, 80)),
)

TITLES = {
    "empfang": ("Empfang: {theme}", "Neujahrsempfang {district}", "Empfang für {partner}"),
    "buergerdialog": ("Bürgerdialog {theme}", "Bürgerversammlung {district}"),
    "pressekonferenz": ("Pressekonferenz: {theme}", "Pressegespräch {theme}"),
    "ausstellung": ("Ausstellung: {theme}", "Vernissage {theme}"),
    "sitzung": ("Sitzung: {theme}", "Arbeitskreis {theme}", "Bezirksvertretung {district}"),
    "fest": ("Stadtteilfest {district}", "Sommerfest {theme}"),
    "sport": ("Sportabzeichen-Tag {district}", "Stadtmeisterschaft {theme}"),
    "fortbildung": ("Fortbildung: {theme}", "Workshop {theme}"),
    "fuehrung": ("Führung: {theme}", "Stadtteilspaziergang {district}"),
    "information": ("Infoabend {theme}", "Informationsveranstaltung {district}"),
}
THEMES = tuple(sorted({t for d in data.DEPARTMENTS for t in d.themes}))
EVENING_CATEGORIES = {"empfang", "buergerdialog", "information", "fest"}
INVITED_CATEGORY_WEIGHT = {"empfang": 8, "fest": 3, "buergerdialog": 2, "pressekonferenz": 2}

FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hakan", "Ida", "Jonas", "Katrin",
    "Lukas", "Mara", "Nils", "Olga", "Paul", "Rana", "Stefan", "Tanja", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Yılmaz", "Kaya",
    "Nowak", "Zimmermann",
)  # fmt: skip
BLOCKED_TITLES = (
    "Ratssitzung – keine Termine des OB",
    "Haushaltsberatungen",
    "Kommunalwahl – Presseruhe",
    "Stadtfest DORTBUNT!",
    "Weihnachtsmarkt-Eröffnung",
    "Bezirksvertretung tagt",
    "Tag der offenen Tür im Rathaus",
)


def bench_url(admin_url: str = ADMIN_URL) -> str:
    """Return the SQLAlchemy URL (psycopg 3 driver) of the benchmark database."""
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=DB_NAME)
    return url.render_as_string(hide_password=False)


def libpq_url(sqlalchemy_url: str) -> str:
    """Return a libpq connection string for psycopg.connect from a SQLAlchemy URL."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


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


def event_count(url: str) -> int:
    """Return the number of events in the benchmark database (0 if there is no schema)."""
    with psycopg.connect(libpq_url(url)) as conn:
        if conn.execute("SELECT to_regclass('public.events')").fetchone()[0] is None:
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


def _overlaps(ranges: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    return any(a < end and start < b for a, b in ranges)


class _Generator:
    """Draws the rows of the data set from one seeded random source."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.today = utc_to_local(now, TZ).date()
        self.first_day = self.today - timedelta(days=DAYS_BACK)
        self.span = DAYS_BACK + DAYS_AHEAD
        # (venue id, UTC date) -> occupied ranges of published events at exclusive venues
        self.booked: dict[tuple[int, date], list[tuple[datetime, datetime]]] = {}
        self.moved = 0
        self.demoted = 0

    # master data ---------------------------------------------------------------

    def master_rows(self) -> dict[str, list[dict]]:
        """Return vocabularies and departments (with explicit ids)."""

        def terms(rows):
            return [
                {"id": i, "code": code, "name": name, "name_en": name_en, "active": True}
                for i, (code, name, name_en) in enumerate(rows, 1)
            ]

        departments = [(d.code, d.name) for d in data.DEPARTMENTS]
        departments += [(code, name) for name, code in EXTRA_DEPARTMENTS]
        departments = departments[:DEPARTMENT_COUNT]
        return {
            "districts": terms((code, name, name) for code, name in data.DISTRICTS),
            "audiences": terms(data.AUDIENCES),
            "categories": terms(data.CATEGORIES),
            "departments": [
                {
                    "id": i,
                    "code": code,
                    "name": name,
                    "email": f"{code}@{data.MAIL_DOMAIN}",
                    "active": True,
                }
                for i, (code, name) in enumerate(departments, 1)
            ],
        }

    def venue_rows(self, district_ids: dict[str, int]) -> list[dict]:
        """Return the 20 demo venues and 40 more; EXCLUSIVE_VENUES of them exclusive."""
        rng = self.rng
        rows = []
        for venue in data.VENUES:
            row = venue._asdict()
            row.update(district_id=district_ids[row.pop("district")], active=True)
            rows.append(row)
        districts = list(data.DISTRICTS)
        n = 0
        while len(rows) < VENUE_COUNT:
            pattern, (low, high) = EXTRA_VENUE_KINDS[n % len(EXTRA_VENUE_KINDS)]
            code, name = districts[(n // len(EXTRA_VENUE_KINDS)) % len(districts)]
            n += 1
            rows.append(
                {
                    "name": pattern.format(d=name),
                    "address": f"{name}er Straße {rng.randint(1, 200)}, Dortmund",
                    "district_id": district_ids[code],
                    "capacity": rng.randint(low, high),
                    "setup_minutes": rng.choice((0, 15, 15, 30, 30, 45, 60)),
                    "teardown_minutes": rng.choice((0, 15, 15, 30, 45, 60)),
                    "exclusive": False,
                    "accessibility_notes": "",
                    "active": True,
                }
            )
        missing = EXCLUSIVE_VENUES - sum(r["exclusive"] for r in rows)
        for row in rng.sample([r for r in rows if not r["exclusive"]], missing):
            row["exclusive"] = True
        for i, row in enumerate(rows, 1):
            row["id"] = i
        return rows

    def contact_rows(self) -> list[dict]:
        """Return the contacts; the first REGULARS are the frequently invited ones."""
        rng = self.rng
        rows = []
        for i in range(1, CONTACT_COUNT + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first.lower()}.{i}@example.org"
            regular = i <= REGULARS
            rows.append(
                {
                    "id": i,
                    "salutation": rng.choice(("Frau", "Herr", "")),
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "email_key": email,
                    "mailbox_key": email,
                    "name_key": " ".join(sorted((first.lower(), last.lower()))),
                    "organisation": rng.choice(("Rat der Stadt", "Presse", "IHK", ""))
                    if regular
                    else "",
                    "language": "de" if rng.random() < 0.9 else "en",
                    "vip": rng.random() < (VIP_SHARE_REGULARS if regular else VIP_SHARE_OTHERS),
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        return rows

    # events --------------------------------------------------------------------

    def _day(self, category: str) -> date:
        weekend_chance = 0.5 if category in data.WEEKEND_CATEGORIES else 0.1
        while True:
            day = self.first_day + timedelta(days=self.rng.randrange(self.span))
            if day.weekday() < 5 or self.rng.random() < weekend_chance:
                return day

    def _times(self, day: date, category: str, kind: str) -> tuple[datetime, datetime]:
        """Return local (start, end) on ``day``: kind is timed, all-day, late or multi."""
        rng = self.rng
        midnight = datetime.combine(day, time())
        if kind == "all-day":
            length = rng.choice((1, 1, 1, 1, 2, 3, 5))
            return midnight, midnight + timedelta(days=length)
        if kind == "late":  # 20:00-22:00 until 00:00-01:00, clear of the DST hour
            start = midnight + timedelta(hours=20, minutes=30 * rng.randint(0, 4))
            return start, midnight + timedelta(days=1, minutes=15 * rng.randint(0, 4))
        if kind == "multi":  # a conference 09:00 until 17:00 one or two days later
            start = midnight + timedelta(hours=9)
            return start, start + timedelta(days=rng.choice((1, 2)), hours=8)
        minutes = 15 * rng.randint(2, 16)
        if category in EVENING_CATEGORIES and rng.random() < 0.6:
            start_minute = 15 * rng.randint(17 * 4, 19 * 4)
        else:
            start_minute = 15 * rng.randint(8 * 4, (21 * 60 - minutes) // 15)
        start = midnight + timedelta(minutes=start_minute)
        return start, start + timedelta(minutes=minutes)

    def _kind(self) -> str:
        roll = self.rng.random()
        if roll < ALL_DAY_SHARE:
            return "all-day"
        if roll < ALL_DAY_SHARE + PAST_MIDNIGHT_SHARE:
            return "late"
        if roll < ALL_DAY_SHARE + PAST_MIDNIGHT_SHARE + MULTI_DAY_TIMED_SHARE:
            return "multi"
        return "timed"

    def _book(self, venue, start_local, end_local, category, kind):
        """Place a published event at an exclusive venue; return its times or None (draft)."""
        day = start_local.date()
        for attempt in range(MOVE_TRIES + 1):
            if attempt:
                start_local, end_local = self._times(day, category, kind)
            starts_at, ends_at = local_to_utc(start_local, TZ), local_to_utc(end_local, TZ)
            occ = occupied_range(starts_at, ends_at, venue)
            keys = [
                (venue.id, occ[0].date() + timedelta(days=n))
                for n in range((occ[1].date() - occ[0].date()).days + 1)
            ]
            if not any(_overlaps(self.booked.get(k, []), *occ) for k in keys):
                for k in keys:
                    self.booked.setdefault(k, []).append(occ)
                self.moved += attempt > 0
                return start_local, end_local
        self.demoted += 1
        return None

    def event_rows(self, ids, venues: list[dict], creators: list[int]):
        """Return the event rows and their audience links."""
        rng = self.rng
        venue_objs = [SimpleNamespace(**v) for v in venues]
        department_ids = list(ids["departments"].values())
        categories = list(ids["categories"])
        audience_ids = list(ids["audiences"].values())
        statuses, status_w = zip(*STATUS_WEIGHTS, strict=True)
        visibilities, visibility_w = zip(*VISIBILITY_WEIGHTS, strict=True)
        district_names = [name for _code, name in data.DISTRICTS]
        events, links = [], []
        for event_id in range(1, TOTAL_EVENTS + 1):
            category = rng.choice(categories)
            kind = self._kind()
            day = self._day(category)
            start_local, end_local = self._times(day, category, kind)
            venue = rng.choice(venue_objs) if rng.random() < VENUE_SHARE else None
            status = rng.choices(statuses, weights=status_w)[0]
            if status == Status.PUBLISHED and venue is not None and venue.exclusive:
                placed = self._book(venue, start_local, end_local, category, kind)
                if placed is None:
                    status = Status.DRAFT
                else:
                    start_local, end_local = placed
            starts_at, ends_at = local_to_utc(start_local, TZ), local_to_utc(end_local, TZ)
            occupied_from, occupied_until = occupied_range(starts_at, ends_at, venue)
            first_day, last_day = local_days(start_local, end_local)
            created_at = min(
                starts_at - timedelta(days=rng.randint(3, 120)),
                self.now - timedelta(minutes=rng.randint(1, 60 * 24)),
            )
            updated_at = min(created_at + timedelta(days=rng.randint(0, 10)), self.now)
            capacity = None
            if rng.random() < 0.5:
                capacity = rng.choice((20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300))
                if venue is not None and venue.capacity is not None and rng.random() < 0.9:
                    capacity = min(capacity, venue.capacity)
            title = rng.choice(TITLES[category]).format(
                theme=rng.choice(THEMES),
                district=rng.choice(district_names),
                partner=rng.choice(data.PARTNER_CITIES),
            )
            events.append(
                {
                    "id": event_id,
                    "uid": f"conflictbench-{event_id:06d}-{rng.getrandbits(64):016x}@stadtkalender",
                    "title": title[:200],
                    "description": "",
                    "all_day": kind == "all-day",
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
                    "location": "" if venue is not None else rng.choice(data.INDOOR_LOCATIONS),
                    "department_id": rng.choice(department_ids),
                    "category_id": ids["categories"][category],
                    "visibility": rng.choices(visibilities, weights=visibility_w)[0],
                    "status": status,
                    "capacity": capacity,
                    "max_plus_ones": rng.choices((0, 1, 2), weights=(5, 3, 2))[0],
                    "rsvp_deadline": None,
                    "sequence": rng.choices((0, 1, 2), weights=(80, 15, 5))[0]
                    + (status == Status.CANCELLED),
                    "revision": 1,
                    "ics_cache_key": "",
                    "published_at": updated_at if status != Status.DRAFT else None,
                    "created_at": created_at,
                    "updated_at": updated_at,
                    "created_by_id": rng.choice(creators),
                }
            )
            for audience_id in rng.sample(audience_ids, rng.choice((1, 1, 2))):
                links.append({"event_id": event_id, "audience_id": audience_id})
        return events, links

    # invitations ---------------------------------------------------------------

    def invitation_rows(self, events: list[dict], category_codes: dict[int, str]) -> list[dict]:
        """Return INVITATION_COUNT invitations on events weighted towards receptions."""
        rng = self.rng
        weights = [INVITED_CATEGORY_WEIGHT.get(category_codes[e["category_id"]], 1) for e in events]
        cum_weights = list(accumulate(weights))
        indexes = range(len(events))
        answers, answer_w = zip(*ANSWER_WEIGHTS, strict=True)
        chosen: set[int] = set()
        rows: list[dict] = []
        while len(rows) < INVITATION_COUNT:
            index = rng.choices(indexes, cum_weights=cum_weights)[0]
            if index in chosen:
                continue
            chosen.add(index)
            event = events[index]
            size = min(rng.choice((5, 10, 15, 20, 20, 25, 30, 40)), INVITATION_COUNT - len(rows))
            regulars = round(size * REGULAR_SHARE)
            guests = set(rng.sample(range(1, REGULARS + 1), regulars))
            while len(guests) < size:
                guests.add(rng.randint(REGULARS + 1, CONTACT_COUNT))
            past = event["starts_at"] < self.now
            for contact_id in sorted(guests):
                status = rng.choices(answers, weights=answer_w)[0]
                if past and status == "pending" and rng.random() < 0.7:
                    status = "declined" if rng.random() < 0.3 else "accepted"
                invited_at = event["created_at"] + timedelta(hours=rng.randint(1, 48))
                rows.append(
                    {
                        "event_id": event["id"],
                        "contact_id": contact_id,
                        "status": status,
                        "plus_ones": rng.choices((0, 1, 2), weights=(6, 3, 1))[0]
                        if status == "accepted"
                        else 0,
                        "comment": "",
                        "needs": "",
                        "token_nonce": secrets.token_hex(16),
                        "token_hash": secrets.token_hex(32),
                        "revoked": False,
                        "suppressed": "",
                        "responded_at": None if status == "pending" else invited_at,
                        "response_source": "" if status == "pending" else "link",
                        "created_at": invited_at,
                        "updated_at": invited_at,
                    }
                )
        return rows

    def blocked_rows(self, district_ids: list[int], creator: int) -> list[dict]:
        """Return BLOCKED_COUNT blocked ranges spread over the five years."""
        rng = self.rng
        rows = []
        for n in range(BLOCKED_COUNT):
            day = self.first_day + timedelta(days=rng.randrange(self.span))
            all_day = rng.random() < 0.5
            if all_day:
                start = datetime.combine(day, time())
                end = start + timedelta(days=rng.choice((1, 1, 2, 3)))
            else:
                start = datetime.combine(day, time(rng.randint(8, 17)))
                end = start + timedelta(hours=rng.randint(2, 5))
            rows.append(
                {
                    "title": rng.choice(BLOCKED_TITLES),
                    "note": "",
                    "starts_at": local_to_utc(start, TZ),
                    "ends_at": local_to_utc(end, TZ),
                    "all_day": all_day,
                    "district_id": rng.choice(district_ids) if rng.random() < 0.4 else None,
                    "severity": rng.choice(("hard", "warning", "warning", "info")),
                    "source": "",
                    "source_uid": None,
                    "created_at": self.now,
                    "created_by_id": creator,
                }
            )
            del n
        return rows


# --------------------------------------------------------------------------- build


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

    from app.conflicts.models import BlockedRange
    from app.invitations.models import Invitation

    now = now or datetime.now(UTC)
    rng = random.Random(SEED)  # noqa: S311 - reproducible benchmark data
    gen = _Generator(rng, now)
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
            (1, STAFF_EMAIL, "Bench Staff", Role.STAFF, STAFF_DEPARTMENT),
            (2, COMMS_EMAIL, "Bench Kommunikation", Role.COMMS, data.COMMS_DEPARTMENT),
        ]
        _insert_all(
            conn,
            User.__table__,
            [
                {
                    "id": uid,
                    "email": email,
                    "name": name,
                    "role": role,
                    "department_id": ids["departments"][dept],
                    "password_hash": password_hash,
                    "active": True,
                    "locale": "de",
                    "feed_nonce": secrets.token_hex(16),
                    "created_at": now,
                }
                for uid, email, name, role, dept in users
            ],
        )
        _insert_all(conn, Contact.__table__, gen.contact_rows())
        timings["master data"] = perf_counter() - started

        started = perf_counter()
        events, audience_links = gen.event_rows(ids, venues, [1, 2])
        category_codes = {v: k for k, v in ids["categories"].items()}
        invitations = gen.invitation_rows(events, category_codes)
        blocked = gen.blocked_rows(list(ids["districts"].values()), creator=2)
        timings["generate rows"] = perf_counter() - started

        started = perf_counter()
        _insert_all(conn, Event.__table__, events)
        _insert_all(conn, event_audiences, audience_links, chunk=20_000)
        timings["insert events"] = perf_counter() - started
        started = perf_counter()
        _insert_all(conn, Invitation.__table__, invitations)
        _insert_all(conn, BlockedRange.__table__, blocked)
        _reset_sequences(
            conn,
            [
                "districts",
                "audiences",
                "categories",
                "departments",
                "venues",
                "users",
                "contacts",
                "events",
            ],
        )
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
        timings["insert invitations"] = perf_counter() - started
    engine.dispose()

    started = perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = perf_counter() - started
    return {
        "events": len(events),
        "audience links": len(audience_links),
        "invitations": len(invitations),
        "moved": gen.moved,
        "demoted": gen.demoted,
        "timings": timings,
    }


# --------------------------------------------------------------------------- description


@dataclass
class DataSetInfo:
    """What the benchmark needs to know about the data set in the database."""

    url: str
    events: int
    invitations: int
    venues: int
    exclusive_venues: int
    contacts: int
    blocked_ranges: int
    school_holidays: int
    first_day: date
    last_day: date
    comms_user_id: int
    staff_user_id: int
    built: bool
    build_seconds: float | None = None


def describe(url: str, built: bool, build_seconds: float | None = None) -> DataSetInfo:
    """Read the counts back from the database."""
    engine = create_engine(url)
    with engine.connect() as conn:

        def count(table: str) -> int:
            return conn.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608

        users = {row.email: row.id for row in conn.execute(select(User.id, User.email))}
        first, last = conn.execute(
            select(func.min(Event.first_day), func.max(Event.last_day))
        ).one()
        info = DataSetInfo(
            url=url,
            events=count("events"),
            invitations=count("invitations"),
            venues=count("venues"),
            exclusive_venues=conn.scalar(text("SELECT count(*) FROM venues WHERE exclusive")),
            contacts=count("contacts"),
            blocked_ranges=count("blocked_ranges"),
            school_holidays=count("school_holidays"),
            first_day=first,
            last_day=last,
            comms_user_id=users[COMMS_EMAIL],
            staff_user_id=users[STAFF_EMAIL],
            built=built,
            build_seconds=build_seconds,
        )
    engine.dispose()
    return info


def ensure(rebuild: bool = False, admin_url: str = ADMIN_URL, log=print) -> DataSetInfo:
    """Build the data set unless the database already holds the 100,000 events."""
    url = bench_url(admin_url)
    if not rebuild and database_exists(admin_url) and event_count(url) == TOTAL_EVENTS:
        migrate(url)  # a no-op unless someone added a migration since
        log(
            f"Conflict data set: reusing database {DB_NAME!r} with {TOTAL_EVENTS:,} events "
            "(pass --rebuild to recreate it)."
        )
        return describe(url, built=False)
    started = perf_counter()
    log(f"Conflict data set: creating database {DB_NAME!r} (takes a few minutes) ...")
    recreate_database(admin_url)
    migrate(url)
    summary = fill(url)
    seconds = perf_counter() - started
    steps = ", ".join(f"{name} {value:.1f} s" for name, value in summary["timings"].items())
    log(
        f"Conflict data set: {summary['events']:,} events, {summary['audience links']:,} "
        f"audience links, {summary['invitations']:,} invitations in {seconds:.1f} s ({steps}); "
        f"{summary['moved']:,} published events at exclusive venues moved to another time of "
        f"the day, {summary['demoted']:,} left as drafts (their slot was taken)."
    )
    return describe(url, built=True, build_seconds=seconds)


def main(argv: list[str] | None = None) -> None:
    """Command line: build (or reuse) the data set and print what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    info = ensure(rebuild=args.rebuild)
    for name, value in vars(info).items():
        print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
