"""Evidence beside the name: organisations without legal form or city, and mail domains.

"Ruhr Kultur e. V. Dortmund", "Ruhr Kultur e.V." and "RUHR KULTUR eV" are one organisation;
"Stadtwerke Bochum" and "Stadtwerke Essen" are not. A company domain is shared by its staff, so
it counts only with agreeing names; the big free-mail providers never count.
"""

import re
from typing import NamedTuple

from rapidfuzz.distance import OSA

# fmt: off
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.com", "gmx.org",
    "web.de", "t-online.de", "freenet.de", "arcor.de", "online.de", "email.de", "mail.de",
    "posteo.de", "posteo.net", "mailbox.org", "yahoo.de", "yahoo.com", "ymail.com",
    "outlook.de", "outlook.com", "hotmail.de", "hotmail.com", "live.de", "live.com", "msn.com",
    "icloud.com", "me.com", "mac.com", "aol.de", "aol.com", "protonmail.com", "proton.me",
    "vodafone.de", "kabelmail.de", "magenta.de", "ewetel.net", "unitybox.de", "1und1.de",
    "emailn.de", "tutanota.com", "tutanota.de", "gmx.eu",
})
# Legal-form words after tokenising ("e. V." and "G.m.b.H." are joined to "ev" and "gmbh").
LEGAL_FORMS = frozenset({
    "ev", "gmbh", "ggmbh", "mbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "eg", "ek", "se", "co",
    "mbb", "partg", "partgmbb", "ltd", "inc", "haftungsbeschraenkt", "aoer", "koer",
    "gemeinnuetzige", "gemeinnuetziger", "gemeinnuetzig",
})
# Ruhr and NRW cities (folded) that staff append to an organisation's name.
CITIES = frozenset({
    "dortmund", "essen", "bochum", "duisburg", "gelsenkirchen", "herne", "oberhausen", "bottrop",
    "muelheim", "muelheim an der ruhr", "muelheim ad ruhr", "hagen", "hamm", "witten",
    "recklinghausen", "castrop rauxel", "unna", "luenen", "schwerte", "iserlohn", "marl",
    "gladbeck", "dorsten",
    "herten", "moers", "bergkamen", "kamen", "hattingen", "datteln", "waltrop", "selm",
    "holzwickede", "haltern am see", "dinslaken", "wesel", "velbert", "gevelsberg", "schwelm",
    "ennepetal", "koeln", "duesseldorf", "muenster", "bielefeld", "wuppertal", "bonn", "aachen",
    "krefeld", "moenchengladbach", "solingen", "remscheid", "leverkusen", "neuss", "paderborn",
    "siegen", "arnsberg", "soest", "luedenscheid",
})
# Organisations named by their kind: the city is part of the name (Stadtwerke Bochum ≠ Essen).
GENERIC = frozenset({
    "stadt", "stadtverwaltung", "stadtwerke", "sparkasse", "volksbank", "gemeinde", "kreis",
    "rathaus", "polizei", "polizeipraesidium", "feuerwehr", "theater", "schauspielhaus", "oper",
    "museum", "bibliothek", "stadtbibliothek", "volkshochschule", "vhs", "jobcenter", "caritas",
    "caritasverband", "diakonie", "diakonisches", "awo", "drk", "tafel", "stadtsportbund",
    "sportbund", "kulturbuero", "buergerhaus", "jugendamt", "kulturamt", "stadtmarketing",
    "wirtschaftsfoerderung", "ihk", "hwk", "handwerkskammer", "universitaet", "hochschule",
    "fachhochschule", "zoo", "stadtarchiv", "kirchengemeinde", "evangelische", "katholische",
    "presse", "rat", "stadtrat", "bezirksvertretung", "verkehrsverein", "tourismus", "kirche",
    "verwaltung", "amt", "schule", "gymnasium", "realschule", "gesamtschule", "grundschule",
})
_LINKS = frozenset({"der", "die", "das", "des", "im", "in", "am", "an", "fuer", "von", "zu", "zur"})
# fmt: on
_LONGEST_CITY = max(len(c.split()) for c in CITIES)
_WORD = re.compile(r"[^\W_]+")


class OrgKey(NamedTuple):
    """An organisation as compared: its core words and the city appended to it."""

    core: str
    city: str


def organisation_key(folded: str) -> OrgKey:
    """Return the core and city of a folded organisation name ("ruhr kultur e. v. dortmund")."""
    words = _WORD.findall(folded.replace("eingetragener verein", "ev"))
    words = [w for w in _joined_letters(words) if w != "und"]  # "&" and "und" alike
    city = ""
    while len(words) > 1:
        if words[-1] in LEGAL_FORMS:
            words.pop()
            continue
        found = next((n for n in range(_LONGEST_CITY, 0, -1) if " ".join(words[-n:]) in CITIES), 0)
        if city or not found or found >= len(words):
            break
        city = " ".join(words[-found:])
        del words[-found:]
        if len(words) > 1 and words[-1] == "in":
            words.pop()
    return OrgKey(" ".join(words), city)


def _joined_letters(words: list[str]) -> list[str]:
    """Join runs of single letters: "e v" → "ev", "g m b h" → "gmbh"."""
    out: list[str] = []
    run = ""
    for word in [*words, ""]:
        if len(word) == 1:
            run += word
            continue
        if run:
            out.append(run)
            run = ""
        if word:
            out.append(word)
    return out


def same_organisation(x: OrgKey, y: OrgKey) -> bool:
    """Return True if two organisation keys name the same organisation."""
    if not x.core or x.core != y.core:
        return False
    if x.city == y.city:
        return True
    if x.city and y.city:
        return False
    return not all(w in GENERIC or w in _LINKS for w in x.core.split())


def is_free_mail(domain: str) -> bool:
    """Return True for the big free-mail providers, whose domain says nothing about a person."""
    return domain in FREE_MAIL_DOMAINS


def domain_typo(a: str, b: str) -> bool:
    """Return True if two domains differ by one typed character (ruhrkultur.de, ruhr-kultur.de).

    The top-level domain must be equal (gmx.de and gmx.net are two providers) and the rest
    at least five characters long, where one letter more or less rarely makes another name.
    """
    if a == b:
        return False
    name_a, _dot, tld_a = a.rpartition(".")
    name_b, _dot, tld_b = b.rpartition(".")
    if tld_a != tld_b or min(len(name_a), len(name_b)) < 5:
        return False
    return OSA.distance(name_a, name_b, score_cutoff=1) <= 1
