"""Entry point of ``make bench``: build (or reuse) the data set and run every benchmark.

Usage: ``.venv/bin/python bench/run_all.py [--rebuild] [--quick] [--profile]``

--rebuild   drop and recreate the benchmark databases even if they hold the 20,000 events
            (calendar) and the 100,000 events (conflicts)
--quick     at most 3 timed runs per measurement (a smoke test; the figures are rough)
--profile   run cProfile once on every measurement behind a failed target and print the top
            (the conflict benchmark profiles its check and its listing)
"""

import argparse
import logging
import sys
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import audit_bench  # noqa: E402
import brief_bench  # noqa: E402
import calendar_bench  # noqa: E402
import conflict_bench  # noqa: E402
import dataset  # noqa: E402
import dedup_bench  # noqa: E402
import duplicate_bench  # noqa: E402
import inbound_bench  # noqa: E402
import invite_bench  # noqa: E402
import mail_bench  # noqa: E402
import notification_bench  # noqa: E402
import portal_bench  # noqa: E402
import privacy_bench  # noqa: E402

NOISE = (
    "Note: this machine is shared and noisy; absolute figures vary from run to run. The ratios "
    "measured within one run (endpoint vs. bare SQL, feed vs. icalendar baseline) are what counts."
)


def main(argv: list[str] | None = None) -> int:
    """Run everything and print the report; return 0 (FAILed targets are reported, not fatal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="recreate the benchmark database")
    parser.add_argument("--quick", action="store_true", help="at most 3 runs per measurement")
    parser.add_argument("--profile", action="store_true", help="cProfile the failed targets")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    started = perf_counter()
    info = dataset.ensure(rebuild=args.rebuild)
    bench = calendar_bench.CalendarBench(info, quick=args.quick)
    print()
    print(calendar_bench.header(info, bench))
    print(NOISE)
    results = bench.run()
    if args.profile:
        print("\nProfiling the failed targets (one call each) ...")
        bench.profile_failures()

    print("\nNotes")
    for note in results.notes:
        print(f"  - {note}")
    for key, text in results.profiles.items():
        print(f"\ncProfile of {key} (one call)\n{text}")

    print(
        "\nTargets (PASS/FAIL on the median; Indico: 3.3, same machine class, "
        "20,000 events; our goal is >= 10x faster)"
    )
    print(calendar_bench.table(results))
    print(NOISE)
    if not args.profile and not all(t.passed for t in results.targets):
        print("Run with --profile to see cProfile reports of the paths behind failed targets.")
    invite_bench.main()
    print("\nMail delivery (pre-built invitation-sized mails, worker vs. bare smtplib)")
    mail_bench.main(["--count", "1000", "--rounds", "3"] if args.quick else [])
    dedup_bench.main(["--quick"] if args.quick else [])
    audit_bench.main(["--quick"] if args.quick else [])
    conflict_args = [
        flag
        for flag, wanted in (
            ("--rebuild", args.rebuild),
            ("--quick", args.quick),
            ("--profile", args.profile),
        )
        if wanted
    ]
    conflict_bench.main(conflict_args)
    privacy_bench.main(["--contacts", "20000", "--invitations", "100000"] if args.quick else [])
    notification_bench.main(["--quick"] if args.quick else [])
    print("\nDuplicate events (labelled title pairs; engine cost with and without the kind)")
    duplicate_bench.main(["--quick"] if args.quick else [])
    print("\nWeekly brief (four weeks on the conflict data set)")
    brief_bench.main([])
    print("\nInbound mail (calendar replies from files, and over SMTP against a bare server)")
    inbound_bench.main(["--count", "3000", "--rounds", "1"] if args.quick else [])
    portal_bench.main(
        [flag for flag, wanted in (("--quick", args.quick), ("--rebuild", args.rebuild)) if wanted]
    )
    print(f"Total benchmark time {perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
