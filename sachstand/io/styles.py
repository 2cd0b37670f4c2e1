"""The looks shared by the workbooks sachstand writes, and their print setup.

Rules:
- Input cells are light yellow; the reporting year's progress column is a stronger orange with
  a bold frame, so it stands out from the other input columns; locked cells are grey.
- Problems are red, conflicts violet: both clearly apart from the input yellow, and each with a
  thick frame, so they are found on paper in black and white too.
- Paper: landscape A4, one page wide (as many pages tall as needed), the header row repeated on
  every page, wrapped text in rows tall enough for it (``row_height``), gridlines printed.
"""

from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from ..core.text import safe_text

HEADER = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
INPUT = {"locked": False, "bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}
YEAR_INPUT = {"locked": False, "bg_color": "#F8CBAD", "border": 2, "border_color": "#C55A11", "bold": True}
YEAR_HEADER = {**HEADER, "bg_color": "#F4B183", "border": 2, "border_color": "#C55A11"}
LOCKED = {"locked": True, "bg_color": "#EDEDED", "border": 1, "border_color": "#BFBFBF"}
PROBLEM = {"bg_color": "#FF5B5B", "border": 5, "border_color": "#C00000", "font_color": "#000000"}
CONFLICT = {"bg_color": "#A08CD2", "border": 5, "border_color": "#5B2C91", "font_color": "#000000"}
LINE_HEIGHT = 15.0
HEADER_HEIGHT = 45.0  # three lines: "Umsetzungsstand 2021 (in %)" wraps in a narrow column


_HEADER = "&L&\"Calibri,Bold\"{}&RSeite &P von &N"
_HEADER_MAX = 255


def paper(ws: Worksheet, header_row: int, last_col: int, title: str = "") -> None:
    """Landscape, one page wide, header row repeated, gridlines and page numbers printed.

    The title in the page header is shown safe (``safe_text``: a file name's bytes that are not
    UTF-8 would make the workbook unwritable) and cut to fit Excel's 255 characters of header
    (xlsxwriter would drop a longer header with a warning)."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.hide_gridlines(0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if title:
        shown = safe_text(title).replace("&", "&&")
        room = _HEADER_MAX - len(_HEADER.format(""))
        if len(shown) > room:
            shown = shown[: room - 1].rstrip("&") + "…"
        ws.set_header(_HEADER.format(shown))
    else:
        ws.set_footer("&RSeite &P von &N")


def row_height(texts: list[tuple[str, float]]) -> float | None:
    """Height of a row whose wrapped cells hold ``(text, column width)``; None for one line.

    LibreOffice and Excel do not grow rows written by a library when printing, so the height is
    set from the text: characters per line ≈ column width, one line per wrapped line.
    """
    lines = 1
    for text, width in texts:
        if not text:
            continue
        per_line = max(int(width * 0.9), 1)
        count = sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))
        lines = max(lines, count)
    return None if lines == 1 else min(lines * LINE_HEIGHT, 409.0)
