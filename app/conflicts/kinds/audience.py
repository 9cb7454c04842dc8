"""Audience: other published events for the same audience on the same day.

Severity from ``CONFLICT_AUDIENCE_SEVERITY`` (``off`` switches the kind off); audiences in
``CONFLICT_AUDIENCE_IGNORE`` never clash.
"""

from collections import defaultdict
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import Date, Integer, any_, bindparam, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.conflicts import describe_people
from app.conflicts.conflict import Conflict
from app.conflicts.facts import EventFacts, id_in
from app.conflicts.overlap import day_overlap, hit_row, param
from app.conflicts.scope import Checked, Shape, Window
from app.events.models import Event, Status, event_audiences
from app.extensions import db
from app.input_guard import parse_day
from app.vocabularies.models import Audience

NAME = "audience"
KEY_PREFIXES = ("audience",)
_CHUNK = 5000


def _days(first_day: date, last_day: date, first: date, last: date):
    """Yield the days an event (first_day..last_day) shares with first..last."""
    day = max(first, first_day)
    while day <= min(last, last_day):
        yield day
        day += timedelta(days=1)


def _code_and_day(key: str) -> tuple[str, date | None]:
    """Return the audience code and the day of a key ("audience:youth:2027-02-03")."""
    code, _sep, iso = key.partition(":")[2].rpartition(":")
    return code, parse_day(iso)


def part(shape: Shape):
    """Return the rows of the single check: published events for one of the audiences."""
    if not shape.has_audiences:
        return None
    audience_in = (
        event_audiences.c.audience_id == any_(param("audience_ids", ARRAY(Integer)))
        if shape.postgresql
        else event_audiences.c.audience_id.in_(bindparam("audience_ids", expanding=True))
    )
    first, last = param("first", Date()), param("last", Date())
    other = Event.id != bindparam("event_id") if shape.has_event else literal(True)
    return (
        select(*hit_row(NAME, Event.id, Audience.id, None, Audience.code, Audience.name))
        .join(event_audiences, event_audiences.c.event_id == Event.id)
        .join(Audience, Audience.id == event_audiences.c.audience_id)
        .where(
            day_overlap(Event.first_day, Event.last_day, first, last, shape.postgresql),
            other,
            Event.status == Status.PUBLISHED,
            audience_in,
        )
    )


def for_proposal(checked: Checked, rows) -> list[Conflict]:
    """Return a conflict per audience and day the checked event shares with published ones."""
    severity, ignored = describe_people.audience_setting()
    if severity is None or not rows:
        return []
    first, last = checked.proposal.days
    names: dict[str, str] = {}
    grouped: dict[tuple[str, date], list[EventFacts]] = defaultdict(list)
    for _kind, other_id, _audience_id, _n, code, name in rows:
        if code in ignored:
            continue
        names[code] = name
        other = checked.describe.events[other_id]
        for day in _days(other.first_day, other.last_day, first, last):
            grouped[(code, day)].append(other)
    found = []
    for (code, day), others in sorted(grouped.items(), key=lambda i: (i[0][1], i[0][0])):
        audience = SimpleNamespace(code=code, name=names[code])
        found.append(
            describe_people.audience_conflict(
                audience, day, others, checked.describe, checked.own_ids, severity
            )
        )
    return found


def for_window(win: Window) -> list[Conflict]:
    """Return a conflict per audience and day with two or more published events."""
    severity, ignored = describe_people.audience_setting()
    if severity is None:
        return []
    # By the ids of the window's published events (already loaded): an index-only scan.
    window = {i: e for i, e in win.events().items() if e.status == Status.PUBLISHED}
    ids = sorted(window)
    links = []
    for start in range(0, len(ids), _CHUNK):
        stmt = select(event_audiences.c.event_id, event_audiences.c.audience_id).where(
            id_in(event_audiences.c.event_id, ids[start : start + _CHUNK])
        )
        links += db.session.execute(stmt).all()
    by_audience = {a.id: a for a in db.session.scalars(select(Audience))}
    wanted = _code_and_day(win.key)[0] if win.key else None
    grouped: dict[tuple[date, str], list[EventFacts]] = defaultdict(list)
    audiences = {}
    for event_id, audience_id in links:
        event, audience = window.get(event_id), by_audience[audience_id]
        if event is None or audience.code in ignored or wanted not in (None, audience.code):
            continue
        audiences[audience.code] = audience
        for day in _days(event.first_day, event.last_day, win.first, win.last):
            grouped[(day, audience.code)].append(event)
    found = []
    for (day, code), events in sorted(grouped.items()):
        if len(events) < 2:
            continue
        events.sort(key=lambda e: (e.starts_at, e.id))
        name = audiences[code].name
        found.append(
            describe_people.audience_day_conflict(code, name, day, events, win.describe, severity)
        )
    return found


def narrow(win: Window, key: str) -> Window | None:
    """Return the window reduced to the day of a key ("audience:youth:2027-02-03")."""
    day = _code_and_day(key)[1]
    if day is None or not win.first <= day <= win.last:
        return None
    return win.narrowed(first=day, last=day, key=key)
