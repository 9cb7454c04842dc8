"""Factory functions with sensible defaults; pass **overrides for what a test cares about."""

import itertools
from datetime import UTC, datetime, timedelta

from app.accounts.models import ApiToken, Role, User
from app.departments.models import Department
from app.events.models import Event
from app.events.operations import create_event
from app.events.validation import EventInput
from app.extensions import db
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category

PASSWORD = "correct-horse-battery"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_seq = itertools.count(1)


def make_department(**overrides) -> Department:
    """Create a department."""
    n = next(_seq)
    values = {"code": f"dept{n}", "name": f"Amt {n}", "email": f"amt{n}@stadt.example"} | overrides
    department = Department(**values)
    db.session.add(department)
    db.session.flush()
    return department


def make_user(role: Role = Role.STAFF, department: Department | None = None, **overrides) -> User:
    """Create a user; staff get a new department unless one is given."""
    n = next(_seq)
    password = overrides.pop("password", PASSWORD)
    if department is None and role == Role.STAFF:
        department = make_department()
    values = {
        "email": f"user{n}@stadt.example",
        "name": f"Person {n}",
        "role": role,
        "department": department,
        "created_at": NOW,
    } | overrides
    user = User(**values)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_token(user: User) -> str:
    """Issue an API token and return the plain value."""
    row, plain = ApiToken.issue(user, NOW)
    db.session.add(row)
    db.session.flush()
    return plain


def make_venue(**overrides) -> Venue:
    """Create a venue."""
    n = next(_seq)
    values = {
        "name": f"Saal {n}",
        "address": f"Friedensplatz {n}, 44135 Dortmund",
        "capacity": 100,
        "setup_minutes": 0,
        "teardown_minutes": 0,
    } | overrides
    venue = Venue(**values)
    db.session.add(venue)
    db.session.flush()
    return venue


def make_audience(code: str = "presse", name: str = "Presse") -> Audience:
    """Create an audience term."""
    term = Audience(code=code, name=name, name_en=name)
    db.session.add(term)
    db.session.flush()
    return term


def make_category(code: str = "empfang", name: str = "Empfang") -> Category:
    """Create a category term."""
    term = Category(code=code, name=name, name_en=name)
    db.session.add(term)
    db.session.flush()
    return term


def make_event(actor: User, **overrides) -> Event:
    """Create an event through the domain, by default tomorrow 18:00–20:00 wall time."""
    now = overrides.pop("now", NOW)
    start = overrides.pop("start", datetime(2026, 11, 3, 18, 0))
    # Tests of other features publish freely; the conflict tests pass their own reason.
    values = {
        "title": "Empfang",
        "start": start,
        "end": start + timedelta(hours=2),
        "conflict_reason": "Testlauf",
    } | overrides
    return create_event(EventInput(**values), actor=actor, now=now)


def make_contact(**overrides):
    """Create a contact directly (the address book's own rules are tested separately)."""
    from app.contacts.models import Contact

    n = next(_seq)
    email = overrides.pop("email", f"gast{n}@example.org")
    values = {
        "salutation": "Frau",
        "first_name": "Erika",
        "last_name": f"Muster{n}",
        "email": email,
        "email_key": email.casefold(),
        "language": "de",
        "created_at": NOW,
        "updated_at": NOW,
    } | overrides
    contact = Contact(**values)
    db.session.add(contact)
    db.session.flush()
    return contact


def api_headers(user: User) -> dict:
    """Return API request headers with a fresh, committed token of the user."""
    token = make_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def event_form(
    department_code: str, title: str, day: str, start: str, end: str, **extra: str
) -> dict:
    """Return the fields of the event form for an internal event on one day (start to end)."""
    return {
        "title": title,
        "start_date": day,
        "start_time": start,
        "end_date": day,
        "end_time": end,
        "department": department_code,
        "visibility": "internal",
        "max_plus_ones": "0",
        **extra,
    }


def login(browser, role: Role = Role.STAFF, **overrides) -> User:
    """Create a user with the role, log them in through the form and return them."""
    user = make_user(role, **overrides)
    db.session.commit()
    browser.login(user.email, PASSWORD)
    return user


def make_invitation(event: Event, actor: User, contact=None, *, now: datetime = NOW, **overrides):
    """Invite one guest (a new contact unless given) and return (invitation, RSVP token)."""
    from app.invitations.models import Invitation
    from app.invitations.operations import invite
    from app.invitations.tokens import token_for
    from config import TestConfig

    guest = contact if contact is not None else make_contact(**overrides)
    result = invite(event, [guest], actor=actor, now=now, secret_key=TestConfig.SECRET_KEY)
    invitation = db.session.get(Invitation, (result.invited or result.already_invited)[0])
    return invitation, token_for(invitation.token_nonce, TestConfig.SECRET_KEY)
