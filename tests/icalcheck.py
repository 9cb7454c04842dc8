"""Reading our .ics back with icalendar and with ical.js, the parser Thunderbird uses."""

import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

from icalendar import Calendar

ROOT = Path(__file__).resolve().parent.parent


def parse_icalendar(data: bytes) -> Calendar:
    """Parse with icalendar and check the structural rules every object must follow."""
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, f"line longer than 75 octets: {line[:40]!r}"
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    cal = Calendar.from_ical(data)
    assert cal.get_missing_tzids() == set()
    for component in cal.walk():
        assert not component.errors, component.errors
    return cal


def python_instants(cal: Calendar) -> dict[str, tuple[str, str]]:
    """Return each VEVENT's start and end as UTC ISO strings (dates stay dates), keyed by UID."""
    result = {}
    for vevent in cal.walk("VEVENT"):
        start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
        result[str(vevent["UID"])] = (_instant(start), _instant(end))
    return result


def _instant(value) -> str:
    """Format like the ical.js script: ISO dates, or UTC instants with milliseconds."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "floating time"
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert isinstance(value, date)
    return value.isoformat()


def icaljs(data: bytes) -> dict:
    """Parse with ical.js under node and return what it read."""
    node = shutil.which("node")
    assert node, "node is needed for the ical.js check"
    result = subprocess.run(
        [node, str(ROOT / "tests" / "icaljs_parse.mjs")],
        input=data,
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    return json.loads(result.stdout)


def icaljs_instants(data: bytes) -> dict[str, tuple[str, str]]:
    """Return each event's start and end as ical.js computes them, keyed by UID."""
    return {e["uid"]: (e["start"], e["end"]) for e in icaljs(data)["events"]}
