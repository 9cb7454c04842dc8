"""Match keys and duplicate scoring: pure functions, no database."""

import pytest

from app.contacts.dedup import (
    InvalidEmail,
    email_key,
    fold,
    is_role_address,
    mailbox_key,
    name_key,
    normalise_email,
    phone_key,
    phonetic_key,
)
from app.contacts.dedup_scoring import Probe, compare
from app.contacts.phonetics import cologne_phonetic


def probe(name: str, email: str, **fields) -> Probe:
    """Return a probe from "First Last" and an address."""
    first, _sep, last = name.rpartition(" ")
    return Probe(first_name=first, last_name=last, email=email, **fields)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Anna.Schmidt@Example.DE ", "Anna.Schmidt@example.de"),
        ("info@STRASSE.de", "info@strasse.de"),
        ("x@xn--strae-oqa.de", "x@straße.de"),
        ("Ünal@Beispiel.de", "Ünal@beispiel.de"),
        ("U\u0308nal@beispiel.de", "Ünal@beispiel.de"),
    ],
)
def test_email_is_normalised_but_local_part_keeps_its_case(raw, stored):
    assert normalise_email(raw) == stored


@pytest.mark.parametrize("raw", ["", "anna", "anna@", "@example.de", "a..b@example.de", "a@b"])
def test_invalid_addresses_are_refused(raw):
    with pytest.raises(InvalidEmail):
        normalise_email(raw)


def test_email_key_folds_case_but_never_transliterates_the_domain():
    assert email_key("Anna.Schmidt@example.de") == email_key("ANNA.SCHMIDT@example.de")
    assert email_key("info@straße.de") != email_key("info@strasse.de")


def test_plus_tags_and_gmail_dots_are_probably_the_same_mailbox():
    assert mailbox_key("anna+newsletter@example.de") == mailbox_key("anna@example.de")
    assert mailbox_key("A.n.n.a@googlemail.com") == mailbox_key("anna@gmail.com")
    assert mailbox_key("a.nna@example.de") != mailbox_key("anna@example.de")  # dots matter here
    assert email_key("anna+newsletter@example.de") != email_key("anna@example.de")


@pytest.mark.parametrize(
    "address",
    ["info@dortmund.de", "Poststelle@stadt.de", "buero@x.de", "büro@x.de", "vorzimmer@x.de",
     "presse@x.de", "kontakt@x.de", "office@x.de", "sekretariat@x.de", "mail@x.de",
     "service@x.de", "info+events@x.de", "buero.ob@dortmund.de", "presse-amt@x.de"],
)  # fmt: skip
def test_role_addresses_are_recognised(address):
    assert is_role_address(address)


@pytest.mark.parametrize("address", ["anna.schmidt@x.de", "mailer@x.de", "informatik@x.de"])
def test_personal_addresses_are_not_role_addresses(address):
    assert not is_role_address(address)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Müller, Prof. Dr. Hans", "Hans Mueller"),
        ("Hans Müller", "Hans MÜLLER"),
        ("Jürgen Weiß", "Juergen Weiss"),
        ("Dipl.-Ing. Jürgen Weiß", "Jürgen Weiss"),
        ("Dr. h.c. Hans-Peter von der Heide", "Hans Peter Heide"),
        ("Frau Dr. Änne Köhler", "Aenne Koehler"),
        ("Herr Hans van Dijk", "Hans Dijk"),
        ("José Müller", "Jose Mueller"),
        ("Hans Mu\u0308ller", "Hans Müller"),  # decomposed umlaut
    ],
)
def test_german_name_variants_get_the_same_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Hans Müller", "Hans Möller"), ("Anna Schmidt", "Hanna Schmitz"), ("Du Wei", "Wei")],
)
def test_different_names_get_different_keys(a, b):
    assert name_key(a) != name_key(b)


def test_fold_applies_din_5007_2_and_casefold():
    assert fold("Straße Ärger Öl Übel") == "strasse aerger oel uebel"


@pytest.mark.parametrize(
    ("name", "code"),
    [("Müller-Lüdenscheidt", "65752682"), ("Wikipedia", "3412"), ("Breschnew", "17863"),
     ("Müller", "657"), ("Mueller", "657"), ("Möller", "657"), ("Meier", "67"), ("Meyer", "67"),
     ("Schmidt", "862"), ("Schmitz", "868"), ("Xaver", "4837"), ("", "")],
)  # fmt: skip
def test_cologne_phonetics(name, code):
    assert cologne_phonetic(name) == code


def test_phonetic_key_ignores_titles_and_particles():
    assert phonetic_key("von Müller") == phonetic_key("Dr. Mueller") == "657"


@pytest.mark.parametrize(
    ("a", "b"), [("0231 50-0", "+49 (0)231 500"), ("0231/50 12 34", "0049 231 501234")]
)
def test_phone_numbers_compare_by_digits(a, b):
    assert phone_key(a) == phone_key(b) != ""


def test_same_key_and_same_folded_name_is_the_same_person():
    match = compare(
        probe("Prof. Dr. Hans Müller", "hans.mueller@example.de"),
        probe("Hans Mueller", "Hans.Mueller@EXAMPLE.de"),
    )
    assert match.same_person and match.score == 1.0
    assert match.reasons == ["email", "name"]


def test_name_alone_is_never_a_duplicate():
    assert (
        compare(probe("Hans Müller", "a@example.de"), probe("Hans Müller", "b@example.org")) is None
    )


def test_anna_schmidt_and_hanna_schmitz_are_not_duplicates():
    office = {"organisation": "Stadt Dortmund", "phone": "0231 50-0"}
    anna = probe("Anna Schmidt", "anna.schmidt@dortmund.de", **office)
    hanna = probe("Hanna Schmitz", "hanna.schmitz@dortmund.de", **office)
    assert compare(anna, hanna) is None


def test_mueller_and_moeller_do_not_match_despite_sounding_alike():
    office = {"organisation": "Stadt Dortmund", "phone": "0231 50-0"}
    mueller = probe("Hans Müller", "h.mueller@dortmund.de", **office)
    moeller = probe("Hans Möller", "h.moeller@dortmund.de", **office)
    assert compare(mueller, moeller) is None


def test_two_people_behind_one_info_address_are_not_duplicates():
    assert (
        compare(probe("Anna Schmidt", "info@verein.de"), probe("Peter Lang", "info@verein.de"))
        is None
    )
    assert (
        compare(probe("Anna Schmidt", "info@verein.de"), probe("Hanna Schmitz", "info@verein.de"))
        is None
    )


def test_same_name_at_a_role_address_is_proposed_with_low_weight():
    match = compare(
        probe("Anna Schmidt", "info@verein.de"), probe("Anna Schmidt", "Info@Verein.de")
    )
    assert not match.same_person
    assert "shared_role" in match.reasons and match.score < 0.7


@pytest.mark.parametrize("typed", ["Mueller", "Muller", "Müler"])
def test_umlaut_written_without_dots_is_a_similar_name(typed):
    same = {"organisation": "Stadtwerke"}
    match = compare(
        probe("Hans Müller", "a@x.de", **same), probe(f"Hans {typed}", "b@y.de", **same)
    )
    assert match is not None and match.reasons[-1] in ("name", "similar_name")


def test_gmail_variant_with_similar_name_is_proposed_not_merged():
    match = compare(
        probe("Hans Müller", "hans.mueller@gmail.com"),
        probe("Hans Muller", "hansmueller+events@googlemail.com"),
    )
    assert match is not None and not match.same_person
    assert match.reasons == ["mailbox", "similar_name"]


def test_sound_alike_surname_needs_an_address_in_common():
    meier = probe("Hans Meier", "hans.meier@gmail.com")
    assert compare(meier, probe("Hans Meyer", "hansmeier@gmail.com")).reasons == [
        "mailbox",
        "sounds_alike",
    ]
    assert compare(meier, probe("Hans Meyer", "meyer@example.de", phone="0231 1234567")) is None


def test_initials_and_same_organisation_are_proposed():
    match = compare(
        probe("H. Müller", "h.mueller@example.de", organisation="Stadtwerke Dortmund"),
        probe("Hans Müller", "hans@example.org", organisation="STADTWERKE DORTMUND"),
    )
    assert match.reasons == ["organisation", "similar_name"]
    assert 0.5 < match.score < 1


def test_different_first_names_are_different_people():
    same = {"organisation": "Rat der Stadt"}
    assert (
        compare(probe("Michael Kaya", "m@x.de", **same), probe("Michaela Kaya", "k@x.de", **same))
        is None
    )


def test_scores_rank_stronger_evidence_higher():
    base = probe("Hans Müller", "hans@example.de", organisation="Stadt", phone="0231 123456")
    org_only = compare(base, probe("Hans Müller", "other@example.de", organisation="Stadt"))
    org_and_phone = compare(
        base, probe("Hans Müller", "x@example.de", organisation="Stadt", phone="0231/123456")
    )
    assert 0 < org_only.score < org_and_phone.score < 1


@pytest.mark.parametrize(
    ("a", "b"),
    [("H. Müller", "Hans Müller"), ("Hans Müller", "Hans Muller"), ("Hans Meier", "Hans Meyer")],
)
def test_comparison_is_symmetric(a, b):
    shared = {"organisation": "Stadtwerke"}
    left, right = probe(a, "x@gmail.com", **shared), probe(b, "x+y@gmail.com", **shared)
    assert compare(left, right) == compare(right, left) is not None
