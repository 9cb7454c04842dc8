"""Inbound mail through the real SMTP/LMTP server on 127.0.0.1 and through `mail ingest`."""

import smtplib
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.inbound.models import InboundMessage, State
from app.inbound.server import inbound_server
from app.invitations.models import Answer, Invitation
from tests.test_inbound import DOMAIN, Guest, corpus


@pytest.fixture
def guest(app):
    """Return an invited guest (Erika Muster) of a published event in a month."""
    return Guest()


def _wait_processed(count: int = 1, timeout: float = 20.0) -> list[tuple]:
    """Wait until ``count`` messages are processed; return (kind, state) of every message."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # a new transaction sees what the server committed
        rows = db.session.execute(
            select(InboundMessage.kind, InboundMessage.state).order_by(InboundMessage.id)
        ).all()
        done = [row for row in rows if row.state != State.STORED]
        if len(done) >= count or time.monotonic() > deadline:
            return [tuple(row) for row in rows]
        time.sleep(0.05)


def _answer(invitation_id: int) -> tuple:
    """Return the stored answer and its source."""
    db.session.rollback()
    row = db.session.execute(
        select(Invitation.status, Invitation.response_source).where(Invitation.id == invitation_id)
    ).one()
    return tuple(row)


def test_reply_over_smtp_is_stored_before_250_and_then_sets_the_answer(app, guest):
    raw = guest.mail("outlook_accept_de.eml")
    address = f"rsvp+{guest.token}@{DOMAIN}"
    with inbound_server(app, port=0) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        assert smtp.sendmail("erika.muster@example.org", [address], raw) == {}
        db.session.rollback()
        assert db.session.scalar(select(func.count(InboundMessage.id))) == 1  # committed at 250
        assert smtp.sendmail("erika.muster@example.org", [address], raw) == {}  # a retry
        assert _wait_processed() == [("calendar_reply", "applied")]
    assert _answer(guest.invitation.id) == (Answer.ACCEPTED, "mail")


def test_smtp_refuses_other_recipients_with_550(app, guest):
    with inbound_server(app, port=0) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("x@example.org", [f"info@{DOMAIN}"], b"Subject: x\r\n\r\nx\r\n")
        ((code, _text),) = refused.value.recipients.values()
        assert code == 550
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("x@example.org", [f"rsvp+{guest.token}@other.example"], b"\r\nx\r\n")
    db.session.rollback()
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


def test_smtp_refuses_a_3_mb_message_with_552(app, guest):
    big = guest.mail("human_reply.eml") + b"X" * 76 + (b"\r\n" + b"X" * 76) * 40_000
    assert len(big) > 3_000_000
    with inbound_server(app, port=0) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
            smtp.sendmail("x@example.org", [f"rsvp+{guest.token}@{DOMAIN}"], big)
        assert refused.value.smtp_code == 552
    db.session.rollback()
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


def test_lmtp_answers_per_recipient_and_stores_once(app, guest):
    raw = guest.mail("thunderbird_tentative.eml")
    address = f"rsvp+{guest.token}@{DOMAIN}"
    with inbound_server(app, port=0, lmtp=True) as server:
        lmtp = smtplib.LMTP("127.0.0.1", server.port)
        try:
            assert lmtp.sendmail("erika.muster@example.org", [address, address.upper()], raw) == {}
        finally:
            lmtp.quit()
        assert _wait_processed() == [("calendar_reply", "applied")]
    assert _answer(guest.invitation.id) == (Answer.TENTATIVE, "mail")


def test_ingest_reads_files_and_maildirs_and_skips_known_mail(app, guest, runner, tmp_path):
    maildir = tmp_path / "Maildir"
    for folder in ("cur", "new", "tmp"):
        (maildir / folder).mkdir(parents=True)
    (maildir / "new" / "1.eml").write_bytes(guest.mail("exchange_out_of_office.eml"))
    (maildir / "cur" / "2.eml").write_bytes(guest.mail("apple_mail_decline.eml"))
    single = tmp_path / "gmail.eml"
    single.write_bytes(guest.mail("gmail_accept.eml"))
    result = runner.invoke(args=["mail", "ingest", str(maildir)])
    assert result.exit_code == 0, result.output
    assert "stored 2 · already known 0 · refused 0 · processed 2" in result.output
    assert _answer(guest.invitation.id) == (Answer.DECLINED, "mail")
    again = runner.invoke(args=["mail", "ingest", str(maildir), str(single)])
    assert "stored 1 · already known 2" in again.output
    assert _answer(guest.invitation.id) == (Answer.ACCEPTED, "mail")


def test_ingest_from_stdin_uses_the_given_envelope(app, guest, runner):
    raw = corpus("stale_sequence.eml", token="nothing", domain=DOMAIN, uid="x", guest="a@b.c")
    raw = raw.replace(b"UID:x", f"UID:{guest.event.uid}".encode())
    raw = raw.replace(b"a@b.c", b"erika.muster@example.org")
    result = runner.invoke(
        args=["mail", "ingest", "-", "--to", f"rsvp+{guest.token}@{DOMAIN}"], input=raw
    )
    assert result.exit_code == 0, result.output
    assert _answer(guest.invitation.id) == (Answer.DECLINED, "mail")


def test_ingest_refuses_files_over_the_limit(app, guest, runner, tmp_path):
    app.config["INBOUND_MAX_BYTES"] = 1000
    path = tmp_path / "big.eml"
    path.write_bytes(guest.mail("outlook_accept_de.eml"))
    result = runner.invoke(args=["mail", "ingest", str(path)])
    assert result.exit_code == 1 and "refused 1" in result.output


def test_ingest_names_a_missing_file_and_stores_nothing(app, guest, runner, tmp_path):
    present = tmp_path / "a.eml"
    present.write_bytes(guest.mail("gmail_accept.eml"))
    missing = tmp_path / "b.eml"
    result = runner.invoke(args=["mail", "ingest", str(present), str(missing)])
    assert result.exit_code == 2 and "b.eml" in result.output and "does not exist" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 0


def test_purge_inbound_command_uses_the_retention_days(app, guest, runner, tmp_path):
    path = tmp_path / "a.eml"
    path.write_bytes(guest.mail("gmail_accept.eml"))
    runner.invoke(args=["mail", "ingest", str(path)])
    assert "purged 0" in runner.invoke(args=["mail", "purge-inbound"]).output
    assert "purged 1" in runner.invoke(args=["mail", "purge-inbound", "--days", "0"]).output
    db.session.rollback()
    assert db.session.scalar(select(InboundMessage.raw)) is None
