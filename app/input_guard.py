"""Limits that keep hostile or malformed input away from the database."""

import re

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL integer; a larger value must be "not found", not an error
MAX_COUNT = 1_000_000  # capacities and similar counts
# Dates outside these years are refused: date arithmetic near year 1 or 9999 overflows.
MIN_YEAR, MAX_YEAR = 1900, 2199
_ID = re.compile(r"[0-9]{1,10}")


def parse_id(value: str | None) -> int | None:
    """Return a database id from text, or None when it is not one."""
    if value is None or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """The ``int`` URL converter, bounded to ids the database can hold (larger ones are 404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def parse_day(value: str | None):
    """Return an ISO date (YYYY-MM-DD) within MIN_YEAR..MAX_YEAR, or None."""
    from datetime import date

    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and MIN_YEAR <= day.year <= MAX_YEAR else None


def has_nul(value) -> bool:
    """Return True if text anywhere in a JSON-like value contains a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def install(app: Flask) -> None:
    """Bound integer URL parts and refuse NUL characters in query strings and forms."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _refuse_nul():
        """Answer 400 to text PostgreSQL cannot store or compare."""
        for values in (
            request.args,
            request.form if request.mimetype != "application/json" else {},
        ):
            if any("\x00" in v for v in values.values() if isinstance(v, str)):
                abort(400, description="Input contains a NUL character.")
