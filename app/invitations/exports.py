"""Guest list exports as CSV (Excel-friendly) and XLSX."""

import csv
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from app.dates import format_day
from app.invitations.guestlist import source_label
from app.invitations.models import ANSWER_LABELS, ERASED_LABEL, WITHDRAWN_LABEL, Invitation
from app.spreadsheet import safe_cell

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


@dataclass
class Fatigue:
    """The guest list's last column: city invitations per guest within ±days (fatigue.py)."""

    days: int = 14
    counts: dict[int, int] = field(default_factory=dict)

    def header(self) -> str:
        """Return the column's heading."""
        return _("Invitations (%(days)d days)", days=self.days)

    def of(self, invitation: Invitation):
        """Return the guest's count, or "" for an erased guest."""
        if invitation.contact_id is None:
            return ""
        return self.counts.get(invitation.contact_id, 0)


def headers(counts: Fatigue | None) -> list[str]:
    """Return the headings, with the invitation count column when counts are given."""
    result = [str(header) for header in HEADERS]
    return result + [counts.header()] if counts is not None else result


class _Erased:
    """The name fields of an erased guest: only the surname column says so."""

    salutation = title = first_name = email = organisation = function = ""

    @property
    def last_name(self) -> str:
        """Return the label of an erased person."""
        return str(ERASED_LABEL)


def rows(invitations: list[Invitation], tz: str, counts: Fatigue | None = None) -> list[list]:
    """Return one row per guest in headers() order."""
    zone = ZoneInfo(tz)
    result = []
    for inv in invitations:
        c = inv.contact or _Erased()
        answered = format_day(inv.responded_at, "numeric_date_time", tz=zone)
        departments = ", ".join(link.department.name for link in inv.departments)
        result.append(
            [
                safe_cell(v)
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
            + ([counts.of(inv)] if counts is not None else [])
        )
    return result


def to_csv(invitations: list[Invitation], tz: str, counts: Fatigue | None = None) -> bytes:
    """Return a semicolon-separated UTF-8 CSV with BOM, as German Excel opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers(counts))
    writer.writerows(rows(invitations, tz, counts))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def column_widths(table: list[list]) -> list[int]:
    """Return a spreadsheet width per column that fits its longest line, within sane bounds."""
    widths = [MIN_WIDTH] * max((len(row) for row in table), default=0)
    for row in table:
        for index, value in enumerate(row):
            longest = max((len(line) for line in str(value or "").splitlines()), default=0)
            widths[index] = max(widths[index], min(longest + 2, MAX_WIDTH))
    return widths


def to_xlsx(
    invitations: list[Invitation], tz: str, title: str, counts: Fatigue | None = None
) -> bytes:
    """Return an XLSX workbook with one sheet of guests, its columns sized to their content."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Guests")[:31]
    table = [headers(counts), *rows(invitations, tz, counts)]
    for row in table:
        sheet.append(row)
    for index, width in enumerate(column_widths(table), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    book.properties.title = title[:255]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
