"""Wall time to UTC, and the DST change hours that calendar clients read differently."""

from datetime import UTC, date, datetime

import pytest

from app.events.walltime import AmbiguousWallTime, day_bounds, local_to_utc, utc_to_local

TZ = "Europe/Berlin"


def test_winter_and_summer_wall_times_map_to_the_right_instants():
    assert local_to_utc(datetime(2026, 1, 15, 18, 0), TZ) == datetime(
        2026, 1, 15, 17, 0, tzinfo=UTC
    )
    assert local_to_utc(datetime(2026, 7, 15, 18, 0), TZ) == datetime(
        2026, 7, 15, 16, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 29, 2, 0),  # skipped hour starts
        datetime(2026, 3, 29, 2, 30),
        datetime(2026, 10, 25, 2, 0),  # doubled hour
        datetime(2026, 10, 25, 2, 59),
        datetime(2027, 3, 28, 2, 15),
    ],
)
def test_times_in_the_dst_change_hour_are_rejected(value):
    with pytest.raises(AmbiguousWallTime):
        local_to_utc(value, TZ)


@pytest.mark.parametrize(
    "value",
    [datetime(2026, 3, 29, 1, 59), datetime(2026, 3, 29, 3, 0), datetime(2026, 10, 25, 3, 0)],
)
def test_times_next_to_the_change_hour_are_accepted(value):
    assert utc_to_local(local_to_utc(value, TZ), TZ) == value


def test_day_bounds_of_the_short_and_long_days():
    start, end = day_bounds(date(2026, 3, 29), TZ)
    assert (end - start).total_seconds() == 23 * 3600
    start, end = day_bounds(date(2026, 10, 25), TZ)
    assert (end - start).total_seconds() == 25 * 3600
