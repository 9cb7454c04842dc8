"""Dates read naturally in both languages: British order in English, German dots in German."""

from datetime import UTC, date, datetime, time

import pytest
from flask import render_template_string, session
from flask_babel import force_locale

from app.dates import STYLES, format_day, pattern

WEDNESDAY = date(2026, 12, 2)
EVENING_UTC = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)  # 18:30 in Dortmund (CET)
SUMMER_NIGHT_UTC = datetime(2026, 7, 2, 22, 30, tzinfo=UTC)  # 00:30 next day (CEST)


@pytest.mark.parametrize(
    ("style", "german", "english"),
    [
        ("weekday_date", "Mittwoch, 2. Dezember 2026", "Wednesday, 2 December 2026"),
        ("date", "2. Dezember 2026", "2 December 2026"),
        ("short_date", "2. Dez. 2026", "2 Dec 2026"),
        ("short_weekday_date", "Mi., 2. Dez. 2026", "Wed, 2 Dec 2026"),
        ("numeric_date", "02.12.2026", "02/12/2026"),
        ("day_month", "2. Dezember", "2 December"),
        ("short_day_month", "2. Dez.", "2 Dec"),
        ("numeric_day_month", "2.12.", "2/12"),
        ("month_year", "Dezember 2026", "December 2026"),
        ("short_month_year", "Dez. 2026", "Dec 2026"),
        ("weekday", "Mittwoch", "Wednesday"),
        ("short_weekday", "Mi.", "Wed"),
    ],
)
def test_date_styles_read_naturally_in_german_and_english(style, german, english):
    assert format_day(WEDNESDAY, style, locale="de") == german
    assert format_day(WEDNESDAY, style, locale="en") == english


@pytest.mark.parametrize(
    ("style", "german", "english"),
    [
        (
            "weekday_date_time",
            "Mittwoch, 2. Dezember 2026, 18:30",
            "Wednesday, 2 December 2026, 18:30",
        ),
        ("date_time", "2. Dezember 2026, 18:30", "2 December 2026, 18:30"),
        ("date_time_seconds", "2. Dezember 2026, 18:30:00", "2 December 2026, 18:30:00"),
        ("short_date_time", "2. Dez. 2026, 18:30", "2 Dec 2026, 18:30"),
        ("numeric_date_time", "02.12.2026, 18:30", "02/12/2026, 18:30"),
        ("time", "18:30", "18:30"),
    ],
)
def test_instants_are_shown_in_the_city_time_zone(style, german, english):
    assert format_day(EVENING_UTC, style, locale="de") == german
    assert format_day(EVENING_UTC, style, locale="en") == english


def test_english_dates_have_no_german_dots_and_british_order():
    for style in STYLES:
        if style in ("time",):
            continue
        text = format_day(EVENING_UTC, style, locale="en")
        assert ". " not in text and not text.endswith("."), (style, text)
        assert "December 2," not in text and "Dec 2," not in text, (style, text)


def test_a_summer_instant_after_midnight_falls_on_the_next_local_day():
    assert format_day(SUMMER_NIGHT_UTC, "date_time", locale="de") == "3. Juli 2026, 00:30"
    assert format_day(SUMMER_NIGHT_UTC, "date_time", locale="en", tz="UTC") == "2 July 2026, 22:30"


def test_naive_datetimes_are_wall_times_and_stay_as_they_are():
    wall = datetime(2026, 12, 2, 18, 30)  # as Event.start_local
    assert format_day(wall, "weekday_date_time", locale="de") == "Mittwoch, 2. Dezember 2026, 18:30"
    assert format_day(time(9, 5), "time", locale="en") == "09:05"


def test_region_variants_and_unknown_languages_fall_back_sensibly():
    assert format_day(WEDNESDAY, "weekday_date", locale="en_GB") == "Wednesday, 2 December 2026"
    assert pattern("date", "en-US") == "d MMMM y"
    assert pattern("date", "fr") == STYLES["date"]["de"]


def test_nonsense_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="unknown date style"):
        format_day(WEDNESDAY, "fancy", locale="de")
    with pytest.raises(ValueError, match="shows a time"):
        format_day(WEDNESDAY, "date_time", locale="de")
    with pytest.raises(ValueError, match="shows a date"):
        format_day(time(9, 0), "date", locale="de")
    with pytest.raises(TypeError):
        format_day("2026-12-02", "date", locale="de")
    assert format_day(None, "date", locale="de") == ""


def test_the_day_filter_follows_the_visitors_language(app):
    source = '{{ d|day("weekday_date") }} · {{ t|day("date_time") }}'
    with app.test_request_context("/"):
        assert (
            render_template_string(source, d=WEDNESDAY, t=EVENING_UTC)
            == "Mittwoch, 2. Dezember 2026 · 2. Dezember 2026, 18:30"
        )
        with force_locale("en"):
            assert (
                render_template_string(source, d=WEDNESDAY, t=EVENING_UTC)
                == "Wednesday, 2 December 2026 · 2 December 2026, 18:30"
            )
        with force_locale("en"):
            assert format_day(WEDNESDAY, "weekday_date") == "Wednesday, 2 December 2026"


def test_the_day_filter_follows_the_language_kept_in_the_session(app):
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert render_template_string('{{ d|day("date") }}', d=WEDNESDAY) == "2 December 2026"
