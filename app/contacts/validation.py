"""Contact input as forms, the API and CSV rows give it, and its validation into column values."""

import re
from dataclasses import dataclass, field, fields

from flask_babel import gettext as _

from app.contacts import dedup, hooks
from app.contacts.models import Contact
from app.errors import ValidationError
from app.input_guard import ONE_LINE_MESSAGE, TEXT_MESSAGE, is_clean_text, is_one_line

LIMITS = {
    "salutation": 40,
    "title": 60,
    "office_title": 120,
    "first_name": 120,
    "name_particle": 40,
    "last_name": 120,
    "organisation": 200,
    "function": 200,
    "phone": 60,
    "notes": 5000,
}
MULTI_LINE = ("notes",)
TAG_MAX = 80
MAX_TAGS = 30
LANGUAGES = ("de", "en")
_PHONE = re.compile(r"[0-9 +()/.\-]*")


@dataclass
class ContactInput:
    """Contact fields as given by the form, the API or a CSV row, before validation."""

    salutation: str = ""
    title: str = ""
    office_title: str = ""
    first_name: str = ""
    name_particle: str = ""
    last_name: str = ""
    email: str = ""
    organisation: str = ""
    function: str = ""
    phone: str = ""
    language: str = "de"
    tags: list[str] = field(default_factory=list)
    vip: bool = False
    do_not_invite: bool = False
    notes: str = ""
    name_optional: bool = False  # a pasted bare address whose name nobody knows

    @classmethod
    def from_contact(cls, contact: Contact) -> "ContactInput":
        """Return the input that reproduces an existing contact."""
        skip = ("tags", "name_optional")
        values = {f.name: getattr(contact, f.name) for f in fields(cls) if f.name not in skip}
        nameless = not (contact.first_name or contact.last_name)  # stays so until one is given
        return cls(**values, tags=[t.name for t in contact.tags], name_optional=nameless)


class AddressRefused(ValidationError):
    """The address may not be used (it was erased on request); the message names the field."""


def _add(errors: dict, name: str, message: str) -> None:
    """Record a message for a field."""
    errors.setdefault(name, []).append(message)


def _clean_tags(names: list[str], errors: dict) -> list[str]:
    """Return the tag names trimmed and without repeats, recording errors."""
    cleaned = list({n.strip().casefold(): n.strip() for n in reversed(names) if n.strip()}.values())
    cleaned.reverse()
    if not all(is_one_line(n) for n in cleaned):
        _add(errors, "tags", str(ONE_LINE_MESSAGE))
    if any(len(n) > TAG_MAX for n in cleaned):
        _add(errors, "tags", _("A tag has at most %(n)d characters.", n=TAG_MAX))
    if len(cleaned) > MAX_TAGS:
        _add(errors, "tags", _("At most %(n)d tags.", n=MAX_TAGS))
    return cleaned


def validate_input(data: ContactInput) -> dict:
    """Return the column values with their match keys, or raise ValidationError per field."""
    errors: dict[str, list[str]] = {}
    values = {name: (getattr(data, name) or "").strip() for name in LIMITS}
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            _add(errors, name, _("At most %(n)d characters.", n=limit))
        if name in MULTI_LINE:
            if not is_clean_text(values[name]):
                _add(errors, name, str(TEXT_MESSAGE))
        elif not is_one_line(values[name]):
            _add(errors, name, str(ONE_LINE_MESSAGE))
    if not values["last_name"] and not data.name_optional:
        _add(errors, "last_name", _("Please enter a surname."))
    if not _PHONE.fullmatch(values["phone"]):
        _add(errors, "phone", _("Use only digits, spaces and + ( ) / - . in phone numbers."))
    email = (data.email or "").strip()
    if not email:
        _add(errors, "email", _("Please enter an email address."))
    elif not is_one_line(email):
        _add(errors, "email", str(ONE_LINE_MESSAGE))
    else:
        try:
            values["email"] = dedup.normalise_email(email)
        except dedup.InvalidEmail:
            _add(errors, "email", _("This is not a valid email address: %(email)s", email=email))
    if data.language not in LANGUAGES:
        _add(errors, "language", _("Choose German or English."))
    tags = _clean_tags(list(data.tags or []), errors)
    if errors:
        raise ValidationError(errors)
    keys = keys_of(values)
    refuse_address(keys["email_key"])
    return (
        values
        | {
            "language": data.language,
            "vip": bool(data.vip),
            "do_not_invite": bool(data.do_not_invite),
            "tags": tags,
        }
        | keys
    )


def refuse_address(email_key: str) -> None:
    """Raise AddressRefused (field email) when a check refuses the address (a suppression)."""
    for check in hooks.address_checks:
        message = check(email_key)
        if message:
            raise AddressRefused.single("email", message)


def keys_of(values) -> dict[str, str]:
    """Return the match keys of validated address and name values (a dict or a contact)."""
    get = values.get if isinstance(values, dict) else lambda n: getattr(values, n)
    full = " ".join(get(n) for n in ("title", "first_name", "name_particle", "last_name") if get(n))
    return {
        "email_key": dedup.email_key(get("email"))[:254],
        "mailbox_key": dedup.mailbox_key(get("email"))[:254],
        "name_key": dedup.name_key(full)[:300],
        "phonetic_key": dedup.phonetic_key(get("last_name")),
    }
