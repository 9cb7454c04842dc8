"""Column types shared by the models."""

import enum
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

ZERO = timedelta(0)


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC; always returned as an aware datetime in UTC.

    PostgreSQL keeps it as ``timestamptz``; SQLite, which has no time zones, as naive UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        """Refuse naive datetimes and normalise to UTC before writing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        """Attach UTC to values read back."""
        if value is None:
            return None
        if value.tzinfo is None or value.tzinfo is UTC:
            return value.replace(tzinfo=UTC)
        if value.utcoffset() == ZERO:  # the usual case: the session speaks UTC; replace is cheap
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def string_enum(enum_class: type[enum.Enum]) -> Enum:
    """Return a portable string column type for an enum, with a CHECK constraint of its values."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )
