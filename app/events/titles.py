"""Event titles compared for the ``duplicate`` conflict kind: normalised once, then scored.

``normalise`` folds case and umlauts (ä → ae, ß → ss, other accents dropped), turns punctuation
into spaces, expands a few abbreviations ("Str." → "strasse") and removes German stop words,
years ("2027", "2026/27") and ordinals ("3."). ``similar`` scores two normalised titles with
rapidfuzz (``token_set_ratio``, or the titles without spaces for "Neujahrs-Empfang" against
"Neujahrsempfang") and then guards against near misses: titles that name different places
(Dortmund's districts and quarters), different numbers ("Feuerwache 1" / "Feuerwache 2") or
that each keep a word the other lacks ("Bürgerdialog Hörde" / "Bürgerdialog Hombruch") are
never the same event. The thresholds were tuned on ``tests/data/event_title_pairs.csv``.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

# Score from which two titles count as the same event (0-100), and the lower one for two
# events at the same venue on the same day.
THRESHOLD = 85
SAME_VENUE_THRESHOLD = 75
# Two leftover words this similar count as one (a plural, a typo, a compound's inflection).
WORD_MATCH = 80
# A word this long found inside another counts as a part of it (shorter ones say too little).
MIN_PART = 4
# Alike titles share a word's first letters ("rats…" / "rates", "job…" / "jobmesse").
STEM = 3
# First parts of compounds that do not make another kind of event ("Bürgersprechstunde").
GENERIC_MODIFIERS = frozenset({"buerger", "stadt", "gesamt", "haupt", "jahres"})

_STOP_WORDS = """
    der die das des dem den ein eine einer eines einem einen und oder mit ohne fuer von vom zum
    zur im ins in am an auf durch bis ab aus bei beim nach ueber unter vor zu zwischen gegen um
    als sowie the of and for at on to dortmund dortmunder stadt
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
ABBREVIATIONS = {
    "str": "strasse",
    "pl": "platz",
    "st": "sankt",
    "ev": "evangelisch",
    "kath": "katholisch",
    "ob": "oberbuergermeister",
    "oberbuergermeisters": "oberbuergermeister",
    "oberbuergermeisterin": "oberbuergermeister",
    "bv": "bezirksvertretung",
    "info": "informations",
}
# Dortmund's twelve Stadtbezirke and its better-known quarters and places (folded): a title
# naming one of them is about that place, and another place makes another event.
_PLACES = """
    innenstadt west nord ost eving scharnhorst brackel aplerbeck hoerde hombruch
    luetgendortmund huckarde mengede kirchhoerde wellinghofen barop dorstfeld marten kley
    oespel asseln wickede koerne hacheney berghofen schueren soelde lichtendorf husen kurl
    lanstrop derne grevel brechten lindenhorst kemminghausen nette oestrich westerfilde
    bodelschwingh deusen jungferntal rahm kirchlinde frohlinde boevinghausen westrich
    persebeck eichlinghofen menglinghausen bruenninghausen loettringhausen luecklemberg
    syburg benninghofen holzen kruckel schnee salingen kirchderne wambel neuasseln hostedde
    nordstadt kreuzviertel gartenstadt phoenix westfalenpark fredenbaumpark rombergpark
    hafen borsigplatz unionviertel kaiserviertel
"""
PLACES = frozenset(_PLACES.split())
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_YEAR = re.compile(r"\b(?:19|20|21)\d\d(?:\s*/\s*\d\d(?:\d\d)?)?\b")
_ORDINAL = re.compile(r"\b\d+\s*\.(?!\d)")
_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHE = re.compile(r"['’`´]")


@dataclass(frozen=True, eq=False)
class Title:
    """A normalised title: its words (sorted, stop words removed), places and numbers, and
    what the comparisons need of it, computed once."""

    words: tuple[str, ...]
    places: frozenset[str]
    numbers: frozenset[str]
    # The words joined by spaces (what rapidfuzz compares), and without spaces.
    text: str = ""
    compact: str = ""
    # The first letters of each word: titles sharing none are never alike (a cheap filter).
    stems: frozenset[str] = frozenset()
    # The words and their uninflected forms that other words may be made of, longest first.
    parts: tuple[str, ...] = ()


def _fold(title: str) -> str:
    """Return the title in lower case with umlauts spelt out, other accents and apostrophes
    removed ("Girls' Day" = "Girls Day", "Xi'an" = "Xian")."""
    folded = _APOSTROPHE.sub("", title.casefold().translate(_FOLD))
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    """Return the word without a German inflection ending ("rates" -> "rat")."""
    for ending in ("es", "en", "s", "n", "e"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=65536)
def normalise(title: str) -> Title:
    """Return the normalised form of a title (cached: each title is normalised once)."""
    text = _ORDINAL.sub(" ", _YEAR.sub(" ", _fold(title)))
    words = []
    for word in _WORD.findall(text):
        word = ABBREVIATIONS.get(word, word)
        if word.startswith("info") and not word.startswith("information"):
            word = "informations" + word[4:]  # "Infoabend" = "Informationsabend"
        if word not in STOP_WORDS:
            words.append(word)
    unique = tuple(sorted(set(words)))
    parts = {p for w in unique for p in (w, _stem(w)) if len(p) >= 3}
    return Title(
        words=unique,
        places=frozenset(w for w in unique if w in PLACES),
        numbers=frozenset(w for w in unique if w.isdigit()),
        text=" ".join(unique),
        compact="".join(unique),
        stems=frozenset(w[:STEM] for w in unique),
        parts=tuple(sorted(parts, key=lambda p: (-len(p), p))),
    )


def _matches(word: str, theirs: tuple[str, ...]) -> str | None:
    """Return the word of ``theirs`` that ``word`` is (exactly or a close spelling), if any."""
    if word in theirs:
        return word
    for candidate in theirs:
        if fuzz.ratio(word, candidate, score_cutoff=WORD_MATCH):
            return candidate
    return None


def _composed(word: str, parts: tuple[str, ...]) -> bool:
    """Return True when ``word`` is made of the other title's ``parts`` (plus linking
    letters): "rathausfuehrung" of "rathaus" and "fuehrung", "ratssitzung" of "sitzung" and
    "rat" (from "rates")."""
    rest = word
    for part in parts:
        if part in rest:
            rest = rest.replace(part, "")
    return len(rest) <= 2 and rest != word


def _contained(word: str, theirs: Title) -> bool:
    """Return True when the word is "the same or said more fully" in ``theirs``: one of its
    words, a close spelling, or made of several of them."""
    return _matches(word, theirs.words) is not None or _composed(word, theirs.parts)


def _covered(word: str, theirs: Title) -> bool:
    """Return True when ``word`` is contained in ``theirs`` or a part of one of its words
    ("empfang" in "neujahrsempfang")."""
    if _contained(word, theirs):
        return True
    return len(word) >= MIN_PART and any(word in t for t in theirs.words)


def _leftover(mine: Title, theirs: Title) -> list[str]:
    """Return the words of ``mine`` that ``theirs`` does not cover."""
    return [w for w in mine.words if not _covered(w, theirs)]


def _narrower(a: Title, b: Title) -> bool:
    """Return True when a word of ``b`` is a word of ``a`` with a modifier in front that ``a``
    does not have ("kinderlesung" against "lesung", "neujahrsempfang" against "empfang"):
    a German compound names a narrower kind of event by its first part."""
    for long in b.words:
        for short in a.words:
            if len(short) >= MIN_PART and long != short and long.endswith(short):
                modifier = long[: -len(short)]
                if modifier not in GENERIC_MODIFIERS and not _covered(modifier, a):
                    return True
    return False


def related(a: Title, b: Title) -> bool:
    """Return True when every word of one title begins like a word of the other: a cheap
    test that one could say all the other says (demanded of similar titles; the duplicate
    kind's listing pairs events by it)."""
    return a.stems <= b.stems or b.stems <= a.stems


def score(a: Title, b: Title) -> float:
    """Return how alike two normalised titles read (0-100).

    Close spellings count as the same word ("integrationsrates" / "integrationsrat"); titles
    whose words all cover each other ("Rathausführung" / "Führung durch das Rathaus") score 100.
    """
    if not a.words or not b.words:
        return 0.0
    if all(_contained(w, b) for w in a.words) or all(_contained(w, a) for w in b.words):
        return 100.0  # one says all the other says (rapidfuzz's token_set_ratio: a subset)
    aligned = " ".join(sorted({_matches(w, a.words) or w for w in b.words}))
    return max(fuzz.token_set_ratio(a.text, aligned), fuzz.ratio(a.compact, b.compact))


def different_things(a: Title, b: Title) -> bool:
    """Return True when the titles name different places or numbers, or each keeps a word
    the other lacks (then they are two events of one kind, not one event)."""
    if a.places and b.places and not (a.places & b.places):
        return True
    if a.numbers != b.numbers and a.numbers and b.numbers:
        return True
    if _narrower(a, b) or _narrower(b, a):
        return True
    return bool(_leftover(a, b)) and bool(_leftover(b, a))


@lru_cache(maxsize=65536)
def similar(a: str, b: str, *, same_venue_and_day: bool = False) -> bool:
    """Return True when two titles probably name the same event (cached per pair of titles:
    a calendar repeats its titles)."""
    first, second = normalise(a), normalise(b)
    if not first.words or not second.words or not related(first, second):
        return False
    threshold = SAME_VENUE_THRESHOLD if same_venue_and_day else THRESHOLD
    if score(first, second) < threshold:
        return False
    return not different_things(first, second)
