"""Duplicate-detection benchmark: quality on the labelled pairs and the speed of the lookups.

(a) Every pair of ``tests/data/person_pairs.csv`` goes through ``compare()``; a pair counts as
proposed when it returns a Match. Prints precision, recall and F1 (targets >= 0.95 / >= 0.90),
the first false positives and negatives, and the time per ``compare()`` call on fresh probes
(nothing cached) and on warm ones.
(b) Unless ``--no-db``: 50,000 generated contacts (German names with a realistic surname
frequency, half at free-mail providers, the rest at a few large and 3,000 small employers, a
third with an organisation) in the PostgreSQL database ``stadtkalender_dedupbench``
(created, migrated and dropped here); times ``candidates_for`` for 300 probes (target: median
under 10 ms) and the review list ``candidate_pairs`` once.

Run alone: ``.venv/bin/python bench/dedup_bench.py [--quick] [--no-db]``.
"""

import argparse
import csv
import logging
import os
import random
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from app.contacts import dedup, dedup_scoring  # noqa: E402
from app.contacts.candidates import candidate_pairs, candidates_for  # noqa: E402
from app.contacts.models import Contact  # noqa: E402
from app.extensions import db  # noqa: E402
from config import Config  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "person_pairs.csv"
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "stadtkalender_dedupbench"
PRECISION, RECALL, LOOKUP_MS = 0.95, 0.90, 10.0
CONTACTS, PROBES = 50_000, 300

# The most frequent German surnames (Müller first), then a long tail built from syllables.
# fmt: off
COMMON = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz",
    "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller", "Günther",
    "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht",
    "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher", "Krämer",
    "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas",
    "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel",
    "Horn", "Busch", "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer",
    "Yılmaz", "Kaya", "Demir", "Kowalski", "Nowak", "Brinkmann", "Terhorst", "Hölscher",
]
FIRST = [
    "Markus", "Marcus", "Stefan", "Stephan", "Christoph", "Thomas", "Andreas", "Michael", "Peter",
    "Petra", "Sabine", "Anja", "Julia", "Katrin", "Kathrin", "Jürgen", "Karl", "Carl", "Klaus",
    "Claudia", "Matthias", "Philipp", "Ralf", "Susanne", "Heike", "Birgit", "Nicole", "Daniel",
    "Daniela", "Jan", "Jana", "Anna", "Hanna", "Lena", "Lea", "Paul", "Paula", "Martin", "Uwe",
    "Ute", "Dirk", "Frank", "Jens", "Tobias", "Sven", "Lars", "Heinz", "Wolfgang", "Monika",
]
SYLLABLES = ["brink", "kamp", "horst", "mann", "hof", "berg", "feld", "haus", "meier", "beck",
             "wald", "stein", "busch", "rath", "kötter", "lohe", "siek", "dieck", "wessel", "ter"]
ORGS = ["Ruhr Kultur e. V.", "Stadtwerke Bochum GmbH", "Theater im Depot e.V.",
        "Westfalen Energie AG", "Kulturbüro Nordstadt gGmbH", "Stadt Dortmund", "IHK zu Dortmund",
        "Heimatverein Hörde e. V.", "Musikschule Klangwerk GmbH", "Rat der Stadt"]
DOMAINS = ["gmx.de", "web.de", "t-online.de", "gmail.com", "ruhr-kultur.de", "stadtdo.de",
           "westfalen-energie.de", "theater-im-depot.de", "example.org"]
# fmt: on


def _pairs() -> list[tuple[dedup_scoring.Probe, dedup_scoring.Probe, bool, str]]:
    """Return the labelled pairs as probes with their label and note."""
    with PAIRS.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    def side(row: dict, s: str) -> dedup_scoring.Probe:
        return dedup_scoring.Probe(*(row[f"{s}_{n}"] for n in ("first", "last", "email", "org")))

    return [(side(r, "a"), side(r, "b"), r["same"] == "1", r["note"]) for r in rows]


def quality(rounds: int) -> dict:
    """Score the labelled set and time compare() on fresh and on warm probes."""
    pairs = _pairs()
    proposed = [dedup_scoring.compare(a, b) is not None for a, b, _same, _note in pairs]
    tp = sum(p and s for p, (_a, _b, s, _n) in zip(proposed, pairs, strict=True))
    fp = [(a, b, n) for p, (a, b, s, n) in zip(proposed, pairs, strict=True) if p and not s]
    fn = [(a, b, n) for p, (a, b, s, n) in zip(proposed, pairs, strict=True) if s and not p]
    precision, recall = tp / ((tp + len(fp)) or 1), tp / ((tp + len(fn)) or 1)
    fresh, warm = [], []
    for _ in range(rounds):
        copies = [(_copy(a), _copy(b)) for a, b, _s, _n in pairs]
        started = perf_counter()
        for a, b in copies:
            dedup_scoring.compare(a, b)
        fresh.append((perf_counter() - started) / len(copies))
        started = perf_counter()
        for a, b in copies:
            dedup_scoring.compare(a, b)
        warm.append((perf_counter() - started) / len(copies))
    return {
        "pairs": len(pairs),
        "positives": sum(s for _a, _b, s, _n in pairs),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / ((precision + recall) or 1),
        "fp": fp,
        "fn": fn,
        "fresh_us": statistics.median(fresh) * 1e6,
        "warm_us": statistics.median(warm) * 1e6,
    }


def _copy(probe: dedup_scoring.Probe) -> dedup_scoring.Probe:
    """Return a probe with the same fields and nothing cached."""
    return dedup_scoring.Probe(probe.first_name, probe.last_name, probe.email, probe.organisation)


def _label(probe: dedup_scoring.Probe) -> str:
    """Return "First Last <email> (org)" for the report."""
    org = f" ({probe.organisation})" if probe.organisation else ""
    return f"{probe.first_name} {probe.last_name} <{probe.email}>{org}"


_WEIGHTS = [rank**-0.5 for rank in range(1, len(COMMON) + 1)]


def _surname(rng: random.Random) -> str:
    """Return a surname: one of the frequent ones (a fifth, Müller about 1 %) or the long tail."""
    if rng.random() < 0.2:
        return rng.choices(COMMON, weights=_WEIGHTS)[0]
    return "".join(rng.sample(SYLLABLES, rng.choice((2, 3)))).capitalize()


def _domain(rng: random.Random) -> str:
    """Return a mail domain: a free-mail provider (half), one of ours, or one of 3,000 firms."""
    if rng.random() < 0.5:
        return rng.choice(DOMAINS[:4])
    if rng.random() < 0.2:
        return rng.choice(DOMAINS[4:])
    return f"firma{rng.randrange(3000)}-{rng.choice(SYLLABLES)}.de"


def _contact_rows(rng: random.Random, now: datetime) -> list[dict]:
    """Return CONTACTS contact rows with the keys the address book computes."""
    rows = []
    for i in range(CONTACTS):
        first, last = rng.choice(FIRST), _surname(rng)
        local = dedup.fold_plain(f"{first}.{last}").replace(" ", "")
        email = dedup.normalise_email(f"{local}{i}@{_domain(rng)}")
        full = f"{first} {last}"
        rows.append(
            {
                "first_name": first,
                "last_name": last,
                "email": email,
                "email_key": dedup.email_key(email),
                "mailbox_key": dedup.mailbox_key(email),
                "name_key": dedup.name_key(full),
                "phonetic_key": dedup.phonetic_key(last),
                "organisation": rng.choice(ORGS) if rng.random() < 0.33 else "",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def lookups(quick: bool) -> dict:
    """Time candidates_for and candidate_pairs on CONTACTS generated contacts (PostgreSQL)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=f"{base}/{DATABASE}", ENV_NAME="test")
    rng = random.Random(10)
    try:
        with app.app_context():
            upgrade()
            rows = _contact_rows(rng, datetime.now(UTC))
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(Contact), rows[start : start + 5000])
            db.session.commit()
            db.session.execute(db.text("ANALYZE contacts"))
            probes = [_probe_from(rng.choice(rows), rng) for _ in range(60 if quick else PROBES)]
            times, found = [], []
            for probe in probes:
                started = perf_counter()
                found.append(len(candidates_for(db.session, probe)))
                times.append((perf_counter() - started) * 1000)
            started = perf_counter()
            pairs = candidate_pairs(db.session)
            review_s = perf_counter() - started
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    times.sort()
    return {
        "probes": len(times),
        "median_ms": statistics.median(times),
        "p95_ms": times[int(len(times) * 0.95) - 1],
        "found": statistics.mean(found),
        "review_s": review_s,
        "review_pairs": len(pairs),
    }


def _probe_from(row: dict, rng: random.Random) -> dedup_scoring.Probe:
    """Return a probe as staff would type it: the contact again, another spelling, or new."""
    first, last, email = row["first_name"], row["last_name"], row["email"]
    local, _at, domain = email.rpartition("@")
    kind = rng.choice(("again", "variant", "new"))
    if kind == "variant":
        first = {"Markus": "Marcus", "Karl": "Carl", "Stefan": "Stephan"}.get(first, first)
        email = f"{first[0].lower()}.{local.split('.', 1)[-1]}@{domain}"
    elif kind == "new":
        first, email = rng.choice(FIRST), f"neu{rng.randrange(10**6)}@example.net"
    return dedup_scoring.Probe(first, last, email, row["organisation"])


def report(result: dict, timing: dict | None) -> None:
    """Print the figures with PASS/FAIL against the targets."""
    flag = {True: "PASS", False: "FAIL"}
    negatives = result["pairs"] - result["positives"]
    print(f"\nDuplicate detection ({result['pairs']} labelled pairs, "
          f"{result['positives']} same person, {negatives} not)")  # fmt: skip
    print(f"  precision {result['precision']:.3f} (target >= {PRECISION})  "
          f"{flag[result['precision'] >= PRECISION]}")  # fmt: skip
    print(f"  recall    {result['recall']:.3f} (target >= {RECALL})  "
          f"{flag[result['recall'] >= RECALL]}")  # fmt: skip
    print(f"  F1        {result['f1']:.3f}")
    print(f"  compare() {result['fresh_us']:.1f} µs per call on fresh probes, "
          f"{result['warm_us']:.1f} µs with the keys cached")  # fmt: skip
    for title, items in (("False positives", result["fp"]), ("False negatives", result["fn"])):
        print(f"  {title} ({len(items)}, first 10):")
        for a, b, note in items[:10]:
            print(f"    - {_label(a)} / {_label(b)}: {note}")
    if timing:
        print(f"  candidates_for over {CONTACTS:,} contacts, {timing['probes']} probes: median "
              f"{timing['median_ms']:.1f} ms, p95 {timing['p95_ms']:.1f} ms "
              f"(target median < {LOOKUP_MS:.0f} ms) {flag[timing['median_ms'] < LOOKUP_MS]}; "
              f"{timing['found']:.1f} candidates on average")  # fmt: skip
        print(f"  review list (candidate_pairs): {timing['review_s']:.2f} s, "
              f"{timing['review_pairs']} pairs")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and probes")
    parser.add_argument("--no-db", action="store_true", help="skip the database lookups")
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    result = quality(rounds=3 if args.quick else 20)
    timing = None
    if not args.no_db:
        try:
            timing = lookups(args.quick)
        except psycopg.OperationalError as error:
            print(f"  (database lookups skipped: {error})")
    report(result, timing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
