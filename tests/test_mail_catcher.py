"""The development mail catcher and its pages."""

import base64
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from app import create_app
from app.accounts.models import Role
from app.extensions import db
from app.mail.catcher import MailCatcher
from app.mail.outbox import enqueue
from app.mail.worker import deliver
from config import TestConfig
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user
from tests.smtpserver import EphemeralController, send_mail_to

ROOT = Path(__file__).resolve().parent.parent
ICS = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:-//Stadt//DE\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def invitation_like(to: str = "gast@example.org") -> EmailMessage:
    """Return a mail shaped like an invitation: text, HTML and the two calendar parts."""
    message = EmailMessage()
    message["From"] = "Stadtkalender <noreply@stadt.test>"
    message["To"] = to
    message["Subject"] = "Einladung: Neujahrsempfang"
    message["Date"] = "Mon, 02 Nov 2026 10:00:00 +0100"
    message.set_content("Bitte antworten Sie hier: https://stadt.test/rsvp/abc123\n")
    message.add_alternative(
        '<p onclick="x()">Hallo <script>alert(1)</script><a href="https://stadt.test/rsvp/abc123">'
        "Antworten</a></p>",
        subtype="html",
    )
    message.add_alternative(
        ICS.encode(),
        maintype="text",
        subtype="calendar",
        params={"charset": "utf-8", "method": "REQUEST"},
    )
    message.add_attachment(
        ICS.encode(), maintype="application", subtype="ics", filename="invite.ics"
    )
    return message


@pytest.fixture
def catcher(app, client, tmp_path):
    """Run the catcher into a temporary folder, with the pages on and an administrator in."""
    directory = tmp_path / "caught"
    controller = EphemeralController(MailCatcher(directory), hostname="127.0.0.1", port=0)
    controller.start()
    app.config.update(ENV_NAME="development", MAIL_CATCHER_DIR=str(directory))
    admin = make_user(Role.ADMIN, department=None)
    db.session.commit()
    Browser(client).login(admin.email, PASSWORD)  # the pages are for administrators only
    send_mail_to(app, controller.port)
    try:
        yield directory
    finally:
        controller.stop()


def test_the_catcher_keeps_the_bytes_exactly_as_received(app, catcher):
    raw = b"From: a@stadt.test\r\nTo: b@example.org\r\nSubject: roh\r\n\r\n.Punkt\r\n\xc3\xa4\r\n"
    with smtplib.SMTP("127.0.0.1", app.config["MAIL_PORT"]) as client:
        client.sendmail("a@stadt.test", ["b@example.org"], raw)
    (stored,) = catcher.glob("*.eml")
    assert stored.read_bytes() == raw
    assert not list(catcher.glob(".*.part"))


def test_delivered_mail_is_listed_newest_first_and_shown(app, client, catcher):
    now = datetime.now(UTC)
    for to in ("erste@example.org", "zweite@example.org"):
        enqueue(db.session, recipient=to, kind="test", message=invitation_like(to), now=now)
        db.session.commit()
        assert deliver(until_empty=True, worker_id="w").sent == 1
    page = client.get("/dev/mail/").get_data(as_text=True)
    assert page.index("zweite@example.org") < page.index("erste@example.org")
    assert "Einladung: Neujahrsempfang" in page
    assert "text/plain, text/html, text/calendar, application/ics" in page
    name = sorted(path.name for path in catcher.glob("*.eml"))[0]

    detail = client.get(f"/dev/mail/{name}").get_data(as_text=True)
    assert '<a href="https://stadt.test/rsvp/abc123"' in detail  # the text part's link
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail and "<script>alert" not in detail
    assert f'src="/dev/mail/{name}/html" sandbox=""' in detail
    assert "METHOD:REQUEST" in detail and "Message-ID" in detail

    framed = client.get(f"/dev/mail/{name}/html")
    assert "<script>alert(1)</script>" in framed.get_data(as_text=True)
    csp = framed.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"

    ics = client.get(f"/dev/mail/{name}/invite.ics")
    assert ics.mimetype == "text/calendar" and "attachment" in ics.headers["Content-Disposition"]
    assert ics.get_data(as_text=True) == ICS
    raw = client.get(f"/dev/mail/{name}/raw")
    assert raw.get_data() == (catcher / name).read_bytes()
    assert base64.b64encode(ICS.encode())[:40] in raw.get_data()


def test_the_pages_say_so_when_nothing_was_caught(client, catcher):
    assert "No mails caught yet." in client.get("/dev/mail/?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("name", ["nope.eml", "..%2Fstadtkalender.sqlite", "20261102T100000.eml"])
def test_unknown_names_are_not_found(client, catcher, name):
    assert client.get(f"/dev/mail/{name}").status_code == 404
    assert client.get(f"/dev/mail/{name}/raw").status_code == 404


def test_the_pages_are_not_found_outside_development(app, client, database_url, catcher):
    app.config["ENV_NAME"] = "test"
    assert client.get("/dev/mail/").status_code == 404
    production = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        ENV_NAME="production",
        SECRET_KEY="a-production-secret-key-that-is-long-enough",
        MAIL_CATCHER_DIR=str(catcher),
    )
    probe = production.test_client()
    assert probe.get("/dev/mail/").status_code == 404
    # Not even a CSRF refusal (400) that would tell the route exists: there is none.
    assert probe.post("/dev/mail/x.eml/reply", data={"answer": "ACCEPTED"}).status_code == 404
    assert not [r for r in production.url_map.iter_rules() if r.rule.startswith("/dev/")]


def test_the_catcher_command_refuses_production(app, runner):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["mail", "catcher", "--port", "8099"])
    assert result.exit_code == 2
    assert "refusing in production" in result.output


def _free_port() -> int:
    """Return a port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_catcher_command_stores_mail_and_stops_on_sigterm(database_url, tmp_path):
    port = _free_port()
    env = os.environ | {"DATABASE_URL": database_url, "STADTKALENDER_ENV": "development"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "catcher"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                    client.sendmail("a@stadt.test", ["b@example.org"], b"Subject: hi\r\n\r\nx\r\n")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the catcher did not start"
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert [path.read_bytes() for path in tmp_path.glob("*.eml")] == [b"Subject: hi\r\n\r\nx\r\n"]
    assert b"Mail catcher stopped." in err
