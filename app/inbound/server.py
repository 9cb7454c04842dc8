"""The inbound SMTP/LMTP server: accepts mail for rsvp+<token>@MAIL_DOMAIN, stores, then processes.

A message is acknowledged (250) only after the transaction that stores it has committed. The
sessions share that commit: one writer stores whatever they received meanwhile in one
transaction (``groupcommit``), so mail delivered over parallel connections does not queue for
an fsync each. The processing runs afterwards in one background thread, so that a slow or
failing step never costs the sender a retry, and whatever is left over is picked up by
``process_pending``.
"""

import asyncio
import logging
import re
import threading
import time
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from flask import Flask

from app.extensions import db
from app.inbound.addresses import rsvp_token
from app.inbound.groupcommit import GroupWriter, NotStored
from app.inbound.inbox import process_pending
from app.mail.verp import outbox_id

log = logging.getLogger(__name__)
SHUTDOWN_WAIT = 10.0  # seconds a stopping server gives waiting sessions to hear their answer
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# "<local@domain>" with a dot-atom local part and a host name, then ESMTP parameters if any
# (no comments, quotes or escapes): the shape of practically every MAIL and RCPT command.
_PLAIN_PATH = re.compile(
    rf"[ \t]*<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>"
    r"(?:[ \t]+([\x21-\x27\x2a-\x5b\x5d-\x7e]+(?:[ \t]+[\x21-\x27\x2a-\x5b\x5d-\x7e]+)*[ \t]*))?"
    r"[ \t]*"
)


class Processor:
    """One background thread that processes stored messages once the server is quiet.

    Processing waits until no message has arrived for ``delay`` seconds (at most ``longest``
    seconds after the first one), so that a burst of mail is acknowledged at full speed and
    then processed in batches, instead of both competing for the same interpreter.
    """

    def __init__(self, app: Flask, *, delay: float = 0.5, longest: float = 30.0) -> None:
        self.app = app
        self.delay, self.longest = delay, longest
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.last = 0.0  # time.monotonic() of the last stored message
        self.thread = threading.Thread(target=self._run, name="inbound-processor", daemon=True)

    def start(self) -> None:
        """Start the thread; it first processes what an earlier run left stored."""
        self.wake.set()
        self.thread.start()

    def arrived(self) -> None:
        """Note that a message was stored; it is processed once the server has been quiet."""
        self.last = time.monotonic()
        self.wake.set()  # cheap while the thread waits out the quiet (it does not wait on it)

    def _quiet(self) -> None:
        """Wait until no message arrived for ``delay`` seconds, or ``longest`` passed."""
        deadline = time.monotonic() + self.longest
        while not self.stopping.is_set():
            until = min(self.last + self.delay, deadline)
            if time.monotonic() >= until:
                return
            # Sleeping to the computed time rather than on ``wake``: a burst of mail does not
            # wake this thread once per message, away from the sessions and the writer.
            self.stopping.wait(until - time.monotonic())

    def _run(self) -> None:
        """Process pending messages each time new ones were stored, until stopped."""
        while not self.stopping.is_set():
            self.wake.wait(timeout=30)
            self.wake.clear()
            self._quiet()
            if self.stopping.is_set():
                return  # what is left stays stored for the next start or `process-inbound`
            with self.app.app_context():
                try:
                    process_pending()
                except Exception:
                    log.exception("processing inbound mail failed; the messages stay stored")
                finally:
                    db.session.remove()

    def stop(self) -> None:
        """Finish the current round and stop."""
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout=30)


class InboundHandler:
    """aiosmtpd handler: refuses other recipients (550), stores each message, answers 250."""

    def __init__(self, app: Flask, processor: Processor | None, *, lmtp: bool = False) -> None:
        self.app = app
        self.processor = processor
        self.lmtp = lmtp
        self.domain = app.config["MAIL_DOMAIN"]
        self.secret = app.config["SECRET_KEY"]
        with app.app_context():
            self.writer = GroupWriter(db.engine)  # its own connections, without a session
        self.waiting = 0  # sessions waiting for the writer (touched on the event loop only)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        """Accept only the per-invitation reply addresses and signed bounce addresses (VERP)."""
        if (
            rsvp_token(address, self.domain) is None
            and outbox_id(address, self.domain, self.secret) is None
        ):
            return "550 5.1.1 No such recipient here: only rsvp+<token> addresses"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        """Store the message and acknowledge it once the group it was stored with committed."""
        raw = envelope.original_content or b""
        self.waiting += 1
        try:
            await self.writer.store(raw, list(envelope.rcpt_tos), envelope.mail_from or "")
        except NotStored:
            return self._each(envelope, "451 4.3.0 Could not store the message; try again later")
        finally:
            self.waiting -= 1
        if self.processor is not None:
            self.processor.arrived()
        return self._each(envelope, "250 2.0.0 OK: stored")

    def _each(self, envelope, reply: str) -> str:
        """Return the reply once, or (LMTP) once per recipient."""
        return "\r\n".join([reply] * len(envelope.rcpt_tos)) if self.lmtp else reply


class PlainPaths:
    """Reads the plain "<local@domain>" of MAIL and RCPT without the header parser.

    aiosmtpd reads every path with the RFC 5322 header parser of the email package (and
    defines a class on each call), which costs more than the rest of a command. A plain path
    gives the same address and parameters as that parser does (tests compare both); anything
    else (quoted local parts, source routes, comments, address literals, ``<>``) still goes
    to it.
    """

    local_part_limit: int

    def _getaddr(self, arg: str):
        """Return (address, parameters) of a MAIL/RCPT argument; (None, None) when unreadable."""
        plain = _PLAIN_PATH.fullmatch(arg or "")
        if plain is None:
            return super()._getaddr(arg)
        address = plain.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, plain.group(2) or ""


class InboundSMTP(PlainPaths, SMTP):
    """aiosmtpd's SMTP with the quick reading of plain paths."""


class InboundLMTP(PlainPaths, LMTP):
    """aiosmtpd's LMTP with the quick reading of plain paths."""


class InboundController(Controller):
    """The aiosmtpd controller: SMTP or LMTP, size limit, and port 0 for a free port."""

    def __init__(self, handler: InboundHandler, *, host: str, port: int, max_bytes: int) -> None:
        super().__init__(handler, hostname=host, port=port, data_size_limit=max_bytes)
        self.lmtp = handler.lmtp

    def factory(self):
        """Return the protocol object for one connection."""
        server_class = InboundLMTP if self.lmtp else InboundSMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self):
        """Learn the port that was bound (port 0) before aiosmtpd connects to it."""
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def start(self) -> None:
        """Start the writer, then listen (the writer stops again when listening failed)."""
        self.handler.writer.start()
        try:
            super().start()
        except BaseException:
            self.handler.writer.close()
            raise

    def stop(self, no_assert: bool = False) -> None:
        """Stop listening, let every waiting session hear whether its message was stored, stop.

        A message handed to the writer is committed (250) or failed (451) before the loop
        stops; a session still transferring its message is cut off unanswered, so the sender
        tries again later.
        """
        if self.server is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._stop_listening(), self.loop).result(5)
        self.handler.writer.close()
        if self.loop.is_running():
            drained = asyncio.run_coroutine_threadsafe(self._answered(), self.loop)
            drained.result(SHUTDOWN_WAIT + 1)
        super().stop(no_assert)

    async def _stop_listening(self) -> None:
        """Accept no further connections (those open keep going until the loop stops)."""
        self.server.close()

    async def _answered(self) -> None:
        """Wait (at most SHUTDOWN_WAIT seconds) until no session waits for the writer."""
        deadline = time.monotonic() + SHUTDOWN_WAIT
        while self.handler.waiting and time.monotonic() < deadline:
            await asyncio.sleep(0.01)


@contextmanager
def inbound_server(app: Flask, *, host: str = "127.0.0.1", port: int = 2525, lmtp: bool = False):
    """Run the inbound server with its processor; yield the controller (its .port is bound)."""
    processor = Processor(app, delay=float(app.config.get("INBOUND_PROCESS_DELAY", 0.5)))
    handler = InboundHandler(app, processor, lmtp=lmtp)
    max_bytes = int(app.config.get("INBOUND_MAX_BYTES", 2 * 1024 * 1024))
    controller = InboundController(handler, host=host, port=port, max_bytes=max_bytes)
    processor.start()
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
        processor.stop()
