"""Event rows as JSON, read with a few set-based queries rather than object loading."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import DateTime, Integer, Select, String, any_, bindparam, cast, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY

from app.departments.models import Department
from app.events.ics import RESERVED_DE
from app.events.models import Event, Visibility, event_audiences, event_cohosts
from app.vocabularies.models import Audience, Category

CONFIDENTIAL = Visibility.CONFIDENTIAL.value

# The order is the unpacking order in _one. Enums come as their stored strings and the UTC
# instants of start and end without the UTC type's processing (only their offset is used):
# per-value conversions add up on 2,000 rows.
COLUMNS = (
    Event.id,
    Event.uid,
    Event.title,
    Event.description,
    Event.all_day,
    Event.start_local,
    Event.end_local,
    Event.timezone,
    type_coerce(Event.starts_at, DateTime(timezone=True)).label("starts_at"),
    type_coerce(Event.ends_at, DateTime(timezone=True)).label("ends_at"),
    Event.venue_id,
    Event.location,
    type_coerce(Event.visibility, String).label("visibility"),
    type_coerce(Event.status, String).label("status"),
    Event.capacity,
    Event.max_plus_ones,
    Event.rsvp_deadline,
    Event.sequence,
    Event.updated_at,
    Department.code.label("department_code"),
    Category.code.label("category_code"),
    Event.free,  # last: events_json reads the others by position
)


def rows_query(where: Select) -> Select:
    """Turn a select of events into a select of the columns the JSON needs."""
    return (
        where.with_only_columns(*COLUMNS)
        .join(Department, Department.id == Event.department_id)
        .outerjoin(Category, Category.id == Event.category_id)
    )


def _codes(session, ids: list[int], table, column, model) -> dict[int, list[str]]:
    """Return the codes linked to each event id through an association table."""
    result: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return result
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of thousands of bind parameters to render and parse.
        literal = "{" + ",".join(map(str, ids)) + "}"  # one text parameter, cast by the server
        matches = table.c.event_id == any_(
            cast(bindparam("ids", literal, type_=String), ARRAY(Integer))
        )
    else:
        matches = table.c.event_id.in_(ids)
    stmt = (
        select(table.c.event_id, model.code)
        .join(model, model.id == column)
        .where(matches)
        .order_by(table.c.event_id, model.code)
    )
    for event_id, code in session.connection().execute(stmt).all():  # fetchall: one call
        result[event_id].append(code)
    return result


_OFFSETS: dict[timedelta, str] = {}


def _iso(wall, instant) -> str:
    """Return a wall time as ISO 8601 with its UTC offset (taken from the stored UTC instant)."""
    delta = wall - instant.replace(tzinfo=None)
    offset = _OFFSETS.get(delta)
    if offset is None:
        minutes = int(delta.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        offset = _OFFSETS[delta] = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return wall.isoformat() + offset


def events_json(session, rows, user) -> list[dict]:
    """Serialise event rows; confidential ones the user may not see show only time and venue."""
    ids = [row[0] for row in rows]
    audiences = _codes(session, ids, event_audiences, event_audiences.c.audience_id, Audience)
    co_hosts = _codes(session, ids, event_cohosts, event_cohosts.c.department_id, Department)
    own = user.department.code if user.department else None
    sees_all = user.sees_everything
    return [
        _one(
            row,
            audiences.get(row[0], []),
            co_hosts.get(row[0], []),
            masked=row[12] == CONFIDENTIAL
            and not sees_all
            and own != row[19]
            and own not in co_hosts.get(row[0], []),
        )
        for row in rows
    ]


def _one(row, audiences: list[str], co_hosts: list[str], masked: bool) -> dict:
    """Serialise one row (unpacked by position: attribute or mapping access costs on 2,000)."""
    (
        event_id,
        uid,
        title,
        description,
        all_day,
        start_local,
        end_local,
        tz,
        starts_at,
        ends_at,
        venue_id,
        location,
        visibility,
        status,
        capacity,
        max_plus_ones,
        deadline,
        sequence,
        updated_at,
        department_code,
        category_code,
        free,
    ) = row
    if all_day:
        starts = start_local.date().isoformat()
        ends = (end_local - timedelta(days=1)).date().isoformat()
    else:
        starts, ends = _iso(start_local, starts_at), _iso(end_local, ends_at)
    data = {
        "id": event_id,
        "uid": uid,
        "title": title,
        "description": description,
        "all_day": all_day,
        "starts_at": starts,
        "ends_at": ends,
        "timezone": tz,
        "venue_id": venue_id,
        "location": location,
        "department": department_code,
        "co_hosts": co_hosts,
        "audiences": audiences,
        "category": category_code,
        "visibility": visibility,
        "status": status,
        "capacity": capacity,
        "max_plus_ones": max_plus_ones,
        "free": free,
        "rsvp_deadline": deadline.isoformat() if deadline else None,
        "sequence": sequence,
        "updated_at": updated_at.isoformat(),
        "reserved": masked,
    }
    if masked:
        data.update(
            title=RESERVED_DE,
            description="",
            department=None,
            co_hosts=[],
            audiences=[],
            category=None,
            capacity=None,
            rsvp_deadline=None,
        )
    return data
