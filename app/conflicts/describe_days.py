"""Wording and severity of the conflicts of a day: public and school holidays, blocked ranges."""

from datetime import date

from flask_babel import gettext as _

from app.conflicts.conflict import Conflict
from app.conflicts.describe import short_day, when
from app.conflicts.models import BlockedRange, SchoolHoliday, Severity
from app.dates import format_day

# --- holiday, blocked ------------------------------------------------------------------------


def public_holiday_conflict(day: date, name: str, event_ids: list[int]) -> Conflict:
    """Describe events on an NRW public holiday."""
    return Conflict(
        kind="holiday",
        severity=Severity.WARNING,
        message=_(
            "%(day)s is a public holiday in North Rhine-Westphalia (%(name)s).",
            day=short_day(day),
            name=name,
        ),
        event_ids=event_ids,
        key=f"holiday:{day.isoformat()}",
        day=day,
        details={"holiday": name, "date": day.isoformat(), "school": False},
    )


def school_holiday_conflict(holiday: SchoolHoliday, day: date, event_ids: list[int]) -> Conflict:
    """Describe events during school holidays."""
    return Conflict(
        kind="holiday",
        severity=Severity.INFO,
        message=_(
            "School holidays in North Rhine-Westphalia: %(name)s (%(first)s – %(last)s).",
            name=holiday.name,
            first=format_day(holiday.first_day, "short_date"),
            last=format_day(holiday.last_day, "short_date"),
        ),
        event_ids=event_ids,
        key=f"school:{holiday.id}",
        day=day,
        basis=f"{holiday.first_day}|{holiday.last_day}|{holiday.name}",
        range_only=True,
        details={
            "holiday": holiday.name,
            "first_day": holiday.first_day.isoformat(),
            "last_day": holiday.last_day.isoformat(),
            "school": True,
        },
    )


def blocked_conflict(blocked: BlockedRange, day: date, event_ids: list[int]) -> Conflict:
    """Describe events in a blocked range."""
    where = blocked.district.name if blocked.district is not None else _("the whole city")
    message = _(
        "Blocked for %(where)s: “%(title)s” (%(when)s).",
        where=where,
        title=blocked.title,
        when=when(blocked.starts_at, blocked.ends_at, blocked.all_day),
    )
    if blocked.note:
        message += " " + blocked.note
    return Conflict(
        kind="blocked",
        severity=Severity(blocked.severity),
        message=message,
        event_ids=event_ids,
        key=f"blocked:{blocked.id}",
        day=day,
        basis=f"{blocked.starts_at}|{blocked.ends_at}|{blocked.district_id}|{blocked.severity}",
        range_only=True,
        details={
            "blocked_id": blocked.id,
            "title": blocked.title,
            "district": blocked.district.code if blocked.district is not None else None,
            "starts_at": blocked.starts_at.isoformat(),
            "ends_at": blocked.ends_at.isoformat(),
        },
    )
