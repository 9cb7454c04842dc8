"""Limits that keep hostile or malformed input away from the database."""

import re
from datetime import date, datetime

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError as FieldError

from app.errors import ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL integer; a larger value must be "not found", not an error
MAX_COUNT = 1_000_000  # capacities and similar counts
# Dates outside these years are refused: date arithmetic near year 1 or 9999 overflows.
MIN_YEAR, MAX_YEAR = 1900, 2199
_ID = re.compile(r"[0-9]{1,10}")
# One-line text (titles, names, places) ends up in iCalendar properties, mail headers and CSV
# cells, where a line break starts a new line: C0 controls, DEL, C1 and the Unicode line and
# paragraph separators are refused. Multi-line text keeps tab and line breaks.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
ONE_LINE_MESSAGE = _l("Must not contain line breaks or control characters.")
TEXT_MESSAGE = _l("Must not contain control characters.")


def parse_id(value: str | None) -> int | None:
    """Return a database id from text, or None when it is not one."""
    if value is None or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """The ``int`` URL converter; an id the database cannot hold becomes 0, which no row has.

    Refusing the value in the converter instead would make Werkzeug answer 405 for a PATCH
    of ``/events/99999999999`` (the GET rule of that path still matches), not 404.
    """

    def to_python(self, value: str) -> int:
        """Return the number, or 0 when it is larger than any id."""
        if len(value) > len(str(MAX_ID)):
            return 0
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def in_years(value: date) -> bool:
    """Return True if a date or date-time lies within MIN_YEAR..MAX_YEAR."""
    return MIN_YEAR <= value.year <= MAX_YEAR


def parse_day(value: str | None) -> date | None:
    """Return an ISO date (YYYY-MM-DD) within MIN_YEAR..MAX_YEAR, or None."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and in_years(day) else None


def parse_datetime(value: str | None) -> datetime | None:
    """Return an ISO 8601 date-time (naive or with offset) within the years, or None.

    Within MIN_YEAR..MAX_YEAR every offset can be converted to UTC and back without overflow.
    """
    if not value or len(value) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if in_years(moment) else None


def parse_moment(value: str | None) -> date | datetime | None:
    """Return an ISO date (10 characters) or date-time within the years, or None."""
    if value is not None and len(value) == 10:
        return parse_day(value)
    return parse_datetime(value)


def is_one_line(value: str | None) -> bool:
    """Return True if text has no line break or other control character."""
    return not value or _NOT_ONE_LINE.search(value) is None


def is_clean_text(value: str | None) -> bool:
    """Return True if multi-line text has no control character but tab and line breaks."""
    return not value or _NOT_TEXT.search(value) is None


class OneLine:
    """WTForms validator: refuse line breaks and control characters in a one-line field."""

    def __call__(self, form, field) -> None:
        """Raise a field error when the value is not one clean line."""
        if isinstance(field.data, str) and not is_one_line(field.data):
            raise FieldError(str(ONE_LINE_MESSAGE))


class CleanText:
    """WTForms validator: refuse control characters (but line breaks) in a multi-line field."""

    def __call__(self, form, field) -> None:
        """Raise a field error when the value contains control characters."""
        if isinstance(field.data, str) and not is_clean_text(field.data):
            raise FieldError(str(TEXT_MESSAGE))


def nul_path(value, path: str = "") -> str | None:
    """Return where text in a JSON-like value contains a NUL character ("a.0.b"), or None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return path or "body"
        found = nul_path(item, name)
        if found is not None:
            return found
    return None


def has_nul(value) -> bool:
    """Return True if text anywhere in a JSON-like value contains a NUL character."""
    return nul_path(value) is not None


def install(app: Flask) -> None:
    """Bound integer URL parts and refuse NUL characters in query strings and forms."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def _refuse_nul():
        """Refuse text PostgreSQL cannot store or compare: 422 on the field in the API, else 400."""
        sources = [request.args]
        if request.mimetype != "application/json":
            sources.append(request.form)
        for values in sources:
            for key, value in values.items(multi=True):
                if "\x00" in key or (isinstance(value, str) and "\x00" in value):
                    if request.blueprint == "api":
                        name = key if "\x00" not in key else "query"
                        raise ValidationError.single(name, "Text must not contain NUL characters.")
                    abort(400, description="Input contains a NUL character.")
