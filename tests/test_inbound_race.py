"""Calendar replies and link answers at once never exceed the capacity (PostgreSQL).

Both ways in are the real ones: 30 guests answer "Zusagen" on their RSVP page (HTTP POSTs with
CSRF to a live threaded server) while 30 other guests' mail programs send REPLY accepts over
SMTP to the inbound server, which stores and processes them at once; 20 places.
"""

import http.cookiejar
import smtplib
import threading
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.inbound.server import inbound_server
from app.invitations.answers import seats_taken
from app.invitations.models import Answer, Invitation
from tests.conftest import csrf_from
from tests.factories import make_event, make_invitation, make_user
from tests.livesite import live_server
from tests.test_inbound import DOMAIN, NOW, corpus
from tests.test_inbound_smtp import _wait_processed


class Guest:
    """One guest's browser: a cookie jar, the RSVP page read (CSRF token) before the race."""

    def __init__(self, base: str, token: str) -> None:
        self.url = f"{base}/rsvp/{token}"
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with self.opener.open(self.url, timeout=30) as page:
            self.csrf = csrf_from(page.read().decode())

    def accept(self) -> int:
        """Press "Zusagen": POST the form, follow the redirect, return the final status."""
        body = {"csrf_token": self.csrf, "response": "accepted", "plus_ones": "0"}
        data = urllib.parse.urlencode(body).encode()
        with self.opener.open(self.url, data=data, timeout=60) as answer:
            return answer.status


def test_30_mail_and_30_link_accepts_for_20_places_fill_exactly_20(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer; the race needs PostgreSQL's row locks")
    owner = make_user()
    start = (NOW + timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
    event = make_event(
        owner, status="published", start=start, end=start + timedelta(hours=2), capacity=20
    )
    guests = [make_invitation(event, owner, now=NOW) for _ in range(60)]
    mails = []
    for number, (invitation, token) in enumerate(guests[:30]):
        raw = corpus(
            "gmail_accept.eml",
            token=token,
            domain=DOMAIN,
            uid=event.uid,
            guest=invitation.contact.email,
        ).replace(b"<CAGmail0000reply1@", b"<race-%d@" % number)
        mails.append((f"rsvp+{token}@{DOMAIN}", raw))
    db.session.commit()
    app.config["INBOUND_PROCESS_DELAY"] = 0.0  # process while the links are being answered
    errors, statuses = [], []
    with live_server(database_url) as base, inbound_server(app, port=0) as server:
        browsers = [Guest(base, token) for _invitation, token in guests[30:]]
        start_together = threading.Barrier(60)

        def by_link(browser: Guest) -> None:
            try:
                start_together.wait()
                statuses.append(browser.accept())
            except Exception as error:  # reported below, a thread cannot fail the test
                errors.append(error)

        def by_mail(recipient: str, raw: bytes) -> None:
            try:
                with smtplib.SMTP("127.0.0.1", server.port, timeout=60) as smtp:
                    start_together.wait()
                    smtp.sendmail("gast@example.org", [recipient], raw)
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=by_link, args=(b,)) for b in browsers]
        threads += [threading.Thread(target=by_mail, args=mail) for mail in mails]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        assert errors == [] and statuses == [200] * 30
        processed = _wait_processed(30, timeout=60)
    assert len(processed) == 30 and {state for _kind, state in processed} == {"applied"}
    db.session.rollback()
    assert seats_taken(event) == 20
    counts = dict(
        db.session.execute(
            select(Invitation.status, func.count())
            .where(Invitation.event_id == event.id)
            .group_by(Invitation.status)
        ).all()
    )
    assert counts == {Answer.ACCEPTED: 20, Answer.WAITLISTED: 40}
    sources = dict(
        db.session.execute(
            select(Invitation.response_source, func.count())
            .where(Invitation.event_id == event.id)
            .group_by(Invitation.response_source)
        ).all()
    )
    assert sources == {"mail": 30, "link": 30}
