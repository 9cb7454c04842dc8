"""First-name spellings, nicknames, generation markers and name-shaped mail local parts.

Pure functions on folded words (see dedup.fold): "Marcus"/"Markus", "Stephan"/"Stefan",
"Christof"/"Christoph", "Kathrin"/"Catrin" share one spelling key, while "Petra"/"Peter",
"Daniel"/"Daniela" and "Jan"/"Jana" keep theirs. Staff type such variants for one person;
the key is evidence only together with the surname and something the two contacts share.
"""

import re
from functools import lru_cache

# Order matters: "ph" before the c/k rules, doubled letters last (Matthias → matias).
_SPELLING = (
    (re.compile(r"^chr"), "kr"),  # Christoph, Christian: the initial Ch sounds as K
    (re.compile(r"ph"), "f"),
    (re.compile(r"th"), "t"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"c(?=[eiy])"), "z"),  # Marcel, Vincent
    (re.compile(r"c(?!h)"), "k"),  # Carl, Claus, Marcus; "ch" in Michael stays
    (re.compile(r"ks"), "x"),  # Aleksander
    (re.compile(r"y"), "i"),  # Kay, Sylvia
    (re.compile(r"ai"), "ei"),  # Rainer, Maik
    (re.compile(r"(?<=[aeiou])h$"), ""),  # Hannah, Sarah
    (re.compile(r"d?t$|d$"), "t"),  # Gerhardt, Gerhart; a final d sounds as t
    (re.compile(r"v$"), "f"),  # Detlev, Gustav
    (re.compile(r"([a-z])\1+"), r"\1"),  # Philipp, Matthias, Anna
)

# Short forms that name one person in everyday use; the value lists the full names.
# fmt: off
_NICKNAMES = {
    "alex": ("alexander", "alexandra"), "andi": ("andreas",), "basti": ("sebastian",),
    "ben": ("benjamin",), "benni": ("benjamin",), "bernd": ("bernhard",),
    "chris": ("christian", "christoph", "christina", "christine"), "conny": ("cornelia",),
    "flo": ("florian",), "fritz": ("friedrich",), "gabi": ("gabriele",), "gerd": ("gerhard",),
    "hans": ("johannes",), "hannes": ("johannes",), "heinz": ("heinrich",),
    "jochen": ("joachim",), "jupp": ("josef",), "sepp": ("josef",), "kathi": ("katharina",),
    "lisa": ("elisabeth",), "manni": ("manfred",), "matze": ("matthias",),
    "max": ("maximilian",), "micha": ("michael",), "moni": ("monika",),
    "nico": ("nikolas", "nikolaus"), "olli": ("oliver",), "rolf": ("rudolf",),
    "steffi": ("stefanie",), "susi": ("susanne",), "tom": ("thomas",),
    "toni": ("anton", "antonia"), "uli": ("ulrich", "ulrike"), "willi": ("wilhelm",),
    "wolf": ("wolfgang",),
}
# fmt: on

# Generation markers (folded): "sen.", "Senior", "d. Ä." and "jun.", "Junior", "d. J.".
_GENERATION = re.compile(
    r"(?<![^\W_])(?:(sen|senior|sr|d\.\s*ae|der\s+aeltere)|(jun|junior|jr|d\.\s*j|der\s+juengere))"
    r"(?:\.|(?![^\W_]))"
)


@lru_cache(maxsize=8192)
def spelling_key(word: str) -> str:
    """Return the spelling key of a folded first name: "markus" and "marcus" give "markus"."""
    if not word.isalpha():
        return word  # "gast1" and "gast11" are placeholders, not spellings
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    return word


_NICK_KEYS = {
    spelling_key(short): frozenset(spelling_key(n) for n in full)
    for short, full in _NICKNAMES.items()
}


def same_given_name(p: str, q: str) -> str:
    """Return "same", "variant" (spelling or nickname) or "" for two folded first-name words."""
    if p == q or (len(p) == 1 and q.startswith(p)) or (len(q) == 1 and p.startswith(q)):
        return "same"
    if len(p) == 1 or len(q) == 1:
        return ""
    kp, kq = spelling_key(p), spelling_key(q)
    if kp == kq or kq in _NICK_KEYS.get(kp, ()) or kp in _NICK_KEYS.get(kq, ()):
        return "variant"
    return ""


def given_names_agree(x: list[str], y: list[str]) -> str:
    """Return how two first-name word lists agree: "same", "variant" or "" (they differ).

    Missing names, initials and one list containing the other agree ("Hans" and "Hans Peter").
    """
    if not x or not y or set(x) <= set(y) or set(y) <= set(x):
        return "same"
    short, long = sorted((x, y), key=len)
    result = "same"
    for p, q in zip(short, long, strict=False):
        level = same_given_name(p, q)
        if not level:
            return ""
        if level == "variant":
            result = "variant"
    return result


def generation(*fields: str) -> tuple[str, list[str]]:
    """Return the generation marker ("sen", "jun" or "") and the fields without it.

    A marker counts only after another word of its field, so the surnames Sen and Jun stay.
    """
    found, cleaned = "", []
    for text in fields:
        match = next((m for m in _GENERATION.finditer(text) if text[: m.start()].strip()), None)
        if match:
            found = found or ("sen" if match.group(1) else "jun")
            text = text[: match.start()] + text[match.end() :]
        cleaned.append(text)
    return found, cleaned


def local_part_fits(local: str, firsts: list[str], surnames: list[str]) -> bool:
    """Return True if a folded local part spells the name (m.weber, markus.weber, weber.m, mweber).

    firsts are the first-name words, surnames the surname words; spellings count as equal.
    """
    local = local.split("+", 1)[0]
    if not re.fullmatch(r"[a-z]+(?:[._-][a-z]+)*", local):
        return False
    typed = spelling_key(re.sub(r"[._-]", "", local))
    last = "".join(surnames)
    if not last:
        return False
    forms = {last, last[-len(surnames[-1]) :]}
    if firsts:
        given, initials = "".join(firsts), "".join(w[0] for w in firsts)
        for first in {given, firsts[0], initials, firsts[0][0]}:
            forms |= {first + last, last + first}
        forms |= {given, firsts[0]} | {nick for nick in _nicknames_of(firsts[0])}
        forms |= {n + last for n in _nicknames_of(firsts[0])}
    return typed in {spelling_key(f) for f in forms}


def _nicknames_of(word: str) -> set[str]:
    """Return the short forms whose full name is this folded first name."""
    key = spelling_key(word)
    return {short for short, full in _NICK_KEYS.items() if key in full}
