"""Open data files: exactly the public events, parsed back and compared with the database."""

import csv
import io
from datetime import datetime

from app.events.models import Event, Status
from app.events.operations import set_status
from app.extensions import db
from tests.factories import NOW, make_audience, make_event, make_user, make_venue


def _calendar(staff):
    """Create public, hidden, cancelled and old events; return (shown, hidden) title sets."""
    venue = make_venue(name="Rathaus", address="Friedensplatz 1, 44135 Dortmund")
    make_audience("presse", "Presse")
    make_event(
        staff,
        title="Sommerfest",
        status="published",
        visibility="public",
        venue_id=venue.id,
        audiences=["presse"],
        description='=HYPERLINK("http://evil")',
    )
    cancelled = make_event(staff, title="Abgesagt", status="published", visibility="public")
    set_status(cancelled, Status.CANCELLED, actor=staff, now=NOW)
    make_event(staff, title="Entwurf", visibility="public")
    make_event(staff, title="Intern", status="published", visibility="internal")
    make_event(staff, title="Vertraulich", status="published", visibility="confidential")
    make_event(staff, title="Nie veröffentlicht", visibility="public").status = Status.CANCELLED
    old = datetime(2025, 10, 1, 18, 0)
    make_event(staff, title="Vorjahr", status="published", visibility="public", start=old)
    db.session.commit()
    return {"Sommerfest", "Abgesagt"}


def test_json_lists_exactly_the_public_events_with_every_documented_field(client):
    staff = make_user()
    shown = _calendar(staff)
    response = client.get("/opendata/events.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "Set-Cookie" not in response.headers
    document = response.get_json()
    assert document["license"]["id"] == "dl-de/by-2-0"
    assert document["license"]["url"] == "https://www.govdata.de/dl-de/by-2-0"
    assert 'rel="license"' in response.headers["Link"]
    assert {e["title"] for e in document["events"]} == shown
    record = next(e for e in document["events"] if e["title"] == "Sommerfest")
    event = db.session.get(Event, record["id"])
    assert list(record) == list(document["fields"])
    assert record["uid"] == event.uid and record["status"] == "scheduled"
    assert datetime.fromisoformat(record["start"]) == event.starts_at
    assert datetime.fromisoformat(record["end"]) == event.ends_at
    assert record["start"].endswith("+01:00")  # local time, November in Berlin
    assert record["venue"] == "Rathaus" and record["address"].startswith("Friedensplatz")
    assert record["audiences"] == ["Presse"]
    assert record["organiser"] == staff.department.name
    assert record["organiser_code"] == staff.department.code
    assert record["url"] == f"http://stadtkalender.test/events/{event.id}"
    assert record["description"] == event.description  # JSON keeps the text as it is
    cancelled = next(e for e in document["events"] if e["title"] == "Abgesagt")
    assert cancelled["status"] == "cancelled"


def test_csv_parses_back_to_the_same_records_as_the_json(client):
    staff = make_user()
    _calendar(staff)
    as_json = client.get("/opendata/events.json").get_json()
    response = client.get("/opendata/events.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["id"] for r in rows] == [str(e["id"]) for e in as_json["events"]]
    for row, record in zip(rows, as_json["events"], strict=True):
        assert list(row) == list(as_json["fields"])
        assert row["title"] == record["title"] and row["start"] == record["start"]
        assert row["audiences"] == " | ".join(record["audiences"])
        assert row["all_day"] == ("true" if record["all_day"] else "false")
    summer = next(r for r in rows if r["title"] == "Sommerfest")
    assert summer["description"] == '\'=HYPERLINK("http://evil")'  # no formula in a spreadsheet


def test_open_data_answers_304_and_changes_with_the_calendar(client, app):
    staff = make_user()
    _calendar(staff)
    first = client.get("/opendata/events.csv")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    tag, stamp = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get("/opendata/events.csv", headers={"If-None-Match": tag}).status_code == 304
    assert (
        client.get("/opendata/events.csv", headers={"If-Modified-Since": stamp}).status_code == 304
    )
    assert client.get("/opendata/events.json", headers={"If-None-Match": tag}).status_code == 200
    make_event(staff, title="Neu", status="published", visibility="public")
    db.session.commit()
    again = client.get("/opendata/events.csv", headers={"If-None-Match": tag})
    assert again.status_code == 200 and "Neu" in again.get_data(as_text=True)
    app.config["OPEN_DATA_LICENSE"] = "cc0-1.0"
    assert client.get("/opendata/events.json").get_json()["license"]["name"] == "CC0 1.0"
