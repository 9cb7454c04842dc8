"""SQL building blocks the kinds share: range overlaps and the uniform row of the single check."""

from sqlalchemy import Integer, String, and_, bindparam, func, literal, literal_column, null

from app.extensions import db


def is_postgresql() -> bool:
    """Return True when the session talks to PostgreSQL (range indexes, arrays)."""
    return db.session.get_bind().dialect.name == "postgresql"


def time_overlap(start_col, end_col, start, end, postgresql: bool | None = None):
    """SQL: the half-open range of two columns overlaps [start, end) (range index on PG)."""
    if is_postgresql() if postgresql is None else postgresql:
        return func.tstzrange(start_col, end_col, literal_column("'[)'")).op("&&")(
            func.tstzrange(start, end, literal_column("'[)'"))
        )
    return and_(start_col < end, end_col > start)


def day_overlap(first_col, last_col, first, last, postgresql: bool | None = None):
    """SQL: the inclusive day range of two columns shares a day with first..last."""
    if is_postgresql() if postgresql is None else postgresql:
        return func.daterange(first_col, last_col, literal_column("'[]'")).op("&&")(
            func.daterange(first, last, literal_column("'[]'"))
        )
    return and_(first_col <= last, last_col >= first)


def param(name: str, type_):
    """Return a typed bound parameter of the single-check statement."""
    return bindparam(name, type_=type_)


def hit_row(kind: str, event_id, ref_id, n=None, label=None, label2=None) -> tuple:
    """Return the uniform columns of one kind's part of the single-check statement.

    Every part yields (kind, event_id, ref_id, n, label, label2): ``event_id`` is the other
    event found (its facts are joined on), ``ref_id`` a range, audience or guest.
    """
    return (
        literal(kind).label("kind"),
        (event_id if event_id is not None else null().cast(Integer)).label("event_id"),
        (ref_id if ref_id is not None else null().cast(Integer)).label("ref_id"),
        (n if n is not None else null().cast(Integer)).label("n"),
        (label if label is not None else null().cast(String)).label("label"),
        (label2 if label2 is not None else null().cast(String)).label("label2"),
    )
