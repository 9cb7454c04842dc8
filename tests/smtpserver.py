"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests: records mail and misbehaves on request."""

import asyncio
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller

from app.extensions import mail


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: tuple

    @property
    def message_id(self) -> str:
        """Return the Message-ID header."""
        return str(BytesHeaderParser(policy=policy.SMTP).parsebytes(self.data)["Message-ID"])


@dataclass
class RecordingHandler:
    """Accepts mail and records it; can refuse, answer 421, drop connections and be slow."""

    tempfail_every: int = 0  # answer 421 to every n-th message (counted over all DATA commands)
    drop_at: set[int] = field(default_factory=set)  # DATA numbers at which the connection drops
    reject: dict[str, str] = field(default_factory=dict)  # recipient -> reply to RCPT TO
    delay: float = 0.0  # seconds to wait before answering DATA
    received: list[Received] = field(default_factory=list)
    data_commands: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        """Refuse the addresses listed in ``reject``."""
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        """Accept, refuse or drop the message."""
        self.data_commands += 1
        number = self.data_commands
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if number in self.drop_at:
            server.transport.abort()  # the client sees the connection close before any reply
            return "421 dropped"
        if self.tempfail_every and number % self.tempfail_every == 0:
            return "421 4.3.2 Service busy, try again later"
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                tuple(session.peer),
            )
        )
        return "250 2.0.0 OK"

    @property
    def message_ids(self) -> list[str]:
        """Return the Message-IDs of all accepted messages, in order of arrival."""
        return [message.message_id for message in self.received]


class EphemeralController(Controller):
    """An aiosmtpd controller that listens on a free port chosen by the system (port=0)."""

    def _trigger_server(self):
        """Learn the port that was bound before aiosmtpd connects to it."""
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(handler=None):
    """Run an SMTP server on 127.0.0.1 and an ephemeral port; yield its controller."""
    controller = EphemeralController(handler or RecordingHandler(), hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def send_mail_to(app, port: int) -> None:
    """Make the app send real mail to 127.0.0.1:port (tests suppress mail by default)."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    mail.init_app(app)  # Flask-Mail reads its settings once, when it is bound
