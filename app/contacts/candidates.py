"""Finding possible duplicates: indexed key lookups in SQL, scoring of the few hits in Python."""

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations, groupby

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from app.contacts.dedup import Match, Probe, compare
from app.contacts.models import Contact, NotDuplicate

# A safety bound: with the place filter a probe meets a handful of contacts, not thousands.
MAX_FETCH = 2000
PROBE_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "organisation",
    "phone",
    "title",
    "name_particle",
)


@dataclass
class Candidate:
    """A contact that may be the same person as the one checked."""

    other: Probe
    match: Match


@dataclass
class Pair:
    """Two contacts that may be one person, for the review list."""

    first: Probe
    second: Probe
    match: Match

    @property
    def ids(self) -> list[int]:
        """Return both contact ids, the smaller first."""
        return [self.first.id, self.second.id]


def probe_of(contact: Contact) -> Probe:
    """Return the comparable fields of a contact."""
    return Probe(**{name: getattr(contact, name) for name in PROBE_COLUMNS})


def _columns(model=Contact) -> list:
    """Return the probe columns of a (possibly aliased) contact entity."""
    return [getattr(model, name) for name in PROBE_COLUMNS]


def _not_declined(first_id, second_id):
    """Return a clause excluding pairs a person marked as not duplicates (any order)."""
    return ~exists().where(
        or_(
            and_(NotDuplicate.first_id == first_id, NotDuplicate.second_id == second_id),
            and_(NotDuplicate.first_id == second_id, NotDuplicate.second_id == first_id),
        )
    )


def _place_clause(probe: Probe):
    """Return the clause "same organisation or same phone as the probe", or None."""
    place = []
    if probe.organisation.strip():
        org = func.lower(literal(probe.organisation.strip()))
        place.append(func.lower(Contact.organisation) == org)
    if probe.phone.strip():
        place.append(Contact.phone == probe.phone.strip())
    return or_(*place) if place else None


def candidates_for(session: Session, probe: Probe, *, limit: int = 10) -> list[Candidate]:
    """Return the best-scoring possible duplicates of one contact (saved or not)."""
    keys = [Contact.email_key == probe.key, Contact.mailbox_key == probe.mailbox]
    # A name only counts with a place in common (or a shared address, which the keys above
    # find), so the large buckets of common names and sound codes are narrowed in SQL.
    place = _place_clause(probe)
    if place is not None:
        if probe.names[0]:
            keys.append(and_(Contact.name_key == probe.names[0], place))
        if probe.sound:
            keys.append(and_(Contact.phonetic_key == probe.sound, place))
    query = select(*_columns()).where(or_(*keys), Contact.merged_into_id.is_(None))
    if probe.id is not None:
        query = query.where(Contact.id != probe.id, _not_declined(probe.id, Contact.id))
    found = []
    for row in session.execute(query.limit(MAX_FETCH)):
        other = Probe(**row._asdict())
        match = compare(probe, other)
        if match is not None:
            found.append(Candidate(other, match))
    found.sort(key=lambda c: (-c.match.score, c.other.id))
    return found[:limit]


# Contacts sharing one of these are compared pairwise. A name only counts with a place in
# common, so the sound code is grouped with the organisation or the phone and the first initial
# (equal names share both); that keeps the groups of common surnames small.
GROUPINGS = (
    ("email_key",),
    ("mailbox_key",),
    ("phonetic_key", "organisation", "initial"),
    ("phonetic_key", "phone", "initial"),
)
BIG_GROUP = 50  # e.g. a role mailbox: compare only alike-sounding names within it


def _grouping_expression(name: str):
    """Return the SQL expression a grouping column stands for."""
    if name == "initial":
        return func.lower(func.substr(Contact.first_name, 1, 1))
    if name == "organisation":
        return func.lower(Contact.organisation)
    return getattr(Contact, name)


def _groups(session: Session, names: tuple[str, ...]) -> Iterator[list[Probe]]:
    """Yield the live contacts that share the grouping values with at least one other."""
    exprs = [_grouping_expression(n) for n in names]
    labels = [f"g{i}" for i in range(len(exprs))]
    inner = (
        select(
            *_columns(),
            *(e.label(lbl) for e, lbl in zip(exprs, labels, strict=True)),
            func.count().over(partition_by=exprs).label("size"),
        )
        .where(Contact.merged_into_id.is_(None))
        .where(*(getattr(Contact, n) != "" for n in names if n != "initial"))
        .subquery()
    )
    query = select(inner).where(inner.c.size > 1)
    query = query.order_by(*(inner.c[lbl] for lbl in labels), inner.c.id)
    rows = session.execute(query)
    for _key, members in groupby(rows, key=lambda r: tuple(getattr(r, lbl) for lbl in labels)):
        group = [Probe(**dict(zip(PROBE_COLUMNS, r, strict=False))) for r in members]
        if len(group) <= BIG_GROUP:
            yield group
        else:
            group.sort(key=lambda p: (p.sound, p.id))
            yield from (list(g) for _s, g in groupby(group, key=lambda p: p.sound))


def candidate_pairs(session: Session) -> list[Pair]:
    """Return every scored pair found through a shared key, not yet declined, unordered."""
    declined = {
        tuple(r) for r in session.execute(select(NotDuplicate.first_id, NotDuplicate.second_id))
    }
    seen: set[tuple[int, int]] = set()
    pairs = []
    for names in GROUPINGS:
        for group in _groups(session, names):
            for first, second in combinations(group, 2):
                ids = (first.id, second.id)
                if ids in seen or ids in declined:
                    continue
                seen.add(ids)
                match = compare(first, second)
                if match is not None:
                    pairs.append(Pair(first, second, match))
    return pairs
