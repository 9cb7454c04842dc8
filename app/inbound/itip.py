"""iTIP replies (RFC 5546) as mail clients send them, read leniently into plain values."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from icalendar import Calendar

from app.inbound import ical_fast

ANSWERING = ("REPLY", "COUNTER")


@dataclass(frozen=True)
class Attendee:
    """One ATTENDEE line: the address (without mailto:), PARTSTAT, and SENT-BY if any."""

    address: str
    partstat: str
    sent_by: str = ""

    @property
    def key(self) -> str:
        """Return the address folded the way contacts' email keys are."""
        return self.address.casefold()


@dataclass(frozen=True)
class ReplyEvent:
    """One VEVENT of a REPLY or COUNTER."""

    method: str
    uid: str
    sequence: int | None  # None when the reply has none (RFC 5546 makes it optional)
    dtstamp: datetime | None
    attendees: list[Attendee] = field(default_factory=list)
    comment: str = ""


def _address(value) -> str:
    """Return a calendar address without its mailto: prefix (any case)."""
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip()


def _instant(component, name: str) -> datetime | None:
    """Return a property as an aware UTC instant; dates and floating times as UTC midnight/time."""
    try:
        value = component.decoded(name)
    except (KeyError, ValueError, TypeError):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _sequence(component) -> int | None:
    """Return SEQUENCE, or None when missing or unreadable (then it cannot be outdated)."""
    value = component.get("SEQUENCE")
    if value is None:
        return None
    try:
        return max(0, int(str(value).strip()))
    except ValueError:
        return None


def _attendees(component) -> list[Attendee]:
    """Return the ATTENDEE lines of a component (one or several)."""
    values = component.get("ATTENDEE")
    if values is None:
        return []
    if not isinstance(values, list):
        values = [values]
    result = []
    for value in values:
        params = getattr(value, "params", {})
        result.append(
            Attendee(
                address=_address(value),
                partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
                sent_by=_address(params.get("SENT-BY", "")),
            )
        )
    return result


def _comment(component) -> str:
    """Return the COMMENT text (Outlook's note to the organiser), several joined by lines."""
    values = component.get("COMMENT")
    if values is None:
        return ""
    values = values if isinstance(values, list) else [values]
    return "\n".join(str(value).strip() for value in values if str(value).strip())


def _quick(method: str, values: dict) -> ReplyEvent:
    """Return the ReplyEvent of a VEVENT read by ical_fast (the same values as below)."""
    return ReplyEvent(
        method=method.strip().upper(),
        uid=values.get("UID", "").strip(),
        sequence=int(values["SEQUENCE"]) if "SEQUENCE" in values else None,
        dtstamp=values.get("DTSTAMP"),
        attendees=[
            Attendee(
                address=_address(value),
                partstat=params.get("PARTSTAT", "NEEDS-ACTION").upper(),
                sent_by=_address(params.get("SENT-BY", "")),
            )
            for value, params in values["ATTENDEE"]
        ],
        comment="\n".join(text.strip() for text in values["COMMENT"] if text.strip()),
    )


def _parsed(text: str) -> list[ReplyEvent]:
    """Return the REPLY or COUNTER VEVENTs of one text parsed in full by icalendar."""
    found = []
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except ValueError:
        return []
    for calendar in calendars:
        method = str(calendar.get("METHOD", "")).strip().upper()
        if method not in ANSWERING:
            continue
        for event in calendar.walk("VEVENT"):
            found.append(
                ReplyEvent(
                    method=method,
                    uid=str(event.get("UID", "")).strip(),
                    sequence=_sequence(event),
                    dtstamp=_instant(event, "DTSTAMP"),
                    attendees=_attendees(event),
                    comment=_comment(event),
                )
            )
    return found


def replies(texts: list[str]) -> list[ReplyEvent]:
    """Return the VEVENTs of every REPLY or COUNTER among the calendar texts; others are skipped.

    A text of a plain shape is read quickly (ical_fast), any other one by icalendar in full.
    """
    found = []
    for text in texts:
        quick = ical_fast.read(text)
        if quick is None:
            found.extend(_parsed(text))
            continue
        events = [_quick(method, values) for method, values in quick]
        found.extend(e for e in events if e.method in ANSWERING)
    return found
