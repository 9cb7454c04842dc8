"""Duplicate scoring for contacts: how likely two contacts are one person, and why; pure
functions, no database.

See shared/docs/dedup-and-privacy.md: the email key identifies a mailbox, the name key and the
Kölner Phonetik only find candidates, and a name alone never makes two contacts one person.
The keys compared here are made in ``dedup``.
"""

from dataclasses import dataclass, field
from functools import cached_property

from flask_babel import gettext as _
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from app.contacts import dedup_evidence as evidence
from app.contacts import name_variants as variants
from app.contacts.dedup import (
    email_key,
    fold,
    fold_plain,
    is_role_address,
    mailbox_key,
    name_key,
    name_tokens,
    phone_key,
    phonetic_key,
    surname,
)

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
