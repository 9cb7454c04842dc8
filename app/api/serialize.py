"""Event rows as JSON, read with a few set-based queries rather than object loading."""

from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select

from app.departments.models import Department
from app.events.ics import RESERVED_DE
from app.events.models import Event, Visibility, event_audiences, event_cohosts
from app.vocabularies.models import Audience, Category

COLUMNS = (
    Event.id,
    Event.uid,
    Event.title,
    Event.description,
    Event.all_day,
    Event.start_local,
    Event.end_local,
    Event.timezone,
    Event.venue_id,
    Event.location,
    Event.visibility,
    Event.status,
    Event.capacity,
    Event.max_plus_ones,
    Event.rsvp_deadline,
    Event.sequence,
    Event.published_at,
    Event.created_at,
    Event.updated_at,
    Event.department_id,
    Department.code.label("department_code"),
    Category.code.label("category_code"),
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
    stmt = (
        select(table.c.event_id, model.code)
        .join(model, model.id == column)
        .where(table.c.event_id.in_(ids))
        .order_by(table.c.event_id, model.code)
    )
    for event_id, code in session.execute(stmt):
        result[event_id].append(code)
    return result


def _iso(wall, tz: str) -> str:
    """Return a wall time as ISO 8601 with its UTC offset."""
    return wall.replace(tzinfo=ZoneInfo(tz)).isoformat()


def events_json(session, rows, user) -> list[dict]:
    """Serialise event rows; confidential ones the user may not see show only time and venue."""
    ids = [row.id for row in rows]
    audiences = _codes(session, ids, event_audiences, event_audiences.c.audience_id, Audience)
    co_hosts = _codes(session, ids, event_cohosts, event_cohosts.c.department_id, Department)
    own = user.department.code if user.department else None
    return [
        _one(
            row,
            audiences.get(row.id, []),
            co_hosts.get(row.id, []),
            masked=row.visibility == Visibility.CONFIDENTIAL
            and not user.sees_everything
            and own != row.department_code
            and own not in co_hosts.get(row.id, []),
        )
        for row in rows
    ]


def _one(row, audiences: list[str], co_hosts: list[str], masked: bool) -> dict:
    """Serialise one row."""
    if row.all_day:
        starts = row.start_local.date().isoformat()
        ends = (row.end_local - timedelta(days=1)).date().isoformat()
    else:
        starts, ends = _iso(row.start_local, row.timezone), _iso(row.end_local, row.timezone)
    data = {
        "id": row.id,
        "uid": row.uid,
        "title": row.title,
        "description": row.description,
        "all_day": row.all_day,
        "starts_at": starts,
        "ends_at": ends,
        "timezone": row.timezone,
        "venue_id": row.venue_id,
        "location": row.location,
        "department": row.department_code,
        "co_hosts": co_hosts,
        "audiences": audiences,
        "category": row.category_code,
        "visibility": row.visibility.value,
        "status": row.status.value,
        "capacity": row.capacity,
        "max_plus_ones": row.max_plus_ones,
        "rsvp_deadline": row.rsvp_deadline.isoformat() if row.rsvp_deadline else None,
        "sequence": row.sequence,
        "updated_at": row.updated_at.isoformat(),
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
