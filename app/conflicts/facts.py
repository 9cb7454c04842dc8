"""The few facts about other events that conflict messages and masking need, read as rows.

Loading full ORM events (with venue, department, category, audiences, co-hosts and creator) for
every hit costs more than the checks themselves; these records come from one joined query.
They carry the attributes ``app.events.policy`` reads, so the visibility rules stay in one place.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Integer, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import User
from app.departments.models import Department
from app.events.models import Event, Status, Visibility, event_cohosts
from app.extensions import db
from app.venues.models import Venue

_CHUNK = 500


@dataclass
class EventFacts:
    """One event as the conflict engine sees it."""

    id: int
    title: str
    status: Status
    visibility: Visibility
    published_at: datetime | None
    department_id: int
    department_name: str
    department_code: str
    department_email: str
    holder_name: str | None
    holder_email: str | None
    venue_id: int | None
    venue_name: str | None
    venue_capacity: int | None
    venue_exclusive: bool
    starts_at: datetime
    ends_at: datetime
    occupied_from: datetime
    occupied_until: datetime
    first_day: date
    last_day: date
    all_day: bool
    sequence: int
    capacity: int | None
    cohost_ids: set[int] = field(default_factory=set)

    @property
    def host_department_ids(self) -> set[int]:
        """Return the owning and co-hosting department ids (as policy expects)."""
        return {self.department_id, *self.cohost_ids}


_COLUMNS = (
    Event.id,
    Event.title,
    Event.status,
    Event.visibility,
    Event.published_at,
    Event.department_id,
    Department.name,
    Department.code,
    Department.email,
    User.name,
    User.email,
    Event.venue_id,
    Venue.name,
    Venue.capacity,
    Venue.exclusive,
    Event.starts_at,
    Event.ends_at,
    Event.occupied_from,
    Event.occupied_until,
    Event.first_day,
    Event.last_day,
    Event.all_day,
    Event.sequence,
    Event.capacity,
)


def joined(stmt):
    """Add the facts columns to a select that already has ``events`` in its FROM clause."""
    return (
        stmt.add_columns(*_COLUMNS)
        .outerjoin(Department, Department.id == Event.department_id)
        .outerjoin(User, User.id == Event.created_by_id)
        .outerjoin(Venue, Venue.id == Event.venue_id)
    )


def facts_select():
    """Return the select of event facts (add conditions with .where)."""
    return (
        select(*_COLUMNS)
        .select_from(Event)
        .join(Department, Department.id == Event.department_id)
        .outerjoin(User, User.id == Event.created_by_id)
        .outerjoin(Venue, Venue.id == Event.venue_id)
    )


def id_in(column, ids: list[int]):
    """SQL: column is one of ids; on PostgreSQL as ``= ANY(array)`` so that the statement text
    does not depend on the number of ids and the server can reuse its prepared plan."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def build(row) -> EventFacts:
    return EventFacts(*row[:14], bool(row[14]), *row[15:])


def _add_cohosts(found: dict[int, EventFacts], condition: ColumnElement[bool] | None) -> None:
    if condition is None:
        ids = sorted(found)
        for start in range(0, len(ids), _CHUNK):
            _add_cohosts(found, id_in(event_cohosts.c.event_id, ids[start : start + _CHUNK]))
        return
    stmt = select(event_cohosts.c.event_id, event_cohosts.c.department_id).where(condition)
    for event_id, department_id in db.session.execute(stmt):
        if event_id in found:
            found[event_id].cohost_ids.add(department_id)


def add_cohosts(found: dict[int, EventFacts]) -> None:
    """Fill in the co-hosting departments (needed for masking and department filters)."""
    _add_cohosts(found, None)


def load(ids, *, cohosts: bool = True) -> dict[int, EventFacts]:
    """Return facts for events by id."""
    ids = sorted(set(ids))
    found: dict[int, EventFacts] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for row in db.session.execute(facts_select().where(id_in(Event.id, chunk))):
            found[row[0]] = build(row)
    if cohosts and found:
        _add_cohosts(found, None)
    return found


def load_where(condition: ColumnElement[bool]) -> dict[int, EventFacts]:
    """Return facts for the events matching a condition, co-hosts included (two queries)."""
    found = {row[0]: build(row) for row in db.session.execute(facts_select().where(condition))}
    if found:
        hosted = select(Event.id).where(condition).scalar_subquery()
        _add_cohosts(found, event_cohosts.c.event_id.in_(hosted))
    return found
