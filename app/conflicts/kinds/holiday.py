"""Holiday: NRW public holidays (``warning``) and NRW school holidays (``info``)."""

from collections import defaultdict
from datetime import date
from functools import lru_cache

import holidays as holidays_lib
from flask_babel import get_locale
from sqlalchemy import Date, and_, select

from app.conflicts import describe_days
from app.conflicts.conflict import Conflict
from app.conflicts.models import SchoolHoliday
from app.conflicts.overlap import hit_row, param
from app.conflicts.scope import Checked, Shape, Window
from app.events.models import Event
from app.extensions import db
from app.input_guard import parse_day

NAME = "holiday"
KEY_PREFIXES = ("holiday", "school")
SCHOOL_REGION = "NW"  # North Rhine-Westphalia: the school holidays that count


@lru_cache(maxsize=64)
def _public_holidays(year: int, language: str) -> dict[date, str]:
    return dict(
        holidays_lib.country_holidays("DE", subdiv="NW", years=year, language=language).items()
    )


def public_holidays(first: date, last: date) -> dict[date, str]:
    """Return the NRW public holidays between two days, named in the current language."""
    language = "de" if str(get_locale() or "de").startswith("de") else "en_US"
    found = {}
    for year in range(first.year, last.year + 1):
        for day, name in _public_holidays(year, language).items():
            if first <= day <= last:
                found[day] = name
    return found


def _school_during(first, last):
    """SQL: an NRW school holiday shares a day with first..last (values or columns)."""
    return and_(
        SchoolHoliday.region == SCHOOL_REGION,
        SchoolHoliday.first_day <= last,
        SchoolHoliday.last_day >= first,
    )


def part(shape: Shape):
    """Return the rows of the single check: the school holidays the event touches."""
    during = _school_during(param("first", Date()), param("last", Date()))
    return select(*hit_row(NAME, None, SchoolHoliday.id)).where(during)


def _school_holidays(ids) -> list[SchoolHoliday]:
    """Return school holidays by id."""
    return list(db.session.scalars(select(SchoolHoliday).where(SchoolHoliday.id.in_(ids))))


def for_proposal(checked: Checked, rows) -> list[Conflict]:
    """Return the public and school holidays the checked event falls on."""
    first, last = checked.proposal.days
    own = checked.own_ids
    found = [
        describe_days.public_holiday_conflict(day, name, own)
        for day, name in sorted(public_holidays(first, last).items())
    ]
    school_ids = [row[2] for row in rows]
    if school_ids:
        for holiday in _school_holidays(school_ids):
            day = max(first, holiday.first_day)
            found.append(describe_days.school_holiday_conflict(holiday, day, own))
    return found


def _public_for_window(win: Window) -> list[Conflict]:
    """Return a conflict per public holiday in the window with events on it."""
    found = []
    for day, name in sorted(public_holidays(win.first, win.last).items()):
        ids = sorted(e.id for e in win.events().values() if e.first_day <= day <= e.last_day)
        if ids:
            found.append(describe_days.public_holiday_conflict(day, name, ids))
    return found


def _school_for_window(win: Window, only_id: int | None) -> list[Conflict]:
    """Return a conflict per school holiday period with events of the window in it."""
    stmt = (
        select(SchoolHoliday.id, Event.id)
        .join(Event, _school_during(Event.first_day, Event.last_day))
        .where(_school_during(win.first, win.last), win.condition())
    )
    if only_id is not None:
        stmt = stmt.where(SchoolHoliday.id == only_id)
    hits: dict[int, set[int]] = defaultdict(set)
    for holiday_id, event_id in db.session.execute(stmt):
        hits[holiday_id].add(event_id)
    found = []
    for holiday in _school_holidays(list(hits)) if hits else []:
        day = max(win.first, holiday.first_day)
        found.append(describe_days.school_holiday_conflict(holiday, day, sorted(hits[holiday.id])))
    return found


def for_window(win: Window) -> list[Conflict]:
    """Return the public and school holidays with events of the window on them."""
    prefix, _sep, rest = (win.key or "").partition(":")
    found = [] if prefix == "school" else _public_for_window(win)
    if prefix != "holiday":
        found += _school_for_window(win, int(rest) if prefix == "school" else None)
    return found


def narrow(win: Window, key: str) -> Window | None:
    """Return the window reduced to what a key names ("holiday:2027-05-01", "school:4")."""
    prefix, _sep, rest = key.partition(":")
    if prefix == "school":
        return win.narrowed(key=key) if rest.isdigit() else None
    day = parse_day(rest)
    if day is None or not win.first <= day <= win.last:
        return None
    return win.narrowed(first=day, last=day, key=key)
