"""CSV import: encodings, delimiters, row errors, duplicate hints, preview before any write."""

import csv
import io

import pytest
from sqlalchemy import func, select

from app.contacts import csv_import
from app.contacts.models import Contact, ContactImport
from app.errors import ValidationError
from app.extensions import db
from tests.factories import NOW, PASSWORD, make_user
from tests.test_contacts import make_contact

HEADER = "Anrede;Titel;Vorname;Nachname;E-Mail;Organisation;Funktion;Sprache;Tags"
ROWS = [
    "Herr;Dr.;Jürgen;Weiß;j.weiss@example.de;Stadtwerke Dortmund;Vorstand;Deutsch;Presse, Rat",
    "Frau;;Änne;Köhler;kaputt;;;;",  # line 3: bad address
    ";;Hans;;hans@example.de;;;;",  # line 4: no surname
    "Frau;Prof.;Anna;Schmidt;anna@example.de;;;en;Presse|Wirtschaft",
    ";;;;;;;;",  # empty line: ignored
    "Herr;;Peter;Lang;info@verein.example;;;;",
]


def csv_bytes(lines: list[str], encoding: str = "utf-8", delimiter: str = ";") -> bytes:
    """Return a CSV file as bytes, written as a spreadsheet would (quoting where needed)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(line.split(";") for line in lines)
    return out.getvalue().encode(encoding)


def count_contacts() -> int:
    """Return the number of contacts."""
    return db.session.scalar(select(func.count()).select_from(Contact))


def _check_rows(rows: list[dict]) -> None:
    """Assert what the sample file yields, whatever its encoding and delimiter."""
    assert [r["line"] for r in rows] == [2, 3, 4, 5, 7]
    weiss, broken, nameless, anna, lang = rows
    assert weiss["values"]["last_name"] == "Weiß" and weiss["values"]["first_name"] == "Jürgen"
    assert weiss["values"]["tags"] == ["Presse", "Rat"] and weiss["values"]["language"] == "de"
    assert weiss["errors"] == []
    assert len(broken["errors"]) == 1 and "3, E-Mail: " in broken["errors"][0]
    assert "kaputt" in broken["errors"][0]
    assert len(nameless["errors"]) == 1 and "4, Nachname: " in nameless["errors"][0]
    assert anna["values"]["tags"] == ["Presse", "Wirtschaft"] and anna["values"]["language"] == "en"
    assert lang["errors"] == []


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ";"), ("utf-8", ","), ("cp1252", ";"), ("cp1252", ",")],
)
def test_both_encodings_and_delimiters_give_the_same_rows(app, encoding, delimiter):
    rows, ignored = csv_import.parse(csv_bytes([HEADER, *ROWS], encoding, delimiter))
    _check_rows(rows)
    assert ignored == []


def test_header_variants_and_extra_columns_are_accepted(app):
    header = " e-mail ;NACHNAME;vorname;Telefon;Lieblingsfarbe"
    rows, ignored = csv_import.parse(csv_bytes([header, "a@example.de;Lang;Peter;0231 1234;blau"]))
    values = rows[0]["values"]
    assert (values["email"], values["last_name"], values["phone"]) == (
        "a@example.de",
        "Lang",
        "0231 1234",
    )
    assert ignored == ["Lieblingsfarbe"]


def test_quoted_cells_with_delimiters_and_line_breaks_keep_line_numbers(app):
    lines = [
        "Nachname,E-Mail,Tags",
        'Lang,p@example.de,"Presse, Rat"',
        '"Müller,\nHans",m@example.de,',
        "Schmidt,kaputt,",
    ]
    rows, _ignored = csv_import.parse("\r\n".join(lines).encode())
    assert [r["line"] for r in rows] == [2, 3, 5]
    assert rows[0]["values"]["tags"] == ["Presse", "Rat"]
    assert "5, E-Mail: " in rows[2]["errors"][0]


@pytest.mark.parametrize(
    "content",
    [b"", csv_bytes(["Vorname;Organisation", "Hans;Rat"]), "Nachname;E-Mail\n".encode("utf-16")],
)
def test_unusable_files_are_refused_as_a_whole(app, content):
    with pytest.raises(ValidationError) as caught:
        csv_import.parse(content)
    assert "file" in caught.value.errors


def test_rows_show_existing_contacts_file_duplicates_and_shared_addresses(app):
    known = make_contact("Jürgen Weiss", "J.Weiss@example.de").contact
    similar = make_contact("Anna Schmidt", "anna.schmidt@gmail.com").contact
    lines = [
        "Vorname;Nachname;E-Mail",
        "Jürgen;Weiß;j.weiss@example.de",  # 2: the known contact
        "Anna;Schmidt;annaschmidt@gmail.com",  # 3: probably the same mailbox
        "Peter;Lang;p.lang@example.de",  # 4: new
        "Peter;Lang;P.Lang@example.de",  # 5: same as line 4
        "Eva;Lang;p.lang@example.de",  # 6: another person at that address
    ]
    rows, _ignored = csv_import.parse(csv_bytes(lines))
    assert rows[0]["existing_id"] == known.id and rows[0]["duplicates"] == []
    assert [d["id"] for d in rows[1]["duplicates"]] == [similar.id]
    assert rows[1]["existing_id"] is None and rows[1]["duplicates"][0]["reasons"]
    assert rows[2]["same_line"] is None and not rows[2]["shared_address"]
    assert rows[3]["same_line"] == 4
    assert rows[4]["shared_address"]


def test_nothing_is_written_until_confirmed_then_only_clean_rows(app):
    upload, _ignored = csv_import.preview(
        csv_bytes([HEADER, *ROWS]), "gaeste.csv", actor=None, now=NOW
    )
    db.session.commit()
    assert count_contacts() == 0 and upload.status == "preview"
    counts = csv_import.confirm(upload, actor=None, now=NOW)
    db.session.commit()
    assert counts == {"created": 3, "reused": 0, "skipped": 2}
    assert count_contacts() == 3
    weiss = db.session.scalars(select(Contact).filter_by(last_name="Weiß")).one()
    assert (weiss.title, weiss.salutation, weiss.function) == ("Dr.", "Herr", "Vorstand")
    assert [t.name for t in weiss.tags] == ["Presse", "Rat"]
    assert db.session.scalars(select(Contact).filter_by(last_name="Lang")).one().role_address
    assert upload.status == "done" and upload.finished_at == NOW
    assert all(set(row) == {"line", "status", "contact_id"} for row in upload.rows)
    with pytest.raises(ValidationError):
        csv_import.confirm(upload, actor=None, now=NOW)


def test_confirming_reuses_known_people_and_repeated_lines(app):
    known = make_contact("Jürgen Weiß", "j.weiss@example.de").contact
    lines = ["Vorname;Nachname;E-Mail;Tags", "Jürgen;Weiss;J.Weiss@example.de;Presse"]
    lines += ["Jürgen;Weiß;j.weiss@example.de;Rat"]
    upload, _ignored = csv_import.preview(csv_bytes(lines), "x.csv", actor=None, now=NOW)
    assert csv_import.confirm(upload, actor=None, now=NOW) == {
        "created": 0,
        "reused": 2,
        "skipped": 0,
    }
    assert count_contacts() == 1 and [t.name for t in known.tags] == ["Presse", "Rat"]


def test_discarding_keeps_no_personal_data(app):
    upload, _ignored = csv_import.preview(csv_bytes([HEADER, *ROWS]), "x.csv", actor=None, now=NOW)
    csv_import.discard(upload, now=NOW)
    db.session.commit()
    assert (upload.status, upload.rows, count_contacts()) == ("discarded", [], 0)


# --- pages -------------------------------------------------------------------------------------


def _upload(browser, content: bytes, name: str = "gaeste.csv"):
    """Upload a file through the import form."""
    return browser.post(
        "/contacts/import",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_upload_preview_and_confirm_through_the_pages(browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    response = _upload(browser, csv_bytes([HEADER, *ROWS], "cp1252"))
    upload = db.session.scalars(select(ContactImport)).one()
    assert response.headers["Location"].endswith(f"/contacts/import/{upload.id}")
    page = browser.get(f"/contacts/import/{upload.id}").get_data(as_text=True)
    assert "Weiß" in page and "3, E-Mail: " in page and "4, Nachname: " in page
    assert count_contacts() == 0
    url = f"/contacts/import/{upload.id}/confirm"
    response = browser.post(url, form_page=f"/contacts/import/{upload.id}")
    assert response.status_code == 302 and count_contacts() == 3


def test_upload_errors_are_shown_on_the_form(browser):
    user = make_user()
    db.session.commit()
    browser.login(user.email, PASSWORD)
    response = _upload(browser, csv_bytes(["Vorname", "Hans"]))
    assert response.status_code == 422 and "Nachname" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ContactImport)) == 0


def test_another_users_import_is_not_visible(browser):
    owner, other = make_user(), make_user()
    upload, _ignored = csv_import.preview(csv_bytes([HEADER, *ROWS]), "x.csv", actor=owner, now=NOW)
    db.session.commit()
    browser.login(other.email, PASSWORD)
    assert browser.get(f"/contacts/import/{upload.id}").status_code == 404


def test_discard_through_the_page(browser):
    user = make_user()
    upload, _ignored = csv_import.preview(csv_bytes([HEADER, *ROWS]), "x.csv", actor=user, now=NOW)
    db.session.commit()
    browser.login(user.email, PASSWORD)
    url = f"/contacts/import/{upload.id}/discard"
    assert browser.post(url, form_page=f"/contacts/import/{upload.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(ContactImport, upload.id).status == "discarded"
    assert count_contacts() == 0
