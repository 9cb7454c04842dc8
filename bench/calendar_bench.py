"""Calendar benchmarks: the JSON API and the iCalendar feeds on 20,000 events.

Everything runs in this process: the Flask test client sends the requests to the app, which
talks to the PostgreSQL benchmark database built by bench/dataset.py. No app context is held
while a request is timed, so each request gets a fresh SQLAlchemy session, as in production.

Run alone: ``.venv/bin/python bench/calendar_bench.py [--rebuild] [--quick] [--profile]``.
"""

import cProfile
import gc
import io
import platform
import pstats
import re
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import dataset  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import noload  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events import ics, policy  # noqa: E402
from app.events.models import Event, Status, Visibility  # noqa: E402
from app.extensions import db  # noqa: E402
from app.feeds import rendering  # noqa: E402
from config import Config  # noqa: E402

FAST_RUNS = 15
SLOW_RUNS = 7
SLOW_THRESHOLD = 0.5  # seconds per call above which a measurement gets SLOW_RUNS runs

# Indico 3.3 on the same machine class with 20,000 events (seconds); we aim to be >= 10x faster.
INDICO = {
    "category_ics": 15.0,
    "month_ics": 0.5,
    "month_json": 8.0,
    "event_ics": 0.020,
}
INDICO_FACTOR = 10


# --------------------------------------------------------------------------- measuring


@dataclass
class Stat:
    """Timings of one measurement in seconds."""

    name: str
    samples: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=20, method="inclusive")[18]

    @property
    def ms(self) -> str:
        return (
            f"{self.median * 1000:9.1f} ms  (p95 {self.p95 * 1000:8.1f} ms, n={len(self.samples)})"
        )


def measure(
    name: str,
    fn: Callable[[], object],
    *,
    runs: int | None = None,
    setup: Callable[[], None] | None = None,
    quick: bool = False,
    log=print,
) -> Stat:
    """Time ``fn`` after one untimed warm-up; ``setup`` runs untimed before every call.

    Without ``runs``, slow calls (over SLOW_THRESHOLD) get SLOW_RUNS runs, fast ones FAST_RUNS.
    """
    if setup:
        setup()
    gc.collect()
    started = perf_counter()
    fn()  # warm-up: connections, compiled-statement caches, prepared statements
    warm_up = perf_counter() - started
    if runs is None:
        runs = SLOW_RUNS if warm_up > SLOW_THRESHOLD else FAST_RUNS
    if quick:
        runs = min(runs, 3)
    samples = []
    for _ in range(runs):
        if setup:
            setup()
        gc.collect()
        started = perf_counter()
        fn()
        samples.append(perf_counter() - started)
    stat = Stat(name, samples)
    log(f"  {name:<58} {stat.ms}")
    return stat


def profile(
    fn: Callable[[], object], setup: Callable[[], None] | None = None, limit: int = 22
) -> str:
    """Return the top of a cProfile report (cumulative and own time) of one call."""
    if setup:
        setup()
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs()
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    text = out.getvalue()
    return re.sub(r"\n{3,}", "\n\n", text)


# --------------------------------------------------------------------------- the bench


@dataclass
class Target:
    """One line of the final table."""

    label: str
    value: str
    goal: str
    passed: bool
    indico: str = ""
    profile_key: str | None = None


@dataclass
class Results:
    """Everything the benchmark measured."""

    stats: dict[str, Stat] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)


class CalendarBench:
    """Drives the measurements against one app bound to the benchmark database."""

    def __init__(self, info: dataset.DataSetInfo, *, quick: bool = False, log=print):
        self.info = info
        self.quick = quick
        self.log = log
        self.app = create_app(
            Config,
            SQLALCHEMY_DATABASE_URI=info.url,
            ENV_NAME="benchmark",
            RATELIMIT_ENABLED=False,
            TESTING=False,
        )
        self.client = self.app.test_client()
        self.results = Results()
        self.callables: dict[str, tuple[Callable, Callable | None]] = {}
        with self.app.app_context():
            with db.engine.begin() as conn:
                self.api_token = dataset.new_api_token(conn, info.comms_user_id, datetime.now(UTC))
            comms = db.session.get(User, info.comms_user_id)
            self.feed_token = comms.feed_token(self.app.config["SECRET_KEY"])
            self.engine = db.engine
            self.base_url = self.app.config["BASE_URL"]
            self.pg_version = db.session.execute(select(func.version())).scalar_one()
            self.event_id = self._public_event_id()
            self.department_code, self.department_events = self._department_near(800)

    # helpers ---------------------------------------------------------------------

    def _public_event_id(self) -> int:
        """Return a public, published, timed event of the bench month."""
        first, _last = self.info.bench_month
        return db.session.scalar(
            select(Event.id)
            .where(
                Event.visibility == Visibility.PUBLIC,
                Event.status == Status.PUBLISHED,
                Event.all_day.is_(False),
                Event.venue_id.is_not(None),
                Event.start_local >= datetime.combine(first, datetime.min.time()),
            )
            .order_by(Event.start_local, Event.id)
            .limit(1)
        )

    def _department_near(self, wanted: int) -> tuple[str, int]:
        """Return the department whose public feed has closest to ``wanted`` events."""
        best = None
        for dept in db.session.scalars(select(Department)):
            count = db.session.scalar(
                select(func.count())
                .select_from(Event)
                .where(policy.public_clause(), policy.hosted_by(dept.id))
            )
            if best is None or abs(count - wanted) < abs(best[1] - wanted):
                best = (dept.code, count)
        assert best is not None
        return best

    def _get(self, url: str, *, expect: int = 200, **headers) -> "object":
        response = self.client.get(url, headers=headers)
        if response.status_code != expect:
            raise RuntimeError(
                f"GET {url} answered {response.status_code}, expected {expect}: "
                f"{response.get_data(as_text=True)[:300]}"
            )
        return response

    def _add(self, key: str, stat: Stat) -> Stat:
        self.results.stats[key] = stat
        return stat

    def _measure(self, key: str, name: str, fn, setup=None, runs=None) -> Stat:
        self.callables[key] = (fn, setup)
        return self._add(
            key, measure(name, fn, setup=setup, runs=runs, quick=self.quick, log=self.log)
        )

    @staticmethod
    def _clear_fragments() -> None:
        rendering._fragments.clear()

    # (a) API ---------------------------------------------------------------------

    def _api_url(self, month) -> str:
        first, last = month
        return f"/api/v1/events?from={first.isoformat()}&to={last.isoformat()}&per_page=5000"

    def _capture_sql(self, url: str, headers: dict) -> list[tuple[str, object]]:
        """Return the statements (with parameters) that one request sends to the database."""
        captured: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, _context, _executemany):
            captured.append((statement, parameters))

        sa_event.listen(self.engine, "before_cursor_execute", record)
        try:
            self._get(url, **headers)
        finally:
            sa_event.remove(self.engine, "before_cursor_execute", record)
        return captured

    def api(self, key: str, month, expected: int) -> None:
        """Measure the API list of one month against the bare SQL it runs."""
        url = self._api_url(month)
        headers = {"Authorization": f"Bearer {self.api_token}"}
        body = self._get(url, **headers).get_json()
        if len(body["items"]) != expected or body["next"] is not None:
            raise RuntimeError(
                f"{url}: {len(body['items'])} items (next={body['next']}), "
                f"expected {expected} on one page"
            )
        statements = [
            (sql, params)
            for sql, params in self._capture_sql(url, headers)
            if re.search(r"\bFROM events\b|\bevent_audiences\b|\bevent_cohosts\b", sql)
        ]
        if len(statements) != 3:
            raise RuntimeError(
                f"expected 3 event statements in {url}, captured "
                f"{len(statements)}: {[s[:80] for s, _p in statements]}"
            )
        self._measure(
            f"{key}_endpoint",
            f"GET /api/v1/events ({expected} events, 1 page)",
            lambda: self._get(url, **headers),
        )

        conn = psycopg.connect(dataset.libpq_url(self.info.url))
        counts: list[int] = []

        def bare() -> None:
            counts.clear()
            with conn.cursor() as cur:
                for sql, params in statements:
                    cur.execute(sql, params)
                    counts.append(len(cur.fetchall()))

        try:
            self._measure(f"{key}_bare", "  bare SQL: rows + audiences + co-hosts (psycopg)", bare)
        finally:
            conn.close()
        ratio = (
            self.results.stats[f"{key}_endpoint"].median / self.results.stats[f"{key}_bare"].median
        )
        self.results.notes.append(
            f"API {month[0]:%Y-%m}: statements replayed as captured from the endpoint: "
            + "; ".join(
                f"{_short(sql)} -> {n} rows"
                for (sql, _p), n in zip(statements, counts, strict=True)
            )
        )
        self.log(f"  {'  ratio endpoint / bare SQL':<58} {ratio:9.2f} x")

    # (b) public feed -------------------------------------------------------------------

    def _public_feed_events(self) -> list[Event]:
        """Load the public feed's events as the feed selects them, in feed order."""
        window = datetime.now(UTC) - timedelta(days=self.app.config.get("FEED_PAST_DAYS", 365))
        stmt = (
            select(Event)
            .where(Event.ends_at > window, policy.public_clause())
            .order_by(Event.starts_at, Event.id)
            .options(noload(Event.audiences), noload(Event.co_hosts))
        )
        return list(db.session.scalars(stmt).unique())

    def public_feed(self) -> None:
        """Measure /calendar.ics cold and warm against icalendar serialising the same events."""
        expected = self.info.public_feed_events
        response = self._get("/calendar.ics")
        body = response.get_data()
        count = body.count(b"BEGIN:VEVENT")
        if count != expected:
            raise RuntimeError(f"/calendar.ics has {count} VEVENTs, expected {expected}")
        self._measure(
            "feed_cold",
            f"GET /calendar.ics cold ({count:,} events, cache cleared)",
            lambda: self._get("/calendar.ics"),
            setup=self._clear_fragments,
        )
        self._measure(
            "feed_warm",
            f"GET /calendar.ics warm ({count:,} events, fragments cached)",
            lambda: self._get("/calendar.ics"),
        )

        with self.app.app_context():
            started = perf_counter()
            events = self._public_feed_events()
            cal = ics.calendar_header("Stadtkalender")
            cal.add_component(ics.vtimezone(dataset.TZ))
            for item in events:
                cal.add_component(
                    ics.build_vevent(
                        item,
                        masked=False,
                        url=f"{self.base_url}/events/{item.id}",
                        dtstamp=item.updated_at,
                    )
                )
            prepared = perf_counter() - started
            db.session.remove()
        self._measure(
            "feed_baseline", "  baseline: icalendar Calendar.to_ical() (prebuilt)", cal.to_ical
        )
        same = cal.to_ical() == self._get("/calendar.ics").get_data()
        self.results.notes.append(
            f"Public feed baseline: loading {len(events):,} events with the ORM and building "
            f"their VEVENTs took {prepared * 1000:.0f} ms (untimed); baseline output "
            f"{'is byte-identical to' if same else 'DIFFERS from'} the /calendar.ics body."
        )
        stats = self.results.stats
        for kind in ("cold", "warm"):
            ratio = stats[f"feed_{kind}"].median / stats["feed_baseline"].median
            self.log(f"  {f'  ratio {kind} / baseline':<58} {ratio:9.2f} x")

        # (c) the conditional request
        etag = response.headers["ETag"]
        self._measure(
            "feed_304",
            "GET /calendar.ics with If-None-Match (304)",
            lambda: self._get("/calendar.ics", expect=304, **{"If-None-Match": etag}),
            runs=FAST_RUNS,
        )

    # (d) private feed, department feed, single event -------------------------------------

    def private_feed(self) -> None:
        """Measure the comms user's private feed (everything) cold and warm."""
        url = f"/calendar/private/{self.feed_token}.ics"
        count = self._get(url).get_data().count(b"BEGIN:VEVENT")
        if count != self.info.events:
            raise RuntimeError(f"private feed has {count} VEVENTs, expected {self.info.events}")
        self._measure(
            "private_cold",
            f"GET /calendar/private/<comms>.ics cold ({count:,} events)",
            lambda: self._get(url),
            setup=self._clear_fragments,
        )
        self._measure(
            "private_warm",
            f"GET /calendar/private/<comms>.ics warm ({count:,} events)",
            lambda: self._get(url),
        )

    def department_feed(self) -> None:
        """Measure a department feed of about 800 public events (the nearest to a month)."""
        url = f"/calendar/departments/{self.department_code}.ics"
        count = self._get(url).get_data().count(b"BEGIN:VEVENT")
        if count != self.department_events:
            raise RuntimeError(f"{url} has {count} VEVENTs, expected {self.department_events}")
        self._measure(
            "dept_cold",
            f"GET /calendar/departments/{self.department_code}.ics cold ({count} ev.)",
            lambda: self._get(url),
            setup=self._clear_fragments,
        )
        self._measure(
            "dept_warm",
            f"GET /calendar/departments/{self.department_code}.ics warm ({count} ev.)",
            lambda: self._get(url),
        )

    def single_event(self) -> None:
        """Measure the download of one event's .ics."""
        url = f"/events/{self.event_id}.ics"
        body = self._get(url).get_data()
        if body.count(b"BEGIN:VEVENT") != 1:
            raise RuntimeError(f"{url} does not hold one VEVENT")
        self._measure(
            "event_ics",
            f"GET /events/{self.event_id}.ics (one public event)",
            lambda: self._get(url),
            runs=FAST_RUNS,
        )

    # run ---------------------------------------------------------------------------

    def run(self) -> Results:
        """Run every measurement and evaluate the targets."""
        info = self.info
        self.log(f"\n(a) JSON API, comms user, month {info.bench_month[0]:%Y-%m}")
        self.api("api_month", info.bench_month, info.bench_month_events)
        self.log(f"\n    JSON API, comms user, month {info.small_month[0]:%Y-%m}")
        self.api("api_small", info.small_month, info.small_month_events)
        self.log("\n(b, c) Public feed /calendar.ics")
        self.public_feed()
        self.log("\n(d) Private feed, department feed, single event")
        self.private_feed()
        self.department_feed()
        self.single_event()
        self.evaluate()
        return self.results

    def evaluate(self) -> None:
        """Turn the statistics into PASS/FAIL targets."""
        s = self.results.stats
        info = self.info
        add = self.results.targets.append

        def ms(key: str) -> str:
            return f"{s[key].median * 1000:,.1f} ms"

        def ratio(a: str, b: str) -> float:
            return s[a].median / s[b].median

        def vs_indico(key: str, ref: str) -> str:
            return f"{INDICO[ref] * 1000:,.0f} ms -> {INDICO[ref] / s[key].median:,.0f}x faster"

        for key, month, n in (
            ("api_month", info.bench_month, info.bench_month_events),
            ("api_small", info.small_month, info.small_month_events),
        ):
            r = ratio(f"{key}_endpoint", f"{key}_bare")
            add(
                Target(
                    f"API month {month[0]:%Y-%m} ({n} ev.) endpoint/bare SQL",
                    f"{r:.2f}x ({ms(f'{key}_endpoint')} / {ms(f'{key}_bare')})",
                    "<= 3x",
                    r <= 3.0,
                    profile_key=f"{key}_endpoint",
                )
            )
        limit = INDICO["month_json"] / INDICO_FACTOR
        add(
            Target(
                f"API month of {info.small_month_events} events as JSON",
                ms("api_small_endpoint"),
                f"<= {limit * 1000:,.0f} ms",
                s["api_small_endpoint"].median <= limit,
                vs_indico("api_small_endpoint", "month_json"),
                "api_small_endpoint",
            )
        )
        for kind in ("cold", "warm"):
            r = ratio(f"feed_{kind}", "feed_baseline")
            add(
                Target(
                    f"/calendar.ics {kind} / icalendar baseline",
                    f"{r:.2f}x ({ms(f'feed_{kind}')} / {ms('feed_baseline')})",
                    "<= 1.5x",
                    r <= 1.5,
                    profile_key=f"feed_{kind}",
                )
            )
        add(
            Target(
                "/calendar.ics 304 (If-None-Match)",
                ms("feed_304"),
                "< 5 ms",
                s["feed_304"].median < 0.005,
                profile_key="feed_304",
            )
        )
        limit = INDICO["category_ics"] / INDICO_FACTOR
        for key, label in (
            ("feed_cold", f"/calendar.ics cold ({info.public_feed_events:,} ev.)"),
            ("feed_warm", f"/calendar.ics warm ({info.public_feed_events:,} ev.)"),
            ("private_cold", f"private feed cold ({info.events:,} ev.)"),
            ("private_warm", f"private feed warm ({info.events:,} ev.)"),
        ):
            add(
                Target(
                    label,
                    ms(key),
                    f"<= {limit * 1000:,.0f} ms",
                    s[key].median <= limit,
                    vs_indico(key, "category_ics"),
                    key,
                )
            )
        limit = INDICO["month_ics"] / INDICO_FACTOR
        for key, kind in (("dept_cold", "cold"), ("dept_warm", "warm")):
            add(
                Target(
                    f"~800 ev. as .ics: dept. feed {kind} ({self.department_events} ev.)",
                    ms(key),
                    f"<= {limit * 1000:,.0f} ms",
                    s[key].median <= limit,
                    vs_indico(key, "month_ics"),
                    key,
                )
            )
        limit = INDICO["event_ics"] / INDICO_FACTOR
        add(
            Target(
                "one event's .ics",
                ms("event_ics"),
                f"<= {limit * 1000:,.0f} ms",
                s["event_ics"].median <= limit,
                vs_indico("event_ics", "event_ics"),
                "event_ics",
            )
        )

    def profile_failures(self) -> None:
        """Run cProfile once on every measurement behind a failed target."""
        for target in self.results.targets:
            key = target.profile_key
            if target.passed or key is None or key in self.results.profiles:
                continue
            fn, setup = self.callables[key]
            self.log(f"  profiling {key} ...")
            self.results.profiles[key] = profile(fn, setup)


def _short(sql: str, width: int = 70) -> str:
    """Return the start of a statement on one line."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


# --------------------------------------------------------------------------- report


def header(info: dataset.DataSetInfo, bench: CalendarBench) -> str:
    """Return the description of the setup."""
    lines = [
        "Stadtkalender benchmark",
        "=======================",
        "In-process: Flask test client -> app -> PostgreSQL (psycopg 3), no HTTP server, "
        "no network.",
        f"Database: {info.url}  ({bench.pg_version.split(',')[0]})",
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{_cpu_count()} CPUs; medians and p95 over repeated runs after one warm-up.",
        f"Data: {info.events:,} events over 12 months; bench month {info.bench_month[0]:%Y-%m} "
        f"with {info.bench_month_events:,} events ({info.bench_month_public:,} public), "
        f"month {info.small_month[0]:%Y-%m} with {info.small_month_events} events "
        f"({info.small_month_public} public); public feed {info.public_feed_events:,} events.",
        f"Single event: /events/{bench.event_id}.ics; ~800-event .ics: department "
        f"{bench.department_code!r} with {bench.department_events} public events.",
    ]
    return "\n".join(lines)


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def table(results: Results) -> str:
    """Return the final table of targets."""
    rows = [("Target", "Measured (median)", "Goal", "Indico 3.3 reference", "")]
    rows += [
        (t.label, t.value, t.goal, t.indico, "PASS" if t.passed else "FAIL")
        for t in results.targets
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    passed = sum(t.passed for t in results.targets)
    out.append(f"\n{passed} of {len(results.targets)} targets passed.")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """Command line: build or reuse the data set, then run the calendar benchmarks."""
    from run_all import main as run_all_main

    run_all_main(argv)


if __name__ == "__main__":
    main()
