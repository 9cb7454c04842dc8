"""Reading the address book: search by name, email, organisation and tag, a page at a time."""

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.contacts import hooks
from app.contacts.dedup import name_tokens, tag_key
from app.contacts.models import Contact, ContactAddress, Tag
from app.paging import Page

PER_PAGE = 50


def _matches(q: str):
    """Return the clause for a search text: name words (any spelling), email, organisation, tag."""
    words = name_tokens(q)
    text = q.strip().lower()
    key = q.strip().casefold()
    clauses = [
        Contact.email_key.contains(key, autoescape=True),
        Contact.addresses.any(ContactAddress.email_key.contains(key, autoescape=True)),
        func.lower(Contact.organisation).contains(text, autoescape=True),
        Contact.tags.any(Tag.match_key.contains(tag_key(q), autoescape=True)),
    ]
    if words:
        clauses.append(and_(*(Contact.name_key.contains(w, autoescape=True) for w in words)))
    return or_(*clauses)


def search(
    session: Session, q: str = "", *, tag: str = "", page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Return live (not merged) contacts matching the search, by surname."""
    query = select(Contact).where(Contact.merged_into_id.is_(None))
    if q.strip():
        query = query.where(_matches(q))
    if tag:
        query = query.where(Contact.tags.any(Tag.match_key == tag_key(tag)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(Contact.last_name, Contact.first_name, Contact.id)
    items = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), page, per_page, total or 0)


def invitation_counts(session: Session, contact_ids: list[int]) -> dict[int, int]:
    """Return how many invitations each of the contacts has (as the inviting packages count)."""
    counts: dict[int, int] = {}
    for count in hooks.invitation_counters:
        for contact_id, number in count(session, contact_ids).items():
            counts[contact_id] = counts.get(contact_id, 0) + number
    return counts


def contacts_by_email_keys(session: Session, keys) -> dict[str, list[Contact]]:
    """Return the live contacts at each address key, by their own or a further address.

    The one place where an address finds its contacts: pasted guests, imports and the API use
    it, so that an address kept from a merge finds the survivor rather than making a new one.
    """
    keys = set(keys)
    if not keys:
        return {}
    found: dict[str, list[Contact]] = {}
    own = select(Contact).where(Contact.email_key.in_(keys), Contact.merged_into_id.is_(None))
    for contact in session.scalars(own.order_by(Contact.created_at, Contact.id)):
        found.setdefault(contact.email_key, []).append(contact)
    further = (
        select(ContactAddress.email_key, Contact)
        .join(Contact, Contact.id == ContactAddress.contact_id)
        .where(ContactAddress.email_key.in_(keys), Contact.merged_into_id.is_(None))
    )
    for key, contact in session.execute(further):
        if contact not in found.setdefault(key, []):
            found[key].append(contact)
    return found


def contact_by_further_address(session: Session, key: str) -> Contact | None:
    """Return the live contact that keeps this address key as a further address, if any."""
    query = (
        select(Contact)
        .join(ContactAddress, ContactAddress.contact_id == Contact.id)
        .where(ContactAddress.email_key == key, Contact.merged_into_id.is_(None))
    )
    return session.scalars(query.limit(1)).first()
