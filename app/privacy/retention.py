"""Retention: a small registry of data classes and the run that purges them in batches.

Each class says how many rows are due at a moment (``count``) and purges at most ``limit`` of
them (``purge``, flushing, never committing). ``run`` commits after every batch, so that no
batch holds locks for long (the benchmark measures the longest batch on ``invitations``), writes
one ``retention.run`` audit entry with the counts and, on PostgreSQL, vacuums the tables it
touched. A dry run only counts.
"""

import calendar
import importlib.util
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text

from app.audit import Actor, privileged, record
from app.extensions import db


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same time ``months`` calendar months earlier (31 March - 1 = 28 February)."""
    year, month = divmod(moment.year * 12 + (moment.month - 1) - months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


def days_before(moment: datetime, days: int) -> datetime:
    """Return the moment ``days`` days earlier."""
    return moment - timedelta(days=days)


@dataclass(frozen=True)
class RetentionClass:
    """One kind of personal data with its period: count what is due, purge a batch of it."""

    name: str  # stable code: in the audit entry and the CLI output
    label: object  # lazy translated name for the page
    period: Callable[[Mapping], str]  # the configured period, in words
    count: Callable[[datetime, Mapping], int]  # rows due at ``now``
    purge: Callable[[datetime, Mapping, int], int]  # purge at most ``limit`` rows; how many
    tables: tuple[str, ...]  # what a purge writes (vacuumed on PostgreSQL)
    # False when the configuration says to list rather than delete (contacts in review mode).
    deletes: Callable[[Mapping], bool] = lambda config: True
    audit_rows: bool = False  # deletes audit_log rows: needs ``privileged`` per batch


@dataclass
class ClassResult:
    """What a run found and did for one class."""

    name: str
    label: object
    period: str
    due: int
    deletes: bool
    purged: int = 0
    batches: int = 0
    longest: float = 0.0  # seconds of the longest batch (its transaction)
    tables: tuple[str, ...] = ()


@dataclass
class RunReport:
    """The result of a run (or a dry run) over every class."""

    now: datetime
    dry_run: bool
    results: list[ClassResult] = field(default_factory=list)
    vacuum_seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Return {class name: rows purged (or due, in a dry run)}."""
        return {r.name: (r.due if self.dry_run else r.purged) for r in self.results}

    def longest_batch(self, table: str) -> float:
        """Return the seconds of the longest batch that wrote ``table``."""
        return max((r.longest for r in self.results if table in r.tables), default=0.0)


def classes() -> list[RetentionClass]:
    """Return the registered classes in the order they run.

    The answers class lives in ``retention_answers`` and builds on ``app.privacy.anonymise``
    (the erasure's anonymisation); it is listed as soon as that module exists.
    """
    from app.privacy.retention_classes import CORE

    found = list(CORE)
    if importlib.util.find_spec("app.privacy.anonymise") is not None:
        from app.privacy.retention_answers import ANSWERS

        found.insert(1, ANSWERS)
    return found


def _purge_class(
    cls: RetentionClass, result: ClassResult, now: datetime, config: Mapping, batch_size: int
) -> None:
    """Purge one class batch by batch, each batch its own short transaction."""
    while True:
        started = time.perf_counter()
        try:
            if cls.audit_rows:
                with privileged():
                    done = cls.purge(now, config, batch_size)
            else:
                done = cls.purge(now, config, batch_size)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        result.longest = max(result.longest, time.perf_counter() - started)
        result.batches += 1
        result.purged += done
        if done < batch_size:
            return


def vacuum(tables: set[str]) -> None:
    """VACUUM (ANALYZE) the tables on PostgreSQL, so that deleted values leave the pages."""
    if not tables or db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in sorted(tables):
            connection.execute(text(f'VACUUM (ANALYZE) "{table}"'))


def run(
    *,
    now: datetime,
    config: Mapping,
    dry_run: bool = False,
    batch_size: int | None = None,
    echo: Callable[[ClassResult], None] | None = None,
) -> RunReport:
    """Count (dry run) or purge every class at ``now``; commit per batch; audit and vacuum."""
    size = int(batch_size or config["RETENTION_BATCH_SIZE"])
    report = RunReport(now=now, dry_run=dry_run)
    for cls in classes():
        result = ClassResult(
            name=cls.name,
            label=cls.label,
            period=cls.period(config),
            due=cls.count(now, config),
            deletes=cls.deletes(config),
            tables=cls.tables,
        )
        report.results.append(result)
        if not dry_run and result.deletes and result.due:
            _purge_class(cls, result, now, config, size)
        if echo is not None:
            echo(result)
    if dry_run:
        db.session.rollback()  # nothing to keep: a dry run reads only
        return report
    record(
        "retention.run",
        "retention",
        None,
        {"counts": report.counts(), "due": {r.name: r.due for r in report.results}},
        actor=Actor.system("privacy purge"),
    )
    db.session.commit()
    started = time.perf_counter()
    vacuum({t for r in report.results if r.purged for t in r.tables})
    report.vacuum_seconds = time.perf_counter() - started
    return report
