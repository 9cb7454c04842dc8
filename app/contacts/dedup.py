"""Match keys and duplicate scoring for contacts; pure functions, no database.

See shared/docs/dedup-and-privacy.md: the email key identifies a mailbox, the name key and the
Kölner Phonetik only find candidates, and a name alone never makes two contacts one person.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from app.contacts import dedup_evidence as evidence
from app.contacts import name_variants as variants
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


# --- scoring -------------------------------------------------------------------------------

# Evidence beside the name, as the chance that it alone means "same person".
WEIGHTS = {
    "email": 0.9, "mailbox": 0.7, "domain_typo": 0.6, "phone": 0.6, "same_domain": 0.5,
    "organisation": 0.4, "shared_role": 0.3,
}  # fmt: skip
# A shared phone may be a switchboard: only an address lifts a sound-alike name.
STRONG = frozenset({"email", "mailbox"})
_GIVEN_ORDER = ("same", "variant")


@dataclass
class Probe:
    """The fields of a contact that duplicate detection compares."""

    first_name: str
    last_name: str
    email: str
    organisation: str = ""
    phone: str = ""
    title: str = ""
    name_particle: str = ""
    id: int | None = None

    @property
    def full_name(self) -> str:
        """Return the name as printed on an envelope, without salutation."""
        parts = (self.title, self.first_name, self.name_particle, self.last_name)
        return " ".join(p for p in parts if p)

    @cached_property
    def key(self) -> str:
        """Return the email match key."""
        return email_key(self.email)

    @cached_property
    def mailbox(self) -> str:
        """Return the probable mailbox key."""
        return mailbox_key(self.email)

    @cached_property
    def bare(self) -> tuple[str, str, str]:
        """Return the generation marker ("sen", "jun", "") and first and last name without it."""
        marker, (first, last) = variants.generation(fold(self.first_name), fold(self.last_name))
        return marker, first, last

    @cached_property
    def names(self) -> tuple[str, str]:
        """Return the sorted name words without generation marker, DIN- and plain-folded."""
        _marker, first, last = self.bare
        full = " ".join(p for p in (self.title, first, self.name_particle, last) if p)
        return name_key(full), " ".join(sorted(name_tokens(full, fold_plain)))

    @cached_property
    def firsts(self) -> tuple[list[str], list[str]]:
        """Return the first-name words, DIN-folded and plain-folded."""
        first = self.bare[1]
        return name_tokens(first), name_tokens(first, fold_plain)

    @cached_property
    def surnames(self) -> tuple[str, str]:
        """Return the surname, DIN-folded and plain-folded."""
        last = self.bare[2]
        return surname(last), surname(last, fold_plain)

    @cached_property
    def place(self) -> tuple[evidence.OrgKey, str]:
        """Return the organisation key (no legal form, city apart) and the phone digits."""
        return evidence.organisation_key(fold(self.organisation)), phone_key(self.phone)

    @cached_property
    def address(self) -> tuple[str, str]:
        """Return the folded local part without +tag and the domain."""
        local, _at, domain = self.key.rpartition("@")
        return fold(local.split("+", 1)[0] or local), domain

    def local_fits_name(self) -> bool:
        """Return True if the local part is a role mailbox or spells this person's name."""
        if is_role_address(self.email):
            return True
        local = self.address[0]
        return any(
            variants.local_part_fits(typed, firsts, last.split())
            for typed, firsts, last in zip(
                (local, fold_plain(local)), self.firsts, self.surnames, strict=True
            )
        )

    @cached_property
    def sound(self) -> str:
        """Return the Kölner Phonetik of the surname."""
        return phonetic_key(self.last_name)


@dataclass
class Match:
    """How likely two contacts are one person (0..1), and why."""

    score: float
    reasons: list[str] = field(default_factory=list)  # codes, see describe()
    same_person: bool = False  # exact email key and same name: may be merged automatically


def _name_level(a: Probe, b: Probe) -> tuple[str, float]:
    """Return how alike the names are ("same", "close", "variant", "sounds" or "") and 0..1.

    Different generation markers (sen./jun.) part father and son; one marker alone leaves at
    most a similar name.
    """
    (marker, *_rest), (other_marker, *_other) = a.bare, b.bare
    if marker and other_marker and marker != other_marker:
        return "", 0.0
    if a.names[0] and a.names[0] == b.names[0]:
        return ("same", 1.0) if marker == other_marker else ("close", 0.97)
    given = set(map(variants.given_names_agree, a.firsts, b.firsts))
    given_level = next((level for level in _GIVEN_ORDER if level in given), "")
    if not given_level:
        return "", 0.0
    surname_sim = max(map(JaroWinkler.similarity, a.surnames, b.surnames))
    full = max(map(fuzz.token_sort_ratio, a.names, b.names)) / 100
    value = min(0.97, (surname_sim + full) / 2)
    if surname_sim >= 0.95:
        return ("close" if given_level == "same" else "variant"), value
    if surname_sim >= 0.88 or (a.sound and a.sound == b.sound):
        return "sounds", value
    return "", 0.0


def _evidence(a: Probe, b: Probe) -> list[str]:
    """Return the codes of what, beside the name, the two contacts share."""
    found = []
    if a.key == b.key:
        found.append("shared_role" if is_role_address(a.email) else "email")
    elif a.mailbox == b.mailbox and not is_role_address(a.email):
        found.append("mailbox")
    else:
        found.extend(_domain_evidence(a, b))
    (org, phone), (other_org, other_phone) = a.place, b.place
    if phone and phone == other_phone:
        found.append("phone")
    if evidence.same_organisation(org, other_org):
        found.append("organisation")
    return found


def _domain_evidence(a: Probe, b: Probe) -> list[str]:
    """Return "same_domain" or "domain_typo" when the addresses point to one person's employer.

    Both local parts must spell the names (or be role mailboxes); a typo in a free-mail domain
    counts only with the same local part (markus.weber@gmial.com).
    """
    (local, domain), (other_local, other_domain) = a.address, b.address
    if domain == other_domain:
        fits = not evidence.is_free_mail(domain) and a.local_fits_name() and b.local_fits_name()
        return ["same_domain"] if fits else []
    if not evidence.domain_typo(domain, other_domain):
        return []
    if local == other_local and not is_role_address(a.email):
        return ["domain_typo"]
    free = evidence.is_free_mail(domain) or evidence.is_free_mail(other_domain)
    return [] if free or not (a.local_fits_name() and b.local_fits_name()) else ["domain_typo"]


def compare(a: Probe, b: Probe) -> Match | None:
    """Return the match of two contacts, or None when they are not worth a look."""
    level, name_value = _name_level(a, b)
    if not level:
        return None
    found = _evidence(a, b)
    if not found or (level == "sounds" and not _strong(a, b, found)):
        return None
    if level == "same" and "email" in found:
        return Match(1.0, ["email", "name"], same_person=True)
    doubt = 1.0
    for code in found:
        doubt *= 1 - WEIGHTS[code]
    score = round(name_value * (0.4 + 0.6 * (1 - doubt)), 2)
    return Match(score, [*found, NAME_REASONS[level]])


NAME_REASONS = {
    "same": "name", "close": "similar_name", "variant": "name_variant", "sounds": "sounds_alike"
}  # fmt: skip


def _strong(a: Probe, b: Probe, found: list[str]) -> bool:
    """Return True if the evidence names one mailbox (same address, +tag, typo of the domain)."""
    return bool(STRONG & set(found)) or ("domain_typo" in found and a.address[0] == b.address[0])


def describe(code: str) -> str:
    """Return the reason behind a code as a sentence in the user's language."""
    texts = {
        "email": _("Same email address"),
        "shared_role": _("Same shared role address (not proof of the same person)"),
        "mailbox": _("Probably the same mailbox (+ suffix or Gmail dots)"),
        "phone": _("Same phone number"),
        "organisation": _("Same organisation"),
        "same_domain": _("Same mail domain, both addresses match the name"),
        "domain_typo": _("Mail domain differs by one typed character"),
        "name": _("Same name"),
        "similar_name": _("Similar name"),
        "name_variant": _("Spelling variant or short form of the first name"),
        "sounds_alike": _("Surname sounds alike"),
    }
    return texts.get(code, code)
