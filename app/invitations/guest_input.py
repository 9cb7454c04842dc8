"""Turning the invite form's picks, tags and pasted addresses into contacts."""

from email.utils import getaddresses

from flask_babel import gettext as _
from sqlalchemy import select

from app.contacts.dedup import describe, tag_key
from app.contacts.models import Contact, Tag, contact_tags
from app.contacts.operations import save_contact
from app.contacts.validation import ContactInput
from app.errors import ValidationError
from app.extensions import db

MAX_PASTED = 5000
GUEST_FIELDS = {
    "email",
    "first_name",
    "last_name",
    "salutation",
    "title",
    "organisation",
    "language",
}


def parse_pasted(text: str) -> list[tuple[str, str]]:
    """Return (display name, address) pairs from pasted lines or comma-separated lists."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_PASTED:
        raise ValidationError.single("pasted", _("At most %(n)d addresses at once.", n=MAX_PASTED))
    pairs = []
    for number, line in enumerate(lines, start=1):
        found = [(name, addr) for name, addr in getaddresses([line]) if addr]
        if not found or any("@" not in addr for _n, addr in found):
            raise ValidationError.single(
                "pasted", _("Line %(n)d is not an email address: %(line)s", n=number, line=line)
            )
        pairs.extend(found)
    return pairs


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


def contacts_for_invite(form, *, actor, now) -> tuple[list[Contact], list[dict]]:
    """Return the contacts the invite form names, creating contacts for pasted addresses."""
    contacts = contacts_by_ids(list(form.contact_ids.data or []))
    contacts += contacts_by_tags(list(form.tags.data or []))
    guests = [_guest_from_pasted(name, address) for name, address in parse_pasted(form.pasted.data)]
    pasted, warnings = contacts_for_guests(guests, actor=actor, now=now)
    return contacts + pasted, warnings


def _guest_from_pasted(name: str, address: str) -> dict:
    """Split a pasted display name into title, first and last name.

    A bare address keeps its local part as the name (info@, buero@ … are role addresses and
    get "Sehr geehrte Damen und Herren").
    """
    parts = name.replace('"', "").replace(",", " ").split()
    titles = [p for p in parts if p.rstrip(".").lower() in ("dr", "prof")]
    names = [p for p in parts if p not in titles]
    return {
        "email": address,
        "title": " ".join(titles),
        "first_name": " ".join(names[:-1]),
        "last_name": names[-1] if names else address.split("@", 1)[0],
    }
