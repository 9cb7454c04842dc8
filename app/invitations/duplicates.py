"""Possible duplicates at invite time: new guests that resemble invited ones or each other.

Nothing is written here: the invite form shows every possible duplicate and invites nobody
until the user decided each one ("invite anyway" or "the other one instead"); the API reports
them as warnings. The rules themselves are app/contacts/dedup.py.
"""

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import select

from app.contacts import dedup
from app.contacts.candidates import probe_of
from app.contacts.dedup_scoring import Match, Probe, compare, describe
from app.contacts.models import Contact
from app.events.models import Event
from app.extensions import db
from app.invitations.models import Invitation

INVITE_ANYWAY, OTHER_INSTEAD = "invite", "other"


@dataclass
class Guest:
    """A person on either side of a comparison: an address-book contact or a pasted line."""

    key: str  # "c:<contact id>" or, for a pasted address not in the address book, "e:<key>"
    probe: Probe
    email_key: str

    @property
    def label(self) -> str:
        """Return "Name <address>, organisation" as the user knows the person."""
        name = self.probe.full_name
        text = f"{name} <{self.probe.email}>" if name else self.probe.email
        return f"{text}, {self.probe.organisation}" if self.probe.organisation else text

    @property
    def name(self) -> str:
        """Return the name, or the address for a guest without one."""
        return self.probe.full_name or self.probe.email


@dataclass
class PossibleDuplicate:
    """A new guest that may be the same person as an invited or another new guest."""

    guest: Guest
    other: Guest
    other_invited: bool
    match: Match

    @property
    def field(self) -> str:
        """Return the name of the form field holding the user's decision."""
        digest = hashlib.sha256(f"{self.guest.key}|{self.other.key}".encode()).hexdigest()
        return "dup-" + digest[:16]

    @property
    def reasons(self) -> list[str]:
        """Return the reasons in words."""
        return [describe(code) for code in self.match.reasons]

    def as_warning(self) -> dict:
        """Return the warning as the API reports it."""
        message = _("possibly the same person as %(other)s", other=self.other.label)
        return {
            "kind": "possible_duplicate_guest",
            "email": self.guest.probe.email,
            "contact_id": self.guest.probe.id,
            "other_email": self.other.probe.email,
            "other_contact_id": self.other.probe.id,
            "other_invited": self.other_invited,
            "score": round(self.match.score, 2),
            "reasons": self.reasons,
            "message": f"{self.guest.name}: {message}",
        }


@dataclass
class Review:
    """The possible duplicates of one invite request and what the user decided."""

    duplicates: list[PossibleDuplicate] = field(default_factory=list)
    open: list[PossibleDuplicate] = field(default_factory=list)  # not decided yet
    dropped: set[str] = field(default_factory=set)  # keys of guests not to invite
    asked: bool = False  # the request carried decisions (the list was shown before)


def _email_key(address: str) -> str:
    """Return the match key of an address ("" for one the address book would refuse)."""
    try:
        return dedup.email_key(dedup.normalise_email(address))
    except dedup.InvalidEmail:
        return ""


def of_contact(contact: Contact) -> Guest:
    """Return the guest of an address-book contact."""
    return Guest(f"c:{contact.id}", probe_of(contact), contact.email_key)


def of_pasted(guests: list[dict]) -> list[Guest]:
    """Return the guests of pasted lines; an address with one live contact is that contact."""
    keys = [_email_key(str(g.get("email", ""))) for g in guests]
    query = (
        select(Contact)
        .where(Contact.email_key.in_(set(keys) - {""}), Contact.merged_into_id.is_(None))
        .order_by(Contact.email_key, Contact.id)
    )
    found = db.session.scalars(query).all() if any(keys) else []
    by_key = {k: list(group) for k, group in groupby(found, key=lambda c: c.email_key)}
    result = []
    for guest, key in zip(guests, keys, strict=True):
        known = by_key.get(key, [])
        if len(known) == 1:
            result.append(of_contact(known[0]))
            continue
        probe = Probe(
            first_name=guest.get("first_name", ""),
            last_name=guest.get("last_name", ""),
            email=guest["email"],
            organisation=guest.get("organisation", ""),
            title=guest.get("title", ""),
            name_particle=guest.get("name_particle", ""),
        )
        result.append(Guest(f"e:{key}", probe, key))
    return result


def invited(event: Event) -> list[Guest]:
    """Return the guests invited to the event (withdrawn invitations do not count)."""
    contacts = db.session.scalars(
        select(Contact)
        .join(Invitation, Invitation.contact_id == Contact.id)
        .where(Invitation.event_id == event.id, Invitation.revoked.is_(False))
    ).all()
    return [of_contact(c) for c in contacts]


def _blocks(guest: Guest) -> set[str]:
    """Return the keys under which possible duplicates meet (so that not all pairs are compared).

    Every rule needs alike surnames (or the same mailbox), so the surname's sound and its first
    letters are enough.
    """
    probe = guest.probe
    keys = {"m:" + probe.mailbox}
    if probe.sound:
        keys.add("s:" + probe.sound)
    if plain := probe.surnames[1]:
        keys.add("n:" + plain[:3])
    return keys


def find(new: list[Guest], already: list[Guest]) -> list[PossibleDuplicate]:
    """Return the new guests that resemble an invited guest or an earlier new one."""
    invited_keys = {g.key for g in already} | {f"e:{g.email_key}" for g in already if g.email_key}
    fresh: dict[str, Guest] = {}
    for guest in new:
        if guest.key not in invited_keys and guest.key not in fresh:
            fresh[guest.key] = guest
    index: dict[str, list[tuple[Guest, bool]]] = defaultdict(list)
    for guest in already:
        for block in _blocks(guest):
            index[block].append((guest, True))
    found = []
    for guest in fresh.values():
        seen = set()
        for block in _blocks(guest):
            for other, is_invited in index[block]:
                if other.key in seen or other.key == guest.key:
                    continue
                seen.add(other.key)
                if guest.email_key and guest.email_key == other.email_key and not is_invited:
                    continue  # one address pasted twice is one guest
                match = compare(guest.probe, other.probe)
                if match is not None:
                    found.append(PossibleDuplicate(guest, other, is_invited, match))
        for block in _blocks(guest):  # later new guests are compared with this one
            index[block].append((guest, False))
    return found


def review(event: Event, contacts: list[Contact], pasted: list[dict], decisions: Mapping) -> Review:
    """Return the possible duplicates of an invite request with the decisions made on them."""
    new = [of_contact(c) for c in contacts] + of_pasted(pasted)
    result = Review(duplicates=find(new, invited(event)) if new else [])
    result.asked = any(str(name).startswith("dup-") for name in decisions)
    for duplicate in result.duplicates:
        choice = decisions.get(duplicate.field)
        if choice == OTHER_INSTEAD:
            result.dropped |= {duplicate.guest.key, "e:" + duplicate.guest.email_key}
        elif choice != INVITE_ANYWAY:
            result.open.append(duplicate)
    return result
