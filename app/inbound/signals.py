"""Recognising auto-replies and bounces (delivery status notifications) in received mail."""

import base64
import binascii
import re
from dataclasses import dataclass
from email.message import Message

from app.inbound.mime import decoded_text, header, parse, walk

AUTO_SUBJECTS = re.compile(
    r"^\s*(?:(?:automatische antwort|abwesenheitsnotiz|abwesend|out of (the )?office|"
    r"automatic reply|auto(matic)?[- ]?reply|urlaub bis|im urlaub)\b|auto:)",
    re.IGNORECASE,
)
BOUNCE_SUBJECTS = re.compile(
    r"(undeliver|undelivered mail|delivery status notification|delivery (has )?failed|"
    r"returned mail|mail delivery (failed|failure|system)|unzustellbar|nicht zustellbar|"
    r"zustellung fehlgeschlagen|failure notice|delivery failure)",
    re.IGNORECASE,
)
BOUNCE_SENDERS = re.compile(r"\b(mailer-daemon|postmaster)@", re.IGNORECASE)
ENHANCED_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
BASIC_STATUS = re.compile(r"\b([45])[0-9]{2}\b")
# Permanent failures said in words only (Lotus Domino, some gateways): read as 5.1.1.
UNKNOWN_RECIPIENT = re.compile(
    r"(not listed in (the )?(domino )?(public )?directory|user unknown|unknown user|"
    r"no such (user|recipient|mailbox)|mailbox (does not exist|unavailable|not found)|"
    r"empf(ä|ae)nger (ist )?unbekannt|recipient address rejected)",
    re.IGNORECASE,
)
MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
DIAGNOSTIC_MAX = 500


def is_auto_reply(message: Message) -> bool:
    """Return True for vacation notices and other automatic answers (RFC 3834 and customs)."""
    submitted = header(message, "Auto-Submitted").lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return True
    if header(message, "X-Autoreply") or header(message, "X-Autorespond"):
        return True
    if header(message, "Precedence").lower() in {"bulk", "junk", "auto_reply"}:
        return True
    report_type = (message.get_param("report-type") or "").lower()
    if message.get_content_type() == "multipart/report" and report_type == (
        "disposition-notification"  # a read receipt (RFC 8098)
    ):
        return True
    return bool(AUTO_SUBJECTS.match(header(message, "Subject")))


@dataclass(frozen=True)
class Bounce:
    """What a bounce says: the status code, the diagnostic and the original Message-ID."""

    status: str  # "5.1.1"
    diagnostic: str
    recipient: str
    original_message_id: str

    @property
    def permanent(self) -> bool:
        """Return True for a permanent failure (5.x.x)."""
        return self.status.startswith("5")


def _fields(text: str) -> list[dict[str, str]]:
    """Return the field groups of a delivery-status body (per-message, then per-recipient)."""
    groups, current, last = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                groups.append(current)
            current, last = {}, None
        elif line[0] in " \t" and last:
            current[last] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            last = name.strip().lower()
            current[last] = value.strip()
    if current:
        groups.append(current)
    return groups


def _status_text(part: Message) -> str:
    """Return the text of a delivery-status part (compat32 parses it into header blocks)."""
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, list) and encoding == "base64":
        # compat32 reads the encoded lines as the body of one header-less block: decode it.
        encoded = "".join(
            block.get_payload()
            for block in payload
            if isinstance(block, Message) and isinstance(block.get_payload(), str)
        )
        try:
            return base64.b64decode(encoded).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    if isinstance(payload, list):
        return "\n\n".join(
            "\n".join(f"{k}: {v}" for k, v in block.items())
            for block in payload
            if isinstance(block, Message)
        )
    return decoded_text(part)


def _original_message_id(message: Message) -> str:
    """Return the Message-ID of the bounced mail from the returned headers or message."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            for inner in part.get_payload() or []:
                if isinstance(inner, Message) and inner.get("Message-ID"):
                    return str(inner["Message-ID"]).strip()
        elif kind == "text/rfc822-headers":
            found = parse(part.get_payload(decode=True) or b"").get("Message-ID")
            if found:
                return str(found).strip()
    for part in walk(message):
        if part.get_content_type() == "text/plain":
            match = MESSAGE_ID.search(decoded_text(part))
            if match:
                return match.group(1)
    return ""


def _standard(message: Message) -> tuple[str, str, str] | None:
    """Return (status, diagnostic, recipient) from a message/delivery-status part, or None."""
    for part in message.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            for group in _fields(_status_text(part)):
                if "status" in group:
                    recipient = group.get("final-recipient", group.get("original-recipient", ""))
                    return (
                        group["status"].split()[0],
                        group.get("diagnostic-code", ""),
                        recipient.split(";")[-1].strip(),
                    )
    return None


def _non_standard(message: Message) -> tuple[str, str, str] | None:
    """Return (status, diagnostic, recipient) from a bounce written as plain text, or None."""
    for part in walk(message):
        if part.get_content_type() != "text/plain":
            continue
        text = decoded_text(part)
        match = ENHANCED_STATUS.search(text)
        if match:
            line = next((li for li in text.splitlines() if match.group(0) in li), "")
            return match.group(0), line.strip(), ""
        match = BASIC_STATUS.search(text)
        if match:
            line = next((li for li in text.splitlines() if match.group(0) in li), "")
            return f"{match.group(1)}.0.0", line.strip(), ""
        match = UNKNOWN_RECIPIENT.search(text)
        if match:
            line = next((li for li in text.splitlines() if match.group(0) in li), "")
            return "5.1.1", line.strip(), ""
    return None


def bounce_of(message: Message, envelope_from: str) -> Bounce | None:
    """Return the bounce a message reports, or None when it is no bounce."""
    content_type = message.get_content_type()
    report = content_type == "multipart/report" and (
        (message.get_param("report-type") or "").lower() in ("delivery-status", "")
    )
    found = _standard(message) if report else None
    sender = header(message, "From")
    looks_like = (
        envelope_from in ("", "<>")
        or BOUNCE_SENDERS.search(envelope_from) is not None
        or BOUNCE_SENDERS.search(sender) is not None
    ) and BOUNCE_SUBJECTS.search(header(message, "Subject"))
    if found is None and (report or looks_like):
        found = _non_standard(message)
    if found is None:
        return None
    status, diagnostic, recipient = found
    return Bounce(status, diagnostic[:DIAGNOSTIC_MAX], recipient, _original_message_id(message))
