"""Full-text search of public events: German stemming and prefixes on PostgreSQL and SQLite.

PostgreSQL reads ``events.search_text`` through ``to_tsvector('german', …)`` (a GIN index);
SQLite reads ``events.search_stems``, the same words through the same Snowball stemmer, in the
FTS5 table ``events_fts`` (triggers of migration 0015 keep it). Every query word is stemmed and
matched as a prefix, so "Führungen" finds "Führung", "fuehrung" finds "Führung" and "Konz"
finds "Konzert" on both.
"""

import re
from functools import lru_cache

import snowballstemmer
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.events.models import Event

WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8  # words of a query that count; the rest is ignored
_STEMMER = snowballstemmer.stemmer("german")
_SPELLED = re.compile(r"ae|oe|(?<!q)ue")
_UMLAUT = {"ae": "ä", "oe": "ö", "ue": "ü"}


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    """Return the German Snowball stem of one word (umlauts folded, as PostgreSQL's german)."""
    return _STEMMER.stemWord(word.lower())


def words(value: str) -> list[str]:
    """Return the words of a text, lower-cased."""
    return WORD.findall((value or "").lower())


def umlauts(word: str) -> str:
    """Return a word with "ae", "oe" and "ue" written as umlauts ("fuehrung" -> "führung")."""
    return _SPELLED.sub(lambda m: _UMLAUT[m.group(0)], word)


def stems(value: str) -> str:
    """Return the stems of every word of a text, space-separated."""
    return " ".join(stem(w) for w in words(value))


def source_text(event: Event) -> str:
    """Return what the search reads of an event: title, description, venue and place."""
    venue = event.venue.name if event.venue is not None else ""
    return " ".join(p for p in (event.title, event.description, venue, event.location) if p)


def refresh(event: Event) -> None:
    """Bring the event's search columns up to date (changes nothing when they are)."""
    plain = source_text(event)
    if event.search_text != plain:
        event.search_text = plain
        event.search_stems = stems(plain)


@sa_event.listens_for(Session, "before_flush")
def _index_events(session: Session, _context, _instances) -> None:
    """Refresh the search columns of every new or changed event before it is written."""
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Event) and (obj in session.new or session.is_modified(obj)):
            refresh(obj)


def match(q: str, dialect: str) -> ColumnElement[bool] | None:
    """SQL condition: every word of q (stemmed, as a prefix) occurs in the event; None if empty."""
    found = words(q)[:MAX_WORDS]
    if not found:
        return None
    if dialect == "postgresql":
        # PostgreSQL's german stemmer leaves "ae", "oe", "ue" alone; Snowball's current one (and
        # so SQLite's side) reads them as umlauts: ask for both spellings.
        query = " & ".join(
            f"({w}:* | {umlauts(w)}:*)" if umlauts(w) != w else f"{w}:*" for w in found
        )
        return func.to_tsvector(text("'german'"), Event.search_text).op("@@")(
            func.to_tsquery(text("'german'"), query)
        )
    fts = " ".join(f'"{stem(w)}"*' for w in found)
    condition = text("events_fts MATCH :fts").bindparams(fts=fts)
    return Event.id.in_(select(text("rowid")).select_from(text("events_fts")).where(condition))
