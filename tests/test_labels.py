"""The guest list and its exports name answers and mails in words, never as stored codes."""

import csv
import io
import re
from datetime import datetime

from openpyxl import load_workbook

from app.extensions import db
from app.invitations.exports import MAX_WIDTH, MIN_WIDTH, column_widths
from app.invitations.operations import invite
from tests.factories import NOW, PASSWORD, make_contact, make_event, make_user

KEY = "test-secret-key-not-for-production"
LONG_MAIL = "annemarie.mustermann-schulze@stadtwerke.example"


def _event_with_guests(browser):
    """Log in a staff member and return a published event with two invited guests."""
    staff = make_user()
    event = make_event(
        staff, status="published", start=datetime(2027, 3, 4, 18), end=datetime(2027, 3, 4, 20)
    )
    guests = [make_contact(last_name="Zimmer"), make_contact(last_name="Lang", email=LONG_MAIL)]
    invite(event, guests, actor=staff, now=NOW, secret_key=KEY)
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    return event


def test_guest_list_names_the_last_mail_in_words(browser):
    event = _event_with_guests(browser)
    german = browser.get(f"/events/{event.id}/guests/").get_data(as_text=True)
    assert "invitation: queued" not in german and "Einladung: " in german
    english = browser.get(f"/events/{event.id}/guests/?lang=en").get_data(as_text=True)
    words = re.sub(r"<[^>]+>", "", english)  # the state sits in a span of its own
    assert words.count("Invitation: waiting to be sent") == 2


def test_csv_export_uses_the_answer_labels_of_the_page(browser):
    event = _event_with_guests(browser)
    data = browser.get(f"/events/{event.id}/guests/export.csv").data.decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(data), delimiter=";")
    assert header[7] == "Antwort" and {row[7] for row in rows} == {"noch keine Antwort"}
    browser.get("/?lang=en")
    data = browser.get(f"/events/{event.id}/guests/export.csv").data.decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(data), delimiter=";")
    assert header[:4] == ["Salutation", "Title", "First name", "Surname"]
    assert {row[7] for row in rows} == {"not yet answered"} and "pending" not in data


def test_xlsx_columns_fit_their_content(browser):
    event = _event_with_guests(browser)
    response = browser.get(f"/events/{event.id}/guests/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Gäste" and sheet["H2"].value == "noch keine Antwort"
    assert sheet.column_dimensions["E"].width == len(LONG_MAIL) + 2  # the email column
    assert sheet.column_dimensions["I"].width == len("Begleitpersonen") + 2


def test_column_widths_stay_within_bounds():
    table = [["Nr", "x" * 200, "Zeile eins\nzweite, längere Zeile"], [1, None, ""]]
    assert column_widths(table) == [MIN_WIDTH, MAX_WIDTH, len("zweite, längere Zeile") + 2]
    assert column_widths([]) == []
