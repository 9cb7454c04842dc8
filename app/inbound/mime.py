"""Reading received mail: headers, the calendar parts, the text, dropping other attachments."""

import re
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from html.parser import HTMLParser

CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
# Parts a reply or a bounce is made of; everything else (pictures, documents) is dropped.
KEPT_TYPES = {
    "text/plain",
    "text/html",
    "message/rfc822",
    "message/delivery-status",
    "message/global-delivery-status",
    "text/rfc822-headers",
    "message/disposition-notification",
    *CALENDAR_TYPES,
}
TEXT_MAX = 10_000
SMTP_POLICY = policy.compat32.clone(linesep="\r\n")


def parse(raw: bytes) -> Message:
    """Parse a message leniently (compat32 keeps broken headers readable)."""
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def parse_headers(raw: bytes) -> Message:
    """Parse only the header of a message (cheap: the body is left unparsed)."""
    return BytesHeaderParser(policy=policy.compat32).parsebytes(raw)


def header(message: Message, name: str) -> str:
    """Return a header decoded to text (RFC 2047 words included), or ''."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value)))).strip()
    except (ValueError, LookupError, UnicodeError):
        return str(value).strip()


def is_calendar(part: Message) -> bool:
    """Return True for an iCalendar part, also one sent as application/octet-stream *.ics."""
    if part.get_content_type() in CALENDAR_TYPES:
        return True
    name = part.get_filename() or part.get_param("name") or ""
    return str(name).lower().endswith(".ics")


def _kept(part: Message) -> bool:
    """Return True when a leaf part is part of the reply rather than an attachment."""
    if is_calendar(part):
        return True
    disposition = (part.get_content_disposition() or "").lower()
    content_type = part.get_content_type()
    if content_type.startswith("message/") or content_type == "text/rfc822-headers":
        return content_type in KEPT_TYPES
    return content_type in KEPT_TYPES and disposition != "attachment"


def drop_attachments(raw: bytes, message: Message | None = None) -> tuple[bytes, list[str]]:
    """Return the message without attachments other than calendar parts, and what was dropped.

    The bytes stay exactly as received when nothing is dropped. ``message``, the message
    parsed from ``raw``, saves parsing it again; it is pruned in place.
    """
    if _nothing_to_drop(raw):
        return raw, []
    message = parse(raw) if message is None else message
    dropped: list[str] = []
    _prune(message, dropped)
    if not dropped:
        return raw, []
    return message.as_bytes(policy=SMTP_POLICY), dropped


# Every Content-Type line, also a folded one, wherever it stands (a part's, or one in a body).
_TYPE_LINE = re.compile(rb"^content-type:[ \t]*(?:\r?\n[ \t]+)?([^;\s]*)", re.I | re.M)
_DISPOSITION_LINE = re.compile(rb"^content-disposition:", re.I | re.M)
_BARE_CR = re.compile(rb"\r(?!\n)")  # the parser also ends lines there; ^ would not see them
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:|[ \t]")  # as the parser reads headers


def _nothing_to_drop(raw: bytes) -> bool:
    """Return True when a look at the bytes, without parsing, shows nothing could be dropped.

    Parsing costs more than the rest of receiving a mail. This look errs only one way (when in
    doubt, the message is parsed): every Content-Type line must name a kept type or a
    multipart, and every attachment must be a calendar part by the header block it stands in.
    """
    if _BARE_CR.search(raw):
        return False
    for found in _TYPE_LINE.findall(raw):
        content_type = found.lower().decode("ascii", "replace")
        if content_type not in KEPT_TYPES and not content_type.startswith("multipart/"):
            return False
    if not _DISPOSITION_LINE.search(raw):
        return True
    lines = [line.removesuffix(b"\r") for line in raw.split(b"\n")]
    for at, line in enumerate(lines):
        disposition = line[:20].lower() == b"content-disposition:"
        if disposition and _attachment(lines, at) and _block_type(lines, at) not in CALENDAR_TYPES:
            return False
    return True


def _unfolded(lines: list[bytes], at: int) -> bytes:
    """Return the header starting at line ``at`` with its continuation lines joined."""
    end = at + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return b" ".join(line.strip() for line in lines[at:end])


def _attachment(lines: list[bytes], at: int) -> bool:
    """Return True when the Content-Disposition header at ``at`` may say attachment."""
    value = _unfolded(lines, at).split(b":", 1)[1].strip().lower()
    return value.startswith(b"attachment") or not value


def _block_type(lines: list[bytes], at: int) -> str:
    """Return the content type of the part header block around line ``at``, or ''.

    Only a block the parser certainly reads as a part's headers counts: right after a
    boundary line (``--`` without a colon, so not a header), header lines only up to the blank
    line, and exactly one Content-Type.
    """
    start = at
    while start > 0 and lines[start - 1] and not lines[start - 1].startswith(b"--"):
        start -= 1
    if start == 0 or not lines[start - 1].startswith(b"--") or b":" in lines[start - 1]:
        return ""
    end = at
    while end < len(lines) and lines[end]:
        end += 1
    if not all(_HEADER_LINE.match(line) for line in lines[start:end]):
        return ""
    types = [
        _unfolded(lines, n).split(b":", 1)[1].split(b";", 1)[0].strip().lower()
        for n in range(start, end)
        if lines[n][:13].lower() == b"content-type:"
    ]
    return types[0].decode("ascii", "replace") if len(types) == 1 else ""


def _prune(message: Message, dropped: list[str]) -> None:
    """Remove unwanted leaves from a multipart tree, recursing into forwarded messages."""
    if message.get_content_type() == "message/rfc822":
        for inner in message.get_payload() or []:
            if isinstance(inner, Message):
                _prune(inner, dropped)
        return
    if not message.is_multipart():
        return
    kept = []
    for part in message.get_payload():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            _prune(part, dropped)
            kept.append(part)
        elif _kept(part):
            kept.append(part)
        else:
            dropped.append(f"{part.get_content_type()} {part.get_filename() or ''}".strip())
    message.set_payload(kept)


def walk(message: Message):
    """Yield every leaf part, also those of forwarded messages (message/rfc822)."""
    for part in message.walk():
        if not part.is_multipart():
            yield part


def decoded_text(part: Message) -> str:
    """Return a text part's content decoded from QP/base64 and its charset."""
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload() or "").encode()
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def calendar_texts(message: Message) -> list[str]:
    """Return the text of every calendar part (inline, attached, or in a forwarded message)."""
    return [_with_method(part, decoded_text(part)) for part in walk(message) if is_calendar(part)]


_METHOD_LINE = re.compile(r"^METHOD[;:]", re.I | re.M)
_CALENDAR_START = re.compile(r"^BEGIN:VCALENDAR[ \t]*\r?\n", re.I | re.M)


def _with_method(part: Message, text: str) -> str:
    """Return the text with the part's ``method=`` parameter as METHOD where it has none.

    Some clients say REPLY only in the Content-Type (``text/calendar; method=REPLY``).
    """
    method = str(part.get_param("method") or "").strip().upper()
    if not method.isalpha() or _METHOD_LINE.search(text):
        return text
    return _CALENDAR_START.sub(lambda m: m.group(0) + f"METHOD:{method}\r\n", text, count=1)


class _TextOfHtml(HTMLParser):
    """Collect the readable text of HTML: no scripts, styles or markup, blocks on new lines."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "table"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        """Start hiding invisible content, or break the line at a block."""
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_endtag(self, tag):
        """Stop hiding, or break the line after a block."""
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data):
        """Keep visible text."""
        if not self.hidden:
            self.pieces.append(data)


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML body, as plain text (never rendered)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.pieces).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def plain_text(message: Message) -> str:
    """Return the message's own text (plain preferred, else HTML as text), at most TEXT_MAX."""
    plain = html = None
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            break  # a forwarded message is not the sender's own words
        if part.is_multipart() or (part.get_content_disposition() or "") == "attachment":
            continue
        if part.get_content_type() == "text/plain" and plain is None:
            plain = decoded_text(part)
        elif part.get_content_type() == "text/html" and html is None:
            html = decoded_text(part)
    text = plain if plain and plain.strip() else html_to_text(html or "")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return text.strip()[:TEXT_MAX]
