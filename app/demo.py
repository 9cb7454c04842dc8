"""Demo data for a Dortmund-like city administration and the ``flask demo`` commands."""

import random
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app import demo_data as data
from app.accounts.models import Role, User
from app.conflicts.models import BlockedRange, Severity
from app.departments.models import Department
from app.departments.staff import create_user
from app.errors import ValidationError
from app.events.models import Event, Status, Visibility
from app.events.operations import DEFAULT_TZ, create_event, set_status
from app.events.validation import EventInput
from app.events.walltime import local_to_utc, utc_to_local
from app.extensions import db
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category, District

DEMO_PASSWORD = "Dortmund-Demo-2026"  # noqa: S105 - shared on purpose and printed, demo only
# Events touch only local days 1..LAST_DAY after today, so all lie within three months.
LAST_DAY = 89
# Timed events lie between 08:00 and 21:00 local time, far from the 02:00-03:00 DST hour.
EARLIEST_MINUTE = 8 * 60
LATEST_MINUTE = 21 * 60
ALL_DAY_SHARE = 0.2  # of the events in categories that can last all day; about 8% overall
CLASH_EVERY = 50  # one deliberate same-venue overlap per this many events

Login = tuple[str, str, str]
Plan = tuple[EventInput, User, Status]
When = tuple[bool, date, date, Venue | None]  # all-day flag, start, end (dates or datetimes), venue


def _vocabularies() -> dict[str, District]:
    """Create the districts, audiences and categories that are missing; return the districts."""
    tables = (
        (District, [(code, name, name) for code, name in data.DISTRICTS]),
        (Audience, data.AUDIENCES),
        (Category, data.CATEGORIES),
    )
    for model, rows in tables:
        existing = set(db.session.scalars(select(model.code)))
        db.session.add_all(
            model(code=code, name=name, name_en=name_en)
            for code, name, name_en in rows
            if code not in existing
        )
    db.session.flush()
    return {district.code: district for district in db.session.scalars(select(District))}


def _departments() -> None:
    """Create the departments, each with a functional mailbox."""
    db.session.add_all(
        Department(code=d.code, name=d.name, email=f"{d.code}@{data.MAIL_DOMAIN}")
        for d in data.DEPARTMENTS
    )
    db.session.flush()


def _venues(districts: dict[str, District]) -> list[Venue]:
    """Create the venues in their districts."""
    venues = [Venue(**{**v._asdict(), "district": districts[v.district]}) for v in data.VENUES]
    db.session.add_all(venues)
    db.session.flush()
    return venues


def _users(now: datetime) -> tuple[list[Login], dict[str, list[User]], list[User]]:
    """Create admin, privacy, comms and staff accounts; return logins, staff, comms."""
    logins: list[Login] = []

    def add(local: str, name: str, role: Role, department: str | None = None) -> User:
        user = create_user(
            email=f"{local}@{data.MAIL_DOMAIN}",
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            now=now,
            department_code=department,
        )
        logins.append((user.email, role.value, department or ""))
        return user

    add(*data.ADMIN, Role.ADMIN)
    add(*data.PRIVACY, Role.PRIVACY)
    comms = [add(local, name, Role.COMMS, data.COMMS_DEPARTMENT) for local, name in data.COMMS]
    staff = {
        d.code: [add(local, name, Role.STAFF, d.code) for local, name in d.staff]
        for d in data.DEPARTMENTS
    }
    return logins, staff, comms


class _Planner:
    """Draws the fields of one demo event after another from a single seeded random source."""

    def __init__(
        self,
        rng: random.Random,
        today: date,
        venues: list[Venue],
        staff: dict[str, list[User]],
        comms: list[User],
    ):
        self.rng = rng
        self.today = today
        self.venues = venues
        self.staff = staff
        self.comms = comms
        self.district_names = [name for _code, name in data.DISTRICTS]
        self.audiences = [code for code, _de, _en in data.AUDIENCES]

    def _day(self, category: str) -> date:
        """Return a day in the horizon, rarely a weekend unless the category suits one."""
        weekend_chance = 0.5 if category in data.WEEKEND_CATEGORIES else 0.05
        while True:
            day = self.today + timedelta(days=self.rng.randint(1, LAST_DAY))
            if (day.month, day.day) in data.HOLIDAYS:
                continue
            if day.weekday() < 5 or self.rng.random() < weekend_chance:
                return day

    def _slot(self, day: date) -> tuple[datetime, datetime]:
        """Return a daytime slot of 30 minutes to 4 hours in quarter-hour steps."""
        minutes = 15 * self.rng.randint(2, 16)
        start = 15 * self.rng.randint(EARLIEST_MINUTE // 15, (LATEST_MINUTE - minutes) // 15)
        begin = datetime.combine(day, time()) + timedelta(minutes=start)
        return begin, begin + timedelta(minutes=minutes)

    def _when(self, category: str, clash_with: Event | None) -> When:
        """Return (all_day, start, end, venue) for a new event, overlapping clash_with if given."""
        rng = self.rng
        if clash_with is not None:
            start = clash_with.start_local + timedelta(minutes=rng.choice((15, 30, 45, 60)))
            if start >= clash_with.end_local:
                start = clash_with.start_local
            end = start + timedelta(minutes=rng.choice((60, 90, 120)))
            return False, start, end, clash_with.venue
        venue = rng.choice(self.venues) if rng.random() < 0.7 else None
        day = self._day(category)
        if category in data.ALL_DAY_CATEGORIES and rng.random() < ALL_DAY_SHARE:
            length = rng.choice((1, 1, 1, 2, 3))
            first = min(day, self.today + timedelta(days=LAST_DAY - length + 1))
            return True, first, first + timedelta(days=length - 1), venue
        return (False, *self._slot(day), venue)

    def _text(
        self, dept: data.DepartmentSeed, category: str, day: date, district: str
    ) -> tuple[str, str]:
        """Return a German title and description fitting the department and category."""
        rng = self.rng
        templates = [t for t in data.TEMPLATES[category] if len(t) < 3 or dept.code in t[2]]
        title, description = rng.choice(templates)[:2]
        context = {
            "thema": rng.choice(dept.themes),
            "ausschuss": dept.committee,
            "abteilung": dept.name,
            "bezirk": district,
            "partner": rng.choice(data.PARTNER_CITIES),
            "ausstellung": rng.choice(data.EXHIBITIONS),
            "sport": rng.choice(data.SPORTS),
            "training": rng.choice(data.TRAININGS),
            "saison": data.SEASONAL_RECEPTIONS[day.month],
            "jahr": day.year + 1,
        }
        return title.format(**context), description.format(**context)

    def _visibility_and_status(self, category: str, clash: bool) -> tuple[Visibility, Status]:
        """Return a visibility (about 5% confidential) and a final status (mostly published)."""
        rng = self.rng
        visibility = Visibility.INTERNAL
        if rng.random() < 0.05:
            visibility = Visibility.CONFIDENTIAL
        elif rng.random() < data.PUBLIC_SHARE[category]:
            visibility = Visibility.PUBLIC
        statuses = (Status.PUBLISHED, Status.DRAFT, Status.CANCELLED)
        status = rng.choices(statuses, weights=(82, 12, 6))[0]
        # A clash only shows in the conflict view if both events are live.
        return visibility, Status.PUBLISHED if clash else status

    def _reach(
        self, category: str, owner: str, venue: Venue | None
    ) -> tuple[list[str], list[str], int | None]:
        """Return the audiences, co-hosting departments and capacity of an event."""
        rng = self.rng
        audiences = [data.CATEGORY_AUDIENCE[category]] if category in data.CATEGORY_AUDIENCE else []
        wanted = rng.randint(1, 3)
        for code in rng.sample(self.audiences, 3):
            if len(audiences) < wanted and code not in audiences:
                audiences.append(code)
        co_hosts: list[str] = []
        if rng.random() < 0.15:
            others = [d.code for d in data.DEPARTMENTS if d.code != owner]
            co_hosts = rng.sample(others, rng.choice((1, 1, 2)))
        capacity = None
        if rng.random() < 0.5:
            capacity = rng.choice((20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300))
            if venue is not None and venue.capacity is not None:
                capacity = min(capacity, venue.capacity)
        return audiences, co_hosts, capacity

    def plan(self, clash_with: Event | None = None) -> Plan:
        """Return the input for one event, the user who creates it and its final status."""
        rng = self.rng
        dept = rng.choice(data.DEPARTMENTS)
        category = rng.choice(dept.categories)
        all_day, start, end, venue = self._when(category, clash_with)
        day = start.date() if isinstance(start, datetime) else start
        district = (
            venue.district.name
            if venue is not None and venue.district
            else rng.choice(self.district_names)
        )
        title, description = self._text(dept, category, day, district)

        deadline = None
        days_ahead = (day - self.today).days
        if days_ahead >= 3 and rng.random() < 0.5:
            deadline = day - timedelta(days=rng.randint(2, min(7, days_ahead - 1)))
            description += f" Bitte melden Sie sich bis zum {deadline:%d.%m.%Y} an."
        elif rng.random() < 0.4:
            description += " " + rng.choice(data.EXTRA_SENTENCES)

        visibility, status = self._visibility_and_status(category, clash_with is not None)
        audiences, co_hosts, capacity = self._reach(category, dept.code, venue)
        outdoor = category in data.OUTDOOR_CATEGORIES
        locations = data.OUTDOOR_LOCATIONS if outdoor else data.INDOOR_LOCATIONS
        spec = EventInput(
            title=title,
            description=description,
            all_day=all_day,
            start=start,
            end=end,
            venue_id=venue.id if venue is not None else None,
            location="" if venue is not None else rng.choice(locations),
            audiences=audiences,
            category=category,
            visibility=visibility.value,
            # Cancelled events are published first so that they carry a publication date.
            status=(Status.PUBLISHED if status == Status.CANCELLED else status).value,
            capacity=capacity,
            max_plus_ones=rng.choices((0, 1, 2), weights=(6, 3, 1))[0],
            rsvp_deadline=deadline,
            co_hosts=co_hosts,
            department=dept.code,
            conflict_reason=DEMO_REASON,
        )
        actor = rng.choice(self.comms) if rng.random() < 0.1 else rng.choice(self.staff[dept.code])
        return spec, actor, status


# Demo data deliberately contains clashes; publishing them anyway needs a reason.
DEMO_REASON = "Demodaten: Überschneidung bewusst eingeplant, um die Konfliktansicht zu zeigen."


def seed(*, now: datetime, events: int = 300, rng_seed: int = 2026) -> list[Login]:
    """Fill an empty database with demo data and return the logins as (email, role, department)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if events < 0:
        raise ValueError("the number of events must not be negative")
    if db.session.scalar(select(Department.id).limit(1)) is not None:
        raise ValueError("The database already contains departments; demo data needs an empty one.")
    rng = random.Random(rng_seed)  # noqa: S311 - reproducible demo data, no secrets
    districts = _vocabularies()
    _departments()
    venues = _venues(districts)
    logins, staff, comms = _users(now)
    planner = _Planner(rng, utc_to_local(now, DEFAULT_TZ).date(), venues, staff, comms)

    clashable: list[Event] = []
    for index in range(events):
        due = index % CLASH_EVERY == CLASH_EVERY // 2 and clashable
        spec, actor, status = planner.plan(rng.choice(clashable) if due else None)
        try:
            event = create_event(spec, actor=actor, now=now)
        except ValidationError:  # an exclusive venue is taken: the clash stays a draft
            spec = spec.replace(status=Status.DRAFT.value)
            status = Status.DRAFT
            event = create_event(spec, actor=actor, now=now)
        if status == Status.CANCELLED:
            set_status(event, Status.CANCELLED, actor=actor, now=now)
        if event.status == Status.PUBLISHED and event.venue is not None and not event.all_day:
            clashable.append(event)
    _blocked_ranges(districts, utc_to_local(now, DEFAULT_TZ).date(), now)
    return logins


def _blocked_ranges(districts: dict[str, District], today: date, now: datetime) -> None:
    """Add what the communications team keeps free: council sessions and stadium days."""

    def at(day: date, hour: int) -> datetime:
        return local_to_utc(datetime.combine(day, time(hour)), DEFAULT_TZ)

    thursday = today + timedelta(days=(3 - today.weekday()) % 7 + 7)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    rows = [
        ("Sitzung des Rates der Stadt", thursday, 14, 20, None, Severity.WARNING),
        (
            "Sitzung des Rates der Stadt",
            thursday + timedelta(weeks=5),
            14,
            20,
            None,
            Severity.WARNING,
        ),
        (
            "Heimspiel im Stadion (Verkehr, Polizei)",
            saturday,
            13,
            20,
            "innenstadt-west",
            Severity.INFO,
        ),
        (
            "Heimspiel im Stadion (Verkehr, Polizei)",
            saturday + timedelta(weeks=2),
            13,
            20,
            "innenstadt-west",
            Severity.INFO,
        ),
    ]
    db.session.add_all(
        BlockedRange(
            title=title,
            starts_at=at(day, start),
            ends_at=at(day, end),
            district=districts.get(district) if district else None,
            severity=severity,
            created_at=now,
        )
        for title, day, start, end, district, severity in rows
    )
    db.session.flush()


def _existing_logins() -> list[Login]:
    """Return the logins of all users, administrators first."""
    rank = {Role.ADMIN: 0, Role.PRIVACY: 1, Role.COMMS: 2, Role.STAFF: 3}
    users = sorted(db.session.scalars(select(User)), key=lambda u: (rank[u.role], u.id))
    return [(u.email, u.role.value, u.department.code if u.department else "") for u in users]


def _echo_logins(header: str, logins: list[Login]) -> None:
    """Print the logins as an aligned table under a header line."""
    click.echo(header)
    rows = [("E-Mail", "Rolle", "Amt"), *logins]
    width = max(len(email) for email, _role, _dept in rows)
    for email, role, department in rows:
        click.echo(f"  {email:<{width}}  {role:<7} {department}".rstrip())


demo_cli = AppGroup("demo", help="Demo data for a Dortmund-like city (not for production).")


@demo_cli.command("seed")
@click.option("--events", "count", default=300, show_default=True, type=click.IntRange(min=0))
def seed_command(count: int) -> None:
    """Fill an empty database with demo data and print the demo logins."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Demo-Daten werden in der Produktion nicht angelegt.")
    if db.session.scalar(select(Department.id).limit(1)) is not None:
        click.echo("Demo-Daten sind bereits vorhanden; es wurde nichts geändert.")
        _echo_logins(f"Vorhandene Zugänge (Demo-Passwort: {DEMO_PASSWORD})", _existing_logins())
        return
    started = perf_counter()
    logins = seed(now=datetime.now(UTC), events=count)
    db.session.commit()
    seconds = perf_counter() - started
    click.echo(f"{count} Termine und {len(logins)} Zugänge in {seconds:.1f} s angelegt.")
    _echo_logins(f"Demo-Zugänge (Passwort für alle: {DEMO_PASSWORD})", logins)
