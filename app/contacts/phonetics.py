"""Kölner Phonetik (Postel 1969): a sound code for German surnames, used to find candidates.

The code only narrows the search: Müller and Möller share "657", so it is never proof.
"""

import unicodedata

_PLAIN = {
    **dict.fromkeys("aeijouy", "0"),
    "b": "1",
    **dict.fromkeys("fvw", "3"),
    **dict.fromkeys("gkq", "4"),
    "l": "5",
    **dict.fromkeys("mn", "6"),
    "r": "7",
    **dict.fromkeys("sz", "8"),
}
_C_HARD_INITIAL = set("ahkloqrux")
_C_HARD = set("ahkoqux")


def _letters(text: str) -> str:
    """Return the ASCII letters of a name, umlauts as vowels and ß as s."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "s"))
    return "".join(ch for ch in text if "a" <= ch <= "z")


def _code(word: str, i: int) -> str:
    """Return the code of the letter at position i, looking at its neighbours."""
    ch = word[i]
    before = word[i - 1] if i > 0 else ""
    after = word[i + 1] if i + 1 < len(word) else ""
    if ch == "h":
        return ""
    if ch == "p":
        return "3" if after == "h" else "1"
    if ch in "dt":
        return "8" if after in ("c", "s", "z") else "2"
    if ch == "c":
        if i == 0:
            return "4" if after in _C_HARD_INITIAL else "8"
        if before in ("s", "z"):
            return "8"
        return "4" if after in _C_HARD else "8"
    if ch == "x":
        return "8" if before in ("c", "k", "q") else "48"
    return _PLAIN.get(ch, "")


def cologne_phonetic(name: str) -> str:
    """Return the Kölner Phonetik code of a name ("Müller" → "657")."""
    word = _letters(name)
    raw = "".join(_code(word, i) for i in range(len(word)))
    collapsed = [d for i, d in enumerate(raw) if i == 0 or d != raw[i - 1]]
    if not collapsed:
        return ""
    return collapsed[0] + "".join(d for d in collapsed[1:] if d != "0")
