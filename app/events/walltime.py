"""Conversion between local wall time and UTC instants, refusing the DST change hours."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class AmbiguousWallTime(ValueError):
    """A wall time that does not exist or exists twice because of a DST change."""

    def __init__(self, value: datetime):
        super().__init__(value)
        self.value = value


def local_to_utc(value: datetime, tz: str) -> datetime:
    """Return the UTC instant of a naive wall time, rejecting the skipped or doubled hour."""
    zone = ZoneInfo(tz)
    first = value.replace(tzinfo=zone, fold=0)
    second = value.replace(tzinfo=zone, fold=1)
    # Outside a transition both folds give the same offset; inside, clients disagree.
    if first.utcoffset() != second.utcoffset():
        raise AmbiguousWallTime(value)
    return first.astimezone(UTC)


def utc_to_local(value: datetime, tz: str) -> datetime:
    """Return the naive wall time of a UTC instant in the zone."""
    return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC instants of local midnight at the start and end of a day."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def range_bounds(first: date, last_exclusive: date, tz: str) -> tuple[datetime, datetime]:
    """Return the UTC instants bounding local days first..last_exclusive."""
    return day_bounds(first, tz)[0], day_bounds(last_exclusive, tz)[0]
