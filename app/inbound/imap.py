"""Fetching replies from a mailbox by IMAP, for cities whose mail server cannot route rsvp+*.

``INBOUND_IMAP_URL`` names the mailbox (``imaps://user:pass@host[:port]/INBOX``, ``imap://`` for
a local server). Each message is stored and committed first (the same path as ``mail ingest``),
then moved to ``INBOUND_IMAP_DONE_FOLDER``; a crash in between costs nothing, since the next run
finds the message known by its Message-ID and only moves it. Processing follows the fetch.
"""

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from app.extensions import db
from app.inbound.inbox import store

LIST_LINE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)$')


class MailboxError(Exception):
    """The mailbox URL is wrong or the IMAP server refused what we asked."""


@dataclass(frozen=True)
class Mailbox:
    """Where to fetch from, parsed from INBOUND_IMAP_URL."""

    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str


@dataclass
class FetchResult:
    """What one fetch did."""

    stored: int = 0
    known: int = 0
    refused: int = 0
    moved: int = 0


def parse_url(url: str) -> Mailbox:
    """Return the mailbox of an imap(s)://user:pass@host[:port]/FOLDER URL."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise MailboxError("INBOUND_IMAP_URL must look like imaps://user:pass@host[:port]/INBOX")
    secure = parts.scheme == "imaps"
    return Mailbox(
        secure=secure,
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _quote(name: str) -> str:
    """Return a mailbox name as an IMAP quoted string."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(answer: tuple, what: str) -> list:
    """Return the data of an OK answer; raise MailboxError otherwise."""
    status, data = answer
    if status != "OK":
        raise MailboxError(f"IMAP {what} failed: {data!r}")
    return data


def _delimiter(client: imaplib.IMAP4) -> str:
    """Return the server's hierarchy delimiter (``/`` or ``.``)."""
    for line in _check(client.list('""', '""'), "LIST"):
        match = LIST_LINE.match(line or b"")
        if match and match.group("delim") != b"NIL":
            return match.group("delim").strip(b'"').decode()
    return "/"


def _ensure_folder(client: imaplib.IMAP4, folder: str) -> str:
    """Create the folder for handled mail (and its parents) when missing; return its name."""
    name = folder.replace("/", _delimiter(client))
    _status, existing = client.list('""', _quote(name))
    if not any(existing or [None]):
        client.create(_quote(name))  # Dovecot and Cyrus create the parents on the way
        client.subscribe(_quote(name))
    return name


def _move(client: imaplib.IMAP4, uid: bytes, target: str, can_move: bool) -> None:
    """Move one message by UID: MOVE (RFC 6851) where offered, else COPY + \\Deleted."""
    if can_move:
        _check(client.uid("MOVE", uid, _quote(target)), "MOVE")
        return
    _check(client.uid("COPY", uid, _quote(target)), "COPY")
    _check(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")


def fetch(mailbox: Mailbox, *, done_folder: str, max_bytes: int) -> FetchResult:
    """Store every message of the mailbox, committing each, and move the handled ones."""
    result = FetchResult()
    try:
        if mailbox.secure:  # imaplib's own default context would not check the certificate
            context = ssl.create_default_context()
            client = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=context, timeout=60)
        else:
            client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=60)
    except OSError as error:
        raise MailboxError(f"cannot connect to {mailbox.host}:{mailbox.port}: {error}") from error
    try:
        try:
            client.login(mailbox.user, mailbox.password)
        except imaplib.IMAP4.error as error:
            raise MailboxError(f"IMAP login failed: {error}") from error
        target = _ensure_folder(client, done_folder)
        # After the login: servers announce MOVE (RFC 6851) only to a logged-in client.
        can_move = b"MOVE" in b" ".join(_check(client.capability(), "CAPABILITY")).split()
        _check(client.select(_quote(mailbox.folder)), "SELECT")
        uids = _check(client.uid("SEARCH", None, "UNDELETED"), "SEARCH")[0].split()
        for uid in uids:
            data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is None:
                continue
            if len(raw) > max_bytes:
                result.refused += 1  # left in the mailbox for a person to look at
                continue
            stored = store(raw)
            db.session.commit()  # stored before it is moved: a crash now loses nothing
            result.stored, result.known = (
                (result.stored + 1, result.known) if stored else (result.stored, result.known + 1)
            )
            _move(client, uid, target, can_move)
            result.moved += 1
        if not can_move and result.moved:
            client.expunge()
        client.close()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return result
