"""Finding possible duplicates: indexed key lookups in SQL, scoring of the few hits in Python."""

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations, groupby

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from app.contacts.dedup import fold, name_key
from app.contacts.dedup_evidence import FREE_MAIL_DOMAINS, is_free_mail
from app.contacts.dedup_scoring import Match, Probe, compare
from app.contacts.models import Contact, NotDuplicate

# A safety bound: a surname sound code holds a few hundred contacts even in a large city.
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


def _sharing_clause(probe: Probe, dialect: str):
    """Return "shares a phone, an organisation word or (nearly) the mail domain", or None.

    A superset of what compare() accepts beside the name, checked on the rows of one indexed
    key: an organisation typed otherwise still contains its longest word; a domain one typed
    character away still starts with the first half of the probe's domain or ends with the
    part after its middle; the same local part finds a typo in a free-mail domain.
    """
    clauses = []
    if probe.phone.strip():
        clauses.append(Contact.phone == probe.phone.strip())
    core = probe.place[0].core
    if core:
        word = max(core.split(), key=len)
        raw = {w for w in probe.organisation.lower().split() if fold(w) == word}
        clauses.extend(func.lower(Contact.organisation).contains(w) for w in {word, *raw})
    local, _at, domain = probe.key.rpartition("@")
    if domain:
        local = local.split("+", 1)[0] or local
        clauses.append(Contact.email_key.like(f"{_escape(local)}@%", escape="\\"))
        if not is_free_mail(domain):
            half = len(domain) // 2
            head, tail = domain[:half], domain[half + 1 :]
            at_domain = _domain(Contact.email_key, dialect)
            clauses.append(at_domain.like(f"{_escape(head)}%", escape="\\"))
            if len(tail) > 3:
                clauses.append(at_domain.like(f"%{_escape(tail)}", escape="\\"))
    return or_(*clauses) if clauses else None


def _escape(text: str) -> str:
    """Escape the LIKE wildcards in a literal."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _domain(column, dialect: str):
    """Return the SQL expression of the part of an address after the "@"."""
    at = func.strpos(column, "@") if dialect == "postgresql" else func.instr(column, "@")
    return func.substr(column, at + 1)


def _local(column, dialect: str):
    """Return the SQL expression of the part of an address before the "@"."""
    at = func.strpos(column, "@") if dialect == "postgresql" else func.instr(column, "@")
    return func.substr(column, 1, at - 1)


def candidates_for(session: Session, probe: Probe, *, limit: int = 10) -> list[Candidate]:
    """Return the best-scoring possible duplicates of one contact (saved or not).

    Every lookup is indexed (the address keys, the name key, the surname's sound code); on
    the rows of a name or sound code SQL keeps those sharing something beside the name, and
    compare() decides on the few left.
    """
    keys = [Contact.email_key == probe.key, Contact.mailbox_key == probe.mailbox]
    sharing = _sharing_clause(probe, session.get_bind().dialect.name)
    if sharing is not None:
        names = sorted({n for n in (probe.names[0], name_key(probe.full_name)) if n})
        if names:
            keys.append(and_(Contact.name_key.in_(names), sharing))
        if probe.sound:
            keys.append(and_(Contact.phonetic_key == probe.sound, sharing))
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


# Contacts sharing one of these are compared pairwise: an address key, or the surname's sound
# code and the first letter of the first name (C as K, P as F: Carl and Karl, Philipp and Filip
# meet) together with a phone, the mail domain without hyphens (a company domain and its typo),
# the local part (a typo in any domain) or the start of the organisation ("ruhr k" for every
# spelling of "Ruhr Kultur e. V."). compare() decides.
GROUPINGS = (
    ("email_key",),
    ("mailbox_key",),
    ("phonetic_key", "phone", "initial"),
    ("phonetic_key", "domain", "initial"),
    ("phonetic_key", "local", "initial"),
    ("phonetic_key", "organisation", "initial"),
)
BIG_GROUP = 50  # e.g. a role mailbox: compare only alike-sounding names within it
ORGANISATION_PREFIX = 6


def _grouping_expression(name: str, dialect: str):
    """Return the SQL expression a grouping column stands for."""
    if name == "domain":
        return func.replace(_domain(Contact.email_key, dialect), "-", "")
    if name == "local":
        return _local(Contact.email_key, dialect)
    if name == "organisation":
        return func.lower(func.substr(Contact.organisation, 1, ORGANISATION_PREFIX))
    if name == "initial":
        initial = func.lower(func.substr(Contact.first_name, 1, 1))
        return case((initial == "c", "k"), (initial == "p", "f"), else_=initial)
    return getattr(Contact, name)


def _groups(
    session: Session, names: tuple[str, ...], known: dict[int, Probe]
) -> Iterator[list[Probe]]:
    """Yield the live contacts that share the grouping values with at least one other.

    known holds the probes already built (their keys are computed once per review).
    """
    dialect = session.get_bind().dialect.name
    exprs = [_grouping_expression(n, dialect) for n in names]
    labels = [f"g{i}" for i in range(len(exprs))]
    query = select(
        *_columns(),
        *(e.label(lbl) for e, lbl in zip(exprs, labels, strict=True)),
        func.count().over(partition_by=exprs).label("size"),
    ).where(
        Contact.merged_into_id.is_(None),
        *(e != "" for n, e in zip(names, exprs, strict=True) if n != "initial"),
    )
    if "domain" in names:  # everybody's free-mail domain says nothing
        query = query.where(_domain(Contact.email_key, dialect).not_in(sorted(FREE_MAIL_DOMAINS)))
    inner = query.subquery()
    query = select(inner).where(inner.c.size > 1)
    query = query.order_by(*(inner.c[lbl] for lbl in labels), inner.c.id)
    rows = session.execute(query)
    for _key, members in groupby(rows, key=lambda r: tuple(getattr(r, lbl) for lbl in labels)):
        group = [
            known.get(r.id)
            or known.setdefault(r.id, Probe(**{n: getattr(r, n) for n in PROBE_COLUMNS}))
            for r in members
        ]
        if len(group) <= BIG_GROUP or names[0] == "phonetic_key":
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
    known: dict[int, Probe] = {}
    pairs = []
    for names in GROUPINGS:
        for group in _groups(session, names, known):
            for first, second in combinations(group, 2):
                ids = (first.id, second.id) if first.id < second.id else (second.id, first.id)
                if ids in seen or ids in declined:
                    continue
                seen.add(ids)
                match = compare(first, second)
                if match is not None:
                    pairs.append(Pair(first, second, match))
    return pairs
