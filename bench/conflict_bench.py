"""Conflict benchmark: checking one event and listing eight weeks against 100,000 events.

On the data set of ``conflict_dataset.py`` (100,000 events over five years, 50,000
invitations, PostgreSQL), in-process with the application's SQLAlchemy session:

(a) ``app.conflicts.engine.check`` for 300 proposals: half new ones (a random venue, a random
    time in the next year, 1-2 audiences), half ``Proposal.from_event`` of random existing
    events with invitations and a venue. Median and p95 (target: median under 10 ms), and the
    ratio to the bare indexed overlap query for the same venue and occupied range, run through
    the same session (target: within 5x). The two are interleaved (A, B, B, A, ...) after a
    warm-up, each proposal starts from an empty session with an open transaction, as a request
    would after loading the user.
(b) ``app.conflicts.listing.conflicts_between`` for the eight weeks from next Monday (about
    3,000 events): median of 5 runs after one warm-up (target under 1 s).
(c) the communications team's page ``GET /conflicts/`` for the same eight weeks through the
    Flask test client, logged in as comms (listing, density overview, first page of the list,
    template rendering): median of 5 runs after one warm-up (target under 1 s, PASS/FAIL).

The figures are printed; nothing is asserted. ``--explain`` captures the SQL of the slowest
check and of one listing run and prints EXPLAIN ANALYZE of the slowest statements;
``--profile`` prints cProfile reports of 50 checks and one listing run. Both also print how
much of the time is spent in SQL.

Run alone:
``.venv/bin/python bench/conflict_bench.py [--rebuild] [--quick] [--explain] [--profile]``;
``--view-only`` measures only (c).
"""

import argparse
import logging
import os
import random
import statistics
import sys
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter, process_time

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import conflict_dataset  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.events.models import Event  # noqa: E402
from app.events.occupancy import occupied_range  # noqa: E402
from app.events.walltime import local_to_utc, utc_to_local  # noqa: E402
from app.extensions import db  # noqa: E402
from app.venues.models import Venue  # noqa: E402
from app.vocabularies.models import Audience  # noqa: E402
from config import Config  # noqa: E402

SEED = 300
PROPOSALS = 300
WARMUP = 20
LIST_RUNS = 5
LIST_WEEKS = 8
CHECK_TARGET_MS = 10.0
RATIO_TARGET = 5.0
LIST_TARGET_S = 1.0
VIEW_TARGET_S = 1.0

BARE_SQL = text(
    "SELECT id FROM events WHERE venue_id = :v "
    "AND tstzrange(occupied_from, occupied_until, '[)') && tstzrange(:a, :b, '[)') "
    "AND status <> 'cancelled'"
)


def _engine_api():
    """Import the engine lazily (it may be under construction while the data set is built)."""
    from app.conflicts.engine import Proposal, check
    from app.conflicts.listing import conflicts_between

    return Proposal, check, conflicts_between


def _conflict(item):
    """Return the Conflict of a listed item (conflicts_between wraps them in Listed)."""
    return getattr(item, "conflict", item)


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) with linear interpolation."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# --------------------------------------------------------------------------- proposals


def new_proposals(Proposal, rng: random.Random, count: int, tz: str, today: date) -> list:
    """Return ``count`` new proposals at random venues in the next year."""
    venues = db.session.scalars(select(Venue).order_by(Venue.id)).all()
    audiences = db.session.scalars(select(Audience.id).order_by(Audience.id)).all()
    departments = db.session.scalars(text("SELECT id FROM departments ORDER BY id")).all()
    districts = db.session.scalars(text("SELECT name FROM districts ORDER BY id")).all()
    # Titles like the data set's (the duplicate kind compares them), drawn from their own
    # generator so that the proposals' times and places stay as they were.
    titles = random.Random(count)  # noqa: S311 - reproducible benchmark
    result = []
    while len(result) < count:
        day = today + timedelta(days=rng.randint(1, 365))
        if day.weekday() >= 5 and rng.random() < 0.8:
            continue
        if rng.random() < 0.08:
            start_local = datetime.combine(day, time())
            end_local = start_local + timedelta(days=rng.choice((1, 1, 2)))
            all_day = True
        else:
            minutes = 15 * rng.randint(2, 16)
            start_local = datetime.combine(day, time()) + timedelta(
                minutes=15 * rng.randint(8 * 4, (21 * 60 - minutes) // 15)
            )
            end_local = start_local + timedelta(minutes=minutes)
            all_day = False
        venue = rng.choice(venues)
        result.append(
            Proposal(
                starts_at=local_to_utc(start_local, tz),
                ends_at=local_to_utc(end_local, tz),
                start_local=start_local,
                end_local=end_local,
                all_day=all_day,
                venue_id=venue.id,
                audience_ids=rng.sample(audiences, rng.choice((1, 2))),
                capacity=rng.choice((None, 30, 60, 100, 200)),
                department_id=rng.choice(departments),
                title=titles.choice(
                    conflict_dataset.TITLES[titles.choice(sorted(conflict_dataset.TITLES))]
                ).format(
                    theme=titles.choice(conflict_dataset.THEMES),
                    district=titles.choice(districts),
                    partner=titles.choice(conflict_dataset.data.PARTNER_CITIES),
                ),
            )
        )
    return result


def existing_proposals(Proposal, rng: random.Random, count: int) -> list:
    """Return proposals of ``count`` random existing events with invitations and a venue."""
    ids = db.session.scalars(
        text(
            "SELECT DISTINCT e.id FROM events e JOIN invitations i ON i.event_id = e.id "
            "WHERE e.venue_id IS NOT NULL AND e.status <> 'cancelled' ORDER BY e.id"
        )
    ).all()
    chosen = rng.sample(ids, count)
    events = db.session.scalars(select(Event).where(Event.id.in_(chosen))).all()
    by_id = {e.id: Proposal.from_event(e) for e in events}
    return [by_id[i] for i in chosen]


# --------------------------------------------------------------------------- measurements


class _Capture:
    """Collect (seconds, statement, parameters) of every SQL statement while active."""

    def __init__(self, engine):
        self.engine = engine
        self.active = False
        self.statements: list[tuple[float, str, object]] = []
        sa_event.listen(engine, "before_cursor_execute", self._before)
        sa_event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            elapsed = perf_counter() - conn.info.pop("bench_t0", perf_counter())
            self.statements.append((elapsed, statement, parameters))

    def run(self, fn):
        """Run fn() and return its captured statements."""
        self.statements = []
        self.active = True
        try:
            fn()
        finally:
            self.active = False
        return list(self.statements)

    def explain(self, statements, top: int = 3) -> str:
        """Return EXPLAIN ANALYZE of the ``top`` slowest captured statements."""
        lines = []
        slowest = sorted(statements, key=lambda s: s[0], reverse=True)[:top]
        connection = db.session.connection()
        for elapsed, statement, parameters in slowest:
            lines.append(f"--- {elapsed * 1000:.2f} ms: {' '.join(statement.split())[:400]}")
            result = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            )
            lines.extend("    " + row[0] for row in result)
        return "\n".join(lines)


def _fresh_session(viewer_id: int) -> User:
    """End the transaction, empty the session, open a new transaction, load the viewer."""
    db.session.rollback()
    db.session.expunge_all()
    db.session.execute(text("SELECT 1"))  # checkout (pre-ping) and BEGIN outside the timing
    return db.session.get(User, viewer_id)


def measure_checks(check, proposals: list, viewer_id: int, venues: dict[int, Venue]) -> dict:
    """Time check() and the bare overlap query, interleaved, one proposal at a time."""
    check_s, bare_s, found, kinds, severities = [], [], [], Counter(), Counter()
    slowest = (0.0, None)
    by_origin: dict[str, list[float]] = {"new": [], "existing": []}
    for n, proposal in enumerate(proposals):
        viewer = _fresh_session(viewer_id)
        venue = venues[proposal.venue_id]
        occ_from, occ_until = occupied_range(proposal.starts_at, proposal.ends_at, venue)
        params = {"v": venue.id, "a": occ_from, "b": occ_until}

        def run_check(proposal=proposal, viewer=viewer):
            t0 = perf_counter()
            result = check(proposal, viewer)
            return perf_counter() - t0, result

        def run_bare(params=params):
            t0 = perf_counter()
            db.session.execute(BARE_SQL, params).all()
            return perf_counter() - t0

        if n % 2 == 0:
            seconds, result = run_check()
            bare = run_bare()
        else:
            bare = run_bare()
            seconds, result = run_check()
        check_s.append(seconds)
        bare_s.append(bare)
        found.append(len(result))
        kinds.update(c.kind for c in result)
        severities.update(str(getattr(c.severity, "value", c.severity)) for c in result)
        by_origin["existing" if proposal.event_id is not None else "new"].append(seconds)
        if seconds > slowest[0]:
            slowest = (seconds, proposal)
    db.session.rollback()
    return {
        "check_s": check_s,
        "bare_s": bare_s,
        "found": found,
        "kinds": kinds,
        "severities": severities,
        "by_origin": by_origin,
        "slowest": slowest,
    }


def window_counts(first: date, last: date) -> dict:
    """Return how many events touch the window (all, and not cancelled)."""
    row = db.session.execute(
        text(
            "SELECT count(*) AS n, count(*) FILTER (WHERE status <> 'cancelled') AS active "
            "FROM events WHERE first_day <= :last AND last_day >= :first"
        ),
        {"first": first, "last": last},
    ).one()
    return {"events": row.n, "active": row.active}


def measure_listing(conflicts_between, viewer_id: int, first: date, last: date, runs: int):
    """Time conflicts_between over the window: one warm-up, then ``runs`` timed runs."""
    timings, result = [], []
    for n in range(runs + 1):
        viewer = _fresh_session(viewer_id)
        t0 = perf_counter()
        result = conflicts_between(viewer, first, last)
        if n:
            timings.append(perf_counter() - t0)
    db.session.rollback()
    return timings, [_conflict(item) for item in result]


def measure_view(info, runs: int, profile: bool = False) -> dict:
    """Time GET /conflicts/ for the eight weeks from next Monday as comms (test client)."""
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=info.url, ENV_NAME="test")
    with app.app_context():
        today = utc_to_local(datetime.now(UTC), app.config["TIMEZONE"]).date()
        first = today + timedelta(days=7 - today.weekday())  # next Monday
        last = first + timedelta(weeks=LIST_WEEKS) - timedelta(days=1)
        user_key = db.session.get(User, info.comms_user_id).get_id()
        db.session.remove()
    url = f"/conflicts/?from={first.isoformat()}&to={last.isoformat()}"
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_key
        session["_fresh"] = True
    timings, cpu, status, size, report_text = [], [], None, 0, ""
    for n in range(runs + 1):
        c0, t0 = process_time(), perf_counter()
        response = client.get(url)
        seconds, cpu_seconds = perf_counter() - t0, process_time() - c0
        status, size = response.status_code, len(response.data)
        if n:
            timings.append(seconds)
            cpu.append(cpu_seconds)
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(client.get, url)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("C_SORT", "cumulative")
        ).print_stats(30)
        report_text = out.getvalue()
    with app.app_context():
        db.engine.dispose()
    return {"timings": timings, "cpu": cpu, "status": status, "bytes": size, "url": url,
            "profile": report_text, "load": os.getloadavg()[0]}  # fmt: skip


def report_view(view: dict) -> None:
    """Print the page measurement (c) with its verdict."""
    median = statistics.median(view["timings"])
    rows = [
        (f"(c) GET /conflicts/, {LIST_WEEKS} weeks, median of {len(view['timings'])}",
         f"{median:.3f} s", f"< {VIEW_TARGET_S:g} s: {_verdict(median < VIEW_TARGET_S)}"),
    ]  # fmt: skip
    print(table(rows))
    print(
        f"  (c) {view['url']}: status {view['status']}, {view['bytes']:,} bytes; runs: "
        + ", ".join(f"{s:.3f}" for s in view["timings"])
        + f" s; CPU of this process (median) {statistics.median(view['cpu']):.3f} s; "
        f"load average {view['load']:.1f} on {os.cpu_count()} CPUs"
    )
    if view["profile"]:
        print(f"\n  cProfile of GET /conflicts/ (one run)\n{view['profile']}")


# --------------------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(rows: list[tuple[str, str, str]]) -> str:
    """Return an aligned text table of (measurement, figure, target) rows."""
    heads = ("Measurement", "Figure", "Target")
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(3)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join("  " + line for line in lines)


def sql_share(capture, check, conflicts_between, proposals, viewer_id, first, last) -> dict:
    """Return the seconds spent in SQL (driver execute) and in total, for checks and a listing."""
    total = sql = 0.0
    for proposal in proposals:
        viewer = _fresh_session(viewer_id)
        t0 = perf_counter()
        statements = capture.run(lambda proposal=proposal, viewer=viewer: check(proposal, viewer))
        total += perf_counter() - t0
        sql += sum(s[0] for s in statements)
    viewer = _fresh_session(viewer_id)
    t0 = perf_counter()
    statements = capture.run(lambda: conflicts_between(viewer, first, last))
    list_total = perf_counter() - t0
    db.session.rollback()
    return {
        "checks": len(proposals),
        "check_total": total,
        "check_sql": sql,
        "list_total": list_total,
        "list_sql": sum(s[0] for s in statements),
        "list_statements": len(statements),
    }


def profiles(check, conflicts_between, proposals, viewer_id, first, last) -> dict[str, str]:
    """Return cProfile reports (top 25 by cumulative time) of the checks and one listing."""
    import cProfile
    import io
    import pstats

    def top(profiler) -> str:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        return out.getvalue()

    result = {}
    profiler = cProfile.Profile()
    for proposal in proposals:
        viewer = _fresh_session(viewer_id)
        profiler.runcall(check, proposal, viewer)
    result[f"check ({len(proposals)} proposals)"] = top(profiler)
    viewer = _fresh_session(viewer_id)
    profiler = cProfile.Profile()
    profiler.runcall(conflicts_between, viewer, first, last)
    result["conflicts_between (one run)"] = top(profiler)
    db.session.rollback()
    return result


def run(info, quick: bool = False, explain: bool = False, profile: bool = False) -> dict:
    """Run both measurements on the data set; return the figures."""
    Proposal, check, conflicts_between = _engine_api()
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=info.url, ENV_NAME="test")
    tz = app.config["TIMEZONE"]
    count = 60 if quick else PROPOSALS
    runs = 3 if quick else LIST_RUNS
    rng = random.Random(SEED)  # noqa: S311 - reproducible benchmark
    figures: dict = {}
    with app.app_context(), app.test_request_context():
        capture = _Capture(db.engine)
        today = utc_to_local(datetime.now(UTC), tz).date()
        venues = {v.id: v for v in db.session.scalars(select(Venue))}
        for venue in venues.values():
            db.session.expunge(venue)  # plain values for occupied_range, outside the session
        proposals = new_proposals(Proposal, rng, count // 2, tz, today)
        proposals += existing_proposals(Proposal, rng, count - count // 2)
        rng.shuffle(proposals)
        db.session.rollback()

        warm = measure_checks(check, proposals[:WARMUP], info.comms_user_id, venues)
        del warm
        figures["checks"] = measure_checks(check, proposals, info.comms_user_id, venues)

        first = today + timedelta(days=7 - today.weekday())  # next Monday
        last = first + timedelta(weeks=LIST_WEEKS) - timedelta(days=1)
        figures["window"] = (first, last, window_counts(first, last))
        db.session.rollback()
        figures["listing"] = measure_listing(
            conflicts_between, info.comms_user_id, first, last, runs
        )

        if explain or profile:
            figures["sql_share"] = sql_share(
                capture, check, conflicts_between, proposals[:50], info.comms_user_id, first, last
            )
        if profile:
            figures["profiles"] = profiles(
                check, conflicts_between, proposals[:50], info.comms_user_id, first, last
            )
        if explain:
            seconds, proposal = figures["checks"]["slowest"]
            viewer = _fresh_session(info.comms_user_id)
            statements = capture.run(lambda: check(proposal, viewer))
            figures["explain_check"] = (seconds, len(statements), capture.explain(statements))
            viewer = _fresh_session(info.comms_user_id)
            statements = capture.run(lambda: conflicts_between(viewer, first, last))
            figures["explain_listing"] = (len(statements), capture.explain(statements, top=4))
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return figures


def report(info, figures: dict) -> None:
    """Print the figures."""
    checks = figures["checks"]
    check_med = statistics.median(checks["check_s"])
    check_p95 = pct(checks["check_s"], 0.95)
    bare_med = statistics.median(checks["bare_s"])
    ratio = check_med / bare_med
    first, last, window = figures["window"]
    list_s, conflicts = figures["listing"]
    list_med = statistics.median(list_s)
    by_kind = Counter(c.kind for c in conflicts)
    by_severity = Counter(str(getattr(c.severity, "value", c.severity)) for c in conflicts)
    origin = checks["by_origin"]
    n = len(checks["check_s"])
    rows = [
        (f"(a) check, median of {n}", _ms(check_med), f"< {CHECK_TARGET_MS:g} ms: "
         f"{_verdict(check_med * 1000 < CHECK_TARGET_MS)}"),
        ("(a) check, p95", _ms(check_p95), ""),
        (f"    new proposals ({len(origin['new'])}), median / p95",
         f"{_ms(statistics.median(origin['new']))} / {_ms(pct(origin['new'], 0.95))}", ""),
        (f"    existing events ({len(origin['existing'])}), median / p95",
         f"{_ms(statistics.median(origin['existing']))} / "
         f"{_ms(pct(origin['existing'], 0.95))}", ""),
        ("(a) bare overlap query, median", _ms(bare_med), ""),
        ("(a) ratio check / bare (medians)", f"{ratio:.1f}x",
         f"<= {RATIO_TARGET:g}x: {_verdict(ratio <= RATIO_TARGET)}"),
        ("(a) conflicts per check, mean (max)",
         f"{statistics.mean(checks['found']):.1f} ({max(checks['found'])})", ""),
        (f"(b) conflicts_between, {LIST_WEEKS} weeks, median of {len(list_s)}",
         f"{list_med:.3f} s", f"< {LIST_TARGET_S:g} s: {_verdict(list_med < LIST_TARGET_S)}"),
    ]  # fmt: skip
    print(table(rows))
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(checks["kinds"].items()))
    severities = ", ".join(f"{k} {v}" for k, v in sorted(checks["severities"].items()))
    print(f"  (a) conflicts found over all checks by kind: {kinds} (by severity: {severities})")
    print(
        f"  (b) window {first:%a %d.%m.%Y} - {last:%a %d.%m.%Y}: {window['events']:,} events "
        f"({window['active']:,} not cancelled); {len(conflicts):,} conflicts: "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))
        + " (by severity: "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_severity.items()))
        + ")"
    )
    print(f"  (b) runs: {', '.join(f'{s:.3f}' for s in list_s)} s")
    if "sql_share" in figures:
        share = figures["sql_share"]
        print(
            f"  SQL (driver execute) share: checks {_ms(share['check_sql'] / share['checks'])} of "
            f"{_ms(share['check_total'] / share['checks'])} per check (mean of "
            f"{share['checks']}); conflicts_between {share['list_sql']:.3f} s of "
            f"{share['list_total']:.3f} s in {share['list_statements']} statements"
        )
    for name, text_ in figures.get("profiles", {}).items():
        print(f"\n  cProfile of {name}\n{text_}")
    if "explain_check" in figures:
        seconds, count, plan = figures["explain_check"]
        print(f"\n  EXPLAIN ANALYZE, slowest check ({_ms(seconds)} when timed, {count} statements)")
        print(plan)
        count, plan = figures["explain_listing"]
        print(f"\n  EXPLAIN ANALYZE, conflicts_between ({count} statements), slowest four")
        print(plan)


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the data set, run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="recreate the database")
    parser.add_argument("--quick", action="store_true", help="60 proposals, 3 listing runs")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slow SQL")
    parser.add_argument("--profile", action="store_true", help="cProfile checks and listing")
    parser.add_argument("--view-only", action="store_true", help="measure only the page (c)")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(
        "\nConflicts: 100,000 events over five years, 50,000 invitations "
        "(PostgreSQL, in-process, viewer: comms)"
    )
    info = conflict_dataset.ensure(rebuild=args.rebuild, log=lambda m: print("  " + m))
    if info.build_seconds is not None:
        print(f"  data set built in {info.build_seconds:.1f} s")
    print(
        f"  {info.events:,} events {info.first_day} - {info.last_day}, {info.invitations:,} "
        f"invitations, {info.contacts:,} contacts, {info.venues} venues "
        f"({info.exclusive_venues} exclusive), {info.blocked_ranges} blocked ranges, "
        f"{info.school_holidays} school holiday periods"
    )
    try:
        _engine_api()
    except ImportError as exc:
        print(f"  conflict engine not available ({exc}); nothing measured")
        return 0
    runs = 3 if args.quick else LIST_RUNS
    if not args.view_only:
        figures = run(info, quick=args.quick, explain=args.explain, profile=args.profile)
        report(info, figures)
    report_view(measure_view(info, runs, profile=args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
