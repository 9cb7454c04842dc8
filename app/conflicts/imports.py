"""Importing blocked ranges from iCalendar files or feeds and school holidays from ICS or CSV."""

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from app.conflicts import download
from app.conflicts.models import BlockedRange, SchoolHoliday, Severity
from app.contacts.csv_import import decode
from app.errors import ValidationError
from app.events.ics import one_line, text_value
from app.events.walltime import range_bounds
from app.extensions import db
from app.input_guard import in_years
from app.vocabularies.models import District

MAX_BYTES = 5_000_000
MAX_ITEMS = 5000
TITLE_MAX, NOTE_MAX, SOURCE_MAX, UID_MAX, HOLIDAY_NAME_MAX = 200, 10_000, 500, 255, 100
HEADER_WORDS = {
    **dict.fromkeys(("name", "bezeichnung", "ferien"), "name"),
    **dict.fromkeys(("beginn", "start", "von", "anfang", "first_day"), "first_day"),
    **dict.fromkeys(("ende", "end", "bis", "last_day"), "last_day"),
}


@dataclass
class ImportResult:
    """What an import did: counts per outcome and messages about single items."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _private_allowed() -> bool:
    """Return the IMPORT_ALLOW_PRIVATE_ADDRESSES setting (off outside an application)."""
    return has_app_context() and bool(current_app.config.get("IMPORT_ALLOW_PRIVATE_ADDRESSES"))


def fetch_ics(
    url: str,
    timeout: float = 10,
    max_bytes: int = MAX_BYTES,
    allow_private: bool | None = None,
) -> bytes:
    """Download a calendar from an http or https address, refusing other schemes, addresses in
    the own network (unless allowed; default: the IMPORT_ALLOW_PRIVATE_ADDRESSES setting) and
    big files; every hop connects to the very address that was checked."""
    allow_private = _private_allowed() if allow_private is None else allow_private
    data = download.fetch(
        url.strip(), timeout=timeout, max_bytes=max_bytes, allow_private=allow_private
    )
    if len(data) > max_bytes:
        message = _("The calendar is larger than %(n)d MB.", n=max(1, max_bytes // 1_000_000))
        raise ValidationError.single("url", message)
    return data


def _calendar(data: bytes) -> icalendar.Calendar:
    """Parse iCalendar data or raise a ValidationError on the file field."""
    if len(data) > MAX_BYTES:
        raise ValidationError.single("file", _("The file is larger than 5 MB."))
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, UnicodeDecodeError):
        calendar = None
    if not isinstance(calendar, icalendar.Calendar):
        raise ValidationError.single(
            "file", _("This is not an iCalendar file (.ics with BEGIN:VCALENDAR).")
        )
    if len(calendar.walk("VEVENT")) > MAX_ITEMS:
        raise ValidationError.single("file", _("At most %(n)d events per import.", n=MAX_ITEMS))
    return calendar


def _value(event, name: str):
    """Return the date or datetime of a property, None when missing; ValueError when broken."""
    prop = event.get(name)
    if prop is None:
        return None
    try:
        value = prop.dt
    except Exception as error:  # icalendar raises its own error type for broken values
        raise ValueError(name) from error
    if not isinstance(value, date) or not in_years(value):  # far years overflow date arithmetic
        raise ValueError(name)
    return value


def _instant(value: datetime, tz: str) -> datetime:
    """Return the UTC instant of an aware or floating (city wall time) datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def _bounds(event, tz: str) -> tuple[datetime, datetime, bool]:
    """Return the UTC start and end of a VEVENT and whether it is all-day; ValueError if bad."""
    start, end = _value(event, "DTSTART"), _value(event, "DTEND")
    if start is None:
        raise ValueError("DTSTART")
    if end is None and event.get("DURATION") is not None:
        try:
            end = start + event["DURATION"].dt
        except Exception as error:  # a broken or non-duration value
            raise ValueError("DURATION") from error
    if not isinstance(start, datetime):
        if isinstance(end, datetime):
            raise ValueError("DTEND")
        last = end if end is not None and end > start else start + timedelta(days=1)
        first_utc, end_utc = range_bounds(start, last, tz)
        return first_utc, end_utc, True
    if end is None or not isinstance(end, datetime):
        raise ValueError("DTEND")
    first_utc, end_utc = _instant(start, tz), _instant(end, tz)
    if end_utc <= first_utc:
        raise ValueError("DTEND", "order")
    return first_utc, end_utc, False


def _uid(event) -> str:
    """Return the event's UID, or a stable one derived from summary and start."""
    uid = str(event.get("UID", "")).strip()
    if not uid:
        start = event.get("DTSTART")
        raw = f"{event.get('SUMMARY', '')}|{start.to_ical().decode() if start else ''}"
        return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    if len(uid) > UID_MAX:
        return "sha256:" + hashlib.sha256(uid.encode()).hexdigest()
    return uid


def _label(number: int, event) -> str:
    """Name an event in messages by its position and summary."""
    summary = str(event.get("SUMMARY", "")).strip()[:80]
    return _("Event %(n)d (%(summary)s)", n=number, summary=summary or "—")


def import_blocked_ics(
    data: bytes,
    *,
    source: str,
    district: District | None,
    severity: Severity,
    actor,
    now: datetime,
    tz: str = "Europe/Berlin",
) -> ImportResult:
    """Create or update a blocked range per VEVENT (keyed by UID); cancelled ones are removed."""
    if severity not in (Severity.WARNING, Severity.INFO):
        raise ValidationError.single("severity", _("Choose warning or info."))
    events = [(_uid(event), event) for event in _calendar(data).walk("VEVENT")]
    stored = _stored(source[:SOURCE_MAX], {uid for uid, _event in events})
    result, seen = ImportResult(), set()
    for number, (uid, event) in enumerate(events, start=1):
        label = _label(number, event)
        if event.get("RECURRENCE-ID") is not None or uid in seen:
            result.skipped += 1
            result.warnings.append(
                _("%(event)s: a changed repetition was ignored.", event=label)
                if event.get("RECURRENCE-ID") is not None
                else _("%(event)s: its UID appeared before; it was ignored.", event=label)
            )
            continue
        seen.add(uid)
        existing = stored.get(uid)
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            if existing is None:
                result.skipped += 1
            else:
                db.session.delete(existing)
                result.deleted += 1
            continue
        try:
            starts_at, ends_at, all_day = _bounds(event, tz)
        except ValueError as error:
            result.skipped += 1
            field, *order = error.args
            message = (
                _("%(event)s, %(field)s: the end is not after the start.", event=label, field=field)
                if order
                else _("%(event)s, %(field)s: missing or invalid date.", event=label, field=field)
            )
            result.errors.append(message)
            continue
        if event.get("RRULE") is not None or event.get("RDATE") is not None:
            result.warnings.append(
                _("%(event)s repeats; only its first occurrence was imported.", event=label)
            )
        values = {
            "title": one_line(str(event.get("SUMMARY", ""))).strip()[:TITLE_MAX] or _("Blocked"),
            "note": text_value(str(event.get("DESCRIPTION", ""))).strip()[:NOTE_MAX],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "all_day": all_day,
            "district_id": district.id if district is not None else None,
            "severity": severity,
            "source": source[:SOURCE_MAX],
        }
        _upsert_range(existing, uid, values, result, actor=actor, now=now)
    db.session.flush()
    return result


def _stored(source: str, uids: set[str]) -> dict[str, BlockedRange]:
    """Return the blocked ranges already imported from this source under these UIDs, by UID.

    UIDs are unique per calendar only: two sources (or one per district) may reuse them.
    """
    found, ordered = {}, sorted(uids)
    for i in range(0, len(ordered), 500):
        rows = db.session.scalars(
            select(BlockedRange).where(
                BlockedRange.source == source,
                BlockedRange.source_uid.in_(ordered[i : i + 500]),
            )
        )
        found |= {row.source_uid: row for row in rows}
    return found


def _upsert_range(existing, uid: str, values: dict, result: ImportResult, *, actor, now) -> None:
    """Add a new blocked range or update an existing one, counting what happened."""
    if existing is None:
        row = BlockedRange(source_uid=uid, created_at=now, **values)
        row.created_by_id = getattr(actor, "id", None)
        db.session.add(row)
        result.created += 1
    elif any(getattr(existing, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(existing, key, value)
        result.updated += 1
    else:
        result.unchanged += 1


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
        value = _value(event, name)
    except ValueError:
        return None
    return None if isinstance(value, datetime) else value


def _holiday_rows_ics(data: bytes) -> tuple[list[tuple], list[str]]:
    """Return (name, first, last) rows and errors from VEVENTs with DATE values."""
    rows, errors, labels = [], [], ("SUMMARY", "DTSTART", "DTEND")
    for number, event in enumerate(_calendar(data).walk("VEVENT"), start=1):
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
