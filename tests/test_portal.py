"""The public portal: search, filters, pagination, hidden events, event page, caching headers."""

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

from app.accounts.models import Role
from app.events import operations
from app.events.models import Status
from app.events.validation import EventInput
from app.extensions import db
from app.vocabularies.models import District
from tests.factories import (
    PASSWORD,
    api_headers,
    make_audience,
    make_category,
    make_department,
    make_event,
    make_user,
    make_venue,
)

TODAY = date.today()
SOON = datetime.combine(TODAY + timedelta(days=3), datetime.min.time()).replace(hour=10)
NOW = datetime.now(UTC)


def _public(staff, title="Führung durch das Rathaus", **overrides):
    """Create a published public event (three days ahead unless told otherwise)."""
    start = overrides.pop("start", SOON)
    values = {"visibility": "public", "status": "published", "start": start}
    values["end"] = overrides.pop("end", start + timedelta(hours=2))
    return make_event(staff, title=title, now=NOW, **(values | overrides))


def _titles(client, url: str) -> list[str]:
    """Return the event titles linked on a portal page, in order."""
    html = client.get(url).get_data(as_text=True)
    return re.findall(r'href="/veranstaltungen/\d+-[^"]*">([^<]+)</a>', html)


def test_search_stems_folds_umlauts_and_matches_prefixes(client):
    staff = make_user()
    _public(staff, "Führung durch das Rathaus")
    _public(staff, "Konzert im Park", description="Blasmusik für Bürgerinnen")
    _public(staff, "Lesung", start=SOON + timedelta(hours=3))
    db.session.commit()
    assert _titles(client, "/veranstaltungen?q=Führungen") == ["Führung durch das Rathaus"]
    assert _titles(client, "/veranstaltungen?q=fuehrung") == ["Führung durch das Rathaus"]
    assert _titles(client, "/veranstaltungen?q=FÜHR") == ["Führung durch das Rathaus"]
    assert _titles(client, "/veranstaltungen?q=Konz") == ["Konzert im Park"]
    assert _titles(client, "/veranstaltungen?q=bürger") == ["Konzert im Park"]
    assert _titles(client, "/veranstaltungen?q=Rathaus+führ") == ["Führung durch das Rathaus"]
    assert _titles(client, "/veranstaltungen?q=Rathaus+Jazz") == []
    assert _titles(client, "/veranstaltungen?q=%22%3A*%26%7C!") == _titles(
        client, "/veranstaltungen"
    )  # operators are no words: the search is ignored, never an error


def test_search_follows_changed_titles_and_venue_names(client):
    staff = make_user()
    hall = make_venue(name="Stadtbücherei")
    event = _public(staff, "Vortrag", venue_id=hall.id)
    db.session.commit()
    assert _titles(client, "/veranstaltungen?q=bücherei") == []  # words, not inner parts
    assert _titles(client, "/veranstaltungen?q=stadtbuch") == ["Vortrag"]
    data = EventInput.from_event(event).replace(title="Lesenacht")
    operations.update_event(event, data, actor=staff, now=NOW, notify=False)
    db.session.commit()
    assert _titles(client, "/veranstaltungen?q=Vortrag") == []
    assert _titles(client, "/veranstaltungen?q=lese") == ["Lesenacht"]


def test_hidden_events_appear_nowhere_public(client):
    staff = make_user()
    shown = _public(staff, "Offenes Fest")
    hidden = [
        _public(staff, "Geheimfest Entwurf", status="draft"),
        _public(staff, "Geheimfest Intern", visibility="internal"),
        _public(staff, "Geheimfest Vertraulich", visibility="confidential"),
    ]
    db.session.commit()
    for url in (
        "/veranstaltungen",
        "/veranstaltungen?q=Geheimfest",
        f"/veranstaltungen/aemter/{staff.department.code}",
        "/sitemap.xml",
        "/veranstaltungen/atom.xml",
        f"/widget?department={staff.department.code}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert ">Geheimfest" not in page and "Geheimfest Intern" not in page, url
        if "q=" not in url:
            assert "Offenes Fest" in page or str(shown.id) in page, url
    for event in hidden:
        assert client.get(f"/veranstaltungen/{event.id}").status_code == 404
        assert client.get(f"/veranstaltungen/{event.id}-x").status_code == 404


def test_filters_and_their_combination(client):
    staff = make_user()
    north = District(code="nord", name="Nord", name_en="North")
    db.session.add(north)
    ramp = make_venue(name="Haus Nord", district=north, step_free=True, accessible_toilet=True)
    stairs = make_venue(name="Turm", induction_loop=True)
    talk = make_category("vortrag", "Vortrag")
    kids = make_audience("kinder", "Kinder")
    _public(staff, "Alpha", venue_id=ramp.id, free=True, category="vortrag", audiences=["kinder"])
    _public(staff, "Beta", venue_id=ramp.id, category="vortrag")
    _public(staff, "Gamma", venue_id=stairs.id, free=True, audiences=["kinder"])
    later = SOON + timedelta(days=20)
    _public(staff, "Delta", venue_id=ramp.id, free=True, start=later)
    db.session.commit()
    assert talk.code and kids.code
    base = "/veranstaltungen?"
    assert _titles(client, base + "district=nord") == ["Alpha", "Beta", "Delta"]
    assert _titles(client, base + "free=1") == ["Alpha", "Gamma", "Delta"]
    assert _titles(client, base + "category=vortrag") == ["Alpha", "Beta"]
    assert _titles(client, base + "audience=kinder") == ["Alpha", "Gamma"]
    assert _titles(client, base + "access=step_free&access=accessible_toilet") == [
        "Alpha",
        "Beta",
        "Delta",
    ]
    assert _titles(client, base + "access=induction_loop") == ["Gamma"]
    # Plain German links for a press release: barrierefrei means step-free, kostenlos free.
    assert _titles(client, base + "barrierefrei=1") == ["Alpha", "Beta", "Delta"]
    assert _titles(client, base + "kostenlos=1&barrierefrei=1") == ["Alpha", "Delta"]
    assert _titles(client, base + "free=1&district=nord") == ["Alpha", "Delta"]
    assert _titles(
        client, base + f"free=1&district=nord&to={(later - timedelta(days=1)):%Y-%m-%d}"
    ) == ["Alpha"]
    assert _titles(client, base + f"from={later:%Y-%m-%d}") == ["Delta"]
    assert _titles(client, base + "free=1&audience=kinder&category=vortrag") == ["Alpha"]
    assert _titles(client, base + "district=nowhere") == []
    page = client.get(base + "free=1&district=nord").get_data(as_text=True)
    assert 'id="p-free" name="free" value="1" checked' in page  # the form shows the filter


def test_pagination_edges(client):
    staff = make_user()
    for n in range(41):
        _public(staff, f"Termin {n:02d}", start=SOON + timedelta(minutes=n))
    db.session.commit()
    first = _titles(client, "/veranstaltungen")
    assert first == [f"Termin {n:02d}" for n in range(20)]
    assert _titles(client, "/veranstaltungen?page=3") == ["Termin 40"]
    assert _titles(client, "/veranstaltungen?page=99") == ["Termin 40"]  # past the end: the last
    assert _titles(client, "/veranstaltungen?page=abc") == first
    assert _titles(client, "/veranstaltungen?page=0") == first
    html = client.get("/veranstaltungen?page=2&lang=en").get_data(as_text=True)
    assert 'href="?page=3&amp;lang=en"' in html or 'href="?lang=en&amp;page=3"' in html
    assert 'aria-current="page"' in html and "page 2 of 3" in html


def test_event_page_canonical_slug_and_json_ld(client):
    staff = make_department(email="kultur@stadt.example")
    user = make_user(department=staff)
    hall = make_venue(
        name="Rathaus",
        address="Friedensplatz 1, 44135 Dortmund",
        step_free=True,
        transit_hint="U41 bis Reinoldikirche",
    )
    event = _public(user, "Führung </script> & mehr", venue_id=hall.id, free=True)
    db.session.commit()
    wrong = client.get(f"/veranstaltungen/{event.id}-falsch")
    assert wrong.status_code == 301
    target = f"/veranstaltungen/{event.id}-fuehrung-script-mehr"
    assert wrong.headers["Location"].endswith(target)
    assert client.get(f"/veranstaltungen/{event.id}").status_code == 301
    html = client.get(target).get_data(as_text=True)
    assert f'<link rel="canonical" href="http://stadtkalender.test{target}">' in html
    assert f'href="/events/{event.id}.ics"' in html and "calendar.google.com" in html
    assert "openstreetmap.org" in html and "kultur@stadt.example" in html
    assert "U41 bis Reinoldikirche" in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "</" not in block
    data = json.loads(block)
    assert data["@type"] == "Event" and data["name"] == "Führung </script> & mehr"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["isAccessibleForFree"] is True
    assert data["location"]["address"]["streetAddress"] == "Friedensplatz 1, 44135 Dortmund"
    assert data["organizer"]["name"] == staff.name
    assert datetime.fromisoformat(data["startDate"]) == event.starts_at


def test_cancelled_and_rescheduled_events(client):
    staff = make_user()
    moved = _public(staff, "Sommerfest")
    gone = _public(staff, "Herbstfest")
    db.session.commit()
    data = EventInput.from_event(moved)
    data = data.replace(start=SOON + timedelta(days=1), end=SOON + timedelta(days=1, hours=2))
    operations.update_event(moved, data, actor=staff, now=NOW, notify=False)
    operations.set_status(gone, Status.CANCELLED, actor=staff, now=NOW)
    db.session.commit()
    html = client.get(f"/veranstaltungen/{moved.id}-sommerfest?lang=en").get_data(as_text=True)
    assert "Rescheduled: previously" in html
    block = re.search(r'ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["eventStatus"].endswith("EventRescheduled")
    assert data["previousStartDate"].startswith(SOON.strftime("%Y-%m-%dT10:00"))
    html = client.get(f"/veranstaltungen/{gone.id}-herbstfest?lang=en").get_data(as_text=True)
    assert "Cancelled: this event does not take place." in html
    assert json.loads(re.search(r'ld\+json">(.*?)</script>', html, re.S).group(1))[
        "eventStatus"
    ].endswith("EventCancelled")


def test_anonymous_pages_are_cacheable_without_cookies(client):
    staff = make_user()
    hall = make_venue(name="Saal", district=District(code="mitte", name="Mitte"))
    event = _public(staff, "Fest", venue_id=hall.id)
    db.session.commit()
    for url in (
        "/veranstaltungen",
        "/veranstaltungen?q=fest&lang=en",
        f"/veranstaltungen/{event.id}-fest",
        f"/veranstaltungen/aemter/{staff.department.code}",
        f"/veranstaltungen/orte/{hall.id}",
        "/veranstaltungen/bezirke/mitte",
        "/veranstaltungen/aemter",
        "/sitemap.xml",
        "/veranstaltungen/atom.xml",
        "/widget?lang=en",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == "public, max-age=60", url
        tag, modified = response.headers["ETag"], response.headers["Last-Modified"]
        again = client.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and not again.data, url
        since = client.get(url, headers={"If-Modified-Since": modified})
        assert since.status_code == 304, url
    english = client.get("/veranstaltungen?lang=en").get_data(as_text=True)
    assert "Events in the city" in english
    assert 'href="/veranstaltungen/aemter?lang=en"' in english  # the language stays in links
    assert '<html lang="de"' in client.get("/veranstaltungen").get_data(as_text=True)


def test_a_change_ends_the_cached_copy(client):
    staff = make_user()
    event = _public(staff, "Fest")
    db.session.commit()
    tag = client.get("/veranstaltungen").headers["ETag"]
    data = EventInput.from_event(event).replace(title="Großes Fest")
    operations.update_event(event, data, actor=staff, now=NOW, notify=False)
    db.session.commit()
    response = client.get("/veranstaltungen", headers={"If-None-Match": tag})
    assert response.status_code == 200 and "Großes Fest" in response.get_data(as_text=True)


def test_widget_alone_may_be_framed(client):
    staff = make_user()
    _public(staff, "Fest")
    db.session.commit()
    widget = client.get(f"/widget?department={staff.department.code}&limit=3")
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget.headers
    assert len(widget.data) < 4000 and b"Fest" in widget.data
    assert b"<script" not in widget.data
    page = client.get("/veranstaltungen")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    code = staff.department.code
    staff.department.name = 'Amt "Nord" & Co'
    db.session.commit()
    snippet = client.get(f"/veranstaltungen/aemter/{code}?lang=en").get_data(as_text=True)
    pasted = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", snippet, re.S).group(1))
    assert pasted.startswith(f'<iframe src="http://stadtkalender.test/widget?department={code}')
    assert 'title="Events of Amt &quot;Nord&quot; &amp; Co"' in pasted


def test_old_public_address_redirects_with_its_filters(client):
    response = client.get("/public?q=fest")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/veranstaltungen?q=fest")


def test_sitemap_and_atom_parse_and_list_public_events(client):
    staff = make_user()
    shown = _public(staff, "Fest & Feier")
    _public(staff, "Entwurf", status="draft")
    db.session.commit()
    atom = ElementTree.fromstring(client.get("/veranstaltungen/atom.xml").data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [t.text for t in atom.findall("a:entry/a:title", ns)]
    assert titles == ["Fest & Feier"]
    link = atom.find("a:entry/a:link", ns).get("href")
    assert link == f"http://stadtkalender.test/veranstaltungen/{shown.id}-fest-feier"
    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").data)
    locs = [n.text for n in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert link in locs and "http://stadtkalender.test/veranstaltungen" in locs
    assert f"http://stadtkalender.test/veranstaltungen/aemter/{staff.department.code}" in locs
    page = client.get("/veranstaltungen").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml" href="/veranstaltungen/atom.xml"' in page


def test_district_feed_and_api_fields(client):
    staff = make_user()
    north = District(code="nord", name="Nord")
    hall = make_venue(name="Haus Nord", district=north, step_free=True)
    _public(staff, "Nordfest", venue_id=hall.id, free=True)
    _public(staff, "Anderswo")
    db.session.commit()
    feed = client.get("/calendar/districts/nord.ics").get_data(as_text=True)
    assert "Nordfest" in feed and "Anderswo" not in feed
    assert client.get("/calendar/districts/nowhere.ics").status_code == 404
    admin = make_user(Role.ADMIN)
    headers = api_headers(admin)
    venue = client.get("/api/v1/venues", headers=headers).json["items"][0]
    assert venue["step_free"] is True and venue["induction_loop"] is False
    assert venue["transit_hint"] == ""
    created = client.post(
        "/api/v1/events",
        json={
            "title": "Gratis",
            "starts_at": f"{SOON:%Y-%m-%dT%H:%M}",
            "ends_at": f"{SOON + timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "free": True,
        },
        headers=api_headers(staff),
    )
    assert created.status_code == 201, created.json
    assert created.json["free"] is True


def test_logged_in_staff_get_private_pages(browser):
    staff = make_user()
    _public(staff, "Fest")
    db.session.commit()
    anonymous = browser.get("/veranstaltungen")
    assert "Cookie" in anonymous.headers["Vary"]
    browser.login(staff.email, PASSWORD)
    page = browser.get("/veranstaltungen")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in page.headers and "Fest" in page.get_data(as_text=True)
