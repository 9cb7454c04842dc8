"""Importing blocked ranges from iCalendar files or feeds.

The calendar reading and the result record are shared with ``holiday_imports`` (school
holidays from ICS or CSV).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from app.conflicts import download
from app.conflicts.models import BlockedRange, Severity
from app.errors import ValidationError
from app.events.ics import one_line, text_value
from app.events.walltime import range_bounds
from app.extensions import db
from app.input_guard import in_years
from app.vocabularies.models import District

MAX_BYTES = 5_000_000
MAX_ITEMS = 5000
TITLE_MAX, NOTE_MAX, SOURCE_MAX, UID_MAX = 200, 10_000, 500, 255


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


def read_calendar(data: bytes) -> icalendar.Calendar:
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


def date_value(event, name: str):
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
    start, end = date_value(event, "DTSTART"), date_value(event, "DTEND")
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
    events = [(_uid(event), event) for event in read_calendar(data).walk("VEVENT")]
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
