"""The development mail catcher: an SMTP server that keeps every mail as an .eml file.

The files are named by the time they arrived, so that sorting their names sorts the mails; the
development pages in app/mail/views.py read them back.
"""

import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import Flask

NAME = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9]{6}-[0-9a-f]{8}\.eml")
CALENDAR_TYPES = ("text/calendar", "application/ics")


def catcher_dir(app: Flask) -> Path:
    """Return where caught mails are kept: MAIL_CATCHER_DIR, else instance/mailcatcher."""
    configured = app.config.get("MAIL_CATCHER_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "mailcatcher"


class MailCatcher:
    """An aiosmtpd handler that writes each message, byte for byte as received, to a folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def store(self, raw: bytes) -> Path:
        """Write one message to a new file and return its path."""
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S-%f}-{secrets.token_hex(4)}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(raw)
        target = self.directory / name
        os.replace(partial, target)  # atomic, so that the listing never shows half a file
        return target

    async def handle_DATA(self, server, session, envelope) -> str:
        """Keep the message and accept it."""
        self.store(envelope.original_content)
        return "250 2.0.0 OK: caught"


def run_catcher(directory: Path, *, host: str, port: int, stop: threading.Event) -> None:
    """Serve SMTP on host:port, storing every mail in ``directory``, until ``stop`` is set."""
    from aiosmtpd.controller import Controller  # only the catcher needs the SMTP server

    controller = Controller(MailCatcher(directory), hostname=host, port=port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()


@dataclass
class CaughtMail:
    """One caught mail, parsed for the development pages."""

    name: str
    message: EmailMessage
    parts: list[str] = field(default_factory=list)

    @property
    def date(self) -> datetime | None:
        """Return the Date header as an aware datetime, or None."""
        header = self.message["Date"]
        value = getattr(header, "datetime", None)
        return value if value is not None and value.tzinfo is not None else None

    @property
    def to(self) -> str:
        """Return the To header."""
        return str(self.message["To"] or "")

    @property
    def subject(self) -> str:
        """Return the Subject header."""
        return str(self.message["Subject"] or "")

    @property
    def headers(self) -> list[tuple[str, str]]:
        """Return every header, decoded, in the order of the message."""
        return [(name, str(value)) for name, value in self.message.items()]

    def body(self, subtype: str) -> str | None:
        """Return the decoded text of the plain or html body, or None."""
        part = self.message.get_body(preferencelist=(subtype,))
        return _text(part) if part is not None else None

    def _calendar_part(self) -> EmailMessage | None:
        """Return the first iCalendar part, or None."""
        for part in self.message.walk():
            if part.get_content_type() in CALENDAR_TYPES:
                return part
        return None

    @property
    def calendar(self) -> str | None:
        """Return the iCalendar part as text, or None."""
        part = self._calendar_part()
        return _text(part) if part is not None else None

    @property
    def calendar_method(self) -> str:
        """Return the iTIP method of the calendar part (REQUEST, CANCEL, …), or ""."""
        part = self._calendar_part()
        if part is None:
            return ""
        method = part.get_param("method") or ""
        if not method:
            text = self.calendar or ""
            found = next((ln for ln in text.splitlines() if ln.upper().startswith("METHOD:")), "")
            method = found.partition(":")[2]
        return str(method).strip().upper()

    @property
    def calendar_bytes(self) -> bytes | None:
        """Return the iCalendar part's bytes as sent (CRLF line ends), or None."""
        part = self._calendar_part()
        return part.get_payload(decode=True) if part is not None else None


def _text(part: EmailMessage) -> str:
    """Return a part's decoded content as text, whatever its declared type."""
    content = part.get_content()
    if isinstance(content, bytes):
        return content.decode(part.get_content_charset() or "utf-8", "replace")
    return str(content)


def _parse(path: Path) -> CaughtMail:
    """Parse one stored mail."""
    with path.open("rb") as stream:
        message = BytesParser(policy=policy.default).parse(stream)
    parts = [part.get_content_type() for part in message.walk() if not part.is_multipart()]
    return CaughtMail(name=path.name, message=message, parts=parts)


def list_caught(directory: Path, limit: int = 200) -> list[CaughtMail]:
    """Return the newest caught mails first."""
    if not directory.is_dir():
        return []
    names = sorted((p.name for p in directory.iterdir() if NAME.fullmatch(p.name)), reverse=True)
    return [_parse(directory / name) for name in names[:limit]]


def load_caught(directory: Path, name: str) -> CaughtMail | None:
    """Return one caught mail by file name, or None when there is no such mail."""
    if not NAME.fullmatch(name):  # also keeps the name inside the directory
        return None
    path = directory / name
    return _parse(path) if path.is_file() else None


def raw_bytes(directory: Path, name: str) -> bytes | None:
    """Return the stored bytes of one caught mail, or None."""
    if not NAME.fullmatch(name) or not (directory / name).is_file():
        return None
    return (directory / name).read_bytes()
