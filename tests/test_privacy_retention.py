"""Retention: each data class with the clock moved, the dry run, review mode, audit, the page."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.accounts.models import Role
from app.audit import Actor, record
from app.audit.models import AuditEntry
from app.contacts.models import Contact, Tag
from app.extensions import db
from app.inbound.models import InboundMessage, Kind, State
from app.invitations.models import Invitation
from app.mail.models import MailStatus, OutboxMessage
from app.notifications.models import Notification
from app.privacy.retention import months_before, run
from tests.factories import NOW, login, make_contact, make_event, make_invitation, make_user

# make_event's default event ends 2026-11-03 20:00 Berlin = 19:00 UTC.
EVENT_END = datetime(2026, 11, 3, 19, 0, tzinfo=UTC)
MESSAGE = b"Subject: Einladung\r\nTo: gast@example.org\r\n\r\nGeheimer Text mit Rollstuhlplatz"


def _run(app, now, **kwargs):
    """Run the purge (or dry run) as of ``now`` with the app's configuration."""
    return run(now=now, config=app.config, **kwargs)


def _counts(report) -> dict:
    """Return {class: due} of a report."""
    return {r.name: r.due for r in report.results}


def _guest_with_notes():
    """Return an invitation to the default event with a comment and needs."""
    staff = make_user(Role.STAFF)
    event = make_event(staff, status="published")
    invitation, _token = make_invitation(event, staff)
    invitation.comment, invitation.needs = "Komme später", "vegetarisch, Rollstuhlplatz"
    db.session.commit()
    return invitation


def _sent_mail(sent_at: datetime, n: int = 1) -> OutboxMessage:
    """Store a delivered mail."""
    row = OutboxMessage(
        recipient="gast@example.org",
        kind="confirmation",
        sequence=n,
        message=MESSAGE,
        message_id=f"<m{n}@stadt.test>",
        status=MailStatus.SENT,
        next_attempt_at=sent_at,
        sent_at=sent_at,
        created_at=sent_at,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _inbound(processed_at: datetime) -> InboundMessage:
    """Store a processed inbound message with its bytes."""
    row = InboundMessage(
        message_id_key="<antwort@example.org>",
        received_at=processed_at,
        raw=b"From: gast@example.org\r\n\r\nIch komme gern",
        size=40,
        kind=Kind.HUMAN,
        state=State.RECORDED,
        processed_at=processed_at,
        detail={"text": "Ich komme gern"},
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_rsvp_comments_and_needs_go_30_days_after_the_event(app):
    invitation = _guest_with_notes()
    assert _counts(_run(app, EVENT_END + timedelta(days=29)))["rsvp_text"] == 0
    db.session.expire_all()
    assert invitation.needs == "vegetarisch, Rollstuhlplatz"
    report = _run(app, EVENT_END + timedelta(days=30, minutes=1))
    assert report.counts()["rsvp_text"] == 1
    db.session.expire_all()
    assert (invitation.comment, invitation.needs) == ("", "")
    assert invitation.status.value == "pending"  # the answer itself stays (answers class)
    if db.engine.dialect.name == "postgresql":  # the purge vacuumed what it changed
        vacuumed = "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'invitations'"
        assert db.session.scalar(text(vacuumed)) is not None


def test_sent_mail_keeps_its_headers_and_loses_the_body_after_30_days(app):
    row = _sent_mail(NOW)
    assert _run(app, NOW + timedelta(days=29)).counts()["mail_bodies"] == 0
    assert _run(app, NOW + timedelta(days=31)).counts()["mail_bodies"] == 1
    db.session.expire_all()
    assert row.message == b"Subject: Einladung\r\nTo: gast@example.org\r\n\r\n"
    assert row.body_dropped_at is not None
    assert _counts(_run(app, NOW + timedelta(days=40)))["mail_bodies"] == 0  # done once


def test_contacts_without_invitation_or_change_go_after_36_months(app):
    old = NOW - timedelta(days=10)
    tag = Tag(name="Ämterrunde")
    db.session.add(tag)
    idle = make_contact(created_at=old, updated_at=old, tags=[tag])
    opted_out = make_contact(created_at=old, updated_at=old, do_not_invite=True)
    invited = make_contact(created_at=old, updated_at=old)
    staff = make_user(Role.STAFF)
    later = old + timedelta(days=36 * 31)
    # An event shortly before the run: its answers are not yet reduced to counts (24 months),
    # so the invitation still ties the contact.
    recent = (later - timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
    make_invitation(make_event(staff, status="published", start=recent), staff, invited)
    changed = make_contact(created_at=old, updated_at=NOW + timedelta(days=300))
    db.session.commit()
    ids = idle.id, opted_out.id, invited.id, changed.id
    assert _run(app, months_before(old, 35)).counts()["contacts"] == 0
    assert _run(app, later).counts()["contacts"] == 1
    db.session.expire_all()
    left = set(db.session.scalars(select(Contact.id)))
    assert left == set(ids[1:])
    assert db.session.scalar(text("SELECT count(*) FROM contact_tags")) == 0
    assert db.session.get(Tag, tag.id) is not None


def test_review_mode_lists_contacts_without_deleting_them(app, browser):
    app.config["RETENTION_CONTACTS_MODE"] = "review"
    old = datetime(2020, 1, 1, tzinfo=UTC)
    idle = make_contact(created_at=old, updated_at=old, last_name="Vergessen")
    db.session.commit()
    report = _run(app, NOW)
    result = next(r for r in report.results if r.name == "contacts")
    assert (result.due, result.purged, result.deletes) == (1, 0, False)
    assert db.session.get(Contact, idle.id) is not None
    login(browser, Role.PRIVACY, department=None)
    page = browser.get("/privacy/retention").get_data(as_text=True)
    assert f'id="review-contact-{idle.id}"' in page and "Vergessen" in page
    assert db.session.get(Contact, idle.id) is not None


def test_audit_entries_go_after_24_months_and_the_run_is_recorded(app):
    record("contact.viewed", "contact", 1, actor=Actor.system(), at=NOW - timedelta(days=800))
    record("contact.viewed", "contact", 2, actor=Actor.system(), at=NOW - timedelta(days=700))
    db.session.commit()
    report = _run(app, NOW)
    assert report.counts()["audit"] == 1
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.object_id) for e in entries] == [
        ("contact.viewed", 2),
        ("retention.run", None),
    ]
    run_entry = entries[-1]
    assert run_entry.actor_type == "system"
    assert run_entry.changes["counts"]["audit"] == 1
    assert set(run_entry.changes["counts"]) >= {"rsvp_text", "mail_bodies", "contacts", "inbound"}


def test_inbound_bytes_go_after_the_inbound_period(app):
    row = _inbound(NOW)
    assert _run(app, NOW + timedelta(days=29)).counts()["inbound"] == 0
    assert _run(app, NOW + timedelta(days=31)).counts()["inbound"] == 1
    db.session.expire_all()
    assert row.raw is None and "text" not in row.detail
    assert row.state == State.RECORDED  # the outcome stays


def _snapshot() -> dict:
    """Return every row of the tables retention writes."""
    tables = ("invitations", "outbox", "contacts", "contact_tags", "audit_log", "inbound")
    return {t: sorted(map(tuple, db.session.execute(text(f"SELECT * FROM {t}")))) for t in tables}


def test_notifications_go_after_the_notification_period(app):
    staff = make_user()
    for n, written in enumerate((NOW - timedelta(days=181), NOW - timedelta(days=179))):
        db.session.add(
            Notification(
                user_id=staff.id,
                kind="guest_clash",
                params={"guest": "Frau Muster", "event": "Fest", "department": "Amt"},
                url="/events/1",
                cause=f"retention:{n}",
                delivery="digest",
                created_at=written,
            )
        )
    db.session.commit()
    assert _run(app, NOW).counts()["notifications"] == 1
    assert [n.cause for n in db.session.scalars(select(Notification))] == ["retention:1"]


def test_the_dry_run_counts_everything_and_changes_nothing(app, runner):
    _guest_with_notes()
    _sent_mail(NOW)
    _inbound(NOW)
    old = datetime(2020, 1, 1, tzinfo=UTC)
    make_contact(created_at=old, updated_at=old)
    record("login.succeeded", "user", 1, actor=Actor.system(), at=old)
    db.session.commit()
    before = _snapshot()
    later = "2029-06-01T00:00:00+00:00"
    report = _run(app, datetime.fromisoformat(later), dry_run=True)
    counts = _counts(report)
    assert counts["audit"] >= 1  # and whatever the setup itself recorded
    assert {k: counts[k] for k in ("rsvp_text", "mail_bodies", "contacts", "inbound")} == {
        "rsvp_text": 1,
        "mail_bodies": 1,
        "contacts": 1,
        "inbound": 1,
    }
    result = runner.invoke(args=["privacy", "purge", "--dry-run", "--now", later])
    assert result.exit_code == 0, result.output
    assert "rsvp_text" in result.output and "dry run: nothing was changed" in result.output
    db.session.expire_all()
    assert _snapshot() == before


def test_the_command_purges_in_batches_and_prints_the_counts(app, runner):
    old = datetime(2020, 1, 1, tzinfo=UTC)
    for _ in range(5):
        make_contact(created_at=old, updated_at=old)
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge", "--now", "2026-12-01", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("contacts"))
    assert line.split()[1:3] == ["5", "purged"]
    assert db.session.scalar(select(Contact.id)) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert entry.changes["counts"]["contacts"] == 5
    report = _run(app, NOW, batch_size=2)  # nothing left: one empty batch at most
    assert all(r.batches == 0 for r in report.results)


def test_batches_are_counted_and_timed(app):
    staff = make_user(Role.STAFF)
    event = make_event(staff, status="published")
    for _ in range(5):
        invitation, _token = make_invitation(event, staff)
        invitation.needs = "glutenfrei"
    db.session.commit()
    report = _run(app, EVENT_END + timedelta(days=31), batch_size=2)
    result = next(r for r in report.results if r.name == "rsvp_text")
    assert (result.purged, result.batches) == (5, 3)
    assert 0 < report.longest_batch("invitations") < 1
    assert db.session.scalar(select(Invitation.id).where(Invitation.needs != "")) is None


@pytest.mark.parametrize(("role", "status"), [(Role.STAFF, 403), (Role.COMMS, 403)])
def test_the_retention_page_is_refused_to_staff_and_comms(browser, role, status):
    login(browser, role)
    assert browser.get("/privacy/retention").status_code == status


@pytest.mark.parametrize("role", [Role.PRIVACY, Role.ADMIN])
def test_the_retention_page_shows_periods_and_counts(app, browser, role):
    _guest_with_notes()
    login(browser, role, department=None)
    response = browser.get("/privacy/retention")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in ("rsvp_text", "mail_bodies", "contacts", "audit", "inbound", "notifications"):
        assert f'id="class-{name}"' in page
    assert "30 Tage" in page or "30 days" in page
    assert 'href="/privacy/retention"' in page  # in the navigation of both roles


def test_the_retention_page_needs_a_login(client):
    response = client.get("/privacy/retention")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_contacts_mode_refuses_to_start(database_url):
    from app import create_app
    from config import TestConfig

    with pytest.raises(RuntimeError, match="RETENTION_CONTACTS_MODE"):
        create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, RETENTION_CONTACTS_MODE="x")


def test_months_before_keeps_the_time_and_clamps_the_day():
    moment = datetime(2027, 3, 31, 12, 30, tzinfo=UTC)
    assert months_before(moment, 1) == datetime(2027, 2, 28, 12, 30, tzinfo=UTC)
    assert months_before(moment, 24) == datetime(2025, 3, 31, 12, 30, tzinfo=UTC)
    assert months_before(datetime(2027, 1, 15, tzinfo=UTC), 1) == datetime(2026, 12, 15, tzinfo=UTC)
