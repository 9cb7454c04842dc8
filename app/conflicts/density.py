"""Density overview: how many events fall on each day for each audience (Zielgruppe).

Only counts leave this module, never titles, so confidential events are counted for everyone.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import Date, and_, func, literal, or_, select, union_all

from app.conflicts.describe import short_day
from app.dates import format_day
from app.events.models import Event, Status, event_audiences
from app.events.policy import hosted_by
from app.extensions import db
from app.vocabularies.models import Audience

# SQLite allows 500 terms in a compound SELECT; a year (leap or not) stays well below.
MAX_DAYS = 366

# ColorBrewer "Blues", 5 classes: sequential, colour-blind safe, light to dark.
SCALE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
EMPTY_FILL = "#ffffff"
GRID_STROKE = "#c8c8c8"
WEEKEND_FILL = "#e6e6e6"
TEXT_FILL = "#1a1a1a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


@dataclass
class Density:
    """Events per day and audience over a range of days, with the totals per day."""

    days: list[date]
    audiences: list[Audience]
    counts: dict[tuple[date, int], int] = field(default_factory=dict)
    totals: dict[date, int] = field(default_factory=dict)
    max_count: int = 0

    def count(self, day: date, audience_id: int) -> int:
        """Return the number of events on the day for the audience (0 when none)."""
        return self.counts.get((day, audience_id), 0)

    def total(self, day: date) -> int:
        """Return the number of events on the day, each event once, any audience or none."""
        return self.totals.get(day, 0)

    def rows(self) -> list[tuple[date, str, list[int], int]]:
        """Return (day, label, counts per audience, total) per day for the table, the label
        as "Mi. 3. Feb. 2027" (fast: a year of days is formatted per page view)."""
        return [
            (day, short_day(day), [self.count(day, a.id) for a in self.audiences], self.total(day))
            for day in self.days
        ]

    @property
    def busiest(self) -> tuple[date, int] | None:
        """Return the earliest day with the most events and its count, None without events."""
        if not self.totals:
            return None
        day = max(self.days, key=lambda d: (self.total(d), -d.toordinal()))
        return day, self.total(day)


def _day_range(first_day: date, last_day: date) -> list[date]:
    """Return every day from first to last, both inclusive."""
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    span = (last_day - first_day).days + 1
    if span > MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days")
    return [first_day + timedelta(days=i) for i in range(span)]


def _days_selectable(days: list[date]):
    """Return a one-column subquery `days(day)` with one row per day, portable across backends."""
    rows = [select(literal(day, Date).label("day")) for day in days]
    query = rows[0] if len(rows) == 1 else union_all(*rows)
    return query.subquery("days")


def density(first_day: date, last_day: date, *, department_id: int | None = None) -> Density:
    """Count non-cancelled events per day and audience, a multi-day event on each of its days."""
    days = _day_range(first_day, last_day)
    day_rows = _days_selectable(days)
    day = day_rows.c.day
    touches = and_(Event.first_day <= day, Event.last_day >= day)
    conditions = [
        Event.status != Status.CANCELLED,
        # Repeats the range outside the join so the (first_day, last_day) index narrows early.
        Event.first_day <= last_day,
        Event.last_day >= first_day,
    ]
    if department_id is not None:
        conditions.append(hosted_by(department_id))

    per_audience = (
        select(day, event_audiences.c.audience_id, func.count())
        .select_from(day_rows)
        .join(Event, touches)
        .join(event_audiences, event_audiences.c.event_id == Event.id)
        .where(*conditions)
        .group_by(day, event_audiences.c.audience_id)
    )
    counts = {(d, audience_id): n for d, audience_id, n in db.session.execute(per_audience)}

    per_day = (
        select(day, func.count())
        .select_from(day_rows)
        .join(Event, touches)
        .where(*conditions)
        .group_by(day)
    )
    totals = {d: n for d, n in db.session.execute(per_day)}

    # Active audiences always get a row; a retired one only while it still has events.
    counted_ids = {audience_id for _day, audience_id in counts}
    audiences = list(
        db.session.scalars(
            select(Audience)
            .where(or_(Audience.active, Audience.id.in_(counted_ids)))
            .order_by(Audience.name, Audience.id)
        )
    )
    return Density(days, audiences, counts, totals, max(counts.values(), default=0))


def fill_for(count: int, max_count: int) -> str:
    """Return the cell colour: empty for 0, else one of five steps by share of the maximum."""
    if count <= 0 or max_count <= 0:
        return EMPTY_FILL
    step = -(-len(SCALE) * count // max_count)  # ceil(5 * count / max), 1..5
    return SCALE[min(step, len(SCALE)) - 1]


def _legend_steps(max_count: int) -> list[tuple[str, str]]:
    """Return (fill, label) for the empty cell and each colour step that some count can reach."""
    steps = [(EMPTY_FILL, "0")]
    for i, colour in enumerate(SCALE, start=1):
        low, high = max_count * (i - 1) // len(SCALE) + 1, max_count * i // len(SCALE)
        if low <= high:
            steps.append((colour, str(low) if low == high else f"{low}–{high}"))
    return steps


def _e(value) -> str:
    """Return text escaped for XML content and attribute values."""
    return str(escape(str(value)))


def _text(x: float, y: float, content: str, **attrs) -> str:
    """Return an SVG text element with presentation attributes."""
    extra = "".join(f' {key.replace("_", "-")}="{_e(val)}"' for key, val in attrs.items())
    return f'<text x="{x:g}" y="{y:g}"{extra}>{_e(content)}</text>'


def _description(d: Density) -> str:
    """Return the overall description of the picture for assistive technology."""
    parts = [
        " ".join(
            (
                ngettext("%(num)d audience", "%(num)d audiences", len(d.audiences)),
                ngettext("over %(num)d day.", "over %(num)d days.", len(d.days)),
            )
        )
    ]
    busiest = d.busiest
    if busiest is None:
        parts.append(_("No events in this period."))
    else:
        parts.append(
            ngettext(
                "Busiest day: %(date)s with %(num)d event.",
                "Busiest day: %(date)s with %(num)d events.",
                busiest[1],
                date=format_day(busiest[0], "weekday_date"),
            )
        )
    return " ".join(parts)


def heatmap_svg(d: Density, *, locale: str | None = None) -> str:
    """Return a self-contained SVG heatmap: one row per audience, one column per day."""
    locale = locale or str(get_locale() or "de")
    with force_locale(locale):
        return _heatmap(d, locale)


CELL, GAP, TOP = 22, 2, 40  # cell size, gap between cells, height of the day header
PITCH = CELL + GAP


def _heatmap(d: Density, locale: str) -> str:
    """Return the heatmap in the locale already in force."""
    labels = [a.label(locale) for a in d.audiences]
    left = min(max((len(label) for label in labels), default=8) * 7 + 16, 260)
    grid_bottom = TOP + len(d.audiences) * PITCH
    legend, legend_end = _legend(d.max_count, 8, grid_bottom + 14)
    width = max(left + len(d.days) * PITCH, legend_end) + 8
    height = grid_bottom + 40
    title = _(
        "Events per day and audience, %(first)s to %(last)s",
        first=format_day(d.days[0], "short_date"),
        last=format_day(d.days[-1], "short_date"),
    )
    return (
        "\n".join(
            [
                '<?xml version="1.0" encoding="UTF-8"?>',
                f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" role="img"'
                f' xml:lang="{_e(locale)}" width="{width}" height="{height}"'
                f' viewBox="0 0 {width} {height}" aria-labelledby="density-title density-desc">',
                f'<title id="density-title">{_e(title)}</title>',
                f'<desc id="density-desc">{_e(_description(d))}</desc>',
                f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
                f'<g font-family="{_e(FONT)}" font-size="11" fill="{TEXT_FILL}">',
                *_day_header(d.days, left),
                *_rows(d, labels, left),
                *legend,
                "</g>",
                "</svg>",
            ]
        )
        + "\n"
    )


def _day_header(days: list[date], left: int) -> list[str]:
    """Return month labels, day-of-month labels and the weekend marks above the grid."""
    out = []
    for col, day in enumerate(days):
        x = left + col * PITCH
        # The first column names its month too, unless a new month starts right after it.
        if day.day == 1 or (col == 0 and not any(n.day == 1 for n in days[1:4])):
            out.append(_text(x, 12, format_day(day, "short_month_year")))
        weekend = day.weekday() >= 5
        if weekend:
            out.append(
                f'<rect class="weekend" x="{x}" y="18" width="{CELL}" height="{TOP - 20}"'
                f' fill="{WEEKEND_FILL}"/>'
            )
        weight = "bold" if weekend else "normal"
        out.append(
            _text(x + CELL / 2, TOP - 7, str(day.day), font_weight=weight, text_anchor="middle")
        )
    return out


def _rows(d: Density, labels: list[str], left: int) -> list[str]:
    """Return one labelled row of cells per audience, each cell titled with its count."""
    out = []
    for row, (audience, label) in enumerate(zip(d.audiences, labels, strict=True)):
        y = TOP + row * PITCH
        out.append(_text(left - 8, y + CELL / 2 + 4, label, font_size=12, text_anchor="end"))
        for col, day in enumerate(d.days):
            x = left + col * PITCH
            n = d.count(day, audience.id)
            tip = ngettext(
                "%(date)s · %(audience)s: %(num)d event",
                "%(date)s · %(audience)s: %(num)d events",
                n,
                date=format_day(day, "weekday_date"),
                audience=label,
            )
            colour = fill_for(n, d.max_count)
            out.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{CELL}" height="{CELL}"'
                f' fill="{colour}" stroke="{GRID_STROKE}" stroke-width="1">'
                f"<title>{_e(tip)}</title></rect>"
            )
            if n:  # the number too, so the picture does not rely on colour alone
                ink = "#ffffff" if colour in SCALE[3:] else TEXT_FILL
                out.append(
                    _text(
                        x + CELL / 2,
                        y + CELL / 2 + 4,
                        str(n),
                        font_size=10,
                        text_anchor="middle",
                        fill=ink,
                    )
                )
    return out


def _legend(max_count: int, x: int, y: int) -> tuple[list[str], int]:
    """Return the legend (colour steps with their counts, the weekend mark) and its right end."""
    caption = _("Events:")
    out = [_text(x, y + 11, caption)]
    x += 7 * len(caption) + 10  # about 7 px per character at the legend's font size
    for colour, label in _legend_steps(max_count):
        out.append(
            f'<rect class="legend" x="{x}" y="{y}" width="14" height="14" fill="{colour}"'
            f' stroke="{GRID_STROKE}" stroke-width="1"/>'
        )
        out.append(_text(x + 18, y + 11, label))
        x += 18 + 7 * len(label) + 14
    out.append(
        f'<rect class="legend" x="{x + 8}" y="{y}" width="14" height="14" fill="{WEEKEND_FILL}"/>'
    )
    weekend = _("Weekend (bold day)")
    out.append(_text(x + 26, y + 11, weekend))
    return out, x + 26 + 7 * len(weekend)
