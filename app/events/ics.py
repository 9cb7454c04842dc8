"""iCalendar rendering of events; icalendar writes every byte."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent
from icalendar.prop import vCategory, vDDDTypes, vInt, vText, vUri

from app.events.models import Event, Status, Visibility

PRODID = "-//Stadtkalender//Stadtkalender 1.0//DE"
_STATUS = {Status.DRAFT: "TENTATIVE", Status.PUBLISHED: "CONFIRMED", Status.CANCELLED: "CANCELLED"}
_CLASS = {
    Visibility.PUBLIC: "PUBLIC",
    Visibility.INTERNAL: "PRIVATE",
    Visibility.CONFIDENTIAL: "CONFIDENTIAL",
}
RESERVED_DE = "Reserviert"


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


def build_vevent(event: Event, *, masked: bool, url: str | None, dtstamp: datetime) -> VEvent:
    """Return the VEVENT of an event for feeds and downloads (no ATTENDEE, no ORGANIZER).

    A masked event shows only that the place and time are reserved. Values are assigned as
    typed icalendar properties, which skips ``add()``'s type guessing on hot feed paths.
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
    place = event.place
    if place:
        vevent["LOCATION"] = vText(place)
    if masked:
        vevent["SUMMARY"] = vText(RESERVED_DE)
        vevent["TRANSP"] = vText("OPAQUE")
        return vevent
    vevent["SUMMARY"] = vText(event.title)
    if event.description:
        vevent["DESCRIPTION"] = vText(event.description)
    if event.category is not None:
        vevent["CATEGORIES"] = vCategory([event.category.name])
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
    cal.add("x-wr-calname", name)
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


def single_event_ics(event: Event, *, masked: bool, url: str | None) -> bytes:
    """Return a PUBLISH calendar with one event, for "add to calendar" downloads."""
    vevent = build_vevent(event, masked=masked, url=url, dtstamp=event.updated_at).to_ical()
    tzids = [] if event.all_day else [event.timezone]
    return assemble(header_bytes(event.title if not masked else RESERVED_DE), tzids, [vevent])
