"""Density overview: events per day and audience, as numbers, an SVG heatmap and a table."""

import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest
from flask import render_template_string
from sqlalchemy import event as sa_event

from app.conflicts.density import Density, density
from app.conflicts.density_svg import SCALE, fill_for, heatmap_svg
from app.events.models import Status
from app.events.operations import set_status
from app.extensions import db
from tests.factories import NOW, make_audience, make_department, make_event, make_user

SVG = "{http://www.w3.org/2000/svg}"
MON, TUE, WED, THU = (date(2026, 11, d) for d in (2, 3, 4, 5))


@pytest.fixture
def presse(app):
    """Return the audience Presse."""
    return make_audience("presse", "Presse")


@pytest.fixture
def politik(app):
    """Return the audience Politik/Rat."""
    return make_audience("politik", "Politik/Rat")


def on(day: date, hour: int = 18) -> datetime:
    """Return a wall time on the day."""
    return datetime(day.year, day.month, day.day, hour)


def test_counts_events_per_day_and_audience(app, presse, politik):
    user = make_user()
    make_event(user, start=on(TUE), audiences=["presse"])
    make_event(user, start=on(TUE, 10), audiences=["presse"])
    make_event(user, start=on(WED), audiences=["politik"], status="published")
    d = density(MON, THU)
    assert d.days == [MON, TUE, WED, THU]
    assert [a.name for a in d.audiences] == ["Politik/Rat", "Presse"]  # by name
    assert d.count(TUE, presse.id) == 2
    assert d.count(WED, politik.id) == 1
    assert d.count(MON, presse.id) == 0 and d.count(TUE, politik.id) == 0
    assert d.totals == {TUE: 2, WED: 1}
    assert d.max_count == 2
    assert d.busiest == (TUE, 2)


def test_multi_day_event_counts_on_every_day_it_touches_within_the_range(app, presse):
    user = make_user()
    make_event(user, start=on(MON), end=on(THU, 10), audiences=["presse"])
    d = density(TUE, WED)
    assert d.counts == {(TUE, presse.id): 1, (WED, presse.id): 1}
    assert d.totals == {TUE: 1, WED: 1}


def test_all_day_event_ends_on_its_last_day(app, presse):
    make_event(make_user(), all_day=True, start=TUE, end=WED, audiences=["presse"])
    assert density(MON, THU).totals == {TUE: 1, WED: 1}


def test_cancelled_events_are_not_counted_but_drafts_and_confidential_are(app, presse):
    user = make_user()
    make_event(user, start=on(TUE), audiences=["presse"], status="cancelled")
    make_event(user, start=on(TUE), audiences=["presse"], visibility="confidential")
    later = make_event(user, start=on(TUE), audiences=["presse"])
    set_status(later, Status.CANCELLED, actor=user, now=NOW)
    assert density(TUE, TUE).totals == {TUE: 1}


def test_department_filter_includes_co_hosted_events(app, presse):
    own, partner, other = make_department(), make_department(), make_department()
    make_event(make_user(department=own), start=on(TUE), audiences=["presse"])
    make_event(
        make_user(department=partner),
        start=on(TUE),
        audiences=["presse"],
        co_hosts=[own.code],
    )
    make_event(make_user(department=other), start=on(TUE), audiences=["presse"])
    assert density(TUE, TUE, department_id=own.id).count(TUE, presse.id) == 2
    assert density(TUE, TUE, department_id=other.id).count(TUE, presse.id) == 1
    assert density(TUE, TUE).count(TUE, presse.id) == 3


def test_total_counts_an_event_with_two_audiences_once(app, presse, politik):
    user = make_user()
    make_event(user, start=on(TUE), audiences=["presse", "politik"])
    make_event(user, start=on(TUE))  # no audience: only in the total
    d = density(TUE, TUE)
    assert d.count(TUE, presse.id) == 1 and d.count(TUE, politik.id) == 1
    assert d.totals == {TUE: 2}


def test_retired_audience_shows_only_while_it_has_events(app, presse, politik):
    politik.active = False
    make_event(make_user(), start=on(TUE), audiences=["politik"])
    assert [a.code for a in density(TUE, TUE).audiences] == ["politik", "presse"]
    assert [a.code for a in density(WED, WED).audiences] == ["presse"]


def test_range_must_be_ordered_and_at_most_a_year(app):
    with pytest.raises(ValueError):
        density(WED, TUE)
    with pytest.raises(ValueError):
        density(date(2026, 1, 1), date(2027, 1, 2))
    assert len(density(date(2028, 1, 1), date(2028, 12, 31)).days) == 366


def _svg(d: Density) -> tuple[str, ET.Element]:
    """Return the heatmap source and its parsed root."""
    source = heatmap_svg(d, locale="en")
    return source, ET.fromstring(source.encode())


def test_heatmap_is_xml_with_one_titled_cell_per_audience_and_day(app, presse, politik):
    make_event(make_user(), start=on(TUE), end=on(WED, 10), audiences=["presse"])
    source, root = _svg(density(MON, THU))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    assert len(cells) == 2 * 4
    titles = [c.find(f"{SVG}title").text for c in cells]
    assert all(titles)
    assert sum("Presse: 1 event" in t for t in titles) == 2
    assert "style=" not in source and "<script" not in source.lower()


def test_heatmap_colours_the_maximum_darkest_and_leaves_zero_empty(app, presse):
    user = make_user()
    for hour in (9, 12, 15, 18):
        make_event(user, start=on(TUE, hour), audiences=["presse"])
    make_event(user, start=on(WED), audiences=["presse"])
    d = density(MON, WED)
    fills = {
        c.find(f"{SVG}title").text.split(" · ")[0]: c.get("fill")
        for c in _svg(d)[1].iter(f"{SVG}rect")
        if c.get("class") == "cell"
    }
    assert list(fills.values()) == ["#ffffff", SCALE[-1], SCALE[1]]  # 0, 4 of 4, 1 of 4
    assert [fill_for(n, 5) for n in range(6)] == ["#ffffff", *SCALE]


def test_heatmap_escapes_labels(app):
    make_audience("odd", 'Rat & "Presse" <intern>')
    source, root = _svg(density(TUE, TUE))
    assert "<intern>" not in source
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert 'Rat & "Presse" <intern>' in texts


def test_heatmap_without_events_or_audiences_is_valid(app):
    _source, root = _svg(density(TUE, WED))
    assert "No events" in root.find(f"{SVG}desc").text


def test_overview_macro_renders_image_and_accessible_table(app, presse, politik):
    make_event(make_user(), start=on(TUE), audiences=["presse", "politik"])
    d = density(MON, WED)
    with app.test_request_context("/?lang=en"):
        html = render_template_string(
            '{% from "conflicts/_density.html" import density_overview %}'
            "{{ density_overview(d, '/conflicts/density.svg', 'en') }}",
            d=d,
        )
    assert '<img src="/conflicts/density.svg" alt="' in html
    assert "<figcaption" in html and "<caption" in html
    assert html.count('scope="row"') == 3
    assert html.count('scope="col"') == 2 + 2  # day, two audiences, total
    assert "kern-table" in html


def test_density_is_a_fixed_number_of_queries_however_many_events(app, presse):
    user = make_user()
    for hour in range(8, 20):
        make_event(user, start=on(TUE, hour), end=on(THU, hour), audiences=["presse"])
    db.session.flush()
    statements = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        d = density(MON, THU)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    assert d.count(WED, presse.id) == 12
    assert len(statements) == 3  # per audience, per day, the audiences
    assert sum("GROUP BY" in s for s in statements) == 2


def test_overview_macro_without_events_says_so(app):
    with app.test_request_context("/?lang=en"):
        html = render_template_string(
            '{% from "conflicts/_density.html" import density_overview %}'
            "{{ density_overview(d, '/x.svg') }}",
            d=density(MON, TUE),
        )
    assert ": no events." in html and html.count('scope="row"') == 2
