"""A quick read of the few properties of an iTIP reply, for the plain shapes clients send.

The icalendar library parses every property of every component (time zones included) and
costs about a millisecond per reply; processing needs only METHOD, and per VEVENT UID,
SEQUENCE, DTSTAMP, ATTENDEE (PARTSTAT, SENT-BY) and COMMENT. ``read`` returns those for a
text whose every line has a shape icalendar is known to read the same way, and None (unsure)
for anything else, so that the caller parses that text with icalendar as before.

Why the result is the same: a VEVENT tolerates broken properties (icalendar keeps them as
vBroken), so only the properties read here are checked strictly; a VCALENDAR may hold only
text properties, which cannot fail; a VTIMEZONE block is checked once by icalendar itself and
remembered by its exact text (clients send the same block again and again).
"""

import re
from datetime import UTC, datetime

from icalendar import Calendar

# As icalendar unfolds and splits (icalendar.parser.content_line).
UFOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
NEWLINE = re.compile(r"\r?\n")
# NAME, then ;PARAM=value or ;PARAM="quoted" (no whitespace at delimiters), then :value.
LINE = re.compile(
    r'([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"\x00-\x1f]*"|[^";:=\x00-\x1f]*))*):(.*)',
    re.S,
)
PARAM = re.compile(r';([A-Za-z0-9-]+)=("[^"]*"|[^";:=]*)')
LOOSE = re.compile(r"[ \t][;=]|[;=][ \t]")
COMPONENT = re.compile(r"[A-Za-z-]+")
DIGITS = re.compile(r"[0-9]{1,9}")
STAMP = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})(Z?)")
CALENDAR_PROPERTIES = {"PRODID", "VERSION", "CALSCALE", "METHOD"}
SINGLE = ("UID", "SEQUENCE", "DTSTAMP")
TIMEZONE_BLOCKS: dict[str, bool] = {}  # exact VTIMEZONE text -> icalendar reads it


class Unsure(Exception):
    """The text has a shape this reader does not vouch for."""


def _lines(text: str) -> list[tuple[str, dict[str, str], str, str]]:
    """Return (NAME, {PARAM: value}, value, line) per content line; Unsure for any odd line."""
    result = []
    for line in NEWLINE.split(UFOLD.sub("", text)):
        if not line:
            continue
        match = LINE.fullmatch(line)
        if match is None or "\\" in line or "\r" in line or LOOSE.search(match.group(2)):
            raise Unsure
        params: dict[str, str] = {}
        for name, value in PARAM.findall(match.group(2)):
            name = name.upper()
            if name in params:
                raise Unsure
            params[name] = value[1:-1] if value.startswith('"') else value
        result.append((match.group(1).upper(), params, match.group(3), line))
    return result


def _stamp(params: dict, value: str) -> datetime:
    """Return DTSTAMP as an aware UTC instant (a floating time read as UTC)."""
    match = STAMP.fullmatch(value)
    if params or match is None:
        raise Unsure
    try:
        moment = datetime(*(int(part) for part in match.groups()[:6]), tzinfo=UTC)
    except ValueError:
        raise Unsure from None
    return moment


def _timezone_ok(block: list[str]) -> bool:
    """Return True when icalendar reads this VTIMEZONE block without an error (remembered)."""
    text = "\r\n".join(block)
    if text not in TIMEZONE_BLOCKS:
        if len(TIMEZONE_BLOCKS) > 64:
            TIMEZONE_BLOCKS.clear()
        try:
            Calendar.from_ical(f"BEGIN:VCALENDAR\r\n{text}\r\nEND:VCALENDAR\r\n")
            TIMEZONE_BLOCKS[text] = True
        except Exception:  # whatever it is, the full parse must meet it
            TIMEZONE_BLOCKS[text] = False
    return TIMEZONE_BLOCKS[text]


def _event(lines, start: int) -> tuple[dict, int]:
    """Read the VEVENT starting after ``start``; return its values and the index of its END."""
    found: dict = {"ATTENDEE": [], "COMMENT": []}
    index = start + 1
    while index < len(lines):
        name, params, value, _line = lines[index]
        if name == "END":
            if value.upper() != "VEVENT" or params:
                raise Unsure
            return found, index
        if name == "BEGIN":
            raise Unsure  # an alarm or anything nested: not read here
        if name in SINGLE:
            if name in found or (params and name != "DTSTAMP"):
                raise Unsure
            found[name] = value
            if name == "DTSTAMP":
                found[name] = _stamp(params, value)
            elif name == "SEQUENCE" and not DIGITS.fullmatch(value):
                raise Unsure
        elif name == "ATTENDEE":
            if "VALUE" in params or any(
                mark in params.get(key, "") for key in ("PARTSTAT", "SENT-BY") for mark in ",^"
            ):
                raise Unsure  # a list, or RFC 6868 carets: icalendar's reading applies
            found["ATTENDEE"].append((value, params))
        elif name == "COMMENT":
            if "VALUE" in params:
                raise Unsure
            found["COMMENT"].append(value)
        index += 1
    raise Unsure


def _timezone(lines, start: int) -> int:
    """Check the VTIMEZONE starting at ``start``; return the index of its END."""
    depth, index = 0, start
    while index < len(lines):
        name, params, value, _line = lines[index]
        if name in ("BEGIN", "END") and (params or not COMPONENT.fullmatch(value)):
            raise Unsure
        depth += (name == "BEGIN") - (name == "END")
        if depth == 0:
            if value.upper() != "VTIMEZONE":
                raise Unsure
            block = [line[3] for line in lines[start : index + 1]]
            if not _timezone_ok(block):
                raise Unsure
            return index
        index += 1
    raise Unsure


def _calendar(lines, start: int, found: list) -> int:
    """Read one VCALENDAR from ``start``; append its VEVENTs' values; return its END index."""
    method, index = None, start + 1
    events = []
    while index < len(lines):
        name, params, value, _line = lines[index]
        if name == "END":
            if value.upper() != "VCALENDAR" or params:
                raise Unsure
            found.extend((method or "", event) for event in events)
            return index
        if name == "BEGIN" and value.upper() == "VEVENT" and not params:
            event, index = _event(lines, index)
            events.append(event)
        elif name == "BEGIN" and value.upper() == "VTIMEZONE" and not params:
            index = _timezone(lines, index)
        elif name == "METHOD":
            if method is not None or params:
                raise Unsure
            method = value
        elif not name.startswith("X-") and (name not in CALENDAR_PROPERTIES or params):
            raise Unsure  # only text properties, which icalendar cannot fail to read
        index += 1
    raise Unsure


def read(text: str) -> list[tuple[str, dict]] | None:
    """Return (METHOD, VEVENT values) for each VEVENT of a text's calendars, or None if unsure.

    The values hold UID, SEQUENCE (digits), DTSTAMP (a UTC datetime) when present, ATTENDEE as
    [(value, params)] and COMMENT as [text], in the order of the text.
    """
    try:
        lines, found, index = _lines(text), [], 0
        while index < len(lines):
            name, params, value, _line = lines[index]
            if name != "BEGIN" or params or value.upper() != "VCALENDAR":
                raise Unsure
            index = _calendar(lines, index, found) + 1
        return found
    except Unsure:
        return None
