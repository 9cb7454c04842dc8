"""Notification benchmark (issue 13): what notifying costs when publishing, and the digest.

On the conflict data set (``conflict_dataset.py``: 100,000 events, PostgreSQL) with 2,000 staff
users added (``notifybench-N@stadt.example``, spread over the departments, kept for later runs):

(a) publishing: ``create_event`` of a published event by a staff member, half of them at the
    venue and time of an existing published event of another department (a clash, so that
    notifications are written), the other half at a random venue and time; each committed as
    the app does, then deleted again (untimed). Interleaved with and without the notification
    steps (``app.conflicts.notices.notify_clashes``, called by the publishing gate, and the
    followers' ``notify_subscribers``, an events hook); prints the medians and the ratio
    (target: at most 1.20), and the same for the clashing half alone. Immediate mails are
    queued by the delivery worker afterwards, so they are not part of it.
(b) the daily digest: 20 digest notifications for each of the 2,000 users (40,000 rows), then
    ``send_digests`` queues one mail per user; prints the time to queue (target under 30 s).
    Rolled back afterwards.

Run alone: ``.venv/bin/python bench/notification_bench.py [--quick]``.
"""

import argparse
import logging
import random
import statistics
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "bench"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import conflict_dataset  # noqa: E402
from flask import current_app  # noqa: E402
from sqlalchemy import delete, func, insert, or_, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import ApiToken, Role, User  # noqa: E402
from app.conflicts import notices  # noqa: E402
from app.departments.models import Department  # noqa: E402
from app.events import hooks  # noqa: E402
from app.events.models import Event, Status  # noqa: E402
from app.events.operations import create_event  # noqa: E402
from app.events.validation import EventInput  # noqa: E402
from app.events.walltime import utc_to_local  # noqa: E402
from app.extensions import db  # noqa: E402
from app.notifications.mails import send_digests  # noqa: E402
from app.notifications.models import Notification  # noqa: E402
from app.subscriptions.notices import notify_subscribers  # noqa: E402
from app.venues.models import Venue  # noqa: E402
from config import Config  # noqa: E402

USERS = 2000
PER_USER = 20
RATIO_TARGET, DIGEST_TARGET_S = 1.20, 30.0
SEED = 13


def _add_users(departments: list[int]) -> None:
    """Add the 2,000 staff users unless an earlier run did (one INSERT)."""
    have = db.session.scalar(
        select(func.count()).select_from(User).where(User.email.like("notifybench-%"))
    )
    if have >= USERS:
        return
    # A real database analyses a table that grew by 2,000 rows on its own (autovacuum); the
    # bench does not wait for that, or the planner would still count the demo's few users.
    now = datetime.now(UTC)
    rows = [
        {
            "email": f"notifybench-{n}@stadt.example",
            "name": f"Bench {n}",
            "role": Role.STAFF,
            "department_id": departments[n % len(departments)],
            "password_hash": "!",
            "active": True,
            "locale": "de",
            "feed_nonce": f"{n:032x}",
            "created_at": now,
            "session_version": 0,
        }
        for n in range(have, USERS)
    ]
    db.session.execute(insert(User), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE users"))
    db.session.commit()


def _inputs(rng: random.Random, count: int, tz: str) -> list[tuple[int, EventInput]]:
    """Return (department id, input) pairs: half clash with a published event, half random."""
    clashing = db.session.execute(
        select(Event.venue_id, Event.starts_at, Event.ends_at, Event.department_id)
        .where(
            Event.status == Status.PUBLISHED,
            Event.venue_id.is_not(None),
            Event.starts_at > datetime.now(UTC),
            Event.all_day.is_(False),
        )
        .order_by(func.random())
        .limit(count // 2)
    ).all()
    venues = list(db.session.scalars(select(Venue.id).where(Venue.exclusive.is_(False))))
    departments = list(db.session.scalars(select(Department.id)))
    result = []
    for n in range(count):
        if n % 2 == 0 and clashing:
            venue_id, start, end, owner = clashing[(n // 2) % len(clashing)]
            department = next(d for d in rng.sample(departments, 3) if d != owner)
        else:
            venue_id = rng.choice(venues)
            start = datetime.now(UTC) + timedelta(
                days=rng.randint(10, 300), hours=rng.randint(0, 12)
            )
            end = start + timedelta(hours=2)
            department = rng.choice(departments)
        local_start, local_end = utc_to_local(start, tz), utc_to_local(end, tz)
        data = EventInput(
            title=f"Benchmark {n}",
            start=local_start,
            end=local_end,
            venue_id=venue_id,
            status="published",
            visibility="internal",
            conflict_reason="Benchmark",
        )
        result.append((department, data))
    return result


def _publish(actor_by_department: dict[int, int], department: int, data: EventInput) -> float:
    """Publish one event as a staff member of the department, committed; return the seconds.

    Timed is what the app does for a publication: create the event (conflict check, the
    notifications) and commit. Then the event and its notifications are deleted again, untimed,
    so that every publication meets the same calendar.
    """
    actor = db.session.get(User, actor_by_department[department])
    event = None
    started = perf_counter()
    try:
        event = create_event(data, actor=actor, now=datetime.now(UTC))
        db.session.commit()
    except Exception:  # a hard conflict at an exclusive venue: counted like a refused request
        db.session.rollback()
        event = None
    elapsed = perf_counter() - started
    if event is not None:
        _forget(event.id)
    return elapsed


def _forget(event_id: int) -> None:
    """Delete a published bench event and the notifications it caused."""
    db.session.execute(
        delete(Notification).where(
            or_(
                Notification.cause.like(f"conflict:{event_id}:%"),
                Notification.cause == f"subscription:{event_id}",
            )
        )
    )
    db.session.execute(delete(Event).where(Event.id == event_id))
    db.session.commit()


def _no_notices(*_args, **_kwargs) -> None:
    """Stand in for the notification steps (the "without" runs)."""


@contextmanager
def _without_notifications():
    """Publish without writing notifications: no clash notices, no followers told."""
    real = notices.notify_clashes
    notices.notify_clashes = _no_notices
    saved = hooks.saved[:]
    hooks.saved[:] = [_no_notices if h is notify_subscribers else h for h in saved]
    try:
        yield
    finally:
        notices.notify_clashes = real
        hooks.saved[:] = saved


def _actors() -> dict[int, int]:
    """Return one bench staff user's id per department."""
    return dict(
        db.session.execute(
            select(User.department_id, func.min(User.id))
            .where(User.role == Role.STAFF, User.email.like("notifybench-%"))
            .group_by(User.department_id)
        ).all()
    )


def measure_publishing(count: int) -> dict:
    """Interleave publishing with and without the notification hook; return the medians."""
    tz = current_app.config["TIMEZONE"]
    rng = random.Random(SEED)  # noqa: S311 - reproducible benchmark
    actors = _actors()
    inputs = [(d, data) for d, data in _inputs(rng, count, tz) if d in actors]
    db.session.rollback()
    times: dict[str, list[float]] = {"with": [], "without": []}
    clashing: dict[str, list[float]] = {"with": [], "without": []}  # the even ones clash
    for n, (department, data) in enumerate(inputs):
        order = ("with", "without") if n % 4 < 2 else ("without", "with")
        for name in order:
            if name == "without":
                with _without_notifications():
                    seconds = _publish(actors, department, data)
            else:
                seconds = _publish(actors, department, data)
            times[name].append(seconds)
            if n % 2 == 0:
                clashing[name].append(seconds)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return medians | {
        "runs": len(inputs),
        "clashing": {name: statistics.median(values) for name, values in clashing.items()},
    }


def _request_body(data: EventInput) -> dict:
    """Return the API body that publishes the event of an input."""
    return {
        "title": data.title,
        "starts_at": data.start.isoformat(timespec="minutes"),
        "ends_at": data.end.isoformat(timespec="minutes"),
        "venue_id": data.venue_id,
        "status": "published",
        "visibility": "internal",
        "conflict_reason": "Benchmark",
    }


def _post(client, token: str, body: dict) -> float:
    """Publish one event through ``POST /api/v1/events``; return the seconds (then delete it)."""
    started = perf_counter()
    response = client.post(
        "/api/v1/events", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    elapsed = perf_counter() - started
    if response.status_code == 201:
        _forget(response.get_json()["id"])
    elif response.status_code != 422:  # 422: a hard conflict at an exclusive venue
        raise RuntimeError(f"publishing failed: {response.status_code} {response.get_data()!r}")
    return elapsed


def measure_requests(count: int) -> dict:
    """Publish through the API as a client does, with and without notifications, interleaved."""
    tz = current_app.config["TIMEZONE"]
    rng = random.Random(SEED)  # noqa: S311 - the same events as measure_publishing
    actors = _actors()
    inputs = [(d, data) for d, data in _inputs(rng, count, tz) if d in actors]
    now = datetime.now(UTC)
    issued = {d: ApiToken.issue(db.session.get(User, uid), now) for d, uid in actors.items()}
    db.session.add_all(token for token, _plain in issued.values())
    db.session.commit()
    client = current_app.test_client()
    times: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for n, (department, data) in enumerate(inputs):
            body, token = _request_body(data), issued[department][1]
            for name in ("with", "without") if n % 4 < 2 else ("without", "with"):
                if name == "without":
                    with _without_notifications():
                        times[name].append(_post(client, token, body))
                else:
                    times[name].append(_post(client, token, body))
    finally:
        db.session.execute(
            delete(ApiToken).where(ApiToken.id.in_([t.id for t, _plain in issued.values()]))
        )
        db.session.commit()
    return {name: statistics.median(values) for name, values in times.items()}


def measure_digest() -> dict:
    """Write 20 digest notifications per bench user and time queueing the digests."""
    users = list(db.session.scalars(select(User.id).where(User.email.like("notifybench-%"))))
    now = datetime.now(UTC)
    rows = [
        {
            "user_id": uid,
            "kind": "conflict",
            "params": {
                "event": f"Fest {k}",
                "other": "Konzert",
                "department": "Amt",
                "conflict": "venue",
            },
            "url": f"/events/{k}",
            "cause": f"bench:{uid}:{k}",
            "delivery": "digest",
            "created_at": now - timedelta(hours=1),
        }
        for uid in users
        for k in range(PER_USER)
    ]
    db.session.execute(insert(Notification), rows)
    db.session.flush()
    started = perf_counter()
    mails = send_digests(now=now)
    db.session.flush()
    elapsed = perf_counter() - started
    db.session.rollback()
    return {"seconds": elapsed, "mails": mails, "notifications": len(rows)}


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the data set, add the users, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 publications instead of 200")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    print("\nNotifications: publishing with and without notifying, and the daily digest")
    info = conflict_dataset.ensure(log=lambda m: print("  " + m))
    app = create_app(
        Config, SQLALCHEMY_DATABASE_URI=info.url, ENV_NAME="test", RATELIMIT_ENABLED=False
    )
    with app.app_context(), app.test_request_context():
        _add_users(list(db.session.scalars(select(Department.id))))
        publishing = measure_publishing(40 if args.quick else 200)
        requests = measure_requests(40 if args.quick else 200)
        digest = measure_digest()
    ratio = requests["with"] / requests["without"]
    ok = "PASS" if ratio <= RATIO_TARGET else "FAIL"
    print(
        f"  publishing through POST /api/v1/events ({publishing['runs']} events, half "
        f"clashing; request, checks, notifications, commit): median "
        f"{requests['with'] * 1000:.1f} ms with notifications, "
        f"{requests['without'] * 1000:.1f} ms without; ratio {ratio:.2f} "
        f"(target <= {RATIO_TARGET:.2f}) {ok}"
    )
    print(
        f"  the publishing operation alone (create_event and commit): median "
        f"{publishing['with'] * 1000:.1f} ms with, {publishing['without'] * 1000:.1f} ms "
        f"without; ratio {publishing['with'] / publishing['without']:.2f}"
    )
    clash = publishing["clashing"]
    print(
        f"  of which the clashing half (about 40 staff told per clash): median "
        f"{clash['with'] * 1000:.1f} ms with, {clash['without'] * 1000:.1f} ms without; "
        f"ratio {clash['with'] / clash['without']:.2f}"
    )
    ok = "PASS" if digest["seconds"] < DIGEST_TARGET_S else "FAIL"
    print(
        f"  daily digest: {digest['mails']:,} mails for {digest['notifications']:,} "
        f"notifications queued in {digest['seconds']:.1f} s (target < {DIGEST_TARGET_S:.0f} s) {ok}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
