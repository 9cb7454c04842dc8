"""The wider duplicate rules (issue 10, item 2): unit tests per rule and the labelled pair set."""

import csv
from pathlib import Path

import pytest

from app.contacts import operations
from app.contacts.candidates import candidates_for
from app.contacts.dedup import fold
from app.contacts.dedup_evidence import (
    domain_typo,
    is_free_mail,
    organisation_key,
    same_organisation,
)
from app.contacts.dedup_scoring import Probe, compare, describe
from app.contacts.name_variants import generation, same_given_name, spelling_key
from app.contacts.operations import ContactInput, save_contact
from app.extensions import db
from tests.factories import NOW

PAIRS = Path(__file__).parent / "data" / "person_pairs.csv"
RUHR_KULTUR = "Ruhr Kultur e. V."


def person(first: str, last: str, email: str, organisation: str = "") -> Probe:
    """Return a probe with the fields the pair set has."""
    return Probe(first_name=first, last_name=last, email=email, organisation=organisation)


def reasons(a: Probe, b: Probe) -> list[str] | None:
    """Return the reason codes of a match in both directions (they must agree), or None."""
    there, back = compare(a, b), compare(b, a)
    assert (there is None) == (back is None)
    return None if there is None else there.reasons


# --- first names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [("Markus", "Marcus"), ("Stefan", "Stephan"), ("Christoph", "Christof"),
     ("Karl", "Carl"), ("Klaus", "Claus"), ("Katrin", "Kathrin"), ("Katrin", "Catrin"),
     ("Matthias", "Mathias"), ("Philipp", "Filip"), ("Ralf", "Ralph"), ("Hannah", "Hanna"),
     ("Rainer", "Reiner"), ("Detlef", "Detlev"), ("Gerhard", "Gerhardt"), ("Kai", "Kay")],
)  # fmt: skip
def test_first_name_spellings_share_a_key(a, b):
    assert spelling_key(fold(a)) == spelling_key(fold(b))
    assert same_given_name(fold(a), fold(b)) == "variant"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Petra", "Peter"), ("Daniel", "Daniela"), ("Jan", "Jana"), ("Michael", "Michaela"),
     ("Christian", "Christiane"), ("Andreas", "Andrea"), ("Karin", "Katrin"), ("Anna", "Hanna"),
     ("Uwe", "Ute"), ("Jörg", "Jürgen"), ("Markus", "Marko"), ("Gast1", "Gast11")],
)  # fmt: skip
def test_look_alike_first_names_stay_different(a, b):
    assert same_given_name(fold(a), fold(b)) == ""


def test_juergen_and_juergen_spelled_out_are_the_same_name():
    assert same_given_name(fold("Jürgen"), fold("Juergen")) == "same"


@pytest.mark.parametrize(("full", "short"), [("Johannes", "Hans"), ("Alexander", "Alex")])
def test_a_nickname_is_a_variant_but_two_full_names_sharing_it_are_not(full, short):
    assert same_given_name(fold(full), fold(short)) == "variant"
    assert same_given_name("alexander", "alexandra") == ""


def test_first_name_variant_with_the_same_surname_and_domain_is_proposed():
    marcus = person("Marcus", "Weber", "m.weber@ruhr-kultur.de", "Ruhr Kultur e.V.")
    markus = person("Markus", "Weber", "markus.weber@ruhr-kultur.de", RUHR_KULTUR)
    assert reasons(marcus, markus) == ["same_domain", "organisation", "name_variant"]


def test_petra_and_peter_at_one_organisation_stay_apart():
    petra = person("Petra", "Weber", "petra.weber@ruhr-kultur.de", RUHR_KULTUR)
    peter = person("Peter", "Weber", "peter.weber@ruhr-kultur.de", RUHR_KULTUR)
    assert reasons(petra, peter) is None
    assert reasons(petra, person("Peter", "Weber", "petra.weber@ruhr-kultur.de")) is None


# --- organisations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["Ruhr Kultur e.V.", "Ruhr Kultur eV", "RUHR KULTUR e. V.", "Ruhr Kultur e. V. Dortmund",
     "Ruhr Kultur Dortmund e.V.", "Ruhr Kultur e.V. in Dortmund", "Ruhr Kultur"],
)  # fmt: skip
def test_legal_forms_punctuation_and_a_trailing_city_are_ignored(typed):
    assert same_organisation(organisation_key(fold(RUHR_KULTUR)), organisation_key(fold(typed)))


@pytest.mark.parametrize(
    ("a", "b"),
    [("Stahlbau Krämer GmbH & Co. KG", "Stahlbau Kraemer Gmbh"),
     ("Musikschule Klangwerk G.m.b.H.", "Musikschule Klangwerk GmbH"),
     ("Kulturbüro Nordstadt gGmbH", "Kulturbüro Nordstadt"),
     ("Planungsbüro Sommer & Partner mbB", "Planungsbüro Sommer und Partner")],
)  # fmt: skip
def test_company_legal_forms_are_ignored(a, b):
    assert same_organisation(organisation_key(fold(a)), organisation_key(fold(b)))


@pytest.mark.parametrize(
    ("a", "b"),
    [("Stadtwerke Bochum GmbH", "Stadtwerke Essen AG"), ("Stadt Dortmund", "Stadt"),
     ("Ruhr Kultur Stiftung", RUHR_KULTUR), ("Sparkasse Dortmund", "Sparkasse Hagen"),
     ("Rat der Stadt Dortmund", "Rat der Stadt"), ("", "")],
)  # fmt: skip
def test_other_organisations_and_generic_names_without_city_stay_apart(a, b):
    assert not same_organisation(organisation_key(fold(a)), organisation_key(fold(b)))


def test_same_name_and_normalised_organisation_is_proposed_without_shared_address():
    a = person("Dirk", "Hölscher", "d.hoelscher@outlook.de", "Theater im Depot e. V.")
    b = person("Dirk", "Hölscher", "dirk.hoelscher@web.de", "Theater im Depot e.V. Dortmund")
    assert reasons(a, b) == ["organisation", "name"]


def test_same_name_at_another_organisation_and_domain_stays_apart():
    a = person("Markus", "Weber", "markus.weber@ruhr-kultur.de", RUHR_KULTUR)
    b = person("Markus", "Weber", "markus.weber@westfalen-energie.de", "Westfalen Energie AG")
    assert reasons(a, b) is None
    bochum = person("Anja", "Koch", "anja.koch@stadtwerke-bochum.de", "Stadtwerke Bochum")
    essen = person("Anja", "Koch", "anja.koch@stadtwerke-essen.de", "Stadtwerke Essen")
    assert reasons(bochum, essen) is None


# --- mail domains --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "local", ["m.weber", "mweber", "weber.markus", "markus", "markus_weber", "weber", "weber.m"]
)
def test_another_local_part_pattern_on_the_same_domain_is_evidence(local):
    a = person("Markus", "Weber", "markus.weber@ruhr-kultur.de")
    assert reasons(a, person("Markus", "Weber", f"{local}@ruhr-kultur.de")) == [
        "same_domain",
        "name",
    ]


@pytest.mark.parametrize(
    "other",
    ["m.weber@gmx.de", "markus.weber2@ruhr-kultur.de", "m.schulz@ruhr-kultur.de"],
)
def test_free_mail_and_local_parts_that_are_not_the_name_are_no_domain_evidence(other):
    a = person("Markus", "Weber", "markus.weber@gmx.de" if "gmx" in other else "mw@ruhr-kultur.de")
    assert reasons(a, person("Markus", "Weber", other)) is None


@pytest.mark.parametrize("domain", ["gmx.net", "gmail.com", "web.de", "t-online.de"])
def test_big_free_mail_providers_are_listed(domain):
    assert is_free_mail(domain)


@pytest.mark.parametrize(
    ("a", "b", "typo"),
    [("ruhr-kultur.de", "ruhrkultur.de", True), ("gmail.com", "gmial.com", True),
     ("zollern-freunde.de", "zolern-freunde.de", True), ("gmx.de", "gmx.net", False),
     ("ruhrkultur.de", "ruhrkultur.com", False), ("web.de", "wep.de", False),
     ("vhs-herne.de", "vhs-herten.de", False), ("ruhr-kultur.de", "ruhr-kultur.de", False)],
)  # fmt: skip
def test_domain_typo_is_one_character_with_the_same_top_level_domain(a, b, typo):
    assert domain_typo(a, b) is typo


def test_the_issue_examples_are_proposed():
    first = person("Markus", "Weber", "markus.weber@ruhr-kultur.de", RUHR_KULTUR)
    pasted = person("Markus", "Weber", "markus.weber@ruhrkultur.de")
    marcus = person("Marcus", "Weber", "m.weber@ruhr-kultur.de", "Ruhr Kultur e.V.")
    assert reasons(first, pasted) == ["domain_typo", "name"]
    assert "name_variant" in reasons(first, marcus)


def test_typo_in_a_free_mail_domain_counts_only_with_the_same_local_part():
    a = person("Ilse", "Köhler", "ilse.koehler@gmail.com")
    assert reasons(a, person("Ilse", "Köhler", "ilse.koehler@gmial.com")) == [
        "domain_typo",
        "name",
    ]
    assert reasons(a, person("Ilse", "Köhler", "i.koehler@gmial.com")) is None


def test_gmx_de_and_gmx_net_are_two_providers_not_a_typo():
    a = person("Markus", "Weber", "markus.weber@gmx.de")
    assert reasons(a, person("Markus", "Weber", "markus.weber@gmx.net")) is None


def test_a_domain_typo_lifts_a_sound_alike_surname_only_with_the_same_local_part():
    meier = person("Hans", "Meier", "hans.meier@ruhr-kultur.de")
    assert reasons(meier, person("Hans", "Meyer", "hans.meier@ruhrkultur.de")) == [
        "domain_typo",
        "sounds_alike",
    ]
    assert reasons(meier, person("Hans", "Meyer", "hans.meyer@ruhrkultur.de")) is None


# --- generations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "young"), [("sen.", "jun."), ("Senior", "Junior"), ("d. Ä.", "d. J."), ("sen", "jr.")]
)
def test_father_and_son_stay_apart_even_with_the_same_address(old, young):
    father = person("Heinz", f"Koch {old}", "koch@kraemer-stahlbau.de", "Stahlbau Krämer GmbH")
    son = person("Heinz", f"Koch {young}", "koch@kraemer-stahlbau.de", "Stahlbau Krämer GmbH")
    assert reasons(father, son) is None
    assert (
        reasons(
            person(f"Heinz {old}", "Koch", son.email), person("Heinz", son.last_name, son.email)
        )
        is None
    )


def test_the_same_marker_on_both_is_the_same_person_and_one_marker_is_at_most_similar():
    a = person("Heinz", "Koch sen.", "h.koch@kraemer-stahlbau.de", "Stahlbau Krämer GmbH")
    b = person("Heinz", "Koch sen.", "heinz.koch@kraemer-stahlbau.de")
    assert reasons(a, b) == ["same_domain", "name"]
    match = compare(a, person("Heinz", "Koch", "h.koch@kraemer-stahlbau.de"))
    assert match.reasons == ["email", "similar_name"] and not match.same_person


def test_surnames_sen_and_jun_are_names_not_markers():
    assert generation("amartya", "sen") == ("", ["amartya", "sen"])
    assert generation("jun", "li") == ("", ["jun", "li"])
    assert generation("markus", "weber d. ae.") == ("sen", ["markus", "weber "])


def test_new_reason_codes_have_texts():
    for code in ("name_variant", "same_domain", "domain_typo", "organisation"):
        assert describe(code) != code


# --- the labelled set ----------------------------------------------------------------------


def _pairs() -> list[dict]:
    """Return the rows of the labelled set."""
    with PAIRS.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _probe(row: dict, side: str) -> Probe:
    """Return one side ("a" or "b") of a labelled row as a probe."""
    return person(*(row[f"{side}_{n}"] for n in ("first", "last", "email", "org")))


def test_the_labelled_set_is_large_varied_and_well_formed():
    rows = _pairs()
    negatives = sum(r["same"] == "0" for r in rows)
    assert len(rows) >= 320 and negatives >= 0.4 * len(rows)
    assert {r["same"] for r in rows} == {"0", "1"} and all(r["note"] for r in rows)
    assert len({tuple(r.values()) for r in rows}) == len(rows)


def test_precision_and_recall_on_the_labelled_set():
    tp = fp = fn = 0
    for row in _pairs():
        a, b = _probe(row, "a"), _probe(row, "b")
        proposed, same = compare(a, b) is not None, row["same"] == "1"
        assert proposed == (compare(b, a) is not None), row["note"]
        tp, fp, fn = (
            tp + (proposed and same),
            fp + (proposed and not same),
            fn + (same and not proposed),
        )
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.90


# --- candidate search in the database ------------------------------------------------------


def save(first: str, last: str, email: str, **fields):
    """Create a contact through the domain and return the result (contact and warnings)."""
    data = ContactInput(first_name=first, last_name=last, email=email, **fields)
    return save_contact(data, actor=None, now=NOW)


def test_a_new_contact_is_warned_about_a_variant_typed_elsewhere(app):
    markus = save("Markus", "Weber", "markus.weber@ruhr-kultur.de", organisation=RUHR_KULTUR)
    save("Markus", "Weber", "markus.weber@westfalen-energie.de", organisation="Westfalen AG")
    marcus = save("Marcus", "Weber", "m.weber@ruhr-kultur.de", organisation="Ruhr Kultur e.V.")
    assert [w.other.id for w in marcus.warnings] == [markus.contact.id]
    pasted = Probe(first_name="Markus", last_name="Weber", email="markus.weber@ruhrkultur.de")
    found = candidates_for(db.session, pasted)
    assert [c.other.id for c in found][:2] == sorted([markus.contact.id, marcus.contact.id])
    assert all("domain_typo" in c.match.reasons for c in found)


def test_the_review_list_finds_the_wider_rules_and_keeps_father_and_son_apart(app):
    carl = save("Carl", "Brinkmann", "c.brinkmann@zollern-freunde.de").contact
    karl = save("Karl", "Brinkmann", "karl.brinkmann@zollern-freunde.de").contact
    depot = save("Dirk", "Hölscher", "dirk@web.de", organisation="Theater im Depot e. V.").contact
    again = save("Dirk", "Hölscher", "dh@gmx.de", organisation="Theater im Depot e.V. Dortmund")
    save("Heinz", "Koch sen.", "koch@kraemer-stahlbau.de", organisation="Stahlbau Krämer GmbH")
    save("Heinz", "Koch jun.", "koch@kraemer-stahlbau.de", organisation="Stahlbau Krämer GmbH")
    save("Petra", "Weber", "petra.weber@ruhr-kultur.de", organisation=RUHR_KULTUR)
    save("Peter", "Weber", "peter.weber@ruhr-kultur.de", organisation=RUHR_KULTUR)
    pairs = operations.duplicate_candidates(db.session)
    assert sorted(p.ids for p in pairs) == [[carl.id, karl.id], [depot.id, again.contact.id]]
