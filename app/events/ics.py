"""iCalendar rendering of events; icalendar writes every byte."""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent
from icalendar.prop import vCalAddress, vCategory, vDDDTypes, vInt, vText, vUri

from app.events.models import Event, Status, Visibility

PRODID = "-//Stadtkalender//Stadtkalender 1.0//DE"
_STATUS = {Status.DRAFT: "TENTATIVE", Status.PUBLISHED: "CONFIRMED", Status.CANCELLED: "CANCELLED"}
_CLASS = {
    Visibility.PUBLIC: "PUBLIC",
    Visibility.INTERNAL: "PRIVATE",
    Visibility.CONFIDENTIAL: "CONFIDENTIAL",
}
RESERVED_DE = "Reserviert"
# Rows written before input was checked may hold line breaks and control characters: a
# writer must still produce valid content lines (RFC 5545 forbids CONTROL in TEXT but HTAB).
_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(value: str) -> str:
    """Return text as one line: line breaks become spaces, other control characters go."""
    return _CONTROLS.sub("", _BREAKS.sub(" ", value or ""))


def text_value(value: str) -> str:
    """Return multi-line text with LF line breaks only and no other control characters."""
    return _TEXT_CONTROLS.sub("", _BREAKS.sub("\n", value or ""))


def organizer(name: str, address: str) -> vCalAddress:
    """Return an ORGANIZER value: mailto address with the display name as CN."""
    value = vCalAddress(f"mailto:{one_line(address).replace(' ', '')}")
    value.params["CN"] = vText(" ".join(one_line(name).replace('"', "").split()))
    return value


def fallback_organizer(sender: str) -> tuple[str, str]:
    """Return (name, address) of the sending address, the organizer when a department has none."""
    name, address = parseaddr(sender)
    return name or "Stadtkalender", address


def organizer_for(
    department_name: str | None, department_email: str | None, sender: str, *, masked: bool
) -> tuple[str, str]:
    """Return the ORGANIZER of a published event: its department, or the city when masked."""
    fallback = fallback_organizer(sender)
    if masked or not department_name:
        return fallback
    return department_name, department_email or fallback[1]


def _offset_at(zone: ZoneInfo, moment: datetime) -> timedelta:
    """Return the zone's UTC offset at a naive local moment."""
    offset = moment.replace(tzinfo=zone).utcoffset()
    assert offset is not None
    return offset


def _follows_eu_rule(zone: ZoneInfo) -> bool:
    """Return True if the zone switches at 01:00 UTC on the last Sundays of March and October."""
    year = datetime.now(UTC).year
    winter = _offset_at(zone, datetime(year, 1, 15))
    summer = _offset_at(zone, datetime(year, 7, 15))
    return summer - winter == timedelta(hours=1)


@lru_cache(maxsize=8)
def vtimezone(tzid: str) -> Timezone:
    """Return the VTIMEZONE in the classic RRULE form that Outlook maps correctly.

    ``add_missing_timezones()`` writes RDATE lists, which Outlook shifts by an hour.
    """
    zone = ZoneInfo(tzid)
    if not _follows_eu_rule(zone):
        return Timezone.from_tzid(tzid)
    winter = _offset_at(zone, datetime(2000, 1, 15))
    summer = winter + timedelta(hours=1)
    names = (
        datetime(2000, 7, 15, tzinfo=zone).tzname(),
        datetime(2000, 1, 15, tzinfo=zone).tzname(),
    )
    tz = Timezone()
    tz.add("tzid", tzid)
    daylight = TimezoneDaylight()
    daylight.add("tzoffsetfrom", winter)
    daylight.add("tzoffsetto", summer)
    daylight.add("tzname", names[0])
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0, 0))
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    standard = TimezoneStandard()
    standard.add("tzoffsetfrom", summer)
    standard.add("tzoffsetto", winter)
    standard.add("tzname", names[1])
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0, 0))
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    tz.add_component(daylight)
    tz.add_component(standard)
    return tz


@lru_cache(maxsize=8)
def vtimezone_bytes(tzid: str) -> bytes:
    """Return the serialised VTIMEZONE of a zone (it never changes while the process runs)."""
    return vtimezone(tzid).to_ical()


def _bounds(event: Event) -> tuple[date | datetime, date | datetime]:
    """Return DTSTART and DTEND values: dates for all-day events, zoned wall times otherwise."""
    if event.all_day:
        return event.start_local.date(), event.end_local.date()
    zone = ZoneInfo(event.timezone)
    return event.start_local.replace(tzinfo=zone), event.end_local.replace(tzinfo=zone)


def build_vevent(
    event: Event,
    *,
    masked: bool,
    url: str | None,
    dtstamp: datetime,
    organized_by: tuple[str, str] | None = None,
) -> VEvent:
    """Return the VEVENT of an event for feeds and downloads (no ATTENDEE).

    ``organized_by`` (name, address) becomes the ORGANIZER that METHOD:PUBLISH requires
    (RFC 5546, 3.2.1). A masked event shows only that the place and time are reserved. Values
    are assigned as typed icalendar properties, skipping ``add()``'s type guessing.
    """
    vevent = VEvent()
    vevent["UID"] = vText(event.uid)
    vevent["DTSTAMP"] = vDDDTypes(dtstamp.astimezone(UTC))
    vevent["SEQUENCE"] = vInt(event.sequence)
    start, end = _bounds(event)
    vevent["DTSTART"] = vDDDTypes(start)
    vevent["DTEND"] = vDDDTypes(end)
    vevent["STATUS"] = vText(_STATUS[event.status])
    vevent["CLASS"] = vText(_CLASS[event.visibility])
    vevent["LAST-MODIFIED"] = vDDDTypes(event.updated_at.astimezone(UTC))
    if organized_by is not None:
        vevent["ORGANIZER"] = organizer(*organized_by)
    place = one_line(event.place)
    if place:
        vevent["LOCATION"] = vText(place)
    if masked:
        vevent["SUMMARY"] = vText(RESERVED_DE)
        vevent["TRANSP"] = vText("OPAQUE")
        return vevent
    vevent["SUMMARY"] = vText(one_line(event.title))
    if event.description:
        vevent["DESCRIPTION"] = vText(text_value(event.description))
    if event.category is not None:
        vevent["CATEGORIES"] = vCategory([one_line(event.category.name)])
    if url:
        vevent["URL"] = vUri(url)
    vevent["CREATED"] = vDDDTypes(event.created_at.astimezone(UTC))
    vevent["TRANSP"] = vText("OPAQUE")
    return vevent


def calendar_header(name: str, method: str = "PUBLISH") -> Calendar:
    """Return an empty VCALENDAR with the product id, method and display name."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    # A title with a line break must not end the property line (X- values are written raw).
    cal["X-WR-CALNAME"] = vText(one_line(name))
    cal.add("x-wr-timezone", "Europe/Berlin")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    return cal


@lru_cache(maxsize=1024)
def header_bytes(name: str) -> bytes:
    """Return the serialised header of a PUBLISH calendar (titles repeat: downloads, feeds)."""
    return calendar_header(name).to_ical()


def assemble(header: Calendar | bytes, tzids: Iterable[str], vevents: Iterable[bytes]) -> bytes:
    """Join a calendar header, its VTIMEZONEs and already serialised VEVENTs into one object.

    Each part is written by icalendar; joining whole components is what Calendar.to_ical does.
    """
    head = header if isinstance(header, bytes) else header.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    parts = [head[: -len(end)]]
    parts.extend(vtimezone_bytes(tzid) for tzid in sorted(set(tzids)))
    parts.extend(vevents)
    parts.append(end)
    return b"".join(parts)


def single_event_ics(
    event: Event, *, masked: bool, url: str | None, organized_by: tuple[str, str] | None = None
) -> bytes:
    """Return a PUBLISH calendar with one event, for "add to calendar" downloads."""
    vevent = build_vevent(
        event, masked=masked, url=url, dtstamp=event.updated_at, organized_by=organized_by
    ).to_ical()
    tzids = [] if event.all_day else [event.timezone]
    return assemble(header_bytes(event.title if not masked else RESERVED_DE), tzids, [vevent])
