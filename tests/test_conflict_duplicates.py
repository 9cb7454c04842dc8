"""The ``duplicate`` conflict kind: titles, day window, departments, masking, API and views."""

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import Role
from app.conflicts import listing
from app.conflicts.engine import Proposal, check
from app.conflicts.gate import overrides_of
from app.conflicts.models import Severity
from app.errors import ValidationError
from app.events import titles
from app.events.operations import proposal_for, set_status, update_event
from app.events.validation import EventInput
from app.extensions import db
from app.notifications import kinds
from app.notifications.models import Notification
from tests.conftest import Browser
from tests.factories import (
    NOW,
    PASSWORD,
    api_headers,
    event_form,
    make_event,
    make_user,
    make_venue,
)

PAIRS = Path(__file__).parent / "data" / "event_title_pairs.csv"
FIRST, LAST = date(2027, 2, 1), date(2027, 2, 28)


def labelled_pairs() -> list[dict]:
    """Return the labelled title pairs."""
    with PAIRS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def precision_recall(rows: list[dict]) -> tuple[float, float, list[dict]]:
    """Return precision, recall and the wrongly judged pairs of the labelled set."""
    tp = fp = fn = 0
    wrong = []
    for row in rows:
        got = titles.similar(
            row["title_a"], row["title_b"], same_venue_and_day=row["same_venue"] == "1"
        )
        want = row["same"] == "1"
        tp += got and want
        fp += got and not want
        fn += want and not got
        if got != want:
            wrong.append(row)
    return tp / (tp + fp), tp / (tp + fn), wrong


def _duplicates(conflicts):
    return [c for c in conflicts if c.kind == "duplicate"]


def _check(event, viewer):
    return _duplicates(check(Proposal.from_event(event), viewer))


def test_the_labelled_set_has_precision_and_recall_of_at_least_0_9():
    rows = labelled_pairs()
    assert len(rows) >= 200
    assert sum(r["same"] == "1" for r in rows) >= 80 and sum(r["same"] == "0" for r in rows) >= 80
    precision, recall, wrong = precision_recall(rows)
    assert precision >= 0.9 and recall >= 0.9, wrong


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Bürgerdialog Hörde", "Buergerdialog in Hörde 2027", True),
        ("Bürgerdialog Hörde", "Bürgerdialog Hombruch", False),
        ("3. Stadtteilfest Eving", "Stadtteilfest Eving 2027", True),
        ("Empfang", "Neujahrsempfang", False),
        ("Tag der offenen Tür Feuerwache 1", "Tag der offenen Tür Feuerwache 2", False),
        ("Führung: Rathaus", "Rathausführung", True),
        ("–", "–", False),
    ],
)
def test_titles_are_compared_after_normalisation(a, b, same):
    assert titles.similar(a, b) is same


def test_another_departments_event_with_a_similar_title_is_a_warning(app):
    mine, theirs = make_user(), make_user()
    other = make_event(
        theirs, status="published", title="3. Stadtteilfest Eving", start=datetime(2027, 2, 6, 14)
    )
    make_event(
        theirs, status="published", title="Stadtteilfest Brechten", start=datetime(2027, 2, 6, 14)
    )
    event = make_event(mine, title="Stadtteilfest Eving 2027", start=datetime(2027, 2, 6, 11))
    (hit,) = _check(event, mine)
    assert hit.severity == Severity.WARNING and hit.event_ids == [event.id, other.id]
    assert "3. Stadtteilfest Eving" in hit.message and theirs.department.name in hit.message
    assert hit.details["other"]["id"] == other.id
    assert hit.key == f"duplicate:{min(event.id, other.id)}:{max(event.id, other.id)}"


def test_own_department_and_cancelled_events_are_no_duplicates(app):
    mine, theirs = make_user(), make_user()
    colleague = make_user(department=mine.department)
    make_event(colleague, title="Bürgerdialog Hörde", start=datetime(2027, 2, 3, 18))
    cancelled = make_event(
        theirs, status="published", title="Bürgerdialog Hörde", start=datetime(2027, 2, 3, 18)
    )
    set_status(cancelled, "cancelled", actor=theirs, now=NOW)
    event = make_event(mine, title="Bürgerdialog Hörde", start=datetime(2027, 2, 3, 17))
    assert _check(event, mine) == []


def test_the_day_window_is_local_days_across_midnight_and_dst(app):
    mine, theirs = make_user(), make_user()
    # 22:00 until 01:00 touches 3 and 4 February; the day after that (5th) is still near.
    late = make_event(
        mine,
        title="Museumsnacht",
        start=datetime(2027, 2, 3, 22),
        end=datetime(2027, 2, 4, 1),
    )
    near = make_event(
        theirs, status="published", title="Museumsnacht 2027", start=datetime(2027, 2, 5, 18)
    )
    make_event(
        theirs, status="published", title="Museumsnacht", start=datetime(2027, 2, 6, 18)
    )  # two days on
    assert [c.event_ids for c in _check(late, mine)] == [[late.id, near.id]]
    # Spring forward (28 March 2027): 23:30 on the 26th and 00:30 on the 28th are one UTC day
    # apart but two local days: no duplicate; 00:30 on the 27th is the next local day.
    friday = make_event(
        mine, title="Lange Nacht der Industriekultur", start=datetime(2027, 3, 26, 23, 30),
        end=datetime(2027, 3, 26, 23, 59),
    )  # fmt: skip
    make_event(
        theirs,
        status="published",
        title="Nacht der Industriekultur",
        start=datetime(2027, 3, 28, 0, 30),
        end=datetime(2027, 3, 28, 1, 30),
    )
    assert _check(friday, mine) == []
    saturday = make_event(
        theirs,
        status="published",
        title="Nacht der Industriekultur",
        start=datetime(2027, 3, 27, 0, 30),
    )
    assert [c.event_ids for c in _check(friday, mine)] == [[friday.id, saturday.id]]


def test_same_venue_on_the_same_day_takes_a_less_similar_title(app):
    mine, theirs = make_user(), make_user()
    hall, other_hall = make_venue(name="Rathaus"), make_venue(name="Stadthaus")
    other = make_event(
        theirs,
        status="published",
        title="Vortrag Klimawandel",
        venue_id=hall.id,
        start=datetime(2027, 2, 9, 10),
    )
    event = make_event(
        mine, title="Vortrag Klima", venue_id=other_hall.id, start=datetime(2027, 2, 9, 18)
    )
    score = titles.score(titles.normalise(event.title), titles.normalise(other.title))
    assert titles.SAME_VENUE_THRESHOLD <= score < titles.THRESHOLD
    assert _check(event, mine) == []
    event.venue_id = hall.id
    db.session.flush()
    assert [c.event_ids for c in _check(event, mine)] == [[event.id, other.id]]
    # The next day at the same venue the usual threshold applies again.
    later = make_event(
        mine, title="Vortrag Klima", venue_id=hall.id, start=datetime(2027, 2, 10, 18)
    )
    assert _check(later, mine) == []


def test_a_confidential_event_is_no_duplicate_for_staff_but_for_comms(app):
    mine, theirs = make_user(), make_user()
    comms = make_user(Role.COMMS, department=None)
    secret = make_event(
        theirs,
        status="published",
        title="Neujahrsempfang des Oberbürgermeisters",
        visibility="confidential",
        start=datetime(2027, 2, 2, 18),
    )
    event = make_event(mine, title="Neujahrsempfang", start=datetime(2027, 2, 2, 19))
    assert _check(event, mine) == []  # no "Reserved" hint: it would reveal the hidden title
    (hit,) = _check(event, comms)
    assert "Oberbürgermeisters" in hit.message
    staff_list = listing.conflicts_between(mine, FIRST, LAST, kinds={"duplicate"})
    assert staff_list == []
    (listed,) = listing.conflicts_between(comms, FIRST, LAST, kinds={"duplicate"})
    assert listed.conflict.event_ids == sorted([event.id, secret.id])


def test_the_listing_finds_pairs_in_the_window_and_at_its_edges(app):
    one, two, three = make_user(), make_user(), make_user()
    comms = make_user(Role.COMMS, department=None)
    a = make_event(one, title="Seniorenfrühstück Aplerbeck", start=datetime(2027, 2, 28, 9))
    b = make_event(
        two,
        status="published",
        title="Seniorenfruehstueck in Aplerbeck",
        start=datetime(2027, 3, 1, 9),
    )
    make_event(three, title="Seniorenfrühstück Brackel", start=datetime(2027, 2, 28, 9))
    make_event(three, title="Sportabzeichen-Tag Eving", start=datetime(2027, 2, 27, 9))
    (listed,) = listing.conflicts_between(comms, FIRST, LAST, kinds={"duplicate"})
    assert listed.conflict.event_ids == [a.id, b.id] and listed.conflict.day == LAST
    assert "Seniorenfrühstück Aplerbeck" in str(listed.conflict.message)
    found = listing.find(comms, listed.conflict.key, FIRST, LAST)
    assert found is not None and found.conflict.fingerprint == listed.conflict.fingerprint
    # Staff of a department involved see it; the third department does not.
    assert len(listing.conflicts_between(one, FIRST, LAST, kinds={"duplicate"})) == 1
    assert listing.conflicts_between(three, FIRST, LAST, kinds={"duplicate"}) == []


def test_publishing_a_duplicate_asks_for_a_reason(client):
    mine, theirs = make_user(), make_user()
    make_event(theirs, status="published", title="Jobmesse", start=datetime(2027, 2, 10, 10))
    headers = api_headers(mine)
    body = {
        "title": "Jobmesse 2027",
        "starts_at": "2027-02-10T09:00",
        "ends_at": "2027-02-10T16:00",
        "visibility": "public",
        "status": "published",
    }
    response = client.post("/api/v1/events", json=body, headers=headers)
    assert response.status_code == 422 and "conflict_reason" in response.json["errors"]
    body["conflict_reason"] = "Abgestimmt"
    assert client.post("/api/v1/events", json=body, headers=headers).status_code == 201


def test_renaming_into_a_duplicate_asks_for_a_reason_and_tells_the_other_department(app):
    mine, theirs = make_user(), make_user()
    hall = make_venue(name="Saal B")
    start = datetime(2027, 2, 12, 18)
    make_event(theirs, status="published", title="Jobmesse", start=start)
    # Published over a venue warning (another department's event in the same hall).
    make_event(theirs, status="published", title="Chorprobe", venue_id=hall.id, start=start)
    event = make_event(mine, status="published", title="Sommerfest", venue_id=hall.id, start=start)
    typo = EventInput.from_event(event).replace(title="Sommerfest!", conflict_reason="")
    update_event(event, typo, actor=mine, now=NOW)  # no new duplicate: the warnings stay answered
    db.session.commit()
    renamed = EventInput.from_event(event).replace(title="Jobmesse 2027", conflict_reason="")
    with pytest.raises(ValidationError) as refused:
        update_event(event, renamed, actor=mine, now=NOW)
    assert "conflict_reason" in refused.value.errors
    db.session.rollback()
    update_event(event, renamed.replace(conflict_reason="Gemeinsam geplant"), actor=mine, now=NOW)
    db.session.commit()
    override, first = overrides_of(event.id)  # newest first; the first was the venue warning
    assert first.reason == "Testlauf" and "Chorprobe" in first.warnings
    assert override.reason == "Gemeinsam geplant" and "Jobmesse" in override.warnings
    assert "Chorprobe" not in override.warnings  # only the new duplicate needed the reason
    told = db.session.scalars(select(Notification).filter_by(user_id=theirs.id)).all()
    with force_locale("de"):
        texts = sorted(kinds.message(n.kind, n.params) for n in told)
    assert len(texts) == 2 and "Chorprobe" in texts[0]  # the venue clash when it was published
    assert "Jobmesse" in texts[1] and "Jobmesse 2027" in texts[1]  # and now the duplicate


def test_api_check_list_and_kind_filter(client):
    mine, theirs = make_user(), make_user()
    other = make_event(
        theirs, status="published", title="Girls' Day im Rathaus", start=datetime(2027, 2, 11, 9)
    )
    make_event(mine, title="Girls Day Rathaus", start=datetime(2027, 2, 11, 10))
    headers = api_headers(mine)
    body = {"title": "Girls Day – Rathaus", "starts_at": "2027-02-11T09:00"}
    body["ends_at"] = "2027-02-11T12:00"
    checked = client.post("/api/v1/conflicts/check", json=body, headers=headers).json
    (hit,) = [c for c in checked["conflicts"] if c["kind"] == "duplicate"]
    assert hit["severity"] == "warning" and hit["event_ids"] == [other.id]
    assert hit["details"]["other"]["title"] == "Girls' Day im Rathaus"
    url = "/api/v1/conflicts?from=2027-02-01&to=2027-02-28&kind=duplicate"
    (listed,) = client.get(url, headers=headers).json["conflicts"]
    assert listed["kind"] == "duplicate" and listed["state"] == "open"
    spec = client.get("/api/v1/openapi.json", headers=headers).json
    assert "duplicate" in str(spec)


def test_the_comms_view_filter_export_and_event_form_show_duplicates(app, client):
    mine, theirs = make_user(), make_user()
    make_event(
        theirs,
        status="published",
        title="Sommerfest im Westfalenpark",
        start=datetime(2027, 2, 13, 12),
    )
    make_event(mine, title="Familien-Sommerfest Westfalenpark", start=datetime(2027, 2, 13, 14))
    comms = make_user(Role.COMMS, department=None)
    db.session.commit()
    browser = Browser(client)
    browser.login(comms.email, PASSWORD)
    page = browser.get("/conflicts/?from=2027-02-01&to=2027-02-28&kind=duplicate")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="duplicate"' in text
    assert "Sommerfest im Westfalenpark" in text and theirs.department.name in text
    export = browser.get("/conflicts/export.csv?from=2027-02-01&to=2027-02-28&kind=duplicate")
    rows = export.data.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and "Familien-Sommerfest Westfalenpark" in rows[1]
    staff = Browser(app.test_client())
    staff.login(mine.email, PASSWORD)
    form = event_form(
        mine.department.code, "Sommerfest Westfalenpark", "2027-02-13", "15:00", "18:00"
    )
    panel = staff.post("/conflicts/check", form, form_page="/events/new").get_data(as_text=True)
    assert "Sommerfest im Westfalenpark" in panel and theirs.department.name in panel


def test_an_empty_or_placeholder_title_is_no_duplicate(app):
    mine, theirs = make_user(), make_user()
    make_event(theirs, status="published", title="–", start=datetime(2027, 2, 3, 18))
    data = EventInput(title="–", start=datetime(2027, 2, 3, 18), end=datetime(2027, 2, 3, 19))
    assert _duplicates(check(proposal_for(data, actor=mine), mine)) == []
