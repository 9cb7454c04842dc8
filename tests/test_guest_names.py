"""Names read from bare pasted addresses, and the neutral greeting when no name is known."""

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from app.contacts.models import Contact
from app.contacts.validation import ContactInput, validate_input
from app.errors import ValidationError
from app.extensions import db
from app.invitations.delivery import render_queued
from app.invitations.guest_input import name_from_address, read_pasted
from app.invitations.operations import invite
from app.invitations.salutation import salutation
from app.mail.models import OutboxMessage
from tests.factories import NOW, login, make_contact, make_event, make_user

KEY = "test-secret-key-not-for-production"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("lisa.brandt@example.org", ("Lisa", "", "Brandt")),
        ("Lisa.Brandt@example.org", ("Lisa", "", "Brandt")),
        ("LISA.BRANDT@example.org", ("Lisa", "", "Brandt")),
        ("lisa_brandt@example.org", ("Lisa", "", "Brandt")),
        ("lisa.brandt+events@example.org", ("Lisa", "", "Brandt")),
        ("anna-lena.schmidt@example.org", ("Anna-Lena", "", "Schmidt")),
        ("hans.mueller-luedenscheidt@example.org", ("Hans", "", "Mueller-Luedenscheidt")),
        ("juergen.mueller@example.org", ("Juergen", "", "Mueller")),  # umlauts not guessed
        ("jürgen.müller@example.org", ("Jürgen", "", "Müller")),
        ("max.von.bergen@example.org", ("Max", "von", "Bergen")),
        ("j.doe@example.org", ("", "", "Doe")),  # an initial is no first name
        ("j-p.doe@example.org", ("", "", "Doe")),
        ("lisa-brandt@example.org", ("", "", "")),  # a double name or first-last: unclear
        ("lisa.b@example.org", ("", "", "")),
        ("l.b@example.org", ("", "", "")),
        ("lisa@example.org", ("", "", "")),
        ("brandt@example.org", ("", "", "")),
        ("info@example.org", ("", "", "")),
        ("presse.amt@example.org", ("", "", "")),
        ("stadt.dortmund@example.org", ("", "", "")),
        ("kultur.buero@example.org", ("", "", "")),
        ("lisa.brandt2@example.org", ("", "", "")),
        ("lisa.brandt.1985@example.org", ("", "", "")),
        ("4711@example.org", ("", "", "")),
        ("hans.peter.mueller@example.org", ("", "", "")),  # three names: which is the surname?
        ("lisa..brandt@example.org", ("", "", "")),
        ("_lisa@example.org", ("", "", "")),
    ],
)
def test_name_is_read_only_from_a_clear_first_last_local_part(address, expected):
    assert name_from_address(address) == expected


def test_display_name_wins_over_the_address():
    [line] = read_pasted("Dr. Lisa Brandt <lisa@example.org>")
    guest = line.guests[0]
    assert (guest["title"], guest["first_name"], guest["last_name"]) == ("Dr.", "Lisa", "Brandt")


def test_address_pasted_as_its_own_name_is_treated_as_bare():
    [line] = read_pasted('"lisa.brandt@example.org" <lisa.brandt@example.org>')
    assert (line.guests[0]["first_name"], line.guests[0]["last_name"]) == ("Lisa", "Brandt")
    assert not line.errors


def test_nameless_guest_is_valid_only_when_its_name_is_optional():
    assert (
        validate_input(ContactInput(email="x7@example.org", name_optional=True))["last_name"] == ""
    )
    with pytest.raises(ValidationError) as caught:
        validate_input(ContactInput(email="x7@example.org"))
    assert "last_name" in caught.value.errors


def _contact(**fields) -> Contact:
    """Return an unsaved contact with the given name fields."""
    values = {"salutation": "", "title": "", "first_name": "", "name_particle": ""}
    return Contact(**values | {"last_name": "", "role_address": False} | fields)


@pytest.mark.parametrize(
    ("fields", "de", "en"),
    [
        ({}, "Guten Tag", "Hello"),
        ({"last_name": "Doe"}, "Guten Tag", "Hello"),
        ({"salutation": "Frau"}, "Guten Tag", "Hello"),
        (
            {"first_name": "Lisa", "last_name": "Brandt"},
            "Guten Tag Lisa Brandt",
            "Dear Lisa Brandt",
        ),
        (
            {"salutation": "Frau", "last_name": "Brandt"},
            "Sehr geehrte Frau Brandt",
            "Dear Ms Brandt",
        ),
        ({"title": "Dr.", "last_name": "Doe"}, "Guten Tag Dr. Doe", "Dear Dr. Doe"),
        ({"role_address": True}, "Sehr geehrte Damen und Herren", "Dear Sir or Madam"),
    ],
)
def test_greeting_is_neutral_without_a_usable_name(fields, de, en):
    contact = _contact(**fields)
    assert (salutation(contact, "de"), salutation(contact, "en")) == (de, en)


@pytest.mark.parametrize(("language", "opening"), [("de", "Guten Tag,"), ("en", "Hello,")])
def test_mail_to_a_nameless_guest_opens_neutrally(app, language, opening):
    staff = make_user()
    event = make_event(staff, status="published")
    guest = make_contact(salutation="", first_name="", last_name="", language=language)
    invite(event, [guest], actor=staff, now=NOW, secret_key=KEY)
    raw = render_queued(db.session, db.session.scalars(select(OutboxMessage)).one(), NOW)
    mail = message_from_bytes(raw, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert text.splitlines()[0] == opening and f"<p>{opening}</p>" in html


def test_a_nameless_contact_is_listed_under_its_address(browser):
    login(browser)
    make_contact(email="info@verein.example", first_name="", last_name="")
    db.session.commit()
    page = browser.get("/contacts/?q=verein").get_data(as_text=True)
    assert ">info@verein.example</a>" in page
