"""CSV import of contacts: parse and preview first; only confirmation writes the clean rows."""

import codecs
import csv
import io
import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit import record
from app.contacts import dedup_scoring, queries
from app.contacts.candidates import PROBE_COLUMNS, candidates_for
from app.contacts.models import Contact, ContactImport
from app.contacts.operations import save_contact
from app.contacts.validation import ContactInput, validate_input
from app.errors import ValidationError
from app.extensions import db

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Header spellings (lower case, without spaces, hyphens and underscores) and their fields.
HEADERS = {
    **dict.fromkeys(("anrede", "salutation"), "salutation"),
    **dict.fromkeys(("titel", "title", "akademischertitel"), "title"),
    **dict.fromkeys(("amtsbezeichnung", "officetitle"), "office_title"),
    **dict.fromkeys(("vorname", "firstname", "givenname"), "first_name"),
    **dict.fromkeys(("namenszusatz", "nameparticle"), "name_particle"),
    **dict.fromkeys(("nachname", "name", "familienname", "lastname", "surname"), "last_name"),
    **dict.fromkeys(("email", "emailadresse", "mail", "emailaddress"), "email"),
    **dict.fromkeys(("organisation", "organization", "institution", "firma"), "organisation"),
    **dict.fromkeys(("funktion", "function", "position"), "function"),
    **dict.fromkeys(("telefon", "tel", "phone", "telefonnummer"), "phone"),
    **dict.fromkeys(("sprache", "language"), "language"),
    **dict.fromkeys(("tags", "verteiler", "schlagworte"), "tags"),
    **dict.fromkeys(("vip",), "vip"),
    **dict.fromkeys(("notizen", "notes", "bemerkung", "bemerkungen"), "notes"),
}
LANGUAGE_WORDS = {
    **dict.fromkeys(("", "de", "deutsch", "german", "ger", "deu"), "de"),
    **dict.fromkeys(("en", "englisch", "english", "eng"), "en"),
}
YES = {"ja", "j", "yes", "y", "x", "1", "true", "wahr"}


def decode(content: bytes) -> str:
    """Return the text of an upload: UTF-8 with or without BOM, else Windows-1252."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValidationError.single(
            "file", _("Please save the file as CSV (UTF-8 or semicolon-separated), not UTF-16.")
        )
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ValidationError.single("file", _("This is not a CSV text file."))
    return text


def _reader(text: str):
    """Return a CSV reader with the delimiter of the header line (";" or ",")."""
    first = text.split("\n", 1)[0]
    if first.lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter, text = first.strip()[4], text.split("\n", 1)[1] if "\n" in text else ""
    else:
        delimiter = "," if first.count(",") > first.count(";") else ";"
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _columns(header: list[str]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Map column positions to fields; return them, each field's header text and unknown ones."""
    positions, labels, unknown = {}, {}, []
    for index, text in enumerate(header):
        name = HEADERS.get(re.sub(r"[\s_\-]", "", text).casefold())
        if name is None:
            unknown.append(text.strip())
        elif name not in labels:
            positions[index], labels[name] = name, text.strip()
    if "last_name" not in labels or "email" not in labels:
        raise ValidationError.single(
            "file", _("The file needs at least the columns Nachname and E-Mail in its first line.")
        )
    return positions, labels, [u for u in unknown if u]


def _input(cells: list[str], positions: dict[int, str]) -> dict:
    """Turn the cells of one row into ContactInput values."""
    raw = {name: (cells[i] if i < len(cells) else "").strip() for i, name in positions.items()}
    values: dict = {k: v for k, v in raw.items() if k not in ("tags", "vip", "language")}
    values["tags"] = [t.strip() for t in re.split(r"[,|]", raw.get("tags", "")) if t.strip()]
    values["vip"] = raw.get("vip", "").casefold() in YES
    language = raw.get("language", "")
    values["language"] = LANGUAGE_WORDS.get(language.casefold(), language)
    return values


def _hints(values: dict, line: int, seen: dict) -> dict:
    """Return what the row matches: earlier lines, the contact it reuses, possible duplicates."""
    checked = validate_input(ContactInput(**values))
    key, name = checked["email_key"], checked["name_key"]
    probe = dedup_scoring.Probe(**{n: checked[n] for n in PROBE_COLUMNS if n != "id"})
    candidates = candidates_for(db.session, probe, limit=3)
    shared = db.session.scalar(
        select(func.count()).where(Contact.email_key == key, Contact.name_key != name)
    )
    hints = {
        "same_line": seen.get((key, name)),
        "existing_id": next(
            (c.other.id for c in candidates if c.match.same_person),
            getattr(queries.contact_by_further_address(db.session, key), "id", None),
        ),
        "shared_address": bool(shared) or any(k == key and n != name for k, n in seen),
        "duplicates": [
            {
                "id": c.other.id,
                "name": f"{c.other.first_name} {c.other.last_name}".strip(),
                "email": c.other.email,
                "score": c.match.score,
                "reasons": [dedup_scoring.describe(r) for r in c.match.reasons],
            }
            for c in candidates
            if not c.match.same_person
        ],
    }
    seen.setdefault((key, name), line)
    return hints


def parse(content: bytes) -> tuple[list[dict], list[str]]:
    """Return the preview rows of a CSV upload and the names of ignored columns."""
    if len(content) > MAX_BYTES:
        raise ValidationError.single("file", _("The file is larger than 5 MB."))
    reader = _reader(decode(content))
    header = next(reader, None)
    if not header:
        raise ValidationError.single("file", _("The file is empty."))
    positions, labels, unknown = _columns(header)
    rows, seen = [], {}
    line = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            if len(rows) == MAX_ROWS:
                raise ValidationError.single(
                    "file", _("At most %(n)d rows per import.", n=MAX_ROWS)
                )
            rows.append(_row(cells, positions, labels, line, seen))
        line = reader.line_num + 1
    return rows, unknown


def _row(cells: list[str], positions: dict, labels: dict, line: int, seen: dict) -> dict:
    """Return one preview row: values, errors naming line and column, duplicate hints."""
    values = _input(cells, positions)
    row = {"line": line, "values": values, "errors": []}
    try:
        row |= _hints(values, line, seen)
    except ValidationError as error:
        for name, messages in error.errors.items():
            column = labels.get(name, name)
            row["errors"] += [
                _("Line %(line)d, %(column)s: %(message)s", line=line, column=column, message=m)
                for m in messages
            ]
    return row


def preview(
    content: bytes, filename: str, *, actor, now: datetime
) -> tuple[ContactImport, list[str]]:
    """Keep the preview of an upload and return it with the ignored columns; writes no contact."""
    rows, unknown = parse(content)
    upload = ContactImport(filename=filename[:255], rows=rows, status="preview", created_at=now)
    upload.created_by_id = getattr(actor, "id", None)
    db.session.add(upload)
    db.session.flush()
    return upload, unknown


def confirm(upload: ContactImport, *, actor, now: datetime) -> dict[str, int]:
    """Write the clean rows of a previewed import and mark it done; return the counts."""
    if upload.status != "preview":
        raise ValidationError.single("file", _("This import was already confirmed or discarded."))
    counts = {"created": 0, "reused": 0, "skipped": 0}
    outcome = []
    for row in upload.rows:
        if row["errors"]:
            counts["skipped"] += 1
            outcome.append({"line": row["line"], "status": "skipped", "contact_id": None})
            continue
        saved = save_contact(ContactInput(**row["values"]), actor=actor, now=now, warn=False)
        status = "reused" if saved.reused else "created"
        counts[status] += 1
        outcome.append({"line": row["line"], "status": status, "contact_id": saved.contact.id})
    # Keep only what happened to each line: the uploaded personal data is not needed any more.
    upload.rows, upload.status, upload.finished_at = outcome, "done", now
    record("contact.imported", "import", upload.id, counts | {"rows": len(outcome)})
    db.session.flush()
    return counts


def discard(upload: ContactImport, *, now: datetime) -> None:
    """Drop a previewed import without writing anything."""
    if upload.status != "preview":
        raise ValidationError.single("file", _("This import was already confirmed or discarded."))
    upload.rows, upload.status, upload.finished_at = [], "discarded", now
    db.session.flush()
