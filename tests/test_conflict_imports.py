"""Importing blocked ranges (ICS file or address) and school holidays (ICS or CSV); their pages."""

import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select

from app.accounts.models import Role
from app.conflicts.cli import conflicts_cli
from app.conflicts.holiday_imports import import_school_holidays
from app.conflicts.imports import fetch_ics, import_blocked_ics
from app.conflicts.models import BlockedRange, SchoolHoliday, Severity
from app.errors import ValidationError
from app.extensions import db
from app.vocabularies.models import District
from tests.factories import NOW, login
from tests.website import Site

TZ = "Europe/Berlin"


@pytest.fixture
def app(app):
    """Return the app without the school holidays that the migration seeds."""
    db.session.execute(delete(SchoolHoliday))
    db.session.commit()
    return app


def ics(*events: str) -> bytes:
    """Return a calendar with the given VEVENT bodies (lines separated by newlines)."""
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//EN\n{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


STADTFEST = (
    "UID:stadtfest@example\nSUMMARY:Stadtfest\n"
    "DTSTART;VALUE=DATE:20260704\nDTEND;VALUE=DATE:20260706"
)
MARATHON = (
    "UID:marathon@example\nSUMMARY:Marathon\n"
    "DTSTART;TZID=Europe/Berlin:20260913T080000\nDTEND;TZID=Europe/Berlin:20260913T160000"
)


def run_import(data: bytes, **overrides):
    """Import blocked ranges with defaults for what the test does not care about."""
    values = {
        "source": "test.ics",
        "district": None,
        "severity": Severity.WARNING,
        "actor": None,
        "now": NOW,
        "tz": TZ,
    } | overrides
    return import_blocked_ics(data, **values)


def ranges() -> list[BlockedRange]:
    """Return all blocked ranges by start."""
    return db.session.scalars(select(BlockedRange).order_by(BlockedRange.starts_at)).all()


def test_imported_titles_are_one_line_and_notes_lose_control_characters(app):
    event = (
        "UID:wahl\nSUMMARY:Kommunal-\\nwahl\nDESCRIPTION:Zeile 1\\nZeile 2\n"
        "DTSTART;VALUE=DATE:20260913"
    )
    result = run_import(ics(event))
    db.session.commit()
    assert (result.created, result.errors) == (1, [])
    (row,) = ranges()
    assert (row.title, row.note) == ("Kommunal- wahl", "Zeile 1\nZeile 2")


def test_all_day_events_cover_berlin_days_with_exclusive_end(app):
    result = run_import(ics(STADTFEST, "UID:tag\nSUMMARY:Ratstag\nDTSTART;VALUE=DATE:20261215"))
    db.session.commit()
    assert (result.created, result.errors) == (2, [])
    fest, rat = ranges()
    assert fest.all_day and fest.title == "Stadtfest" and fest.source_uid == "stadtfest@example"
    assert fest.starts_at == datetime(2026, 7, 3, 22, 0, tzinfo=UTC)  # CEST midnight
    assert fest.ends_at == datetime(2026, 7, 5, 22, 0, tzinfo=UTC)  # two days, DTEND exclusive
    assert (rat.starts_at, rat.ends_at) == (
        datetime(2026, 12, 14, 23, 0, tzinfo=UTC),
        datetime(2026, 12, 15, 23, 0, tzinfo=UTC),
    )


def test_timed_events_with_tzid_utc_floating_and_custom_zone_are_stored_in_utc(app):
    custom = (
        "UID:outlook\nSUMMARY:Outlook\nDTSTART;TZID=W. Europe Standard Time:20260301T100000\n"
        "DURATION:PT2H"
    )
    utc = "UID:utc\nSUMMARY:UTC\nDTSTART:20260601T100000Z\nDTEND:20260601T120000Z"
    floating = "UID:floating\nSUMMARY:Floating\nDTSTART:20261101T100000\nDTEND:20261101T113000"
    district = District(code="innenstadt-ost", name="Innenstadt-Ost")
    db.session.add(district)
    result = run_import(
        ics(MARATHON, custom, utc, floating), district=district, severity=Severity.INFO
    )
    db.session.commit()
    assert (result.created, result.errors) == (4, [])
    by_uid = {r.source_uid: r for r in ranges()}
    assert by_uid["outlook"].starts_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert by_uid["outlook"].ends_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert by_uid["marathon@example"].starts_at == datetime(2026, 9, 13, 6, 0, tzinfo=UTC)
    assert by_uid["utc"].ends_at == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert by_uid["floating"].starts_at == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # CET
    assert all(not r.all_day and r.district == district for r in by_uid.values())
    assert all(r.severity == Severity.INFO for r in by_uid.values())


def test_reimport_updates_without_duplicates(app):
    run_import(ics(STADTFEST, MARATHON))
    db.session.commit()
    moved = STADTFEST.replace("Stadtfest", "Stadtfest (verlegt)").replace("0706", "0707")
    result = run_import(ics(moved, MARATHON))
    db.session.commit()
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    fest = db.session.scalar(select(BlockedRange).filter_by(source_uid="stadtfest@example"))
    assert fest.title == "Stadtfest (verlegt)"
    assert fest.ends_at == datetime(2026, 7, 6, 22, 0, tzinfo=UTC)
    assert len(ranges()) == 2


def test_the_same_uid_from_another_source_is_another_range(app):
    run_import(ics(STADTFEST), source="https://stadt.example/feste.ics")
    result = run_import(ics(STADTFEST), source="https://bezirk.example/feste.ics")
    db.session.commit()
    assert result.created == 1 and len(ranges()) == 2


def test_events_without_uid_get_a_stable_derived_uid(app):
    no_uid = "SUMMARY:Weihnachtsmarkt\nDTSTART;VALUE=DATE:20261120\nDTEND;VALUE=DATE:20261224"
    run_import(ics(no_uid))
    result = run_import(ics(no_uid))
    db.session.commit()
    assert (result.created, result.unchanged) == (0, 1)
    (row,) = ranges()
    assert row.source_uid.startswith("sha256:")


def test_cancelled_event_removes_its_range(app):
    run_import(ics(STADTFEST, MARATHON))
    db.session.commit()
    result = run_import(ics(STADTFEST + "\nSTATUS:CANCELLED", MARATHON))
    db.session.commit()
    assert (result.deleted, result.unchanged) == (1, 1)
    assert [r.title for r in ranges()] == ["Marathon"]


def test_recurring_event_imports_its_first_occurrence_with_a_warning(app):
    result = run_import(ics(MARATHON + "\nRRULE:FREQ=YEARLY;COUNT=3"))
    db.session.commit()
    assert result.created == 1 and len(ranges()) == 1
    assert "nur das erste Vorkommen" in result.warnings[0]


def test_a_broken_event_is_reported_and_the_others_imported(app):
    broken = "UID:kaputt\nSUMMARY:Kaputt\nDTSTART:nicht-datum"
    backwards = "UID:rueck\nSUMMARY:Rückwärts\nDTSTART:20260601T120000Z\nDTEND:20260601T100000Z"
    result = run_import(ics(broken, STADTFEST, backwards))
    db.session.commit()
    assert (result.created, result.skipped) == (1, 2)
    assert "Eintrag 1 (Kaputt), DTSTART" in result.errors[0]
    assert "Eintrag 3 (Rückwärts), DTEND: das Ende liegt nicht nach" in result.errors[1]


@pytest.mark.parametrize("data", [b"", b"hello world", b"BEGIN:VCARD\r\nEND:VCARD\r\n", b"\xff"])
def test_non_calendar_data_is_refused_and_nothing_written(app, data):
    with pytest.raises(ValidationError) as caught:
        run_import(data)
    assert "keine iCalendar-Datei" in caught.value.errors["file"][0]
    assert ranges() == []


def test_blocked_ranges_can_not_be_hard(app):
    with pytest.raises(ValidationError) as caught:
        run_import(ics(STADTFEST), severity=Severity.HARD)
    assert "severity" in caught.value.errors


@pytest.fixture
def web():
    """Serve chosen responses from a real HTTP server on 127.0.0.1; yield (routes, base URL)."""
    site = Site()
    yield site.routes, site.url
    site.close()


def test_fetch_ics_downloads_from_a_web_server(web):
    routes, base = web
    routes["/cal.ics"] = (200, {"Content-Type": "text/calendar"}, ics(STADTFEST))
    assert fetch_ics(f"{base}/cal.ics", allow_private=True) == ics(STADTFEST)


def test_addresses_in_the_own_network_are_refused_unless_allowed(web):
    routes, base = web
    routes["/cal.ics"] = (200, {"Content-Type": "text/calendar"}, ics(STADTFEST))
    routes["/away"] = (302, {"Location": f"{base}/cal.ics"}, b"")
    for url in (f"{base}/cal.ics", "http://localhost:9/cal.ics", "http://169.254.169.254/"):
        with pytest.raises(ValidationError) as caught:
            fetch_ics(url, allow_private=False)
        assert (
            "eigenen Netz" in caught.value.errors["url"][0]
            or "own network" in (caught.value.errors["url"][0])
        ), url


def test_fetch_ics_reports_http_errors_size_and_unreachable_servers(web):
    routes, base = web
    routes["/big.ics"] = (200, {}, b"x" * 2000)
    routes["/ftp"] = (302, {"Location": "ftp://127.0.0.1/cal.ics"}, b"")
    cases = [
        (f"{base}/missing.ics", {}, "HTTP status 404"),
        (f"{base}/big.ics", {"max_bytes": 1000}, "larger than"),
        (f"{base}/ftp", {}, "non-web address"),
        ("http://127.0.0.1:9/cal.ics", {"timeout": 2}, "could not be loaded"),
    ]
    for url, options, message in cases:
        with pytest.raises(ValidationError) as caught:
            fetch_ics(url, allow_private=True, **options)
        assert message in caught.value.errors["url"][0], url


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/cal.ics", "javascript:alert(1)", "http://"]
)
def test_only_http_and_https_addresses_are_fetched(url):
    with pytest.raises(ValidationError) as caught:
        fetch_ics(url)
    assert "http:// or https://" in caught.value.errors["url"][0]


def holidays() -> list[tuple]:
    """Return all school holidays as (region, name, first, last) by first day."""
    rows = db.session.scalars(select(SchoolHoliday).order_by(SchoolHoliday.first_day))
    return [(h.region, h.name, h.first_day, h.last_day) for h in rows]


def test_school_holidays_from_cp1252_csv_with_semicolons(app):
    text = (
        "Name;Beginn;Ende\nOsterferien;30.03.2026;11.04.2026\n"
        "Pfingstferien Brückentag;26.05.2026;26.05.2026\n"
    )
    result = import_school_holidays(text.encode("cp1252"))
    db.session.commit()
    assert result.created == 2
    assert holidays() == [
        ("NW", "Osterferien", date(2026, 3, 30), date(2026, 4, 11)),
        ("NW", "Pfingstferien Brückentag", date(2026, 5, 26), date(2026, 5, 26)),
    ]


def test_school_holidays_from_utf8_bom_csv_with_commas_update_on_reimport(app):
    text = "Ende,Name,Beginn\n2026-08-25,Sommerferien,2026-07-13\n"
    import_school_holidays(("\ufeff" + text).encode(), region="ni")
    result = import_school_holidays(text.replace("08-25", "08-26").encode(), region="NI")
    db.session.commit()
    assert (result.created, result.updated) == (0, 1)
    assert holidays() == [("NI", "Sommerferien", date(2026, 7, 13), date(2026, 8, 26))]


def test_school_holidays_from_ics_with_exclusive_end(app):
    data = ics(
        "UID:h1\nSUMMARY:Herbstferien NRW\nDTSTART;VALUE=DATE:20261017\nDTEND;VALUE=DATE:20261031"
    )
    assert import_school_holidays(data).created == 1
    assert holidays() == [("NW", "Herbstferien NRW", date(2026, 10, 17), date(2026, 10, 30))]


def test_school_holiday_row_errors_name_row_and_field_and_write_nothing(app):
    text = (
        "Name;Beginn;Ende\nOsterferien;30.03.2026;11.04.2026\n"
        ";2026-13-01;01.01.2026\nX;02.01.2026;01.01.2026\n"
    )
    with pytest.raises(ValidationError) as caught:
        import_school_holidays(text.encode())
    messages = caught.value.errors["file"]
    assert any(m.startswith("Zeile 3, Name:") for m in messages)
    assert any(m.startswith("Zeile 3, Beginn:") for m in messages)
    assert any(m.startswith("Zeile 4, Ende:") and "vor dem ersten" in m for m in messages)
    assert holidays() == []


def test_school_holiday_import_refuses_an_unusable_file(app):
    for data, field in [(b"", "file"), (b"BEGIN:VCALENDAR\r\nfoo", "file"), (b"A;B\n", "file")]:
        with pytest.raises(ValidationError) as caught:
            import_school_holidays(data)
        assert field in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        import_school_holidays(b"Name;Beginn;Ende\n", region="")
    assert "region" in caught.value.errors


# The pages of the communications team.


PAGES = [
    "/conflicts/blocked",
    "/conflicts/blocked/new",
    "/conflicts/blocked/import",
    "/conflicts/school-holidays",
    "/conflicts/school-holidays/import",
]


def test_staff_get_403_on_every_page(browser):
    login(browser, Role.STAFF)
    row = BlockedRange(
        title="X", starts_at=NOW, ends_at=NOW.replace(hour=10), created_at=NOW, source=""
    )
    holiday = SchoolHoliday(name="Ferien", first_day=date(2026, 1, 1), last_day=date(2026, 1, 2))
    db.session.add_all([row, holiday])
    db.session.commit()
    extra = [
        f"/conflicts/blocked/{row.id}/edit",
        f"/conflicts/blocked/{row.id}/delete",
        f"/conflicts/school-holidays/{holiday.id}/delete",
    ]
    for url in PAGES + extra:
        assert browser.get(url).status_code == 403, url
    for url in PAGES[1:3] + PAGES[4:] + extra:  # with a valid CSRF token
        assert browser.post(url, form_page="/account").status_code == 403, url
    assert len(ranges()) == 1 and len(holidays()) == 1


def test_anonymous_visitors_are_sent_to_login(client):
    assert client.get("/conflicts/blocked").status_code == 302


@pytest.mark.parametrize("role", [Role.COMMS, Role.ADMIN])
def test_comms_and_admins_see_every_page(browser, role):
    login(browser, role)
    for url in PAGES:
        assert browser.get(url).status_code == 200, url


def test_lists_show_upcoming_and_past_entries_only_on_request(browser):
    login(browser, Role.COMMS)
    for year, title in ((2000, "Alt"), (2099, "Neu")):
        start = datetime(year, 5, 1, 8, 0, tzinfo=UTC)
        db.session.add_all(
            [
                BlockedRange(
                    title=f"Sperre {title}",
                    starts_at=start,
                    ends_at=start.replace(hour=10),
                    created_at=NOW,
                ),
                SchoolHoliday(
                    name=f"Ferien {title}", first_day=start.date(), last_day=start.date()
                ),
            ]
        )
    db.session.commit()
    for url, prefix in (("/conflicts/blocked", "Sperre"), ("/conflicts/school-holidays", "Ferien")):
        page = browser.get(url).get_data(as_text=True)
        assert f"{prefix} Neu" in page and f"{prefix} Alt" not in page, url
        page = browser.get(f"{url}?past=1").get_data(as_text=True)
        assert f"{prefix} Neu" in page and f"{prefix} Alt" in page, url


def test_comms_create_edit_and_delete_a_blocked_range_with_confirmation(browser):
    user = login(browser, Role.COMMS)
    district = District(code="hombruch", name="Hombruch")
    db.session.add(district)
    db.session.commit()
    form = {
        "title": "Kommunalwahl",
        "note": "Keine Veranstaltungen",
        "start_date": "2026-09-13",
        "start_time": "08:00",
        "end_time": "18:00",
        "district_id": "0",
        "severity": "warning",
    }
    response = browser.post("/conflicts/blocked/new", form)
    assert response.status_code == 302 and response.headers["Location"] == "/conflicts/blocked"
    (row,) = ranges()
    assert (row.starts_at, row.ends_at) == (
        datetime(2026, 9, 13, 6, 0, tzinfo=UTC),
        datetime(2026, 9, 13, 16, 0, tzinfo=UTC),
    )
    assert row.district_id is None and row.created_by_id == user.id and not row.all_day
    edit = form | {"all_day": "y", "end_date": "2026-09-14", "district_id": str(district.id)}
    edit["severity"] = "info"
    assert browser.post(f"/conflicts/blocked/{row.id}/edit", edit).status_code == 302
    db.session.refresh(row)
    assert row.all_day and row.district == district and row.severity == Severity.INFO
    assert row.ends_at == datetime(2026, 9, 14, 22, 0, tzinfo=UTC)
    page = browser.get(f"/conflicts/blocked/{row.id}/edit").get_data(as_text=True)
    assert 'value="2026-09-14"' in page  # the last day, inclusive
    url = f"/conflicts/blocked/{row.id}/delete"
    confirm = browser.get(url)
    assert confirm.status_code == 200 and "Kommunalwahl" in confirm.get_data(as_text=True)
    assert ranges() == [row]  # asking deletes nothing
    assert browser.client.post(url).status_code == 400  # no CSRF token
    assert browser.post(url).status_code == 302
    assert ranges() == []


def test_blocked_range_form_errors_name_the_field(browser):
    login(browser, Role.COMMS)
    form = {"title": "X", "start_date": "2026-09-13", "district_id": "0", "severity": "warning"}
    cases = [
        (form | {"start_time": "10:00"}, "end_time"),
        (form | {"start_time": "10:00", "end_time": "09:00"}, "end_time"),
        (
            form | {"start_time": "02:30", "end_time": "04:00", "start_date": "2026-03-29"},
            "start_time",
        ),
        (form | {"all_day": "y", "end_date": "2026-09-12"}, "end_date"),
        (form | {"title": "   "}, "title"),
        (form | {"severity": "hard"}, "severity"),
        (form | {"start_time": "10:00", "end_time": "11:00", "title": "Wahl\r\nTag"}, "title"),
        (form | {"start_time": "10:00", "end_time": "11:00", "note": "a\x07b"}, "note"),
    ]
    for data, field in cases:
        response = browser.post("/conflicts/blocked/new", data)
        assert response.status_code == 422, data
        assert f'id="{field}-error"' in response.get_data(as_text=True), data
    assert ranges() == []


def test_comms_import_a_file_and_see_the_counts(browser):
    login(browser, Role.COMMS)
    data = {
        "file": (io.BytesIO(ics(STADTFEST, MARATHON)), "stadt.ics"),
        "district_id": "0",
        "severity": "info",
    }
    response = browser.post("/conflicts/blocked/import", data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="import-result"' in page
    assert "2 neu" in page
    assert [(r.source, r.severity) for r in ranges()] == [("stadt.ics", Severity.INFO)] * 2


def test_comms_import_from_an_address(browser, web):
    routes, base = web
    routes["/stadt.ics"] = (200, {}, ics(STADTFEST))
    login(browser, Role.COMMS)
    form = {"url": f"{base}/stadt.ics", "district_id": "0", "severity": "warning"}
    assert browser.post("/conflicts/blocked/import", form).status_code == 200
    assert [r.source for r in ranges()] == [f"{base}/stadt.ics"]
    routes["/text"] = (200, {}, b"<html>kein Kalender</html>")
    response = browser.post("/conflicts/blocked/import", form | {"url": f"{base}/text"})
    assert response.status_code == 422 and 'id="url-error"' in response.get_data(as_text=True)


def test_import_form_errors_name_the_field(browser):
    login(browser, Role.COMMS)
    form = {"district_id": "0", "severity": "warning"}
    cases = [
        (form, "file"),
        (form | {"url": "file:///etc/passwd"}, "url"),
        (form | {"file": (io.BytesIO(b"kein Kalender"), "x.ics")}, "file"),
    ]
    for data, field in cases:
        response = browser.post(
            "/conflicts/blocked/import", data, content_type="multipart/form-data"
        )
        assert response.status_code == 422, field
        assert f'id="{field}-error"' in response.get_data(as_text=True), field
    assert ranges() == []


def test_comms_import_and_delete_school_holidays(browser):
    login(browser, Role.COMMS)
    csv_data = "Name;Beginn;Ende\nHerbstferien;17.10.2026;31.10.2026\n".encode("cp1252")
    data = {"file": (io.BytesIO(csv_data), "ferien.csv"), "region": "NW"}
    response = browser.post(
        "/conflicts/school-holidays/import", data, content_type="multipart/form-data"
    )
    assert response.headers["Location"] == "/conflicts/school-holidays"
    page = browser.get("/conflicts/school-holidays?past=1").get_data(as_text=True)
    assert "Herbstferien" in page
    holiday = db.session.scalar(select(SchoolHoliday))
    url = f"/conflicts/school-holidays/{holiday.id}/delete"
    assert browser.get(url).status_code == 200
    assert browser.post(url).status_code == 302
    assert holidays() == []


def test_school_holiday_page_shows_row_errors_and_saves_nothing(browser):
    login(browser, Role.COMMS)
    bad = b"Name;Beginn;Ende\nHerbstferien;17.10.2026;kaputt\n"
    data = {"file": (io.BytesIO(bad), "ferien.csv"), "region": "NW"}
    response = browser.post(
        "/conflicts/school-holidays/import", data, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="file-error"' in page
    assert "Zeile 2, Ende" in page
    assert holidays() == []


def test_cli_imports_blocked_ranges_and_school_holidays(runner, tmp_path):
    district = District(code="eving", name="Eving")
    db.session.add(district)
    db.session.commit()
    calendar = tmp_path / "stadt.ics"
    calendar.write_bytes(ics(STADTFEST))
    args = ["import-blocked", str(calendar), "--district", "eving", "--severity", "info"]
    result = runner.invoke(conflicts_cli, args)
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output
    assert [(r.district_id, r.severity) for r in ranges()] == [(district.id, Severity.INFO)]
    assert "unchanged 1" in runner.invoke(conflicts_cli, args).output
    csv_file = tmp_path / "ferien.csv"
    csv_file.write_bytes(b"Name;Beginn;Ende\nOsterferien;30.03.2026;11.04.2026\n")
    result = runner.invoke(conflicts_cli, ["import-school-holidays", str(csv_file)])
    assert result.exit_code == 0 and "created 1" in result.output
    assert db.session.scalar(select(func.count()).select_from(SchoolHoliday)) == 1


def test_cli_errors_name_the_field_and_exit_2(runner, tmp_path):
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"kein Kalender")
    cases = [
        (["import-blocked", str(bad)], "file:"),
        (["import-blocked", "ftp://example.org/x.ics"], "url:"),
        (["import-blocked", str(bad), "--district", "nirgendwo"], "district:"),
        (["import-school-holidays", str(tmp_path / "fehlt.csv")], "file:"),
    ]
    for args, field in cases:
        result = runner.invoke(conflicts_cli, args)
        assert result.exit_code == 2 and field in result.output, args
    assert ranges() == []


def test_far_dates_are_refused_in_the_form_and_reported_in_imports(browser):
    login(browser, Role.COMMS)
    form = {"title": "X", "district_id": "0", "severity": "warning", "all_day": "y"}
    for day, field in (("9999-12-31", "start_date"), ("0001-01-01", "start_date")):
        response = browser.post("/conflicts/blocked/new", form | {"start_date": day})
        assert response.status_code == 422, day
        assert f'id="{field}-error"' in response.get_data(as_text=True)
    far = ics("UID:far\nSUMMARY:Fern\nDTSTART;VALUE=DATE:99991231", MARATHON)
    result = run_import(far)
    assert result.created == 1 and len(result.errors) == 1  # the far one is named, not a 500
    data = {"file": (io.BytesIO(far), "far.ics"), "district_id": "0", "severity": "warning"}
    response = browser.post("/conflicts/blocked/import", data, content_type="multipart/form-data")
    assert response.status_code < 500
    holidays = b"Name;Beginn;Ende\nFerien;01.01.0001;31.12.9999\n"
    with pytest.raises(ValidationError):
        import_school_holidays(holidays)
    data = {"file": (io.BytesIO(holidays), "h.csv"), "region": "NW"}
    response = browser.post(
        "/conflicts/school-holidays/import", data, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(SchoolHoliday.id))) == 0
