"""The inbound server's group commit, over real SMTP on 127.0.0.1, on SQLite and PostgreSQL.

Sessions that deliver while a commit is under way share the next one; every session hears 250
only after its group committed, and 451 when that commit failed (then nothing of the group is
stored). To line sessions up behind one commit, a test holds a lock in its own transaction that
makes the server's INSERT wait; to make a commit fail, it adds a trigger to the inbound table.
"""

import smtplib
import threading
import time
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.inbound.models import InboundMessage
from app.inbound.server import inbound_server
from tests.test_inbound import DOMAIN, Guest

POISON = "<poison@example.org>"


@pytest.fixture
def guest(app):
    """Return an invited guest (Erika Muster) of a published event in a month."""
    return Guest()


def _variant(guest: Guest, name: str) -> bytes:
    """Return the guest's Gmail reply with a Message-ID of its own."""
    return guest.mail("gmail_accept.eml").replace(b"<CAGmail0000reply1@mail.gmail.com>", name)


def _send(port: int, raws: list[bytes], to: str, results: dict, key) -> None:
    """Send the mails over one connection; record each answer's code (250, 451 …)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for number, raw in enumerate(raws):
                try:
                    smtp.sendmail("erika.muster@example.org", [to], raw)
                    results[key, number] = 250
                except smtplib.SMTPResponseException as error:
                    results[key, number] = error.smtp_code
    except Exception as error:  # a thread cannot fail the test; the assertion below does
        results[key, "error"] = repr(error)


def _start(port: int, raws: list[bytes], to: str, results: dict, key) -> threading.Thread:
    """Send the mails from a thread of their own (one SMTP session); return the thread."""
    thread = threading.Thread(target=_send, args=(port, raws, to, results, key), daemon=True)
    thread.start()
    return thread


def _until(condition, timeout: float = 20.0) -> None:
    """Wait until condition() holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _keys() -> list[str]:
    """Return the stored message keys (in a new transaction, so the server's commits show)."""
    db.session.rollback()
    return sorted(db.session.scalars(select(InboundMessage.message_id_key)))


@contextmanager
def _inserts_wait():
    """Hold, in the test's transaction, a lock that makes the server's INSERT wait."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE inbound IN EXCLUSIVE MODE"))
    else:  # SQLite has one writer: a pending write holds it (the server waits up to 5 s)
        db.session.execute(text("UPDATE calendar_version SET version = version"))
    try:
        yield
    finally:
        db.session.rollback()


def _line_up(server, guest: Guest, names: list[bytes], results: dict) -> list[threading.Thread]:
    """Block the writer on a first mail, then queue one session per name behind it."""
    writer, handler, to = server.handler.writer, server.handler, f"rsvp+{guest.token}@{DOMAIN}"
    threads = [_start(server.port, [_variant(guest, b"<plug@example.org>")], to, results, "plug")]
    taken = lambda: handler.waiting == 1 and writer.queue.qsize() == 0  # noqa: E731
    _until(taken)
    time.sleep(0.2)  # the writer has taken the first mail; its INSERT waits for the lock
    assert taken()
    for name in names:
        threads.append(_start(server.port, [_variant(guest, name)], to, results, name))
    _until(lambda: writer.queue.qsize() == len(names))
    return threads


def test_many_concurrent_sessions_are_each_stored_once_and_acknowledged(app, guest):
    to = f"rsvp+{guest.token}@{DOMAIN}"
    results: dict = {}
    with inbound_server(app, port=0) as server:
        threads = [
            _start(
                server.port,
                [_variant(guest, b"<s%d-%d@example.org>" % (s, n)) for n in range(5)]
                + [_variant(guest, b"<shared@example.org>")],  # the same mail in every session
                to,
                results,
                s,
            )
            for s in range(12)
        ]
        for thread in threads:
            thread.join(60)
    assert set(results.values()) == {250} and len(results) == 12 * 6
    expected = [f"<s{s}-{n}@example.org>" for s in range(12) for n in range(5)]
    assert _keys() == sorted([*expected, "<shared@example.org>"])
    envelopes = set(db.session.scalars(select(InboundMessage.envelope_to)))
    assert envelopes == {to}


def test_sessions_arriving_during_a_commit_share_the_next_one(app, guest):
    names = [b"<queued-%d@example.org>" % n for n in range(5)]
    results: dict = {}
    with inbound_server(app, port=0) as server:
        with _inserts_wait():
            threads = _line_up(server, guest, names, results)
            assert results == {}  # nobody heard 250 while the commit could not happen
        for thread in threads:
            thread.join(30)
        assert server.handler.writer.groups == 2  # the plug, then the five in one transaction
    assert set(results.values()) == {250} and len(results) == 6
    assert len(_keys()) == 6


def _add_poison_trigger() -> None:
    """Make storing POISON fail: on PostgreSQL at commit (deferred), on SQLite at the insert."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "CREATE FUNCTION test_refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN IF NEW.message_id_key = '{POISON}' THEN"
                " RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END $$"
            )
        )
        db.session.execute(
            text(
                "CREATE CONSTRAINT TRIGGER test_refuse_poison AFTER INSERT ON inbound"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse_poison()"
            )
        )
    else:
        db.session.execute(
            text(
                "CREATE TRIGGER test_refuse_poison BEFORE INSERT ON inbound"
                f" WHEN NEW.message_id_key = '{POISON}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    db.session.commit()


def _drop_poison_trigger() -> None:
    """Remove the trigger (the tables are emptied after each test, triggers are not)."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP TRIGGER IF EXISTS test_refuse_poison ON inbound"))
        db.session.execute(text("DROP FUNCTION IF EXISTS test_refuse_poison()"))
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS test_refuse_poison"))
    db.session.commit()


def test_a_failing_commit_answers_451_to_every_session_of_its_group_and_stores_none(app, guest):
    names = [b"<innocent-%d@example.org>" % n for n in range(4)] + [POISON.encode()]
    results: dict = {}
    _add_poison_trigger()
    try:
        with inbound_server(app, port=0) as server:
            with _inserts_wait():
                threads = _line_up(server, guest, names, results)
            for thread in threads:
                thread.join(30)
            assert results.pop(("plug", 0)) == 250
            assert results == {(name, 0): 451 for name in names}
            assert _keys() == ["<plug@example.org>"]  # nothing of the failed group
            _drop_poison_trigger()
            retried: dict = {}  # the sending server tries again later
            to = f"rsvp+{guest.token}@{DOMAIN}"
            _send(server.port, [_variant(guest, name) for name in names], to, retried, "again")
    finally:
        _drop_poison_trigger()
    assert set(retried.values()) == {250} and len(retried) == len(names)
    assert len(_keys()) == 1 + len(names)


def test_stopping_the_server_answers_every_session_waiting_for_the_writer(app, guest):
    names = [b"<late-%d@example.org>" % n for n in range(3)]
    results: dict = {}
    with ExitStack() as stack:
        server = stack.enter_context(inbound_server(app, port=0))
        with _inserts_wait():
            threads = _line_up(server, guest, names, results)
            stopping = threading.Thread(target=stack.pop_all().close, daemon=True)
            stopping.start()  # stops listening, then waits for the writer, which waits for us
            time.sleep(0.2)
        stopping.join(30)
        assert not stopping.is_alive()
    for thread in threads:
        thread.join(30)
    assert set(results.values()) == {250} and len(results) == 4
    assert len(_keys()) == 4
