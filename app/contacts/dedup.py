"""Match keys for contacts (email, tags, names, phone); pure functions, no database.

See shared/docs/dedup-and-privacy.md: the email key identifies a mailbox, the name key and the
Kölner Phonetik only find candidates, and a name alone never makes two contacts one person.
Scoring two contacts against each other is in ``dedup_scoring``.
"""

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from app.contacts.phonetics import cologne_phonetic

# fmt: off
ROLE_LOCAL_PARTS = frozenset({
    "info", "poststelle", "post", "buero", "büro", "vorzimmer", "presse", "pressestelle",
    "kontakt", "office", "sekretariat", "mail", "service", "zentrale", "verwaltung", "empfang",
    "team", "hallo", "hello", "anfrage", "anfragen", "redaktion", "bestellung", "webmaster",
    "admin", "kanzlei", "rathaus", "amt", "dezernat", "referat", "geschaeftsstelle",
    "geschäftsstelle", "veranstaltungen", "events", "einladung", "noreply", "no-reply",
    "vorstand", "vorsitz", "leitung", "geschaeftsfuehrung", "intendanz", "direktion",
})
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Academic titles and salutations: not part of the name.
TITLES = frozenset({
    "dr", "prof", "dipl", "ing", "med", "dent", "vet", "phil", "rer", "nat", "pol", "oec", "jur",
    "theol", "habil", "mult", "kfm", "kffr", "inf", "hc", "mdb", "mdl", "mdep", "herr", "herrn",
    "frau",
})
PARTICLES = frozenset({
    "von", "vom", "zu", "zum", "zur", "van", "de", "der", "den", "di", "da", "du", "del", "della",
    "la", "le", "ten", "ter", "und",
})
# fmt: on
_DOTTED_TITLES = re.compile(r"\b(?:h\.\s*c|[mb]\.\s*(?:a|sc|eng|ed))\.")
_TOKEN = re.compile(r"[^\W_]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


class InvalidEmail(ValueError):
    """The text is not a usable email address; the message says why (in English)."""


# --- email ---------------------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    """Return the address as stored: trimmed, NFC, lower-case IDNA domain, local part as typed."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None


def email_key(address: str) -> str:
    """Return the match key of a normalised address: same key, same mailbox."""
    local, _at, domain = address.rpartition("@")
    # Case-fold the local part only: folding the domain would turn straße.de into strasse.de.
    return f"{local.casefold()}@{domain.lower()}"


def same_address(a: str, b: str) -> bool:
    """Return True if two addresses differ at most in ASCII letter case (the same mailbox).

    Stricter than email_key on purpose: case-folding maps other mailboxes onto one key
    ("roſſ" and "ross", "straße" and "strasse"), which must count as a new address when deciding
    who may change it and whether old RSVP links stay valid.
    """
    a_local, _at, a_domain = a.rpartition("@")
    b_local, _at, b_domain = b.rpartition("@")
    return _ascii_lower(a_local) == _ascii_lower(b_local) and a_domain.lower() == b_domain.lower()


def _ascii_lower(text: str) -> str:
    """Return text with only the ASCII capitals A-Z lowered."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def mailbox_key(address: str) -> str:
    """Return the key of the mailbox that probably receives the mail (+tags, Gmail dots)."""
    local, _at, domain = email_key(address).rpartition("@")
    if "+" in local[1:]:
        local = local[: local.index("+", 1)]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def is_role_address(address: str) -> bool:
    """Return True for shared function mailboxes such as info@ or poststelle@."""
    local = mailbox_key(address).rpartition("@")[0]
    return local in ROLE_LOCAL_PARTS or re.split(r"[._-]", local)[0] in ROLE_LOCAL_PARTS


# --- tags ----------------------------------------------------------------------------------


def tag_key(name: str) -> str:
    """Return the match key of a tag: NFC, case-folded, runs of whitespace as one space."""
    # Computed in Python, never by SQL lower(): SQLite's lower() only knows ASCII capitals.
    folded = unicodedata.normalize("NFC", name).casefold()
    return unicodedata.normalize("NFC", " ".join(folded.split()))


# --- names ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Return text for comparison: NFC, case-folded (ß→ss), ä→ae ö→oe ü→ue, no other accents."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)
    return _strip_accents(text)


def fold_plain(text: str) -> str:
    """Return text with umlauts as plain vowels: Müller, Mueller and Muller all give "muller"."""
    return fold(text).replace("ae", "a").replace("oe", "o").replace("ue", "u")


def _strip_accents(text: str) -> str:
    """Drop combining marks left after decomposition."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_tokens(text: str, folder=fold) -> list[str]:
    """Return the folded words of a name without titles and (unless needed) particles."""
    words = _TOKEN.findall(_DOTTED_TITLES.sub(" ", folder(text)))
    words = [w for w in words if w not in TITLES]
    kept = [w for w in words if w not in PARTICLES]
    return kept if len(kept) >= 2 or len(kept) == len(words) else words


def name_key(text: str) -> str:
    """Return the sorted folded name words: "Müller, Prof. Dr. Hans" → "hans mueller"."""
    return " ".join(sorted(name_tokens(text)))


def surname(text: str, folder=fold) -> str:
    """Return the folded surname without titles and particles."""
    words = _TOKEN.findall(_DOTTED_TITLES.sub(" ", folder(text)))
    words = [w for w in words if w not in TITLES]
    return " ".join([w for w in words if w not in PARTICLES] or words)


def phonetic_key(last_name: str) -> str:
    """Return the Kölner Phonetik of the surname, the key that finds spelling variants."""
    return cologne_phonetic(surname(last_name).replace(" ", ""))[:60]


def phone_key(phone: str) -> str:
    """Return the digits of a German phone number in national form, or "" when too short."""
    digits = re.sub(r"\D", "", phone.replace("(0)", ""))
    for prefix in ("0049", "49") if phone.lstrip().startswith(("+", "00")) else ():
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix) :]
            break
    return digits if len(digits) >= 6 else ""
