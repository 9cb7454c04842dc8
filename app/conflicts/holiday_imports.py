"""Importing school holidays from ICS or CSV: every row checked, nothing written if any is wrong."""

import csv
import io
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.conflicts.imports import MAX_BYTES, MAX_ITEMS, ImportResult, date_value, read_calendar
from app.conflicts.models import SchoolHoliday
from app.contacts.csv_import import decode
from app.errors import ValidationError
from app.events.ics import one_line
from app.extensions import db
from app.input_guard import in_years

HOLIDAY_NAME_MAX = 100
HEADER_WORDS = {
    **dict.fromkeys(("name", "bezeichnung", "ferien"), "name"),
    **dict.fromkeys(("beginn", "start", "von", "anfang", "first_day"), "first_day"),
    **dict.fromkeys(("ende", "end", "bis", "last_day"), "last_day"),
}


def _parse_day(text: str) -> date | None:
    """Return a date written DD.MM.YYYY or YYYY-MM-DD, or None."""
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
        return day if in_years(day) else None
    return None


def _check_holiday(where: str, name: str, days: tuple, labels: tuple, errors: list) -> None:
    """Record what is wrong with one holiday row: name, dates and their order."""
    first, last = days
    if not name:
        errors.append(_("%(where)s, %(field)s: enter a name.", where=where, field=labels[0]))
    elif len(name) > HOLIDAY_NAME_MAX:
        errors.append(
            _(
                "%(where)s, %(field)s: at most %(n)d characters.",
                where=where,
                field=labels[0],
                n=HOLIDAY_NAME_MAX,
            )
        )
    for value, label in ((first, labels[1]), (last, labels[2])):
        if value is None:
            errors.append(
                _(
                    "%(where)s, %(field)s: enter a date as DD.MM.YYYY or YYYY-MM-DD.",
                    where=where,
                    field=label,
                )
            )
    if first and last and last < first:
        errors.append(
            _(
                "%(where)s, %(field)s: the last day is before the first day.",
                where=where,
                field=labels[2],
            )
        )


def _holiday_rows_csv(text: str) -> tuple[list[tuple], list[str]]:
    """Return (name, first, last) rows and row errors from CSV text Name;Beginn;Ende."""
    first_line = text.split("\n", 1)[0]
    delimiter = "," if first_line.count(",") > first_line.count(";") else ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns, labels = {"name": 0, "first_day": 1, "last_day": 2}, ("Name", "Beginn", "Ende")
    rows, errors = [], []
    for cells in reader:
        words = [HEADER_WORDS.get(c.strip().casefold()) for c in cells]
        if reader.line_num == 1 and {"name", "first_day", "last_day"} <= set(words):
            columns = {word: i for i, word in enumerate(words) if word}
            labels = tuple(cells[columns[k]].strip() for k in ("name", "first_day", "last_day"))
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(rows) == MAX_ITEMS:
            raise ValidationError.single("file", _("At most %(n)d rows per import.", n=MAX_ITEMS))
        values = {k: cells[i].strip() if i < len(cells) else "" for k, i in columns.items()}
        row = (values["name"], _parse_day(values["first_day"]), _parse_day(values["last_day"]))
        _check_holiday(_("Row %(n)d", n=reader.line_num), row[0], row[1:], labels, errors)
        rows.append(row)
    return rows, errors


def _ics_day(event, name: str) -> date | None:
    """Return the value of a DATE property; None when it is missing, broken or a date-time."""
    try:
        value = date_value(event, name)
    except ValueError:
        return None
    return None if isinstance(value, datetime) else value


def _holiday_rows_ics(data: bytes) -> tuple[list[tuple], list[str]]:
    """Return (name, first, last) rows and errors from VEVENTs with DATE values."""
    rows, errors, labels = [], [], ("SUMMARY", "DTSTART", "DTEND")
    for number, event in enumerate(read_calendar(data).walk("VEVENT"), start=1):
        first, end = _ics_day(event, "DTSTART"), _ics_day(event, "DTEND")
        if end is None:  # no DTEND means one day; a broken one is reported
            last = None if "DTEND" in event else first
        else:  # DTEND is exclusive; one not after DTSTART still means one day
            last = max(end - timedelta(days=1), first) if first else end - timedelta(days=1)
        row = (one_line(str(event.get("SUMMARY", ""))).strip(), first, last)
        _check_holiday(_("Event %(n)d", n=number), row[0], row[1:], labels, errors)
        rows.append(row)
    return rows, errors


def import_school_holidays(data: bytes, *, region: str = "NW") -> ImportResult:
    """Create or update school holidays from ICS or CSV; write nothing if any row is wrong."""
    region = region.strip().upper()
    if not region or len(region) > 8:
        raise ValidationError.single("region", _("Enter a region code of up to 8 letters."))
    if len(data) > MAX_BYTES:
        raise ValidationError.single("file", _("The file is larger than 5 MB."))
    text = decode(data)
    if text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        rows, errors = _holiday_rows_ics(text.encode())
    else:
        rows, errors = _holiday_rows_csv(text)
    if not rows and not errors:
        errors.append(_("The file contains no holidays."))
    if errors:
        raise ValidationError({"file": errors})
    return _store_holidays(rows, region)


def _store_holidays(rows: list[tuple], region: str) -> ImportResult:
    """Upsert checked holiday rows on (region, first day, name)."""
    result, pending = ImportResult(), {}
    for name, first, last in rows:
        pending[(first, name)] = last
    for (first, name), last in pending.items():
        existing = db.session.scalar(
            select(SchoolHoliday).filter_by(region=region, first_day=first, name=name)
        )
        if existing is None:
            db.session.add(SchoolHoliday(region=region, name=name, first_day=first, last_day=last))
            result.created += 1
        elif existing.last_day != last:
            existing.last_day = last
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.flush()
    return result
