"""Open data: every public event of the last 12 months and the future as CSV and JSON.

Published and cancelled (after publishing) public events only, the same set as the public ICS
feed; stable ids (the event's number and its iCalendar UID); the licence from OPEN_DATA_LICENSE.
The field list below is the documented schema (README.md, "Open data").
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import orjson
from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.access import public
from app.events import policy
from app.events.models import Event, Status
from app.extensions import db
from app.feeds.conditional import conditional
from app.feeds.views import bp
from app.spreadsheet import safe_cell

# (field, description) in output order: README.md documents the same list.
FIELDS = (
    ("id", "stable number of the event"),
    ("uid", "iCalendar UID, the same as in the ICS feeds"),
    ("title", "title"),
    ("description", "description (plain text)"),
    ("status", "scheduled or cancelled"),
    ("start", "start, local time with UTC offset (ISO 8601)"),
    ("end", "end, local time with UTC offset (ISO 8601)"),
    ("all_day", "true for events without times"),
    ("timezone", "IANA time zone of start and end"),
    ("venue", "name of the venue"),
    ("address", "postal address of the venue"),
    ("district", "Stadtbezirk of the venue"),
    ("location", "free-text place when there is no venue, or a room"),
    ("category", "category"),
    ("audiences", "target audiences (JSON: list; CSV: separated by ' | ')"),
    ("organiser", "hosting department"),
    ("organiser_code", "code of the hosting department"),
    ("co_hosts", "co-hosting departments (JSON: list; CSV: separated by ' | ')"),
    ("url", "page of the event"),
    ("modified", "last change of the event (UTC, ISO 8601)"),
)
LICENSES = {
    "dl-de/by-2-0": (
        "Datenlizenz Deutschland – Namensnennung – Version 2.0",
        "https://www.govdata.de/dl-de/by-2-0",
    ),
    "dl-de/zero-2-0": (
        "Datenlizenz Deutschland – Zero – Version 2.0",
        "https://www.govdata.de/dl-de/zero-2-0",
    ),
    "cc-by-4.0": (
        "Creative Commons Namensnennung 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "cc0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
LIST_SEPARATOR = " | "
MONTHS_BACK_DAYS = 365


def _license() -> dict:
    """Return the configured licence as id, name and URL (name and URL empty when unknown)."""
    code = current_app.config["OPEN_DATA_LICENSE"]
    name, url = LICENSES.get(code, ("", ""))
    return {"id": code, "name": name, "url": url}


def _events() -> list[Event]:
    """Return the public events that ended at most 12 months ago, by start."""
    since = datetime.now(UTC) - timedelta(days=MONTHS_BACK_DAYS)
    query = (
        select(Event)
        .where(policy.public_clause(), Event.ends_at > since)
        .options(selectinload(Event.audiences), selectinload(Event.co_hosts))
        .order_by(Event.starts_at, Event.id)
    )
    return list(db.session.scalars(query))


def _record(event: Event, base_url: str) -> dict:
    """Return one event as the open data record (lists kept as lists)."""
    venue, zone = event.venue, _zone(event.timezone)
    return {
        "id": event.id,
        "uid": event.uid,
        "title": event.title,
        "description": event.description,
        "status": "cancelled" if event.status == Status.CANCELLED else "scheduled",
        "start": event.starts_at.astimezone(zone).isoformat(),
        "end": event.ends_at.astimezone(zone).isoformat(),
        "all_day": event.all_day,
        "timezone": event.timezone,
        "venue": venue.name if venue else "",
        "address": venue.address if venue else "",
        "district": venue.district.name if venue and venue.district else "",
        "location": event.location,
        "category": event.category.name if event.category else "",
        "audiences": sorted(a.name for a in event.audiences),
        "organiser": event.department.name,
        "organiser_code": event.department.code,
        "co_hosts": sorted(d.name for d in event.co_hosts),
        "url": base_url + url_for("events.show", event_id=event.id),
        "modified": event.updated_at.astimezone(UTC).isoformat(),
    }


@cache
def _zone(name: str) -> ZoneInfo:
    """Return a time zone by its IANA name (looked up once)."""
    return ZoneInfo(name)


def _headers(response, license_: dict) -> None:
    """Name the licence in a Link header, so that the CSV carries it too."""
    if license_["url"]:
        response.headers["Link"] = f'<{license_["url"]}>; rel="license"'
    response.headers["X-License"] = license_["id"]


@bp.get("/opendata/events.json")
@public
def events_json():
    """Serve the open data events as JSON with the licence and the field descriptions."""

    def render(_master: int):
        """Build the JSON document."""
        base_url, license_ = current_app.config["BASE_URL"], _license()
        document = {
            "license": license_,
            "source": base_url,
            "generated": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "fields": {name: text for name, text in FIELDS},
            "events": [_record(event, base_url) for event in _events()],
        }
        response = current_app.response_class(orjson.dumps(document), mimetype="application/json")
        _headers(response, license_)
        return response

    return conditional("opendata", render, cache_control="public, max-age=300")


@bp.get("/opendata/events.csv")
@public
def events_csv():
    """Serve the open data events as CSV (UTF-8, comma, header row, RFC 4180)."""

    def render(_master: int):
        """Build the CSV file."""
        base_url, license_ = current_app.config["BASE_URL"], _license()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([name for name, _text in FIELDS])
        for event in _events():
            record = _record(event, base_url)
            writer.writerow(
                _cell(LIST_SEPARATOR.join(v) if isinstance(v, list) else v) for v in record.values()
            )
        response = current_app.response_class(out.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'inline; filename="events.csv"'
        _headers(response, license_)
        return response

    return conditional("opendata", render, cache_control="public, max-age=300")


def _cell(value) -> object:
    """Return a CSV cell: booleans as true/false, text safe from spreadsheet formulas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(value)
