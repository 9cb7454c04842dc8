"""Weekly brief benchmark: building the brief for four weeks of the 100,000-event data set.

On the data set of ``conflict_dataset.py`` (PostgreSQL), in-process: ``app.brief.content.build``
for a comms user (everything) and for a staff member (their view), median of 5 runs after one
warm-up, with the number of SQL statements of one run and the time of each section.

Run alone: ``.venv/bin/python bench/brief_bench.py [--url postgresql+psycopg://...]``; without
``--url`` the conflict data set is built or reused.
"""

import argparse
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import conflict_dataset  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Role, User  # noqa: E402
from app.brief import content  # noqa: E402
from app.extensions import db  # noqa: E402
from config import Config  # noqa: E402

RUNS = 5
TARGET_S = 2.0


def _statements(engine) -> list[str]:
    """Return a list that collects every statement run on the engine from now on."""
    seen: list[str] = []
    sa_event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def _sections(viewer, now: datetime) -> dict[str, float]:
    """Return the seconds of each section of one brief."""
    brief = content.Brief(first=now.date(), last=now.date(), since=now)
    first = content.utc_to_local(now, "Europe/Berlin").date()
    last = first + content.timedelta(weeks=content.WEEKS, days=-1)
    steps = {
        "new and changed": lambda: content._new_and_changed(viewer, first, last, brief.since),
        "conflicts": lambda: content._conflicts(viewer, first, last),
        "vip": lambda: content._vip(viewer, first, last),
        "guests (3+ departments)": lambda: content._guests(viewer, first, last),
        "free evenings": lambda: content._free_evenings(first, last),
    }
    timings = {}
    for name, step in steps.items():
        started = perf_counter()
        step()
        timings[name] = perf_counter() - started
    return timings


def measure(url: str) -> None:
    """Print the medians for comms and staff, the statements of one run and the sections."""
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, ENV_NAME="test")
    with app.app_context(), app.test_request_context():
        now = datetime.now(UTC)
        seen = _statements(db.engine)
        for role in (Role.COMMS, Role.STAFF):
            viewer = db.session.scalars(select(User).where(User.role == role).limit(1)).first()
            content.build(viewer, now)  # warm-up
            timings = []
            for _ in range(RUNS):
                db.session.expunge_all()
                viewer = db.session.get(User, viewer.id)
                started = perf_counter()
                brief = content.build(viewer, now)
                timings.append(perf_counter() - started)
            seen.clear()
            content.build(viewer, now)
            count = len(seen)
            median = statistics.median(timings)
            verdict = "PASS" if median < TARGET_S else "FAIL"
            print(
                f"brief for {role.value}: median {median * 1000:.0f} ms over {RUNS} runs "
                f"(target < {TARGET_S:.0f} s: {verdict}); {count} SQL statements; "
                f"{len(brief.new)} new, {len(brief.changed)} changed, "
                f"{sum(map(len, brief.conflicts.values()))} open conflicts, "
                f"{len(brief.duplicates)} duplicates, {len(brief.vip)} events with VIPs, "
                f"{len(brief.guests)} guests of 3+ departments, "
                f"{len(brief.free_evenings)} free evenings"
            )
            for name, seconds in _sections(viewer, now).items():
                print(f"    {name}: {seconds * 1000:.0f} ms")
        db.session.remove()
        db.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Command line: build or reuse the data set (or use --url) and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an existing database with the conflict data set")
    args = parser.parse_args(argv)
    if args.url:
        conflict_dataset.migrate(args.url)
        url = args.url
    else:
        url = conflict_dataset.ensure().url
    measure(url)


if __name__ == "__main__":
    main()
