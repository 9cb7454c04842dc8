"""Guest list exports as CSV (Excel-friendly) and XLSX."""

import csv
import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from app.invitations.models import Invitation

HEADERS = [
    "Anrede",
    "Titel",
    "Vorname",
    "Nachname",
    "E-Mail",
    "Organisation",
    "Funktion",
    "Antwort",
    "Begleitpersonen",
    "Bedarfe",
    "Kommentar",
    "Eingeladen von",
    "Beantwortet am",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> object:
    """Neutralise text that a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows(invitations: list[Invitation], tz: str) -> list[list]:
    """Return one row per guest in HEADERS order."""
    zone = ZoneInfo(tz)
    result = []
    for inv in invitations:
        c = inv.contact
        answered = (
            inv.responded_at.astimezone(zone).strftime("%d.%m.%Y %H:%M")
            if (inv.responded_at)
            else ""
        )
        departments = ", ".join(link.department.name for link in inv.departments)
        result.append(
            [
                _safe(v)
                for v in (
                    c.salutation,
                    c.title,
                    c.first_name,
                    c.last_name,
                    c.email,
                    c.organisation,
                    c.function,
                    inv.status.value,
                    inv.plus_ones,
                    inv.needs,
                    inv.comment,
                    departments,
                    answered,
                )
            ]
        )
    return result


def to_csv(invitations: list[Invitation], tz: str) -> bytes:
    """Return a semicolon-separated UTF-8 CSV with BOM, as German Excel opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows(invitations, tz))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(invitations: list[Invitation], tz: str, title: str) -> bytes:
    """Return an XLSX workbook with one sheet of guests."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Gäste"
    sheet.append(HEADERS)
    for row in rows(invitations, tz):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    book.properties.title = title[:255]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
