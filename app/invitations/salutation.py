"""German and English salutations from structured names ("Sehr geehrte Frau Dr. Müller")."""

from app.contacts.models import Contact

_FEMALE = {"frau", "ms", "mrs", "miss"}
_MALE = {"herr", "mr"}
NEUTRAL = {"de": "Guten Tag", "en": "Hello"}


def salutation(contact: Contact, language: str) -> str:
    """Return the opening line of a letter to the contact, without the trailing comma."""
    anrede = (contact.salutation or "").strip().lower().rstrip(".")
    surname = " ".join(p for p in (contact.name_particle, contact.last_name) if p)
    if contact.role_address:
        return "Sehr geehrte Damen und Herren" if language == "de" else "Dear Sir or Madam"
    gendered = anrede in _FEMALE or anrede in _MALE
    if not surname or not (gendered or contact.title or contact.first_name):
        # No name, or a bare surname read from an address (j.doe@): greet without one.
        return NEUTRAL["en" if language == "en" else "de"]
    if language == "en":
        honorific = contact.title or ("Ms" if anrede in _FEMALE else "Mr" if gendered else "")
        name = " ".join(p for p in (honorific, surname) if p)
        if not honorific:
            name = " ".join(p for p in (contact.first_name, surname) if p)
        return f"Dear {name}"
    if gendered:
        opening = "Sehr geehrte Frau" if anrede in _FEMALE else "Sehr geehrter Herr"
        middle = contact.office_title or contact.title
        return " ".join(p for p in (opening, middle, surname) if p)
    return " ".join(p for p in ("Guten Tag", contact.title, contact.first_name, surname) if p)
