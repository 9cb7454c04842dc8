"""Duplicate-event benchmark: quality on the labelled title pairs and the cost in the engine.

(a) Every pair of ``tests/data/event_title_pairs.csv`` goes through
    ``app.events.titles.similar``: precision and recall (the set was written alongside the
    rules, so treat the figures as an upper bound), and the time per pair.
(b) On the conflict data set (``conflict_dataset.py``: 100,000 events, PostgreSQL), the same
    proposals as ``conflict_bench.py`` (half new ones with a title like the data set's, half
    existing events) are checked with and without the ``duplicate`` kind, interleaved; the
    median check must stay under the conflict benchmark's target (10 ms).
(c) ``conflicts_between`` for the eight weeks from next Monday with and without the kind,
    median of the runs (target: under 1 s with the kind), and the duplicates found.

Run alone: ``.venv/bin/python bench/duplicate_bench.py [--quick] [--labelled-only]``.
"""

import argparse
import csv
import logging
import random
import statistics
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import conflict_bench  # noqa: E402
import conflict_dataset  # noqa: E402

from app import create_app  # noqa: E402
from app.conflicts import kinds  # noqa: E402
from app.conflicts.engine import Proposal, check  # noqa: E402
from app.conflicts.listing import conflicts_between  # noqa: E402
from app.events import titles  # noqa: E402
from app.events.walltime import utc_to_local  # noqa: E402
from app.extensions import db  # noqa: E402
from config import Config  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "event_title_pairs.csv"
QUALITY_TARGET = 0.9


def labelled() -> dict:
    """Return precision, recall, counts and the time per pair on the labelled set."""
    with PAIRS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    titles.normalise.cache_clear()
    counts = Counter()
    wrong = []
    t0 = perf_counter()
    for row in rows:
        venue_day = row["same_venue"] == "1"
        got = titles.similar(row["title_a"], row["title_b"], same_venue_and_day=venue_day)
        want = row["same"] == "1"
        counts[("t" if got == want else "f") + ("p" if got else "n")] += 1
        if got != want:
            wrong.append(f"{'FP' if got else 'FN'} {row['title_a']!r} / {row['title_b']!r}")
    seconds = perf_counter() - t0
    return {
        "pairs": len(rows),
        "precision": counts["tp"] / (counts["tp"] + counts["fp"]),
        "recall": counts["tp"] / (counts["tp"] + counts["fn"]),
        "counts": counts,
        "wrong": wrong,
        "us_per_pair": seconds / len(rows) * 1e6,
    }


def _without_duplicates() -> set[str]:
    """Return the kind names without ``duplicate`` (the listing before this kind existed)."""
    return {k.NAME for k in kinds.ALL if k.NAME != "duplicate"}


def engine_costs(quick: bool) -> dict:
    """Time checks and the eight-week listing with and without the duplicate kind."""
    info = conflict_dataset.ensure()
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=info.url, ENV_NAME="test")
    tz = app.config["TIMEZONE"]
    count = 60 if quick else conflict_bench.PROPOSALS
    runs = 3 if quick else conflict_bench.LIST_RUNS
    rng = random.Random(conflict_bench.SEED)  # noqa: S311 - the conflict bench's proposals
    reduced = _without_duplicates()
    figures: dict = {}
    with app.app_context(), app.test_request_context():
        today = utc_to_local(datetime.now(UTC), tz).date()
        proposals = conflict_bench.new_proposals(Proposal, rng, count // 2, tz, today)
        proposals += conflict_bench.existing_proposals(Proposal, rng, count - count // 2)
        rng.shuffle(proposals)
        db.session.rollback()
        viewer_id = info.comms_user_id
        timings = {"with": [], "without": []}
        found = Counter()
        for n, proposal in enumerate(proposals[: conflict_bench.WARMUP] + proposals):
            order = ("with", "without") if n % 2 == 0 else ("without", "with")
            for variant in order:
                # Without a title the single check's statement has no duplicate part (its
                # shape differs) and the kind has nothing to compare: the engine as before.
                checked = proposal if variant == "with" else replace(proposal, title="")
                viewer = conflict_bench._fresh_session(viewer_id)
                t0 = perf_counter()
                result = check(checked, viewer)
                seconds = perf_counter() - t0
                if n >= conflict_bench.WARMUP:
                    timings[variant].append(seconds)
                    if variant == "with":
                        found["duplicate"] += sum(c.kind == "duplicate" for c in result)
        figures["checks"] = timings
        figures["check_duplicates"] = found["duplicate"]
        first = today + timedelta(days=7 - today.weekday())
        last = first + timedelta(weeks=conflict_bench.LIST_WEEKS) - timedelta(days=1)
        listing = {"with": [], "without": []}
        duplicates = 0
        for n in range(runs + 1):
            for variant in ("with", "without"):
                wanted = None if variant == "with" else reduced
                viewer = conflict_bench._fresh_session(viewer_id)
                t0 = perf_counter()
                result = conflicts_between(viewer, first, last, kinds=wanted)
                if n:
                    listing[variant].append(perf_counter() - t0)
                if variant == "with":
                    duplicates = sum(item.conflict.kind == "duplicate" for item in result)
        figures["listing"] = listing
        figures["window"] = (first, last, conflict_bench.window_counts(first, last))
        figures["listing_duplicates"] = duplicates
        db.session.remove()
        db.engine.dispose()
    return figures


def report(quality: dict, costs: dict | None) -> None:
    """Print the figures and verdicts."""
    ok = quality["precision"] >= QUALITY_TARGET and quality["recall"] >= QUALITY_TARGET
    print(
        f"(a) labelled title pairs: {quality['pairs']} ({dict(quality['counts'])}), precision "
        f"{quality['precision']:.3f}, recall {quality['recall']:.3f} "
        f"(target >= {QUALITY_TARGET}: {'PASS' if ok else 'FAIL'}; written with the rules, an "
        f"upper bound), {quality['us_per_pair']:.0f} µs per pair (cold)"
    )
    for line in quality["wrong"]:
        print("      " + line)
    if costs is None:
        return
    with_med = statistics.median(costs["checks"]["with"])
    without_med = statistics.median(costs["checks"]["without"])
    target = conflict_bench.CHECK_TARGET_MS
    print(
        f"(b) engine.check, {len(costs['checks']['with'])} proposals: median "
        f"{with_med * 1000:.2f} ms with the duplicate kind, {without_med * 1000:.2f} ms without "
        f"(+{(with_med - without_med) * 1000:.2f} ms); p95 with "
        f"{conflict_bench.pct(costs['checks']['with'], 0.95) * 1000:.2f} ms; target median < "
        f"{target:g} ms: {'PASS' if with_med * 1000 < target else 'FAIL'}; "
        f"{costs['check_duplicates']} duplicate conflicts found"
    )
    first, last, window = costs["window"]
    with_list = statistics.median(costs["listing"]["with"])
    without_list = statistics.median(costs["listing"]["without"])
    target = conflict_bench.LIST_TARGET_S
    print(
        f"(c) conflicts_between {first} – {last} ({window['active']:,} events): median "
        f"{with_list:.3f} s with the duplicate kind, {without_list:.3f} s without; target < "
        f"{target:g} s: {'PASS' if with_list < target else 'FAIL'}; "
        f"{costs['listing_duplicates']} duplicate conflicts"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: print the quality figures and (unless --labelled-only) the costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 proposals, 3 listing runs")
    parser.add_argument("--labelled-only", action="store_true", help="only the labelled set")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    quality = labelled()
    costs = None if args.labelled_only else engine_costs(args.quick)
    report(quality, costs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
