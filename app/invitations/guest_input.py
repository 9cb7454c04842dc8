"""Turning the invite form's picks, tags and pasted addresses into contacts."""

import re
from dataclasses import dataclass, field
from email.utils import getaddresses

from flask_babel import gettext as _
from sqlalchemy import select

from app.contacts import dedup, queries
from app.contacts.dedup import tag_key
from app.contacts.dedup_scoring import describe
from app.contacts.models import Contact, Tag, contact_tags
from app.contacts.operations import save_contact
from app.contacts.validation import AddressRefused, ContactInput, validate_input
from app.errors import ValidationError
from app.extensions import db

MAX_PASTED = 5000
GUEST_FIELDS = {
    "email",
    "first_name",
    "name_particle",
    "last_name",
    "salutation",
    "title",
    "organisation",
    "language",
    "name_optional",
}
# Words that make a local part an office, not a person ("stadt.dortmund", "kultur-buero").
_NOT_NAMES = dedup.ROLE_LOCAL_PARTS | {
    "stadt", "gemeinde", "kreis", "amt", "verein", "schule", "kita", "museum", "theater",
    "bibliothek", "kultur", "buergerbuero", "bürgerbüro", "rat", "fraktion", "kirche", "gmbh",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass
class PastedLine:
    """One non-empty pasted line: its number in the box, its text, its guests, what is wrong."""

    number: int
    text: str
    guests: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _capitalised(word: str) -> str:
    """Return a name word with a capital after each hyphen: "anna-lena" → "Anna-Lena"."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def name_from_address(address: str) -> tuple[str, str, str]:
    """Return (first name, particle, last name) read from a first.last local part, else empty.

    Only a clear pattern gives a name: first.last or first_last, optionally with a particle
    (max.von.bergen); an initial (j.doe) gives the surname alone. Umlauts are not guessed.
    """
    local = address.rpartition("@")[0].split("+", 1)[0]
    words = re.split(r"[._]", local)
    if len(words) < 2 or not all(_WORD.fullmatch(w) for w in words):
        return "", "", ""
    folded = [w.casefold() for w in words]
    if any(w in _NOT_NAMES for w in folded) or len(words[-1]) < 2:
        return "", "", ""
    if not all(w in dedup.PARTICLES for w in folded[1:-1]):
        return "", "", ""
    first = "" if len(words[0].split("-")[0]) < 2 else _capitalised(words[0])
    return first, " ".join(folded[1:-1]), _capitalised(words[-1])


def _guest_from_pasted(name: str, address: str) -> dict:
    """Split a pasted display name into title, first and last name.

    A bare address gives the name its local part clearly spells; otherwise the name stays
    empty and the mail greets neutrally (role addresses such as info@ get "Sehr geehrte
    Damen und Herren").
    """
    name = "" if "@" in name else name  # Outlook pastes the address as its own name
    parts = name.replace('"', "").replace(",", " ").split()
    titles = [p for p in parts if p.rstrip(".").lower() in ("dr", "prof")]
    names = [p for p in parts if p not in titles]
    guest = {"email": address, "title": " ".join(titles), "bare": not names}
    if names:
        return guest | {"first_name": " ".join(names[:-1]), "last_name": names[-1]}
    first, particle, last = name_from_address(address)
    return guest | {
        "first_name": first,
        "name_particle": particle,
        "last_name": last,
        "name_optional": True,
    }


def _not_an_address() -> str:
    """Return the reason shown next to a line that is no usable email address."""
    return _("This is not an email address.")


def _line_errors(guests: list[dict]) -> list[str]:
    """Return what the address book would refuse in a line's guests."""
    errors = []
    for guest in guests:
        try:
            validate_input(ContactInput(**{k: v for k, v in guest.items() if k in GUEST_FIELDS}))
        except AddressRefused as error:
            errors += [m for ms in error.errors.values() for m in ms]
        except ValidationError as error:
            for name, messages in error.errors.items():
                # The line is shown next to the reason: the parsed fragment would only confuse.
                errors += [_not_an_address()] if name == "email" else messages
    return list(dict.fromkeys(errors))


def read_pasted(text: str) -> list[PastedLine]:
    """Return the pasted non-empty lines (numbered as in the box) with their guests and errors."""
    lines = [
        PastedLine(number, line.strip())
        for number, line in enumerate((text or "").splitlines(), start=1)
        if line.strip()
    ]
    if len(lines) > MAX_PASTED:
        raise ValidationError.single("pasted", _("At most %(n)d addresses at once.", n=MAX_PASTED))
    for line in lines:
        found = [(name, addr) for name, addr in getaddresses([line.text]) if addr]
        if not found or any("@" not in addr for _n, addr in found):
            line.errors.append(_not_an_address())
            continue
        line.guests = [_guest_from_pasted(name, address) for name, address in found]
        line.errors = _line_errors(line.guests)
    return lines


def contacts_by_tags(names: list[str]) -> list[Contact]:
    """Return the live contacts carrying any of the tags."""
    if not names:
        return []
    return (
        db.session.scalars(
            select(Contact)
            .join(contact_tags, contact_tags.c.contact_id == Contact.id)
            .join(Tag, Tag.id == contact_tags.c.tag_id)
            .where(Tag.match_key.in_([tag_key(n) for n in names]))
            .where(Contact.merged_into_id.is_(None))
        )
        .unique()
        .all()
    )


def contacts_by_ids(ids: list[int]) -> list[Contact]:
    """Return the contacts with these ids (missing ones are a validation error)."""
    if not ids:
        return []
    found = db.session.scalars(select(Contact).where(Contact.id.in_(ids))).all()
    if len(found) != len(set(ids)):
        raise ValidationError.single("contact_ids", _("Some contacts do not exist."))
    return list(found)


def _warnings(saved) -> list[dict]:
    """Return the possible-duplicate warnings of a saved guest contact."""
    return [
        {
            "kind": "possible_duplicate",
            "contact_id": saved.contact.id,
            "other_contact_id": candidate.other.id,
            "score": round(candidate.match.score, 2),
            "reasons": [describe(code) for code in candidate.match.reasons],
            "message": _(
                "%(new)s may be the same person as %(other)s <%(email)s>.",
                new=saved.contact.full_name or saved.contact.email,
                other=candidate.other.full_name,
                email=candidate.other.email,
            ),
        }
        for candidate in saved.warnings
    ]


def contacts_for_guests(guests: list[dict], *, actor, now) -> tuple[list[Contact], list[dict]]:
    """Return an address-book contact per guest (found or created) and duplicate warnings."""
    saved = {}
    # Always in address order: two requests creating the same new contacts then meet at the
    # first common one, where the second waits for the first, instead of locking crosswise.
    order = sorted(range(len(guests)), key=lambda n: str(guests[n].get("email", "")).casefold())
    for number in order:
        guest = guests[number]
        data = ContactInput(**{k: v for k, v in guest.items() if k in GUEST_FIELDS})
        try:
            saved[number] = save_contact(data, actor=actor, now=now)
        except ValidationError as error:
            raise ValidationError(
                {f"guests.{number}.{name}": messages for name, messages in error.errors.items()}
            ) from None
    ordered = [saved[number] for number in range(len(guests))]
    return [s.contact for s in ordered], [w for s in ordered for w in _warnings(s)]


def _known_by_address(guests: list[dict]) -> tuple[list[Contact], list[dict]]:
    """Return the contacts bare addresses already belong to, and the guests still to save.

    A bare address says nothing about the name, so the one live contact at that address is
    invited as it is; several people at one address leave the guest to the usual matching.
    """
    keys = {
        n: dedup.email_key(dedup.normalise_email(g["email"]))
        for n, g in enumerate(guests)
        if g.get("bare")
    }
    single = queries.contacts_by_email_keys(db.session, keys.values())  # also further addresses
    known = {n: single[k][0] for n, k in keys.items() if len(single.get(k, ())) == 1}
    rest = [g for n, g in enumerate(guests) if n not in known]
    return list(known.values()), rest


def pasted_guests(lines: list[PastedLine]) -> list[dict]:
    """Return the guests of the good pasted lines."""
    return [guest for line in lines if not line.errors for guest in line.guests]


def _address_key(guest: dict) -> str:
    """Return "e:" and the match key of a pasted guest's address."""
    try:
        return "e:" + dedup.email_key(dedup.normalise_email(str(guest.get("email", ""))))
    except dedup.InvalidEmail:
        return ""


def contacts_for_invite(
    form, lines: list[PastedLine], *, actor, now, skip: frozenset[str] = frozenset()
) -> tuple[list[Contact], list[dict]]:
    """Return the contacts the invite form names, creating contacts for good pasted lines.

    ``skip`` holds the keys ("c:<contact id>", "e:<address key>") of guests the user chose
    not to invite as possible duplicates (app/invitations/duplicates.py).
    """
    contacts = contacts_by_ids(list(form.contact_ids.data or []))
    contacts += contacts_by_tags(list(form.tags.data or []))
    contacts = [c for c in contacts if f"c:{c.id}" not in skip]
    guests = [g for g in pasted_guests(lines) if not skip or _address_key(g) not in skip]
    known, new = _known_by_address(guests)
    pasted, warnings = contacts_for_guests(new, actor=actor, now=now)
    return contacts + known + pasted, warnings
