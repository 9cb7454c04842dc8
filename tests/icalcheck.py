"""Reading our .ics back with icalendar, with ical.js (Thunderbird) and with libical (Evolution)."""

import json
import os
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


# libical's GObject bindings come from Debian (gir1.2-ical-3.0, python3-gi; .ci/run installs
# them) and load into the system Python, not into the virtual environment.
LIBICAL_PYTHON = os.environ.get("LIBICAL_PYTHON", "/usr/bin/python3")
_LIBICAL_SCRIPT = """
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I

def collect(comp, out):
    prop = comp.get_first_property(I.PropertyKind.XLICERROR_PROPERTY)
    while prop is not None:
        out.append(I.Component.kind_to_string(comp.isa()) + ": " + prop.get_xlicerror())
        prop = comp.get_next_property(I.PropertyKind.XLICERROR_PROPERTY)
    child = comp.get_first_component(I.ComponentKind.ANY_COMPONENT)
    while child is not None:
        collect(child, out)
        child = comp.get_next_component(I.ComponentKind.ANY_COMPONENT)

comp = I.Component.new_from_string(sys.stdin.buffer.read().decode("utf-8"))
found = []
if comp is None:
    found.append("libical could not parse the object")
else:
    collect(comp, found)
    valid = comp.check_restrictions()
    after = []
    collect(comp, after)
    found += [e for e in after if e not in found]
    if not valid and not found:
        found.append("iTIP restriction check failed")
print(json.dumps(found))
"""


def libical_errors(data: bytes) -> list[str]:
    """Return libical's parse errors and iTIP (RFC 5546) restriction failures of an object."""
    result = subprocess.run(
        [LIBICAL_PYTHON, "-c", _LIBICAL_SCRIPT],
        input=data,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, (
        "libical is needed for the iTIP check (Debian gir1.2-ical-3.0 and python3-gi): "
        + result.stderr.decode(errors="replace")[-500:]
    )
    return json.loads(result.stdout)
