"""Issue 8, findings 2 and 9: the conflict check tells staff nothing about guest lists closed to
them, and URL imports connect only to the address they checked."""

import functools
import ipaddress
import re
import shutil
import socket
import ssl
import subprocess
from datetime import date, datetime

import pytest
from sqlalchemy import update

from app.accounts.models import Role
from app.conflicts import download, listing
from app.conflicts.engine import Proposal, check
from app.conflicts.imports import fetch_ics
from app.errors import ValidationError
from app.events.models import Event, Status
from app.extensions import db
from app.invitations.operations import invite
from config import TestConfig
from tests.conftest import Browser
from tests.factories import (
    NOW,
    PASSWORD,
    api_headers,
    make_contact,
    make_event,
    make_user,
)
from tests.website import Site

KEY = TestConfig.SECRET_KEY
DAY = datetime(2027, 2, 3)  # no public or school holiday: only the guests can clash
WINDOW = "from=2027-02-01&to=2027-02-07"


# --- finding 2: person conflicts for staff ------------------------------------------------------


def _published(actor, **overrides):
    return make_event(actor, status="published", **overrides)


def _persons(conflicts):
    return [c for c in conflicts if c.kind == "person"]


def _scenario(kind: str):
    """Return (a_staff, b_staff, comms, guest, theirs, mine).

    Department A's event ``theirs`` (18:00, ``kind``: "confidential", "draft" or "public")
    and department B's published event ``mine`` (19:00) share the guest; A invited the guest
    to theirs, B to mine. No venue, no audience: only the guest can make a conflict.
    """
    a_staff, b_staff = make_user(), make_user()
    comms = make_user(Role.COMMS, department=None)
    guest = make_contact(last_name="Gastmann", vip=True)
    visibility = "confidential" if kind == "confidential" else "public"
    theirs = _published(
        a_staff, title="Runde im Amt A", visibility=visibility, start=DAY.replace(hour=18)
    )
    mine = _published(b_staff, title="Mein Empfang", start=DAY.replace(hour=19))
    invite(theirs, [guest], actor=a_staff, now=NOW, secret_key=KEY)
    invite(mine, [guest], actor=b_staff, now=NOW, secret_key=KEY)
    if kind == "draft":
        db.session.execute(
            update(Event)
            .where(Event.id == theirs.id)
            .values(status=Status.DRAFT, published_at=None)
        )
    db.session.commit()
    db.session.expire_all()
    return a_staff, b_staff, comms, guest, theirs, mine


def _named_event_ids(data) -> set[int]:
    """Return every event id a JSON answer names: ids, event_ids and pair keys."""
    found: set[int] = set()
    if isinstance(data, dict):
        for name, value in data.items():
            if name == "id" and isinstance(value, int):
                found.add(value)
            elif name == "event_ids":
                found |= set(value)
            elif name == "key" and re.fullmatch(r"(person|venue):\d+:\d+", str(value)):
                found |= {int(part) for part in value.split(":")[1:]}
            else:
                found |= _named_event_ids(value)
    elif isinstance(data, list):
        for item in data:
            found |= _named_event_ids(item)
    return found


def _links_to(page: str, event_id: int) -> bool:
    return re.search(rf"/events/{event_id}(?!\d)", page) is not None


@pytest.mark.parametrize("kind", ["confidential", "draft"])
def test_a_hidden_event_gives_staff_no_person_conflict_anywhere(client, kind):
    a_staff, b_staff, comms, guest, theirs, mine = _scenario(kind)
    # The domain check and the window listing.
    assert _persons(check(Proposal.from_event(mine), b_staff)) == []
    items = listing.conflicts_between(b_staff, date(2027, 2, 1), date(2027, 2, 7))
    assert [i for i in items if i.conflict.kind == "person"] == []
    # The API check and list.
    headers = api_headers(b_staff)
    db.session.commit()
    checked = client.post("/api/v1/conflicts/check", json={"event_id": mine.id}, headers=headers)
    listed = client.get(f"/api/v1/conflicts?{WINDOW}", headers=headers)
    for response in (checked, listed):
        assert response.status_code == 200
        assert all(c["kind"] != "person" for c in response.json["conflicts"])
        assert theirs.id not in _named_event_ids(response.json)
    # The event page, the edit form and the live check of the form.
    browser = Browser(client)
    browser.login(b_staff.email, PASSWORD)
    form = {
        "title": "Mein Empfang",
        "start_date": "2027-02-03",
        "start_time": "19:00",
        "end_date": "2027-02-03",
        "end_time": "21:00",
        "department": b_staff.department.code,
        "visibility": "internal",
        "max_plus_ones": "0",
    }
    live = browser.post(f"/conflicts/check/{mine.id}", form, form_page=f"/events/{mine.id}/edit")
    pages = [
        browser.get(f"/events/{mine.id}").get_data(as_text=True),
        browser.get(f"/events/{mine.id}/edit").get_data(as_text=True),
        live.get_data(as_text=True),
    ]
    for page in pages:
        assert "Keine Konflikte" in page  # the check ran and found nothing
        assert not _links_to(page, theirs.id) and "Gastmann" not in page
    # The communications team keeps the full picture.
    (full,) = _persons(check(Proposal.from_event(mine), comms))
    assert full.event_ids == [mine.id, theirs.id] and full.details["contact_ids"] == [guest.id]
    assert "Gastmann" in full.message
    comms_headers = api_headers(comms)
    db.session.commit()
    comms_list = client.get(f"/api/v1/conflicts?{WINDOW}", headers=comms_headers)
    (person,) = [c for c in comms_list.json["conflicts"] if c["kind"] == "person"]
    assert sorted(person["event_ids"]) == sorted([mine.id, theirs.id])
    # A itself sees the clash of its own event.
    (own,) = _persons(check(Proposal.from_event(theirs), a_staff))
    assert own.details["contact_ids"] == [guest.id]


def test_a_visible_event_names_only_the_viewers_own_guests(app):
    a_staff, b_staff, comms, guest, theirs, mine = _scenario("public")
    # B's guest is also on A's public event: B sees it, with the guest (B invited them).
    (hit,) = _persons(check(Proposal.from_event(mine), b_staff))
    assert hit.event_ids == [mine.id, theirs.id] and hit.details["contact_ids"] == [guest.id]
    assert "Runde im Amt A" in hit.message and "Gastmann" in hit.message
    # A guest shared only by two of A's events is no concern of B's: neither B's check nor
    # B's list shows that pair.
    other = make_contact(last_name="Fremdgast")
    parallel = _published(a_staff, title="Parallel", start=DAY.replace(hour=19))
    invite(theirs, [other], actor=a_staff, now=NOW, secret_key=KEY)
    invite(parallel, [other], actor=a_staff, now=NOW, secret_key=KEY)
    (hit,) = _persons(check(Proposal.from_event(mine), b_staff))
    assert hit.details["contact_ids"] == [guest.id]
    listed = listing.conflicts_between(b_staff, date(2027, 2, 1), date(2027, 2, 7))
    persons = [i.conflict for i in listed if i.conflict.kind == "person"]
    assert [(c.event_ids, c.details["contact_ids"]) for c in persons] == [
        ([theirs.id, mine.id], [guest.id])
    ]
    # Staff of a third department, not hosting mine, see no guests of it at all.
    third = make_user()
    assert _persons(check(Proposal.from_event(mine), third)) == []
    assert [i for i in listing.conflicts_between(third, date(2027, 2, 1), date(2027, 2, 7))] == []
    # Comms see both pairs of A's events too.
    everything = listing.conflicts_between(comms, date(2027, 2, 1), date(2027, 2, 7))
    assert len([i for i in everything if i.conflict.kind == "person"]) == 2


def test_co_hosts_and_inviting_departments_count_as_own(app):
    a_staff, b_staff, _comms, guest, theirs, mine = _scenario("public")
    cohost = make_user()
    mine.co_hosts.append(cohost.department)
    db.session.flush()
    # A co-host sees every guest of the event it hosts (it sees that guest list anyway).
    (hit,) = _persons(check(Proposal.from_event(mine), cohost))
    assert hit.details["contact_ids"] == [guest.id]
    # A department that invited the guest still counts the guest as its own after it stopped
    # co-hosting; the other guests of the event are not its own.
    late = make_contact(last_name="Spätgast")
    invite(mine, [late], actor=cohost, now=NOW, secret_key=KEY)
    invite(theirs, [late], actor=a_staff, now=NOW, secret_key=KEY)
    mine.co_hosts.clear()
    db.session.flush()
    (hit,) = _persons(check(Proposal.from_event(mine), cohost))
    assert hit.details["contact_ids"] == [late.id] and hit.details["guests"] == 1
    (full,) = _persons(check(Proposal.from_event(mine), b_staff))
    assert full.details["contact_ids"] == sorted([guest.id, late.id])


@pytest.mark.parametrize("kind", ["confidential", "draft", "public"])
def test_invite_warnings_name_only_events_the_inviter_may_see_in_full(app, kind):
    _a_staff, b_staff, comms, guest, theirs, mine = _scenario(kind)
    second = _published(b_staff, title="Zweiter Empfang", start=DAY.replace(hour=18, minute=30))
    result = invite(second, [guest], actor=b_staff, now=NOW, secret_key=KEY)
    named = {w["event_id"] for w in result.warnings}
    if kind == "public":
        assert named == {mine.id, theirs.id}
    else:
        assert named == {mine.id}
        assert all("Runde im Amt A" not in w["message"] for w in result.warnings)
    # The communications team is told about every clash.
    third = _published(b_staff, title="Dritter Empfang", start=DAY.replace(hour=19, minute=30))
    result = invite(third, [guest], actor=comms, now=NOW, secret_key=KEY)
    assert {w["event_id"] for w in result.warnings} == {mine.id, second.id, theirs.id}


# --- finding 9: URL imports connect to the address they checked ----------------------------------

PUBLIC_IP = "93.184.215.14"  # a global address; the test routes connections to it locally


class Network:
    """A resolver the test controls, and every TCP connection the process opens, recorded.

    ``answers[name]`` lists the addresses of successive lookups (the last one repeats), like a
    DNS server that rebinds; connections to PUBLIC_IP reach the `internet` site.
    """

    def __init__(self, monkeypatch, internet: Site):
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.connections: list[tuple[str, int]] = []
        real_lookup, real_connect = socket.getaddrinfo, socket.create_connection

        def lookup(host, port, *args, **kwargs):
            if host not in self.answers:
                return real_lookup(host, port, *args, **kwargs)
            self.lookups.append(host)
            queue = self.answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            if ":" in address:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        def connect(address, *args, **kwargs):
            self.connections.append(tuple(address[:2]))
            if address[0] == PUBLIC_IP:
                return real_connect(("127.0.0.1", internet.port), *args, **kwargs)
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", lookup)
        monkeypatch.setattr(socket, "create_connection", connect)


@pytest.fixture
def sites():
    """Yield an `intranet` site (must never be reached) and an `internet` site."""
    intranet, internet = Site(), Site()
    yield intranet, internet
    intranet.close()
    internet.close()


@pytest.fixture
def network(monkeypatch, sites):
    """Return the controlled resolver and connection log."""
    return Network(monkeypatch, sites[1])


def _calendar() -> bytes:
    return b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nEND:VCALENDAR\r\n"


def _refused(url: str, **options) -> str:
    with pytest.raises(ValidationError) as caught:
        fetch_ics(url, allow_private=options.pop("allow_private", False), timeout=2, **options)
    return caught.value.errors["url"][0]


def _own_network(message: str) -> bool:
    return "own network" in message or "eigenen Netz" in message


def test_a_rebinding_name_is_fetched_from_the_checked_address_only(sites, network):
    intranet, internet = sites
    intranet.routes["/cal.ics"] = (200, {}, b"secret")
    internet.routes["/cal.ics"] = (200, {}, _calendar())
    network.answers["rebind.example"] = [PUBLIC_IP, "127.0.0.1"]
    url = f"http://rebind.example:{intranet.port}/cal.ics"
    assert fetch_ics(url, allow_private=False, timeout=2) == _calendar()
    assert intranet.requests == []
    assert network.lookups == ["rebind.example"]  # resolved once
    assert network.connections == [(PUBLIC_IP, intranet.port)]
    assert internet.requests == [("/cal.ics", f"rebind.example:{intranet.port}")]


def test_every_redirect_hop_is_checked_and_pinned(sites, network):
    intranet, internet = sites
    intranet.routes["/secret"] = (200, {}, b"secret")
    network.answers["public.example"] = [PUBLIC_IP]
    network.answers["rebind.example"] = [PUBLIC_IP, "127.0.0.1"]
    network.answers["inside.example"] = ["10.0.0.7"]
    internet.routes["/rebind"] = (
        302,
        {"Location": f"http://rebind.example:{intranet.port}/secret"},
        b"",
    )
    internet.routes["/secret"] = (200, {}, _calendar())
    start = f"http://public.example:{intranet.port}"
    assert fetch_ics(f"{start}/rebind", allow_private=False, timeout=2) == _calendar()
    assert network.lookups == ["public.example", "rebind.example"]
    for location in (
        f"http://inside.example:{intranet.port}/secret",
        f"http://127.0.0.1:{intranet.port}/secret",
        f"http://[::127.0.0.1]:{intranet.port}/secret",
        f"http://[64:ff9b::7f00:1]:{intranet.port}/secret",
        f"http://[2002:7f00:1::]:{intranet.port}/secret",
    ):
        internet.routes["/away"] = (302, {"Location": location}, b"")
        assert _own_network(_refused(f"{start}/away")), location
    assert intranet.requests == []


@pytest.mark.parametrize(
    "host", ["[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::ffff:127.0.0.1]"]
)
def test_ipv4_embedded_in_ipv6_is_checked(sites, network, host):
    intranet, _internet = sites
    assert _own_network(_refused(f"http://{host}:{intranet.port}/cal.ics"))
    assert network.connections == [] and intranet.requests == []


def test_the_host_name_stays_in_the_request_to_the_pinned_address(sites, network):
    intranet, _internet = sites
    intranet.routes["/cal.ics?year=2027"] = (200, {}, _calendar())
    network.answers["calendar.example"] = ["127.0.0.1"]
    url = f"http://calendar.example:{intranet.port}/cal.ics?year=2027"
    assert _own_network(_refused(url))
    assert fetch_ics(url, allow_private=True, timeout=2) == _calendar()
    assert network.connections == [("127.0.0.1", intranet.port)]
    assert intranet.requests == [("/cal.ics?year=2027", f"calendar.example:{intranet.port}")]


@pytest.fixture
def certificate(tmp_path):
    """Return (certificate, key) files of a self-signed certificate for calendar.example."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=calendar.example", "-addext", "subjectAltName=DNS:calendar.example"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_to_the_pinned_address_checks_the_certificate_for_the_name(
    monkeypatch, network, certificate
):
    cert, key = certificate
    names: list[str | None] = []
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    tls.sni_callback = lambda _sock, name, _ctx: names.append(name)
    site = Site(tls=tls)
    try:
        site.routes["/cal.ics"] = (200, {}, _calendar())
        network.answers["calendar.example"] = ["127.0.0.1"]
        network.answers["other.example"] = ["127.0.0.1"]
        # Not trusted: the certificate check is on.
        message = _refused(f"https://calendar.example:{site.port}/cal.ics", allow_private=True)
        assert "could not be loaded" in message or "konnte nicht geladen" in message
        trusting = functools.partial(ssl.create_default_context, cafile=str(cert))
        monkeypatch.setattr(ssl, "create_default_context", trusting)
        url = f"https://calendar.example:{site.port}/cal.ics"
        assert fetch_ics(url, allow_private=True, timeout=2) == _calendar()
        assert names[-1] == "calendar.example"
        assert site.requests == [("/cal.ics", f"calendar.example:{site.port}")]
        # The certificate is checked against the name asked for, not the address connected to.
        message = _refused(f"https://other.example:{site.port}/cal.ics", allow_private=True)
        assert "could not be loaded" in message or "konnte nicht geladen" in message
        assert names[-1] == "other.example" and len(site.requests) == 1
    finally:
        site.close()


@pytest.mark.parametrize(
    "address",
    [
        "0.0.0.0",
        "127.0.0.1",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.178.1",
        "169.254.169.254",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::",
        "::1",
        "::127.0.0.1",
        "::10.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:192.168.0.1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::7f00:1",
        "64:ff9b:1:ab00::5db8:d70e",
        "2002:7f00:1::",
        "2002:a00:1::1",
        "2002:c0a8:101::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "fe80::1",
        "fec0::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
    ],
)
def test_addresses_inside_any_network_are_not_public(address):
    assert not download.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "2606:4700:4700::1111",
        "::ffff:93.184.215.14",
        "64:ff9b::5db8:d70e",
        "64:ff9b:1::5db8:d70e",
        "2002:5db8:d70e::1",
        "2001:0:5db8:d70e:0:a247:a247:f1f1",
    ],
)
def test_public_addresses_and_their_ipv6_forms_are_public(address):
    assert download.is_public(ipaddress.ip_address(address))


def test_too_many_redirects_are_refused(sites, network):
    _intranet, internet = sites
    network.answers["loop.example"] = [PUBLIC_IP]
    internet.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    message = _refused("http://loop.example/loop")
    assert "too often" in message or "zu oft" in message
    assert len(internet.requests) == download.MAX_REDIRECTS + 1
