"""Named, locale-aware date styles: one place decides how a date reads in German and English.

German dates read "Mittwoch, 2. Dezember 2026", English ones "Wednesday, 2 December 2026"
(British order, no German dots). Templates use the ``day`` filter
(``{{ event.rsvp_deadline|day("date_time") }}``), Python code ``format_day``.

Aware datetimes (the UTC instants of the models) are shown in the city's time zone; naive ones
are wall times already (``Event.start_local``) and are shown as they are.
"""

from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask import current_app, has_app_context
from flask_babel import get_locale

DEFAULT_LOCALE = "de"
DEFAULT_TIMEZONE = "Europe/Berlin"

# style -> {language: CLDR pattern}; the month and weekday names come from the locale.
STYLES: dict[str, dict[str, str]] = {
    "weekday_date": {"de": "EEEE, d. MMMM y", "en": "EEEE, d MMMM y"},
    "weekday_date_time": {"de": "EEEE, d. MMMM y, HH:mm", "en": "EEEE, d MMMM y, HH:mm"},
    "date": {"de": "d. MMMM y", "en": "d MMMM y"},
    "date_time": {"de": "d. MMMM y, HH:mm", "en": "d MMMM y, HH:mm"},
    "date_time_seconds": {"de": "d. MMMM y, HH:mm:ss", "en": "d MMMM y, HH:mm:ss"},
    "short_date": {"de": "d. MMM y", "en": "d MMM y"},
    "short_date_time": {"de": "d. MMM y, HH:mm", "en": "d MMM y, HH:mm"},
    "short_date_time_seconds": {"de": "d. MMM y, HH:mm:ss", "en": "d MMM y, HH:mm:ss"},
    "short_weekday_date": {"de": "EEE, d. MMM y", "en": "EEE, d MMM y"},
    "numeric_date": {"de": "dd.MM.y", "en": "dd/MM/y"},
    "numeric_date_time": {"de": "dd.MM.y, HH:mm", "en": "dd/MM/y, HH:mm"},
    "day_month": {"de": "d. MMMM", "en": "d MMMM"},
    "short_day_month": {"de": "d. MMM", "en": "d MMM"},
    "numeric_day_month": {"de": "d.M.", "en": "d/M"},
    "month_year": {"de": "MMMM y", "en": "MMMM y"},
    "short_month_year": {"de": "MMM y", "en": "MMM y"},
    "weekday": {"de": "EEEE", "en": "EEEE"},
    "short_weekday": {"de": "EEE", "en": "EEE"},
    "time": {"de": "HH:mm", "en": "HH:mm"},
}
# Styles that show a time of day and so need a datetime or a time, never a bare date.
TIME_STYLES = frozenset(name for name, p in STYLES.items() if "HH" in p["de"])
DATE_STYLES = frozenset(name for name, p in STYLES.items() if any(c in p["de"] for c in "yMdE"))


def pattern(style: str, language: str) -> str:
    """Return the CLDR pattern of a style in a language (German for any other language)."""
    try:
        patterns = STYLES[style]
    except KeyError:
        raise ValueError(f"unknown date style {style!r}; known: {', '.join(STYLES)}") from None
    return patterns.get(language.split("_")[0].split("-")[0], patterns[DEFAULT_LOCALE])


def _current_locale() -> str:
    """Return the request's language, or German outside a request."""
    if not has_app_context():
        return DEFAULT_LOCALE
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LOCALE


def _current_timezone() -> tzinfo:
    """Return the city's time zone: the app's Babel setting, else Europe/Berlin."""
    if has_app_context():
        return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE)
    return ZoneInfo(DEFAULT_TIMEZONE)


def format_day(
    value: date | datetime | time | None,
    style: str = "date",
    *,
    locale: str | None = None,
    tz: tzinfo | str | None = None,
) -> str:
    """Format a date, datetime or time in a named style and the current (or given) language."""
    if value is None:
        return ""
    language = locale or _current_locale()
    fmt = pattern(style, language)
    babel_locale = language.replace("-", "_")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or _current_timezone())
            value = value.astimezone(zone)
        return format_datetime(value, fmt, locale=babel_locale)
    if isinstance(value, date):
        if style in TIME_STYLES:
            raise ValueError(f"the style {style!r} shows a time; {value!r} is a date")
        return format_date(value, fmt, locale=babel_locale)
    if isinstance(value, time):
        if style in DATE_STYLES:
            raise ValueError(f"the style {style!r} shows a date; {value!r} is a time")
        return format_time(value, fmt, locale=babel_locale)
    raise TypeError(f"cannot format {type(value).__name__} as a date")


def day_filter(value: date | datetime | time | None, style: str = "date") -> str:
    """Jinja filter ``day``: format a value in a named style in the visitor's language."""
    return format_day(value, style)
