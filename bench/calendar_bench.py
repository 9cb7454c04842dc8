"""Calendar benchmarks: the JSON API and the iCalendar feeds on 20,000 events.

Everything runs in this process: the Flask test client sends the requests to the app, which
talks to the PostgreSQL benchmark database built by bench/dataset.py. No app context is held
while a request is timed, so each request gets a fresh SQLAlchemy session, as in production.

Measurements that are compared with each other (endpoint vs. bare SQL, feed vs. icalendar
baseline) run interleaved, round by round, so that the noise of a shared machine hits both.

Run alone: ``.venv/bin/python bench/calendar_bench.py [--rebuild] [--quick] [--profile]``.
"""

import cProfile
import gc
import io
import os
import platform
import pstats
import re
import statistics
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext
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
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.orm import noload  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.events import ics, policy  # noqa: E402
from app.events.models import Event, Status, Visibility  # noqa: E402
from app.extensions import db  # noqa: E402
from app.venues.models import Venue  # noqa: E402
from config import Config  # noqa: E402

FAST_RUNS = 15
SLOW_RUNS = 5
SLOW_THRESHOLD = 0.5  # seconds per round above which a group gets SLOW_RUNS runs
QUICK_RUNS = 3

# Indico 3.3 on the same machine class with 20,000 events (seconds); we aim to be >= 10x faster.
INDICO = {
    "category_ics": 15.0,  # the whole category as .ics
    "month_ics": 0.5,  # one month of 800 events as .ics
    "month_json": 8.0,  # that month as JSON
    "event_ics": 0.020,  # one event's .ics
}
INDICO_FACTOR = 10
EVENT_STATEMENTS = re.compile(r"\bFROM events\b|\bevent_audiences\b|\bevent_cohosts\b")


# --------------------------------------------------------------------------- measuring


@dataclass
class Stat:
    """Timings of one measurement in seconds."""

    name: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        """Return the 95th percentile (interpolated between the largest samples)."""
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=20, method="inclusive")[18]

    def line(self) -> str:
        return (
            f"  {self.name:<62} {self.median * 1000:9.1f} ms"
            f"  (p95 {self.p95 * 1000:9.1f} ms, n={len(self.samples)})"
        )


@dataclass
class Probe:
    """One thing to time: ``fn`` is timed, ``setup`` runs untimed before each call.

    ``check(result, statements)`` runs untimed after the first call (the warm-up, or the first
    timed call without warm-up) with what ``fn`` returned and the SQL statements it sent.
    """

    key: str
    name: str
    fn: Callable[[], object]
    setup: Callable[[], None] | None = None
    warm_up: bool = True
    check: Callable[[object, list], None] | None = None


def measure_group(
    probes: list[Probe],
    *,
    runs: int | None = None,
    quick: bool = False,
    capture: Callable[[], AbstractContextManager[list]] | None = None,
) -> dict[str, Stat]:
    """Time the probes round by round (interleaved), after one untimed warm-up each.

    Without ``runs``, the first round decides: SLOW_RUNS rounds if it took longer than
    SLOW_THRESHOLD, else FAST_RUNS. ``capture`` collects the SQL of each probe's first call.
    """
    capture = capture or (lambda: nullcontext([]))
    checked: set[str] = set()

    def call(probe: Probe) -> float:
        if probe.setup:
            probe.setup()
        gc.collect()
        first = probe.key not in checked
        with capture() if first else nullcontext([]) as statements:
            started = perf_counter()
            result = probe.fn()
            elapsed = perf_counter() - started
        if first:
            checked.add(probe.key)
            if probe.check:
                probe.check(result, statements)
        return elapsed

    for probe in probes:
        if probe.warm_up:  # connections, compiled-statement caches, prepared statements
            call(probe)
    if runs is not None and quick:
        runs = min(runs, QUICK_RUNS)
    samples: dict[str, list[float]] = {probe.key: [] for probe in probes}
    done = 0
    while runs is None or done < runs:
        round_time = 0.0
        for probe in probes:
            elapsed = call(probe)
            samples[probe.key].append(elapsed)
            round_time += elapsed
        done += 1
        if runs is None:
            runs = SLOW_RUNS if round_time > SLOW_THRESHOLD else FAST_RUNS
            if quick:
                runs = min(runs, QUICK_RUNS)
    return {probe.key: Stat(probe.name, samples[probe.key]) for probe in probes}


def profile(fn: Callable[[], object], setup: Callable[[], None] | None = None, limit=22) -> str:
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
    return re.sub(r"\n{3,}", "\n\n", out.getvalue())


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- the bench


class CalendarBench:
    """Drives the measurements against one app bound to the benchmark database."""

    def __init__(self, info: dataset.DataSetInfo, *, quick: bool = False, log=print):
        self.info = info
        self.quick = quick
        self.log = log
        self.app = create_app(
            Config,
            SQLALCHEMY_DATABASE_URI=info.url,
            ENV_NAME="test",
            RATELIMIT_ENABLED=False,
        )
        self.client = self.app.test_client()
        self.results = Results()
        self.probes: dict[str, Probe] = {}
        with self.app.app_context():
            with db.engine.begin() as conn:
                self.api_token = dataset.new_api_token(conn, info.comms_user_id, datetime.now(UTC))
            comms = db.session.get(User, info.comms_user_id)
            self.feed_token = comms.feed_token(self.app.config["SECRET_KEY"])
            self.engine = db.engine
            self.base_url = self.app.config["BASE_URL"]
            self.pg_version = db.session.execute(select(func.version())).scalar_one()
            self.event_id = self._public_event_id()
            self.venue_id, self.venue_events = self._venue_near(800)
            db.session.remove()

    # helpers ---------------------------------------------------------------------

    def _public_event_id(self) -> int:
        """Return a public, published, timed event at a venue in the bench month."""
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

    def _venue_near(self, wanted: int) -> tuple[int, int]:
        """Return the venue whose public feed has closest to ``wanted`` events, and the count."""
        stmt = (
            select(Venue.id, func.count(Event.id))
            .join(Event, Event.venue_id == Venue.id)
            .where(policy.public_clause())
            .group_by(Venue.id)
        )
        counts = db.session.execute(stmt).all()
        venue_id, count = min(counts, key=lambda row: (abs(row[1] - wanted), row[0]))
        return venue_id, count

    def _get(self, url: str, *, expect: int = 200, **headers):
        response = self.client.get(url, headers=headers)
        if response.status_code != expect:
            raise RuntimeError(
                f"GET {url} answered {response.status_code}, expected {expect}: "
                f"{response.get_data(as_text=True)[:300]}"
            )
        return response

    @contextmanager
    def _capture(self):
        """Collect (statement, parameters) of everything sent to the database meanwhile."""
        captured: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, _context, _executemany):
            captured.append((statement, parameters))

        sa_event.listen(self.engine, "before_cursor_execute", record)
        try:
            yield captured
        finally:
            sa_event.remove(self.engine, "before_cursor_execute", record)

    def _checked_get(self, url: str, label: str, **headers):
        """GET once untimed, noting how many SQL statements the request sends."""
        with self._capture() as captured:
            response = self._get(url, **headers)
        self.results.notes.append(f"{label}: {len(captured)} SQL statements per request.")
        return response, captured

    def _run(self, probes: list[Probe], runs: int | None = None) -> dict[str, Stat]:
        for probe in probes:
            self.probes[probe.key] = probe
        stats = measure_group(probes, runs=runs, quick=self.quick, capture=self._capture)
        for stat in stats.values():
            self.log(stat.line())
        self.results.stats.update(stats)
        return stats

    def _ratio_line(self, label: str, a: str, b: str) -> None:
        ratio = self.results.stats[a].median / self.results.stats[b].median
        self.log(f"  {'  ' + label:<62} {ratio:9.2f} x")

    def _clear_fragments(self) -> None:
        """Forget the stored VEVENT serialisations: the first render after an import."""
        with self.app.app_context():
            db.session.execute(text("UPDATE events SET ics_cache = NULL, ics_cache_key = ''"))
            db.session.commit()

    # (a) API ---------------------------------------------------------------------

    def _api_url(self, month) -> str:
        first, last = month
        return f"/api/v1/events?from={first.isoformat()}&to={last.isoformat()}&per_page=5000"

    def api(self, key: str, month, expected: int) -> None:
        """Measure the API list of one month against the bare SQL it runs."""
        url = self._api_url(month)
        headers = {"Authorization": f"Bearer {self.api_token}"}
        response, captured = self._checked_get(
            url, f"GET /api/v1/events {month[0]:%Y-%m}", **headers
        )
        body = response.get_json()
        if len(body["items"]) != expected or body["next"] is not None:
            raise RuntimeError(
                f"{url}: {len(body['items'])} items (next={body['next']}), "
                f"expected {expected} on one page"
            )
        statements = [(sql, params) for sql, params in captured if EVENT_STATEMENTS.search(sql)]
        if len(statements) != 3:
            raise RuntimeError(
                f"expected 3 event statements in {url}, captured "
                f"{len(statements)}: {[sql[:80] for sql, _p in statements]}"
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
            self._run(
                [
                    Probe(
                        f"{key}_endpoint",
                        f"GET /api/v1/events ({expected} events, one page)",
                        lambda: self._get(url, **headers),
                    ),
                    Probe(f"{key}_bare", "  bare SQL: rows + audiences + co-hosts (psycopg)", bare),
                ]
            )
        finally:
            conn.close()
        self._ratio_line("ratio endpoint / bare SQL", f"{key}_endpoint", f"{key}_bare")
        params = sum(len(p) if isinstance(p, dict | list | tuple) else 0 for _s, p in statements)
        self.results.notes.append(
            f"API {month[0]:%Y-%m}: bare SQL = the endpoint's statements replayed as captured "
            f"({params} bind parameters in all): "
            + "; ".join(
                f"{_short(sql)} -> {n} rows"
                for (sql, _p), n in zip(statements, counts, strict=True)
            )
        )

    # (b, c) public feed --------------------------------------------------------------

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

    def _baseline_calendar(self):
        """Return the public feed as an icalendar Calendar built in memory, and the seconds
        spent loading the events (ORM) and building their VEVENTs."""
        with self.app.app_context():
            started = perf_counter()
            events = self._public_feed_events()
            loaded = perf_counter()
            cal = ics.calendar_header("Stadtkalender")
            cal.add_component(ics.vtimezone(dataset.TZ))
            for item in events:
                url = f"{self.base_url}/events/{item.id}"
                cal.add_component(
                    ics.build_vevent(item, masked=False, url=url, dtstamp=item.updated_at)
                )
            built = perf_counter()
            del events
            db.session.remove()
        return cal, loaded - started, built - loaded

    def _count_check(self, label: str, expected: int, keep: dict | None = None):
        """Return a probe check: the response holds ``expected`` VEVENTs; note the SQL count."""

        def check(response, statements: list) -> None:
            body = response.get_data()
            count = body.count(b"BEGIN:VEVENT")
            if count != expected:
                raise RuntimeError(f"{label} has {count} VEVENTs, expected {expected}")
            self.results.notes.append(
                f"{label}: {len(statements)} SQL statements per request, "
                f"{_size(len(body))}, {count:,} VEVENT(s)."
            )
            if keep is not None:
                keep["body"] = body

        return check

    def public_feed(self) -> None:
        """Measure /calendar.ics cold and warm against icalendar serialising the same events."""
        count = self.info.public_feed_events
        cal, load_seconds, build_seconds = self._baseline_calendar()
        cold: dict[str, bytes] = {}

        def same_as_feed(output: bytes, _statements) -> None:
            same = output == cold["body"]
            self.results.notes.append(
                f"Public feed baseline, prepared untimed: loading {count:,} events with the ORM "
                f"took {load_seconds * 1000:,.0f} ms, building their VEVENTs (build_vevent) "
                f"{build_seconds * 1000:,.0f} ms; the baseline output "
                f"{'is byte-identical to' if same else 'DIFFERS from'} the /calendar.ics body."
            )

        def feed():
            return self._get("/calendar.ics")

        # One round: cold (clears the cache, then fills it), warm (uses it), baseline.
        self._clear_fragments()
        self._run(
            [
                Probe(
                    "feed_cold",
                    f"GET /calendar.ics cold ({count:,} events, stored VEVENTs cleared)",
                    feed,
                    setup=self._clear_fragments,
                    warm_up=False,  # a cold call warms nothing up but the SQL
                    check=self._count_check("GET /calendar.ics (cold)", count, cold),
                ),
                Probe("feed_warm", f"GET /calendar.ics warm ({count:,} events)", feed),
                Probe(
                    "feed_baseline",
                    "  baseline: icalendar Calendar.to_ical(), events prebuilt",
                    cal.to_ical,
                    warm_up=False,
                    check=same_as_feed,
                ),
            ]
        )
        self.probes.pop("feed_baseline")  # let the prebuilt calendar go
        del cal
        self._ratio_line("ratio cold / baseline", "feed_cold", "feed_baseline")
        self._ratio_line("ratio warm / baseline", "feed_warm", "feed_baseline")

        etag = feed().headers["ETag"]
        self._run(
            [
                Probe(
                    "feed_304",
                    "GET /calendar.ics with If-None-Match (304)",
                    lambda: self._get("/calendar.ics", expect=304, **{"If-None-Match": etag}),
                )
            ],
            runs=FAST_RUNS,
        )

    # (d) private feed, venue feed, single event ---------------------------------------

    def _feed_pair(self, key: str, url: str, label: str, expected: int) -> None:
        """Measure a feed cold and warm (interleaved), checking its event count."""

        def get():
            return self._get(url)

        self._clear_fragments()
        self._run(
            [
                Probe(
                    f"{key}_cold",
                    f"GET {label} cold ({expected:,} ev.)",
                    get,
                    setup=self._clear_fragments,
                    warm_up=False,
                    check=self._count_check(f"GET {label} (cold)", expected),
                ),
                Probe(f"{key}_warm", f"GET {label} warm ({expected:,} ev.)", get),
            ]
        )

    def private_feed(self) -> None:
        """Measure the comms user's private feed (every event) cold and warm."""
        url = f"/calendar/private/{self.feed_token}.ics"
        self._feed_pair("private", url, "/calendar/private/<comms>.ics", self.info.events)

    def venue_feed(self) -> None:
        """Measure the venue feed nearest to 800 public events (no month filter on feeds)."""
        url = f"/calendar/venues/{self.venue_id}.ics"
        self._feed_pair("venue", url, url, self.venue_events)

    def single_event(self) -> None:
        """Measure the download of one event's .ics."""
        url = f"/events/{self.event_id}.ics"
        self._run(
            [
                Probe(
                    "event_ics",
                    f"GET {url} (one public event)",
                    lambda: self._get(url),
                    check=self._count_check(f"GET {url}", 1),
                )
            ],
            runs=FAST_RUNS,
        )

    # run ---------------------------------------------------------------------------

    def run(self) -> Results:
        """Run every measurement and evaluate the targets."""
        info = self.info
        self.log(f"\n(a) JSON API as the comms user, month {info.bench_month[0]:%Y-%m}")
        self.api("api_month", info.bench_month, info.bench_month_events)
        self.log(f"\n    JSON API as the comms user, month {info.small_month[0]:%Y-%m}")
        self.api("api_small", info.small_month, info.small_month_events)
        self.log("\n(b, c) Public feed /calendar.ics")
        self.public_feed()
        self.log("\n(d) Private feed, a venue feed of ~800 events, one event's .ics")
        self.private_feed()
        self.venue_feed()
        self.single_event()
        self.evaluate()
        return self.results

    def evaluate(self) -> None:
        """Turn the statistics into PASS/FAIL targets (on the medians)."""
        s = self.results.stats
        info = self.info
        add = self.results.targets.append

        def ms(key: str) -> str:
            return f"{s[key].median * 1000:,.1f} ms"

        def ratio(a: str, b: str) -> float:
            return s[a].median / s[b].median

        def vs_indico(key: str, ref: str) -> str:
            return (
                f"{INDICO[ref] * 1000:,.0f} ms; we are {INDICO[ref] / s[key].median:,.1f}x faster"
            )

        for key, month, n in (
            ("api_month", info.bench_month, info.bench_month_events),
            ("api_small", info.small_month, info.small_month_events),
        ):
            r = ratio(f"{key}_endpoint", f"{key}_bare")
            add(
                Target(
                    f"API {month[0]:%Y-%m} ({n:,} ev.) endpoint / bare SQL",
                    f"{r:.2f}x ({ms(f'{key}_endpoint')} / {ms(f'{key}_bare')})",
                    "<= 3x",
                    r <= 3.0,
                    profile_key=f"{key}_endpoint",
                )
            )
        limit = INDICO["month_json"] / INDICO_FACTOR
        add(
            Target(
                f"API: one month of {info.small_month_events} events as JSON",
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
                "/calendar.ics answered 304 (If-None-Match)",
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
                    "whole category " + vs_indico(key, "category_ics"),
                    key,
                )
            )
        limit = INDICO["month_ics"] / INDICO_FACTOR
        for kind in ("cold", "warm"):
            add(
                Target(
                    f"venue feed {kind} ({self.venue_events} ev., ~ a month of 800)",
                    ms(f"venue_{kind}"),
                    f"<= {limit * 1000:,.0f} ms",
                    s[f"venue_{kind}"].median <= limit,
                    "month .ics " + vs_indico(f"venue_{kind}", "month_ics"),
                    f"venue_{kind}",
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
            probe = self.probes[key]
            self.log(f"  profiling {key} ...")
            self.results.profiles[key] = profile(probe.fn, probe.setup)


def _size(n: int) -> str:
    """Return a byte count for humans."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _short(sql: str, width: int = 60) -> str:
    """Return the start of a statement on one line."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


# --------------------------------------------------------------------------- report


def header(info: dataset.DataSetInfo, bench: CalendarBench) -> str:
    """Return the description of the setup."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return "\n".join(
        [
            "Stadtkalender benchmark",
            "=======================",
            "In-process: Flask test client -> app -> PostgreSQL via psycopg 3 "
            "(no HTTP server, no network hop).",
            f"Database: {info.url} ({bench.pg_version.split(',')[0]})",
            f"Python {platform.python_version()}, {cpus} CPUs. Figures: median and p95 over "
            "repeated runs after a warm-up; compared pairs run interleaved.",
            f"Data: {info.events:,} events over 12 months; month {info.bench_month[0]:%Y-%m} has "
            f"{info.bench_month_events:,} events ({info.bench_month_public:,} public), month "
            f"{info.small_month[0]:%Y-%m} has {info.small_month_events} "
            f"({info.small_month_public} public); the public feed has "
            f"{info.public_feed_events:,} events.",
            f"One event: /events/{bench.event_id}.ics; ~800 events as .ics: venue "
            f"{bench.venue_id} with {bench.venue_events} public events (feeds have no month "
            "filter).",
        ]
    )


def table(results: Results) -> str:
    """Return the final table of targets."""
    rows = [("Target", "Measured (median)", "Goal", "Indico 3.3 reference", "")]
    rows += [
        (t.label, t.value, t.goal, t.indico, "PASS" if t.passed else "FAIL")
        for t in results.targets
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    passed = sum(t.passed for t in results.targets)
    lines.append(f"\n{passed} of {len(results.targets)} targets passed.")
    return "\n".join(lines)


if __name__ == "__main__":
    from run_all import main

    sys.exit(main())
