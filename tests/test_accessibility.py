"""Every page of the journeys passes axe-core's WCAG 2.1 A/AA rules: German, English, 1280/390 px.

One live server and one Chromium per area of pages; each page is visited once per language and
checked at 1280 and 390 px. All violations are collected and reported together.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.cohosting import operations as cohosting
from app.conflicts.models import BlockedRange, SchoolHoliday, Severity
from app.contacts import csv_import
from app.events.models import Status
from app.events.operations import set_status
from app.extensions import db
from app.inbound.models import InboundMessage, Kind, State
from app.invitations.answers import respond
from app.invitations.models import Answer
from app.mail.catcher import MailCatcher
from app.mail.models import OutboxMessage
from app.mail.renderers import render
from app.notifications.service import notify
from app.portal.jsonld import slug
from config import TestConfig
from tests.axe import report, run_axe, serve_axe
from tests.conftest import BACKENDS
from tests.factories import (
    PASSWORD,
    login,
    make_audience,
    make_category,
    make_department,
    make_event,
    make_invitation,
    make_user,
    make_venue,
)
from tests.livesite import chromium_page, live_server
from tests.test_contacts import make_contact

VIEWPORTS = ((1280, 900), (390, 844))
LANGUAGES = ("de", "en")
LONG_TITLE = (
    "Festveranstaltung zum fünfzigjährigen Bestehen der Städtepartnerschaft mit "
    "Donaueschingen-Unterbaldingen und Empfang der Delegationen im Rathaus – "
    "Bürgerbeteiligungsverfahrensabschlussveranstaltung"
)


@dataclass
class Site:
    """What the scenario made: ids, tokens and the users per role."""

    users: dict[str, object] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    token: str = ""
    cancelled_token: str = ""
    mails: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)


def _day(offset: int) -> date:
    """Return a weekday `offset` days from today (the agenda shows what lies ahead)."""
    day = date.today() + timedelta(days=offset)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _scenario(mail_dir: Path) -> Site:
    """Create realistic data: guests, conflicts, a duplicate pair, a cancelled event, mails."""
    now = datetime.now(UTC)
    site = Site()
    department = make_department(code="kulturbuero", name="Kulturbüro")
    make_department(code="presseamt", name="Presse- und Informationsamt")
    staff = make_user(
        Role.STAFF, department, email="sabine.richter@stadt.example", name="S. Richter"
    )
    comms = make_user(Role.COMMS, email="komm.schmidt@stadt.example", name="K. Schmidt")
    admin = make_user(Role.ADMIN, email="admin@stadt.example", name="Admin")
    privacy = make_user(Role.PRIVACY, email="datenschutz@stadt.example", name="D. Schutz")
    site.users = {"staff": staff, "comms": comms, "admin": admin, "privacy": privacy}
    audience, category = make_audience("presse", "Presse"), make_category("empfang", "Empfang")
    hall = make_venue(name="Rathaus – Bürgersaal", capacity=120)
    day = _day(7)
    common = {"venue_id": hall.id, "status": "published", "visibility": "public", "now": now}
    main = make_event(
        staff,
        title="Neujahrsempfang der Oberbürgermeisterin",
        description="Empfang für Ehrenamtliche.\nMit Musik.",
        start=datetime.combine(day, time(18, 0)),
        audiences=[audience.code],
        category=category.code,
        capacity=80,
        max_plus_ones=1,
        rsvp_deadline=datetime.combine(day - timedelta(days=2), time(12, 0), tzinfo=UTC),
        co_hosts=["presseamt"],
        **common,
    )
    make_event(
        staff,
        title="Sitzung des Kulturausschusses",
        start=datetime.combine(day, time(19, 0)),
        audiences=[audience.code],
        **common,
    )
    long = make_event(staff, title=LONG_TITLE, start=datetime.combine(_day(9), time(10)), now=now)
    cancelled = make_event(
        staff, title="Stadtteilfest Hörde", start=datetime.combine(_day(8), time(15)), **common
    )
    make_event(
        staff,
        title="Kulturtage",
        all_day=True,
        start=_day(10),
        end=_day(10) + timedelta(days=2),
        now=now,
        status="published",
    )
    guests = [
        make_contact(
            "Markus Weber", "markus.weber@ruhr-kultur.de", organisation="Ruhr Kultur e. V."
        ),
        make_contact("Marcus Weber", "m.weber@ruhr-kultur.de", organisation="Ruhr Kultur e.V."),
        make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke"),
        make_contact("H. Müller", "hm@example.org", organisation="Stadtwerke"),
    ]
    contacts = [saved.contact for saved in guests]
    invitation, site.token = make_invitation(main, staff, contacts[0], now=now)
    make_invitation(main, staff, contacts[2], now=now)
    accepted, _token = make_invitation(main, staff, contacts[1], now=now)
    respond(accepted, Answer.ACCEPTED, now=now, plus_ones=1, comment="Rollstuhlplatz")
    # A bouncing address and a written reply waiting for review (issue 11).
    contacts[0].bounced_at, contacts[0].bounce_reason = now, "5.1.1: User unknown"
    db.session.add(
        InboundMessage(
            message_id_key="<antwort@example.de>",
            received_at=now,
            kind=Kind.HUMAN,
            state=State.REVIEW,
            invitation_id=invitation.id,
            detail={"subject": "Re: Einladung", "from": contacts[0].email, "text": "Ich komme."},
            processed_at=now,
        )
    )
    _inv, site.cancelled_token = make_invitation(cancelled, staff, contacts[2], now=now)
    set_status(cancelled, Status.CANCELLED, actor=staff, now=now)
    start = datetime.combine(day, time(0), tzinfo=UTC)
    db.session.add(
        BlockedRange(
            title="Ratssitzung",
            starts_at=start,
            ends_at=start + timedelta(days=1),
            severity=Severity.WARNING,
            created_at=now,
        )
    )
    db.session.add(SchoolHoliday(name="Weihnachtsferien", first_day=_day(20), last_day=_day(30)))
    # Co-hosting: another department's event to ask for, and a request waiting on ours.
    press_staff = make_user(Role.STAFF, make_department(code="ordnungsamt", name="Ordnungsamt"))
    theirs = make_event(
        press_staff, title="Stadtfest Hörde", start=datetime.combine(_day(11), time(14)), **common
    )
    asked = cohosting.ask(
        main, actor=press_staff, message="Wir stellen Ordner.", department_code=None, now=now
    )
    facts = {
        "event": main.title,
        "other": long.title,
        "department": "Kulturbüro",
        "conflict": "venue",
    }
    notify([staff], "conflict", params=facts, url=f"/events/{main.id}", cause="a11y", now=now)
    upload, _ignored = csv_import.preview(
        "Vorname;Nachname;E-Mail;Organisation\nJürgen;Weiß;j.weiss@example.de;Stadtwerke\n"
        "Änne;Köhler;kaputt;\n".encode(),
        "gaeste.csv",
        actor=staff,
        now=now,
    )
    db.session.flush()
    catcher = MailCatcher(mail_dir)
    for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[:3]:
        raw = render(db.session, row, now)
        if raw:
            site.mails.append(catcher.store(raw).name)
    assert site.mails, "the mail catcher pages need a caught mail"
    site.titles = {"event": main.title, "cancelled": cancelled.title}
    site.ids = {
        "event": main.id,
        "long": long.id,
        "cancelled": cancelled.id,
        "venue": hall.id,
        "department": department.id,
        "audience": audience.id,
        "staff": staff.id,
        "contact": contacts[0].id,
        "guest": contacts[1].id,  # accepted, with a comment
        "dup_a": contacts[2].id,
        "dup_b": contacts[3].id,
        "import": upload.id,
        "blocked": db.session.scalar(select(BlockedRange.id)),
        "theirs": theirs.id,
        "cohost_request": asked.id,
    }
    db.session.commit()
    return site


EMPTY: dict[str, str] = {}


# (area, role, path, fields to send): the area groups pages by the change that owns their
# templates; with fields, the page's form is also sent (German
# labels; empty in English) and the answer, with its field errors, is checked too.
def _pages(site: Site) -> list[tuple[str, str, str, dict | None]]:
    """Return every page of the journeys with the role that sees it."""
    i = site.ids
    return [
        ("layout", "guest", "/login", {"E-Mail": "niemand@stadt.example", "Passwort": "falsch"}),
        ("layout", "guest", "/rsvp/no-such-token", None),
        ("layout", "staff", "/no-such-page", None),
        ("layout", "staff", "/account", None),
        ("layout", "staff", "/notifications/", None),
        ("layout", "staff", "/notifications/settings", None),
        ("layout", "staff", "/venues/", None),
        ("layout", "admin", "/venues/new", EMPTY),
        ("layout", "admin", f"/venues/{i['venue']}/edit", None),
        ("layout", "admin", "/admin/users", None),
        ("layout", "admin", "/admin/users/new", EMPTY),
        ("layout", "admin", f"/admin/users/{i['staff']}", None),
        ("layout", "admin", "/admin/departments/", None),
        ("layout", "admin", "/admin/departments/new", EMPTY),
        ("layout", "admin", f"/admin/departments/{i['department']}", None),
        ("layout", "admin", "/admin/vocabularies/audiences", None),
        ("layout", "admin", "/admin/vocabularies/categories", None),
        ("layout", "admin", "/admin/vocabularies/districts", None),
        ("layout", "admin", "/admin/vocabularies/audiences/new", EMPTY),
        ("layout", "admin", f"/admin/vocabularies/audiences/{i['audience']}", None),
        ("layout", "admin", "/dev/mail/", None),
        *(("layout", "admin", f"/dev/mail/{name}", None) for name in site.mails[:1]),
        ("portal", "guest", "/veranstaltungen", None),
        ("portal", "guest", "/veranstaltungen?q=empfang&free=1", None),
        ("portal", "guest", f"/veranstaltungen/{i['event']}-{slug(site.titles['event'])}", None),
        (
            "portal",
            "guest",
            f"/veranstaltungen/{i['cancelled']}-{slug(site.titles['cancelled'])}",
            None,
        ),
        ("portal", "guest", "/veranstaltungen/aemter/kulturbuero", None),
        ("portal", "guest", f"/veranstaltungen/orte/{i['venue']}", None),
        ("portal", "guest", "/widget?department=kulturbuero", None),
        ("events", "staff", "/", None),
        ("events", "staff", "/month", None),
        ("events", "staff", f"/month?month={_day(7):%Y-%m}", None),
        ("week-empty", "staff", "/week", None),
        ("events", "staff", f"/week?date={_day(7).isoformat()}", None),
        ("events", "staff", f"/events/{i['event']}", None),
        ("events", "staff", f"/events/{i['long']}", None),
        ("events", "staff", f"/events/{i['cancelled']}", None),
        ("events", "staff", "/events/new", EMPTY),
        ("events", "staff", f"/events/{i['event']}/edit", None),
        ("events", "staff", f"/inbound/?state=review&event_id={i['event']}", None),
        ("events", "staff", f"/events/{i['event']}/cancel", None),
        ("invitations", "staff", f"/events/{i['event']}/guests/", None),
        ("contacts", "staff", "/contacts/", None),
        ("contacts", "staff", "/contacts/new", EMPTY),
        ("contacts", "staff", f"/contacts/{i['contact']}/edit", None),
        ("contacts", "staff", "/contacts/import", EMPTY),
        ("fatigue", "comms", f"/contacts/{i['contact']}/edit", None),  # invitation cap field
        ("import-preview", "staff", f"/contacts/import/{i['import']}", None),
        ("contacts", "comms", "/contacts/duplicates", None),
        ("contacts", "admin", "/contacts/merges", None),
        ("contacts", "comms", f"/contacts/duplicates/{i['dup_a']}/{i['dup_b']}/merge", None),
        ("conflicts", "comms", "/conflicts/", None),
        ("layout", "comms", "/inbound/", None),
        ("conflicts", "comms", "/conflicts/blocked", None),
        ("conflicts", "comms", "/conflicts/blocked/new", EMPTY),
        ("conflicts", "comms", f"/conflicts/blocked/{i['blocked']}/edit", None),
        ("conflicts", "comms", "/conflicts/blocked/import", None),
        ("conflicts", "comms", "/conflicts/school-holidays", None),
        ("conflicts", "comms", "/conflicts/school-holidays/import", None),
        ("audit", "admin", "/audit/", None),
        ("audit", "privacy", "/audit/?action=contact", None),
        ("audit", "privacy", f"/contacts/{i['contact']}/edit", None),
        ("rsvp", "guest", f"/rsvp/{site.token}", EMPTY),
        ("rsvp", "guest", f"/rsvp/{site.token}/optout", None),
        ("rsvp", "guest", f"/rsvp/{site.cancelled_token}", None),
        ("privacy", "privacy", "/privacy/retention", None),
        ("privacy", "admin", "/privacy/retention", None),
        ("privacy", "guest", "/datenschutz", None),
        ("privacy", "admin", "/datenschutz", None),
        ("privacy", "admin", "/datenschutz/bearbeiten", EMPTY),
        ("privacy", "privacy", f"/contacts/{i['guest']}/edit", None),
        ("privacy", "privacy", f"/privacy/contacts/{i['guest']}/export", None),
        ("privacy", "privacy", f"/privacy/contacts/{i['guest']}/erase", EMPTY),
        ("privacy", "privacy", "/privacy/suppressions", EMPTY),
        ("cohosting", "staff", f"/events/{i['theirs']}", None),
        ("cohosting", "staff", f"/events/{i['theirs']}/cohost-request", None),
        ("cohosting", "comms", f"/events/{i['theirs']}/cohost-request", None),
        ("cohosting", "staff", f"/events/{i['event']}", None),
        ("cohosting", "staff", f"/cohost-requests/{i['cohost_request']}/accept", None),
        ("cohosting", "staff", f"/cohost-requests/{i['cohost_request']}/decline", None),
        ("brief", "comms", "/brief/", None),
        ("brief", "staff", "/brief/", None),
        ("brief", "staff", "/subscriptions/", None),
    ]


MISSING = ("/no-such-page", "/rsvp/no-such-token")


def _log_in(browser, base: str, site: Site, role: str):
    """Return a new browser context, logged in as the role's user unless the role is guest."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    serve_axe(context)
    page = context.new_page()
    if role != "guest":
        page.goto(f"{base}/login?lang=de")
        page.get_by_label("E-Mail").fill(site.users[role].email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(lambda url: "/login" not in url)
    return page


def _check(page, where: str, found: dict) -> None:
    """Run axe at each width and keep what it finds under `where`."""
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        violations = run_axe(page)
        if violations:
            found[f"{where} @{width}px"] = violations


def _submit(page, values: dict) -> None:
    """Fill the given fields and send the page's main form."""
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.locator("main form:not(.inline-form) [type=submit]").first.click()
    page.wait_for_load_state()


def _violations_in(area: str, app, database_url, tmp_path, monkeypatch) -> dict:
    """Visit the area's pages as their roles, in both languages and widths; return violations."""
    monkeypatch.setattr(TestConfig, "ENV_NAME", "development")  # the mail catcher's pages
    monkeypatch.setattr(TestConfig, "MAIL_CATCHER_DIR", str(tmp_path / "mail"), raising=False)
    site = _scenario(tmp_path / "mail")
    pages = [p for p in _pages(site) if p[0] == area]
    found: dict[str, list] = {}
    with live_server(database_url) as base, chromium_page() as first:
        browser, contexts = first.context.browser, {}
        for role in dict.fromkeys(p[1] for p in pages):
            if role not in contexts:
                contexts[role] = _log_in(browser, base, site, role)
        for lang in LANGUAGES:
            for page in contexts.values():
                page.goto(f"{base}/login?lang={lang}")
            for _area, role, path, fields in pages:
                page = contexts[role]
                response = page.goto(base + path)
                status = response.status if response is not None else 0
                if status != (404 if path in MISSING else 200):
                    found[f"{lang} {role} {path}"] = [f"HTTP status {status}"]
                    continue
                if response.request.redirected_from is not None:  # e.g. to the login page
                    found[f"{lang} {role} {path}"] = [f"redirected to {page.url}"]
                    continue
                # htmx panels (the event form's conflict check) load after the page.
                page.wait_for_function("() => !document.querySelector('.htmx-request')")
                _check(page, f"{lang} {role} {path}", found)
                if fields is not None:
                    page.set_viewport_size({"width": 1280, "height": 900})
                    _submit(page, fields if lang == "de" else {})
                    _check(page, f"{lang} {role} {path} (sent with errors)", found)
    return found


@pytest.mark.browser
@pytest.mark.parametrize(
    "area",
    [
        "layout",
        "events",
        "contacts",
        "conflicts",
        "rsvp",
        "week-empty",
        "invitations",
        "import-preview",
        "privacy",
        "audit",
        "portal",
        "cohosting",
        "brief",
        "fatigue",
    ],
)
def test_every_page_passes_wcag_21_aa_in_both_languages_and_widths(
    area, app, database_url, tmp_path, monkeypatch
):
    if database_url.startswith("postgresql") and "sqlite" in BACKENDS:
        pytest.skip("the markup does not depend on the database: checked once, on SQLite")
    found = _violations_in(area, app, database_url, tmp_path, monkeypatch)
    assert not found, "axe-core found WCAG 2.1 A/AA violations:\n" + report(found)


def test_admin_forms_mark_only_fields_that_can_stay_empty_as_optional(browser):
    # A select without an empty choice always sends a value: "optional" there misleads.
    login(browser, Role.ADMIN, department=None)
    page = browser.get("/admin/users/new").get_data(as_text=True)
    optional = set(re.findall(r'for="(\w+)">[^<]*<span class="kern-label__optional">', page))
    assert optional == {"department"}  # a new account needs a password
    page = browser.get("/venues/new").get_data(as_text=True)
    assert re.search(r'for="district_id">[^<]*<span class="kern-label__optional">', page)


@pytest.mark.browser
def test_axe_reports_rule_impact_target_and_html_of_each_violation():
    # The markup the review found on 14 pages, and an image without a text alternative.
    markup = (
        '<!doctype html><html lang="de"><head><title>Probe</title></head><body><main>'
        '<h1>Probe</h1><label for="t">Titel</label><input id="t" aria-invalid="None">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" class="bild"></main></body></html>'
    )
    with chromium_page() as page:
        page.set_content(markup)
        violations = run_axe(page)
        text = report({"probe": violations})
    assert {(v.rule, v.impact) for v in violations} >= {
        ("aria-valid-attr-value", "critical"),
        ("image-alt", "critical"),
    }
    assert "aria-valid-attr-value [critical] #t" in text and 'aria-invalid="None"' in text
    assert "image-alt [critical] img" in text and 'class="bild"' in text
