"""The conflict list as CSV (Excel-friendly, UTF-8 with BOM), one row per conflict."""

import csv
import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.conflicts.describe import Describer
from app.conflicts.facts import EventFacts
from app.conflicts.listing import Listed
from app.dates import format_day
from app.events.walltime import utc_to_local
from app.spreadsheet import safe_cell

HEADERS = [
    _l("Kind"),
    _l("Severity"),
    _l("Date"),
    _l("Time"),
    _l("Venue"),
    _l("Event"),
    _l("Other events"),
    _l("Departments"),
    _l("Description"),
    _l("Review"),
]
KIND_LABELS = {
    "venue": _l("Venue"),
    "person": _l("Guests"),
    "audience": _l("Audience"),
    "holiday": _l("Holiday"),
    "blocked": _l("Blocked date"),
    "capacity": _l("Capacity"),
    "duplicate": _l("Duplicate event"),
}
SEVERITY_LABELS = {"hard": _l("Blocking"), "warning": _l("Warning"), "info": _l("Information")}
STATE_LABELS = {
    "open": _l("Open"),
    "acknowledged": _l("Acknowledged"),
    "resolved": _l("Resolved"),
    "stale": _l("Changed since the review"),
}
MAX_OTHERS = 20


def _time(event: EventFacts, tz: str) -> str:
    """Return the local time range of an event ("18:00–20:00", or "all day")."""
    if event.all_day:
        return _("all day")
    start, end = utc_to_local(event.starts_at, tz), utc_to_local(event.ends_at, tz)
    return f"{start:%H:%M}–{end:%H:%M}"


def row(item: Listed, describe: Describer, tz: str) -> list[str]:
    """Return one conflict as a CSV row in HEADERS order (hidden events masked)."""
    c = item.conflict
    events = item.events
    shown = [e for e in events if not describe.masked(e)]
    titles = [describe.title(e) for e in events]
    others = titles[1 : MAX_OTHERS + 1]
    if len(titles) > MAX_OTHERS + 1:
        others.append(_("and %(n)d more", n=len(titles) - MAX_OTHERS - 1))
    venues = list(dict.fromkeys(e.venue_name for e in events if e.venue_name))
    departments = list(dict.fromkeys(e.department_name for e in shown))
    state = "stale" if item.stale and item.state == "open" else item.state
    values = [
        str(KIND_LABELS.get(c.kind, c.kind)),
        str(SEVERITY_LABELS[c.severity.value]),
        format_day(c.day, "numeric_date"),
        " / ".join(_time(e, tz) for e in events[:2]),
        ", ".join(venues[:5]),
        titles[0] if titles else "",
        "; ".join(others),
        ", ".join(departments),
        str(c.message),
        str(STATE_LABELS[state]),
    ]
    return [safe_cell(value) for value in values]


def to_csv(items: list[Listed], viewer, tz: str) -> bytes:
    """Return a semicolon-separated UTF-8 CSV with BOM, as German Excel opens it."""
    describe = Describer(viewer, {})
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(header) for header in HEADERS])
    writer.writerows(row(item, describe, tz) for item in items)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
