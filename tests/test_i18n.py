"""German by default, English on request, and a German translation for every UI string."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.extensions import db
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_interface_is_german_by_default_and_english_on_request(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="de"' in page and "Anmelden" in page
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in page and "Log in" in page
    assert "Log in" in client.get("/login").get_data(as_text=True)  # the choice is remembered


def test_user_language_preference_applies_after_login(browser):
    user = make_user(locale="en")
    db.session.commit()
    browser.login(user.email, PASSWORD)
    assert "My account" in browser.get("/account").get_data(as_text=True)


def test_every_ui_string_has_a_german_translation():
    with open(ROOT / "app/translations/de/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    extracted = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, keywords=KEYWORDS, directory_filter=lambda d: ".venv" not in d
    ):
        extracted.add(message if isinstance(message, str) else message[0])
    missing = sorted(m for m in extracted if not catalog.get(m) or not catalog.get(m).string)
    assert not missing, f"untranslated (run make extract-messages): {missing}"
    for message in catalog:
        if message.id and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = set(PLACEHOLDER.findall(ids[0]))
            assert all(set(PLACEHOLDER.findall(s)) == expected for s in strings), message.id
