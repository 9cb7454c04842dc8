"""One reused SMTP connection to the configured server, and what its errors mean."""

import smtplib
from collections.abc import Callable
from contextlib import suppress
from email.utils import parseaddr
from types import TracebackType

from flask import current_app
from flask_mail import Connection

from app.extensions import mail


class DeliveryError(Exception):
    """A mail was not accepted; ``permanent`` tells whether trying again later can help."""

    def __init__(self, reason: str, *, permanent: bool, connecting: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.connecting = connecting  # no session with the server could be opened


def envelope_sender() -> str:
    """Return the bare address of MAIL_DEFAULT_SENDER, used as the SMTP envelope sender."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    if isinstance(sender, tuple | list):
        return sender[1]
    return parseaddr(sender)[1]


def _reply_error(code: int, text: bytes | str) -> DeliveryError:
    """Turn an SMTP reply into an error: 5xx is permanent, anything else worth a retry."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return DeliveryError(f"{code} {text}".strip(), permanent=500 <= code < 600)


def _refused(host: smtplib.SMTP, code: int) -> None:
    """End the refused transaction the way smtplib.sendmail does: 421 closes, others reset."""
    if code == 421:
        host.close()
        return
    # The refusal is what counts; if the server has gone, the next mail reconnects.
    with suppress(smtplib.SMTPServerDisconnected):
        host.rset()


def _transaction(
    host: smtplib.SMTP,
    sender: str,
    recipient: str,
    raw: bytes,
    before_data: Callable[[], None] | None,
) -> None:
    """Run MAIL, RCPT and DATA like smtplib.sendmail, calling ``before_data`` before DATA."""
    host.ehlo_or_helo_if_needed()
    options = [f"SIZE={len(raw)}"] if host.does_esmtp and host.has_extn("size") else []
    code, reply = host.mail(sender, options)
    if code != 250:
        _refused(host, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = host.rcpt(recipient)
    if code not in (250, 251):
        _refused(host, code)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    if before_data is not None:
        before_data()
    code, reply = host.data(raw)
    if code != 250:
        _refused(host, code)
        raise smtplib.SMTPDataError(code, reply)


class SmtpLink:
    """A lazily opened SMTP connection, reused for many mails and reopened after it drops.

    The connection comes from Flask-Mail, so MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS/SSL and the
    login settings apply; with MAIL_SUPPRESS_SEND (on by default when TESTING) nothing is sent
    and every mail counts as accepted, as with Flask-Mail itself.
    """

    def __init__(self, *, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._connection: Connection | None = None

    @property
    def suppressed(self) -> bool:
        """Return True when the app is configured not to send mail at all."""
        # The state lives in the app; the unbound `mail` object has none of its own.
        return bool(current_app.extensions["mail"].suppress)

    def _host(self) -> smtplib.SMTP | None:
        """Return the live smtplib client, or None when there is none."""
        connection = self._connection
        if connection is None or connection.host is None or connection.host.sock is None:
            return None
        return connection.host

    def open(self) -> None:
        """Connect and log in unless connected; a failure is a temporary DeliveryError."""
        if self.suppressed or self._host() is not None:
            return
        self.close()
        connection = mail.connect()
        try:
            connection.host = connection.configure_host()
        except smtplib.SMTPResponseException as error:
            # Greeting, EHLO, STARTTLS or login refused: a server or settings problem, not the
            # mail's, so never a reason to give up on the mail.
            reason = _reply_error(error.smtp_code, error.smtp_error).reason
            raise DeliveryError(reason, permanent=False, connecting=True) from error
        except (smtplib.SMTPException, OSError) as error:
            reason = f"connection failed: {error!r}"
            raise DeliveryError(reason, permanent=False, connecting=True) from error
        if connection.host is not None and connection.host.sock is not None:
            # Flask-Mail connects without a timeout; a hung server must not hold a claim forever.
            connection.host.sock.settimeout(self.timeout)
        self._connection = connection

    def send(
        self,
        sender: str,
        recipient: str,
        raw: bytes,
        *,
        before_data: Callable[[], None] | None = None,
    ) -> None:
        """Send the raw message bytes to one recipient; raise DeliveryError when refused.

        ``before_data`` runs once the server has accepted sender and recipient, just before the
        message itself goes out, which is when the server takes responsibility for it.
        """
        self.open()
        host = self._host()
        if host is None:  # suppressed
            if before_data is not None:
                before_data()
            return
        try:
            _transaction(host, sender, recipient, raw, before_data)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _reply_error(code, text) from error
        except smtplib.SMTPResponseException as error:
            # The transaction was reset (or the connection closed after a 421).
            raise _reply_error(error.smtp_code, error.smtp_error) from error
        except UnicodeError as error:
            self.close()  # a command may be half written
            raise DeliveryError(f"address not ASCII: {error}", permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            self.close()  # the state of the session is unknown; start afresh
            raise DeliveryError(f"connection lost: {error!r}", permanent=False) from error

    def close(self) -> None:
        """Say QUIT if the connection is alive, and forget it."""
        connection, self._connection = self._connection, None
        if connection is None or connection.host is None:
            return
        try:
            if connection.host.sock is not None:
                connection.host.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            connection.host.close()

    def __enter__(self) -> "SmtpLink":
        """Return the link; it connects on the first mail."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the connection."""
        self.close()
