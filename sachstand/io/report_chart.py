"""Abbildung 1 of the printed report: per project a green bar for the progress in % and an arrow
from the start to the planned end on a time axis.

Rules:
- The picture is drawn from ``ProgressChart``, a plain data structure with exactly one bar and one
  arrow per project in the report (a value for the reporting year), in the table's order. Tests
  check this data; ``render`` only draws it.
- An arrow runs from the first day of the start to the last day of the planned end ("Q 4 2020"
  ends on 31.12.2020). A start or end that is not a date in the register (the seed's "11.05.217")
  is ``None``: the arrow then starts at the axis' left edge, dashed, or ends in a dot at the start.
- Overdue projects (``ProjectRow.overdue``, from ``core.figures``) get an orange arrow; the
  reporting date is a dashed red line.
- The rows are split into pages of at most ``PER_PAGE`` so that each page of the figure is
  readable on A4 portrait (about 0.75 cm a row).
- ``render`` draws with Pillow (about 0.1 s for two pages; matplotlib's import and layout took
  1.4 s of the 2 s export): DejaVu Sans from the system, else the copy matplotlib ships. The year
  labels of the time axis are spaced (``year_step``) so that they never run together at the
  printed size; every year keeps its grid line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..core.models import ProjectRow
from ..core.text import safe_text

PER_PAGE = 29
GREEN = "#3A8F3A"
ARROW = "#1F3864"
LATE = "#D9822B"
CAPTION = "Grafische Darstellung der Projektfortschritte (grüne Balken in %) und Projektzeiten (Pfeile)"


@dataclass(frozen=True)
class Bar:
    percent: int


@dataclass(frozen=True)
class Arrow:
    start: date | None
    end: date | None
    overdue: bool


@dataclass(frozen=True)
class ChartRow:
    project_id: str
    label: str
    bar: Bar
    arrow: Arrow


@dataclass(frozen=True)
class ProgressChart:
    year: int
    as_of: date
    axis_start: date
    axis_end: date
    rows: tuple[ChartRow, ...]
    pages: tuple[tuple[ChartRow, ...], ...]


def chart_label(row: ProjectRow, width: int = 48) -> str:
    """The project's name and department, shortened with an ellipsis to fit the label column.

    Control, bidi and zero-width characters are shown escaped (``safe_text``)."""
    text = safe_text(f"{row.name} ({row.department})")
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def progress_chart(rows: Sequence[ProjectRow], year: int, as_of: date, per_page: int = PER_PAGE) -> ProgressChart:
    """One bar and one arrow for each row with a value for ``year``; pages of ``per_page`` rows."""
    shown = [r for r in rows if r.current is not None]
    chart_rows = tuple(
        ChartRow(r.id, chart_label(r), Bar(r.current or 0),
                 Arrow(r.start.first_day if r.start else None, r.end.last_day if r.end else None, r.overdue))
        for r in shown
    )
    days = [d for c in chart_rows for d in (c.arrow.start, c.arrow.end) if d] + [as_of]
    axis_start = date(min(d.year for d in days), 1, 1)
    axis_end = date(max(d.year for d in days) + 1, 1, 1)
    count = max(1, -(-len(chart_rows) // per_page))  # pages of nearly equal size
    size = -(-len(chart_rows) // count) if chart_rows else 0
    pages = tuple(chart_rows[i:i + size] for i in range(0, len(chart_rows), size)) if size else ()
    return ProgressChart(year, as_of, axis_start, axis_end, chart_rows, pages)


FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans{}.ttf",  # Debian, Ubuntu (fonts-dejavu-core)
    "/usr/share/fonts/TTF/DejaVuSans{}.ttf",  # Arch
    "/usr/share/fonts/dejavu/DejaVuSans{}.ttf",  # Fedora
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans{}.ttf",
)
CM = 1 / 2.54
WIDTH_CM = 16.5
ROW_CM = 0.686  # 0.27 in: 29 rows and the axes fill an A4 page
RED = "#C00000"
GRID = "#D9D9D9"


def _font_file(bold: bool) -> str | None:
    """DejaVu Sans: from the system, else the copy matplotlib ships (found without importing it)."""
    import importlib.util
    import os

    suffix = "-Bold" if bold else ""
    paths = [f.format(suffix) for f in FONT_FILES]
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        paths.append(os.path.join(folder, "mpl-data", "fonts", "ttf", f"DejaVuSans{suffix}.ttf"))
    return next((p for p in paths if os.path.isfile(p)), None)


def year_step(px_per_year: float, label_px: float) -> int:
    """Label every 1st, 2nd, 5th or 10th year: the labels keep at least half their width apart."""
    return next((s for s in (1, 2, 5, 10, 20) if s * px_per_year >= 1.5 * label_px), 50)


class _Canvas:
    """A page of the figure: a Pillow image with sizes in points (1/72 in) at ``dpi``."""

    def __init__(self, width_cm: float, height_cm: float, dpi: int) -> None:
        from PIL import Image, ImageDraw, ImageFont

        self.dpi = dpi
        self.image = Image.new("RGB", (round(width_cm * CM * dpi), round(height_cm * CM * dpi)), "white")
        self.draw = ImageDraw.Draw(self.image)
        self._fonts: dict[tuple[float, bool], object] = {}
        self._font_module = ImageFont

    def px(self, points: float) -> float:
        return points / 72 * self.dpi

    def font(self, size: float, bold: bool = False):
        key = (size, bold)
        if key not in self._fonts:
            path = _font_file(bold)
            px = round(self.px(size))
            self._fonts[key] = (self._font_module.truetype(path, px) if path
                                else self._font_module.load_default(px))
        return self._fonts[key]

    def text(self, xy: tuple[float, float], text: str, size: float, anchor: str = "lm", fill: str = "black",
             bold: bool = False) -> None:
        self.draw.text(xy, text, font=self.font(size, bold), anchor=anchor, fill=fill)

    def width(self, text: str, size: float) -> float:
        return float(self.draw.textlength(text, font=self.font(size)))

    def dashed(self, x0: float, x1: float, y: float, colour: str, width: int, dash: float) -> None:
        x = x0
        while x < x1:
            self.draw.line([(x, y), (min(x + dash, x1), y)], fill=colour, width=width)
            x += 2 * dash

    def vdashed(self, x: float, y0: float, y1: float, colour: str, width: int, dash: float) -> None:
        y = y0
        while y < y1:
            self.draw.line([(x, y), (x, min(y + dash, y1))], fill=colour, width=width)
            y += 2 * dash


def render(chart: ProgressChart, dpi: int = 220) -> list[bytes]:
    """The chart's pages as PNG pictures, 16.5 cm wide (A4 text width), drawn with Pillow.

    Left the project labels, in the middle the progress bars (0–100 %), right the time axis with
    one year a grid line, labelled as ``year_step`` allows at the printed size."""
    return [_page(chart, page, dpi) for page in chart.pages]


def _page(chart: ProgressChart, page: Sequence[ChartRow], dpi: int) -> bytes:
    n = len(page)
    height_cm = ROW_CM * max(n, 8) + 2.54
    c = _Canvas(WIDTH_CM, height_cm, dpi)
    w, h = c.image.size
    top, bottom = c.px(22), h - c.px(36)
    row = (bottom - top) / max(n, 1)
    bar_left, bar_right = 0.37 * w, 0.58 * w
    time_left, time_right = 0.615 * w, 0.985 * w
    line = max(1, round(c.px(0.5)))
    ys = [top + (i + 0.5) * row for i in range(n)]

    # grids and axes
    for pct in (0, 25, 50, 75, 100):
        x = bar_left + (bar_right - bar_left) * pct / 100
        c.draw.line([(x, top), (x, bottom)], fill=GRID, width=line)
        if pct in (0, 50, 100):
            c.text((x, bottom + c.px(3)), f"{pct} %", 6, anchor="mt")
    span = (chart.axis_end - chart.axis_start).days

    def xdate(d: date) -> float:
        return time_left + (time_right - time_left) * (d - chart.axis_start).days / span

    years = range(chart.axis_start.year, chart.axis_end.year + 1)
    step = year_step((time_right - time_left) / max(1, len(years) - 1), c.width("2020", 6))
    for yr in years:
        x = xdate(date(yr, 1, 1))
        c.draw.line([(x, top), (x, bottom)], fill=GRID, width=line)
        c.draw.line([(x, bottom), (x, bottom + c.px(2))], fill="black", width=line)
        if yr % step == 0 and yr < chart.axis_end.year:
            c.text((xdate(date(yr, 7, 1)), bottom + c.px(3)), str(yr), 6, anchor="mt")
    for x0, x1 in ((bar_left, bar_right), (time_left, time_right)):
        c.draw.line([(x0, bottom), (x1, bottom)], fill="black", width=line)
        c.draw.line([(x0, top), (x0, bottom)], fill="black", width=line)
    c.text(((bar_left + bar_right) / 2, c.px(10)), f"Umsetzungsstand {chart.year}", 7, anchor="mm")
    c.text(((time_left + time_right) / 2, c.px(10)), "Projektzeit (Beginn bis geplantes Ende)", 7, anchor="mm")

    # rows: label, bar with its value, arrow
    bar_h, shaft, head = row * 0.62, max(2, round(c.px(1.1))), c.px(3.2)
    for y, r in zip(ys, page, strict=True):
        c.text((bar_left - c.px(3), y), r.label, 6, anchor="rm")
        x = bar_left + (bar_right - bar_left) * r.bar.percent / 100
        if r.bar.percent:
            c.draw.rectangle([(bar_left, y - bar_h / 2), (x, y + bar_h / 2)], fill=GREEN)
        inside = r.bar.percent >= 80
        c.text((x - c.px(2), y) if inside else (x + c.px(2), y), f"{r.bar.percent} %", 6,
               anchor="rm" if inside else "lm", fill="white" if inside else "black")
        colour = LATE if r.arrow.overdue else ARROW
        if r.arrow.end is None:
            if r.arrow.start is not None:
                x0, rad = xdate(r.arrow.start), c.px(1.5)
                c.draw.ellipse([(x0 - rad, y - rad), (x0 + rad, y + rad)], fill=colour)
            continue
        x0 = xdate(r.arrow.start) if r.arrow.start else time_left
        x1 = xdate(r.arrow.end)
        if r.arrow.start is None:
            c.dashed(x0, x1 - head, y, colour, shaft, c.px(2))
        else:
            c.draw.line([(x0, y), (x1 - head, y)], fill=colour, width=shaft)
        c.draw.polygon([(x1, y), (x1 - head, y - head * 0.6), (x1 - head, y + head * 0.6)], fill=colour)

    # the reporting date and the legend
    x = xdate(chart.as_of)
    c.vdashed(x, top, bottom, RED, max(1, round(c.px(0.8))), c.px(2.5))
    keys = [(RED, f"Stichtag {chart.as_of:%d.%m.%Y}", True)]
    if any(r.arrow.overdue for r in page):
        keys.append((LATE, "überfällig", False))
    lx, ly = time_left, h - c.px(12)
    for colour, label, dashed in keys:
        if dashed:
            c.dashed(lx, lx + c.px(14), ly, colour, max(1, round(c.px(0.8))), c.px(2.5))
        else:
            c.draw.line([(lx, ly), (lx + c.px(14), ly)], fill=colour, width=shaft)
        c.text((lx + c.px(17), ly), label, 6)
        lx += c.px(17) + c.width(label, 6) + c.px(12)
    return _png(c.image, dpi)


def _png(image, dpi: int) -> bytes:
    """The page as a 64-colour PNG: a third of the RGB file's size, the same to the eye."""
    from PIL import Image

    small = image.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    palette = small.getpalette() or []
    paper = small.getpixel((0, 0))  # the background's entry: pure white again (octree gives 253, a grey box)
    if isinstance(paper, int) and len(palette) >= 3 * paper + 3:
        palette[3 * paper:3 * paper + 3] = [255, 255, 255]
        small.putpalette(palette)
    buf = io.BytesIO()
    small.save(buf, "PNG", compress_level=6, dpi=(dpi, dpi))
    return buf.getvalue()
