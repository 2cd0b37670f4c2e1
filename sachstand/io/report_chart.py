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
  reporting date is a dashed line.
- The rows are split into pages of at most ``PER_PAGE`` so that each page of the figure is
  readable on A4 portrait (about 0.75 cm a row).
- matplotlib is imported inside ``render`` with the Agg backend and without pyplot: only the
  document export pays for it.
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

    Control characters are shown escaped (``safe_text``); a ``$`` is escaped for matplotlib, which
    would otherwise read "$…$" as a formula (and fail on a broken one)."""
    text = safe_text(f"{row.name} ({row.department})")
    text = text if len(text) <= width else text[: width - 1].rstrip() + "…"
    return text.replace("$", r"\$")


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


def render(chart: ProgressChart, dpi: int = 220) -> list[bytes]:
    """The chart's pages as PNG pictures, 16.5 cm wide (A4 text width)."""
    import matplotlib

    matplotlib.use("Agg")  # no display; pyplot (0.3 s more to import) is not needed
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    pictures: list[bytes] = []
    left, right = mdates.date2num(chart.axis_start), mdates.date2num(chart.axis_end)
    for page in chart.pages:
        n = len(page)
        height = 0.27 * max(n, 8) + 1.0
        fig = Figure(figsize=(6.5, height))
        FigureCanvasAgg(fig)
        ax_bar, ax_time = fig.subplots(
            1, 2, sharey=True,
            gridspec_kw={"width_ratios": [1, 1.6], "wspace": 0.1, "left": 0.37, "right": 0.985,
                         "top": 1 - 0.3 / height, "bottom": 0.45 / height},
        )
        ys = list(range(n))
        ax_bar.barh(ys, [c.bar.percent for c in page], height=0.62, color=GREEN)
        for y, c in zip(ys, page, strict=False):
            inside = c.bar.percent >= 80
            ax_bar.text(c.bar.percent + (-2 if inside else 2), y, f"{c.bar.percent} %", va="center",
                        ha="right" if inside else "left", fontsize=6, color="white" if inside else "black")
        ax_bar.set_xlim(0, 100)
        ax_bar.set_xticks([0, 25, 50, 75, 100], ["0 %", "", "50 %", "", "100 %"], fontsize=6)
        ax_bar.set_yticks(ys, [c.label for c in page], fontsize=6)
        ax_bar.set_ylim(n - 0.5, -0.5)
        ax_bar.set_title(f"Umsetzungsstand {chart.year}", fontsize=7)
        # Arrows as one line collection and one marker line per style (57 annotate() arrows took
        # most of the drawing time): a shaft from start to end, a triangle at the planned end.
        for overdue in (False, True):
            colour = LATE if overdue else ARROW
            for known in (True, False):
                shafts = [(y, mdates.date2num(c.arrow.start) if c.arrow.start else left, mdates.date2num(c.arrow.end))
                          for y, c in zip(ys, page, strict=False)
                          if c.arrow.overdue is overdue and (c.arrow.start is not None) is known and c.arrow.end]
                if shafts:
                    yy, x0, x1 = zip(*shafts, strict=False)
                    ax_time.hlines(yy, x0, x1, colors=colour, lw=1.1, linestyles="solid" if known else (0, (2, 2)))
                    ax_time.plot(x1, yy, ">", color=colour, markersize=3.6, markeredgewidth=0, linestyle="none")
            dots = [(y, mdates.date2num(c.arrow.start)) for y, c in zip(ys, page, strict=False)
                    if c.arrow.overdue is overdue and c.arrow.end is None and c.arrow.start]
            if dots:
                yy, x0 = zip(*dots, strict=False)
                ax_time.plot(x0, yy, "o", color=colour, markersize=3, linestyle="none")
        ax_time.axvline(mdates.date2num(chart.as_of), color="#C00000", lw=0.8, ls="--")
        ax_time.set_xlim(left, right)
        ax_time.xaxis.set_major_locator(mdates.YearLocator())
        ax_time.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax_time.tick_params(axis="x", labelsize=5.5)
        ax_time.tick_params(axis="y", length=0)
        ax_time.set_title("Projektzeit (Beginn bis geplantes Ende)", fontsize=7)
        for ax in (ax_bar, ax_time):
            ax.grid(axis="x", color="#D9D9D9", lw=0.5)
            ax.set_axisbelow(True)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        keys = [Line2D([], [], color="#C00000", lw=0.8, ls="--", label=f"Stichtag {chart.as_of.strftime('%d.%m.%Y')}")]
        if any(c.arrow.overdue for c in page):
            keys.append(Line2D([], [], color=LATE, lw=1.1, label="überfällig"))
        ax_time.legend(handles=keys, loc="upper center", bbox_to_anchor=(0.5, -0.028 * 30 / max(n, 8)),
                       ncol=len(keys), fontsize=6, frameon=False)
        pictures.append(_png(fig, dpi))
    return pictures


def _png(fig, dpi: int) -> bytes:
    """The figure as a 64-colour PNG: a third of the RGBA file's size, the same to the eye."""
    from PIL import Image

    fig.set_dpi(dpi)
    canvas = fig.canvas
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    buf = io.BytesIO()
    small.save(buf, "PNG", compress_level=6, dpi=(dpi, dpi))
    return buf.getvalue()
