"""The density overview as a self-contained SVG heatmap: one row per audience, one column
per day, colours from a colour-blind safe scale with the numbers written in (counts from
``density``)."""

from datetime import date

from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import escape

from app.conflicts.density import Density
from app.dates import format_day

# ColorBrewer "Blues", 5 classes: sequential, colour-blind safe, light to dark.
SCALE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
EMPTY_FILL = "#ffffff"
GRID_STROKE = "#c8c8c8"
WEEKEND_FILL = "#e6e6e6"
TEXT_FILL = "#1a1a1a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


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
