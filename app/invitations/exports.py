"""Guest list exports as CSV (Excel-friendly) and XLSX."""

import csv
import io
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from app.dates import format_day
from app.invitations.guestlist import source_label
from app.invitations.models import ANSWER_LABELS, ERASED_LABEL, WITHDRAWN_LABEL, Invitation

HEADERS = [
    _l("Salutation"),
    _l("Title"),
    _l("First name"),
    _l("Surname"),
    _l("Email"),
    _l("Organisation"),
    _l("Function"),
    _l("Answer"),
    _l("Companions"),
    _l("Needs"),
    _l("Comment"),
    _l("Invited by"),
    _l("Answered on"),
    _l("Answered via"),
]
MIN_WIDTH, MAX_WIDTH = 8, 60
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> object:
    """Neutralise text that a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Erased:
    """The name fields of an erased guest: only the surname column says so."""

    salutation = title = first_name = email = organisation = function = ""

    @property
    def last_name(self) -> str:
        """Return the label of an erased person."""
        return str(ERASED_LABEL)


def rows(invitations: list[Invitation], tz: str) -> list[list]:
    """Return one row per guest in HEADERS order."""
    zone = ZoneInfo(tz)
    result = []
    for inv in invitations:
        c = inv.contact or _Erased()
        answered = format_day(inv.responded_at, "numeric_date_time", tz=zone)
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
                    str(
                        WITHDRAWN_LABEL
                        if inv.revoked
                        else ANSWER_LABELS.get(inv.status.value, inv.status.value)
                    ),
                    inv.plus_ones,
                    inv.needs,
                    inv.comment,
                    departments,
                    answered,
                    source_label(inv),
                )
            ]
        )
    return result


def to_csv(invitations: list[Invitation], tz: str) -> bytes:
    """Return a semicolon-separated UTF-8 CSV with BOM, as German Excel opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(header) for header in HEADERS])
    writer.writerows(rows(invitations, tz))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def column_widths(table: list[list]) -> list[int]:
    """Return a spreadsheet width per column that fits its longest line, within sane bounds."""
    widths = [MIN_WIDTH] * max((len(row) for row in table), default=0)
    for row in table:
        for index, value in enumerate(row):
            longest = max((len(line) for line in str(value or "").splitlines()), default=0)
            widths[index] = max(widths[index], min(longest + 2, MAX_WIDTH))
    return widths


def to_xlsx(invitations: list[Invitation], tz: str, title: str) -> bytes:
    """Return an XLSX workbook with one sheet of guests, its columns sized to their content."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Guests")[:31]
    table = [[str(header) for header in HEADERS], *rows(invitations, tz)]
    for row in table:
        sheet.append(row)
    for index, width in enumerate(column_widths(table), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    book.properties.title = title[:255]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
