"""What machines read on an event page: schema.org JSON-LD and "add to calendar" links."""

import json
import re
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.events.changes import EventChange
from app.events.models import Event, Status

SCHEMA = "https://schema.org/"
_FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slug(title: str) -> str:
    """Return the URL slug of a title: lower-case ASCII words joined by hyphens (max 60)."""
    text = unicodedata.normalize("NFKD", title.lower().translate(_FOLDS))
    text = text.encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return words[:60].rstrip("-") or "veranstaltung"


def previous_start(session, event: Event) -> datetime | None:
    """Return the wall time the event had before its latest change of time, if one is recorded."""
    changes = session.scalars(
        select(EventChange)
        .where(EventChange.event_id == event.id, EventChange.kind == "update")
        .order_by(EventChange.sequence.desc())
    )
    for change in changes:
        if change.start_before is not None and (
            change.start_before != event.start_local or change.all_day_before != event.all_day
        ):
            return change.start_before
    return None


def _instant(event: Event, value: datetime) -> str:
    """Return an ISO 8601 date (all-day events) or local time with offset."""
    if event.all_day:
        return value.date().isoformat()
    return value.replace(tzinfo=ZoneInfo(event.timezone)).isoformat()


def event_data(event: Event, *, url: str, before: datetime | None) -> dict:
    """Return the schema.org Event of a public event."""
    if event.status == Status.CANCELLED:
        status = "EventCancelled"
    elif before is not None:
        status = "EventRescheduled"
    else:
        status = "EventScheduled"
    end = event.end_local - timedelta(days=1) if event.all_day else event.end_local
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": _instant(event, event.start_local),
        "endDate": _instant(event, end),
        "eventStatus": SCHEMA + status,
        "eventAttendanceMode": SCHEMA + "OfflineEventAttendanceMode",
        "isAccessibleForFree": bool(event.free),
        "organizer": {
            "@type": "GovernmentOrganization",
            "name": event.department.name,
            **({"email": event.department.email} if event.department.email else {}),
        },
    }
    if event.description:
        data["description"] = event.description
    if before is not None:
        data["previousStartDate"] = _instant(event, before)
    if event.venue is not None:
        data["location"] = {
            "@type": "Place",
            "name": event.venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": event.venue.address,
                "addressCountry": "DE",
            },
        }
    elif event.location:
        data["location"] = {"@type": "Place", "name": event.location}
    return data


def script_json(data: dict) -> str:
    """Return JSON safe inside <script>: no "</" can end the element, no "<!--" open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _utc(value: datetime) -> str:
    """Return a UTC instant as the compact form the calendar web links use."""
    return value.strftime("%Y%m%dT%H%M%SZ")


def google_link(event: Event, *, url: str) -> str:
    """Return the Google Calendar link that prefills the event."""
    if event.all_day:
        dates = f"{event.start_local:%Y%m%d}/{event.end_local:%Y%m%d}"
    else:
        dates = f"{_utc(event.starts_at)}/{_utc(event.ends_at)}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": f"{event.description}\n\n{url}".strip(),
        "location": event.place,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query, quote_via=quote)


def outlook_link(event: Event, *, url: str) -> str:
    """Return the Outlook on the web link that prefills the event."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": _instant(event, event.start_local)
        if event.all_day
        else event.starts_at.isoformat(),
        "enddt": _instant(event, event.end_local) if event.all_day else event.ends_at.isoformat(),
        "body": f"{event.description}\n\n{url}".strip(),
        "location": event.place,
    }
    if event.all_day:
        query["allday"] = "true"
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(
        query, quote_via=quote
    )


def osm_link(address: str) -> str:
    """Return an OpenStreetMap search for an address."""
    return "https://www.openstreetmap.org/search?" + urlencode({"query": address}, quote_via=quote)
