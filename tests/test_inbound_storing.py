"""Storing without parsing where a look at the bytes suffices: the same outcome as parsing.

The inbound server reads every message before storing it (its key, the attachments to drop);
for the common shapes it does so with regular expressions. These tests hold the shortcut to
the parser's answer, including the shapes that must fall back to it.
"""

from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest

from app.inbound import mime
from app.inbound.inbox import message_key
from tests.test_inbound import corpus

CORPUS = sorted(p.name for p in (Path(__file__).parent / "data" / "inbound").glob("*.eml"))
FILL = {"token": "t", "domain": "d.example", "uid": "u", "guest": "g@example.org"}
CALENDAR = b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n"


def _parsed_drops(raw: bytes) -> list[str]:
    """Return what the parser drops from the message."""
    message, dropped = mime.parse(raw), []
    mime._prune(message, dropped)
    return dropped


def _parsed_key(raw: bytes) -> str:
    """Return the Message-ID as the header parser reads it (whitespace folded)."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    return " ".join(str(headers.get("Message-ID") or "").split())


def _multipart(*parts: bytes, boundary: bytes = b"b1") -> bytes:
    """Return a multipart/mixed message of the given parts (each: headers, blank line, body)."""
    head = b"Message-ID: <m@x>\r\nContent-Type: multipart/mixed; boundary=" + boundary + b"\r\n"
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return head + b"\r\n" + body + b"--" + boundary + b"--\r\n"


ICS = b"Content-Type: text/calendar; method=REPLY\r\nContent-Disposition: attachment\r\n\r\n"
SHAPES = {
    "calendar attachment": _multipart(b"Content-Type: text/plain\r\n\r\nJa", ICS + CALENDAR),
    "text attachment": _multipart(
        ICS + CALENDAR, b"Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nx"
    ),
    "image without disposition": _multipart(b"Content-Type: image/png\r\n\r\niVBOR"),
    "folded image type": _multipart(b"Content-Type:\r\n image/png\r\n\r\niVBOR"),
    "folded attachment": _multipart(b"Content-Disposition:\r\n\tattachment\r\n\r\nsecret"),
    "two types in one block": _multipart(
        b"Content-Type: text/plain\r\nContent-Type: text/calendar\r\n"
        b"Content-Disposition: attachment\r\n\r\nsecret"
    ),
    "header-like line above": _multipart(
        b"Content-Type: text/plain\r\n--x: y\r\nContent-Disposition: attachment\r\n"
        b"Content-Type: text/calendar\r\n\r\nsecret"
    ),
    "bare CR line ends": _multipart(b"Content-Type: image/png\r\n\r\nx").replace(b"\r\n", b"\r"),
    "pdf in a forwarded mail": corpus("forwarded_reply.eml", **FILL),
}


@pytest.mark.parametrize("name", CORPUS)
def test_the_corpus_loses_exactly_what_parsing_drops(name):
    raw = corpus(name, **FILL, message_id="<m@x>")
    kept, dropped = mime.drop_attachments(raw)
    assert dropped == _parsed_drops(raw)
    assert (kept == raw) == (not dropped)
    assert mime._nothing_to_drop(raw) == (not dropped)  # the corpus needs no parse to store


@pytest.mark.parametrize("shape", SHAPES)
def test_attachments_are_dropped_as_the_parser_drops_them(shape):
    raw = SHAPES[shape]
    assert mime.drop_attachments(raw)[1] == _parsed_drops(raw)
    assert shape == "calendar attachment" or _parsed_drops(raw)  # these all lose something


KEYS = [
    b"Message-ID:\r\n <folded@x>\r\nSubject: a\r\n\r\nbody",
    b"Subject: x\r\nmessage-id:   <lower@x>  \r\n\r\nMessage-ID: <body@x>\r\n",
    b"From someone Mon Nov  2 09:00:00 2026\r\nMessage-ID: <unixfrom@x>\r\n\r\n",
    b"Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n",
    b"no header line\r\nMessage-ID: <x@y>\r\n\r\n",
    b"Subject: a\nMessage-ID: <lf@x>\n\nbody",
    b"Message-ID: <a\xffb@x>\r\n\r\n",
    b"Message-ID: <only-headers@x>",
    b"Subject: no id\r\n\r\nbody",
]


@pytest.mark.parametrize("raw", KEYS)
def test_the_message_key_is_what_the_header_parser_reads(raw):
    expected = _parsed_key(raw)
    if expected:
        assert message_key(raw) == expected
    else:  # no Message-ID: the hash of the bytes
        assert message_key(raw).startswith("sha256:")
