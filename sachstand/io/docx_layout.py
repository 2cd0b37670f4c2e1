"""The Word layout of the printed report: a writer of headings, Markdown, tables and pictures into a
docxtpl subdocument, and the few OOXML details python-docx has no API for.

Rules:
- Text for Word passes ``xml_text``: what XML cannot hold (control characters) is shown escaped as on
  the terminal (``safe_text``); bidi and other format characters are shown escaped too, so a name
  can never reorder the text around it. Everything else, soft hyphens included, stays as written.
- Table columns are never narrower than their longest word (``fit_columns``): a header word such as
  "Projektdauer" or "Umsetzungsstand" is never split, nor a sum; only a word of the body longer
  than ``BODY_WORD_CM`` (a compound such as "Sportstättenverwaltungsprogramms") may break. The widths are measured for DejaVu Sans, the
  widest of the fonts LibreOffice and Word use for the default template; a table whose words do not
  fit the text width may grow into the margins by up to ``MARGIN_GROWTH_CM`` each side, and then
  its font is made smaller (never below ``MIN_FONT_PT``).
- Widths are written three ways (grid, table width, fixed layout), which Word and LibreOffice both
  keep; a header row repeats on every page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from . import report_markdown

HEADER_FILL = "DDEBF7"
TOTAL_FILL = "F2F2F2"
CELL_MARGIN_CM = 0.1  # left and right, 57 twips
MARGIN_GROWTH_CM = 0.75
MIN_FONT_PT = 6.0
BODY_WORD_CM = 3.3
Group = tuple[int, int, str]
"""A header over several columns: (first column, number of columns, label), e.g. "Umsetzungsstand
(in %)" over the columns "2019" and "2020"."""
_NARROW = set("fijlrtI.,:;!()[]/-'| \u00a0")
_WIDE = set("mwMWÄÖÜOQGCD%€@")


def word_em(word: str, bold: bool = False) -> float:
    """The width of ``word`` in em, estimated for DejaVu Sans (within about 5 %, on the safe side)."""
    em = sum(0.36 if c in _NARROW else 0.92 if c in _WIDE else 0.72 if c.isupper() else 0.62 for c in word)
    return em * (1.13 if bold else 1.0) * 1.05


def _words(text: str) -> list[str]:
    """The parts of a text that cannot be broken: split at spaces, and after hyphens and slashes."""
    return [w for w in re.split(r"[ \n]+|(?<=[-/\u2013])", text) if w]


def fit_columns(headers: Sequence[str], rows: Sequence[Sequence[str]], preferred: Sequence[float],
                text_width: float, font: float, bold_last: bool = False,
                groups: Sequence[Group] = ()) -> tuple[list[float], float]:
    """Column widths (cm) and font size (pt) such that no column is narrower than its longest word
    (a group's label needs its share of the words' width in each of its columns).

    Widths follow ``preferred`` where the words allow; see the module's rules for the limits."""
    def needs(size: float) -> list[float]:
        out = []
        for c in range(len(headers)):
            ems = [word_em(w, True) for w in _words(headers[c])]
            for first, span, label in groups:
                if first <= c < first + span:
                    ems += [word_em(w, True) / span for w in _words(label)]
            cap = BODY_WORD_CM / (size / 72 * 2.54)
            for r, row in enumerate(rows):
                ems += [min(cap, word_em(w, bold_last and r == len(rows) - 1)) for w in _words(row[c])]
            out.append(max(ems, default=0.0) * size / 72 * 2.54 + 2 * CELL_MARGIN_CM + 0.05)
        return out

    limit = text_width + 2 * MARGIN_GROWTH_CM
    minimum = needs(font)
    while sum(minimum) > limit and font > MIN_FONT_PT:
        font = max(MIN_FONT_PT, font - 0.25)
        minimum = needs(font)
    total = max(text_width, min(limit, sum(minimum)))
    scale = total / sum(preferred)
    widths = [p * scale for p in preferred]
    for _ in range(len(widths)):  # raise the narrow columns, take it from those with room to spare
        short = sum(max(0.0, m - w) for m, w in zip(minimum, widths, strict=True))
        if short <= 1e-6:
            break
        room = [max(0.0, w - m) for m, w in zip(minimum, widths, strict=True)]
        spare = sum(room)
        if spare <= 1e-6:
            break
        take = min(1.0, short / spare)
        widths = [max(m, w - r * take) for m, w, r in zip(minimum, widths, room, strict=True)]
    return widths, font


xml_text = report_markdown.document_text


class Body:
    """Appends headings, Markdown, tables and pictures to a docxtpl subdocument."""

    def __init__(self, sub, width_cm: float) -> None:
        self.sub = sub
        self.width_cm = width_cm
        # name -> style ID, read once: python-docx searches all styles on every ``style=`` (0.4 s here)
        self.styles = {s.name: s.style_id for s in sub.styles}
        self.toc: list[tuple[str, str]] = []
        self._bookmark = 9000

    def style(self, name: str) -> str | None:
        return name if name in self.styles else None

    def add_paragraph(self, style: str | None = None):
        """A new paragraph in ``style`` (a name the template has, or None for Normal)."""
        p = self.sub.add_paragraph()
        if style is not None:
            p._p.style = self.styles[style]
        return p

    def heading(self, text: str, level: int, toc: bool = False) -> None:
        style = self.style(f"Heading {level}")
        p = self.add_paragraph(style)
        if style is None:
            p.paragraph_format.keep_with_next = True
        if toc:
            name = f"_Toc_sachstand_{len(self.toc) + 1}"
            start = OxmlElement("w:bookmarkStart")
            start.set(qn("w:id"), str(self._bookmark))
            start.set(qn("w:name"), name)
            p._p.append(start)
            self.toc.append((xml_text(text), name))
        run = p.add_run(xml_text(text))
        if style is None:
            run.bold, run.font.size = True, Pt({1: 18, 2: 14}.get(level, 12))
        if toc:
            end = OxmlElement("w:bookmarkEnd")
            end.set(qn("w:id"), str(self._bookmark))
            p._p.append(end)
            self._bookmark += 1

    def paragraph(self, text: str, bold: bool = False, style: str | None = None) -> None:
        p = self.add_paragraph(self.style(style) if style else None)
        for t, b in report_markdown.runs(text):
            p.add_run(xml_text(t)).bold = b or bold

    def bullet(self, text: str, level: int = 1) -> None:
        name = "List Bullet" if level == 1 else f"List Bullet {level}"
        style = self.style(name)
        p = self.add_paragraph(style)
        if style is None:
            p.paragraph_format.left_indent = Cm(0.6 * level)
            p.paragraph_format.first_line_indent = Cm(-0.4)
            p.add_run("• ")
        for t, b in report_markdown.runs(text):
            p.add_run(xml_text(t)).bold = b

    def markdown(self, text: str, lead_bold: bool = False) -> None:
        """The blocks of a text; with ``lead_bold`` its first paragraph is bold, as in the seed."""
        first = True
        for block in report_markdown.parse(text):
            if block.kind == "heading":
                self.heading(block.text, block.level)
            elif block.kind == "bullet":
                self.bullet(block.text, block.level)
            else:
                self.paragraph(block.text, bold=lead_bold and first)
            first = False

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
              right: Sequence[int] = (), bold_last: bool = False, font: float = 8,
              groups: Sequence[Group] = ()) -> None:
        """A table with a shaded header row (two with ``groups``: the groups' labels above their
        columns' headers); ``widths`` are the preferred proportions (``fit_columns``)."""
        headers = [xml_text(h) for h in headers]
        groups = [(first, span, xml_text(label)) for first, span, label in groups]
        rows = [[xml_text(v) for v in row] for row in rows]
        fitted, font = fit_columns(headers, rows, widths, self.width_cm, font, bold_last, groups)
        top = 2 if groups else 1
        t = self.sub.add_table(rows=top + len(rows), cols=len(headers))
        if self.style("Table Grid"):
            t._tbl.tblStyle_val = self.styles["Table Grid"]
        else:
            _borders(t)
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        cells = [row.cells for row in t.rows]
        head_rows = [list(headers)]
        if groups:
            over = list(headers)
            for first, span, label in groups:
                over[first:first + span] = [label] * span
            head_rows = [over, list(headers)]
        for r, values in enumerate([*head_rows, *rows]):
            for c, value in enumerate(values):
                cell = cells[r][c]
                cell.width = Cm(fitted[c])
                if r < top:
                    _shade(cell, HEADER_FILL)
                if r == 1 and top == 2 and value == head_rows[0][c]:
                    continue  # a header without a group: written once, merged below
                if r == 0 and c > 0 and top == 2 and value == values[c - 1] and head_rows[1][c] != value:
                    continue  # the rest of a group's label
                p = cell.paragraphs[0]
                p.paragraph_format.space_after = Pt(0)
                p.paragraph_format.line_spacing = 1.0
                if c in right and r >= top:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                elif r < top and value != headers[c]:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = p.add_run(value)
                run.font.size = Pt(font)
                if r < top or (bold_last and r == top + len(rows) - 1):
                    run.bold = True
                    if r >= top:
                        _shade(cell, TOTAL_FILL)
        if groups:
            for c, value in enumerate(headers):
                if head_rows[0][c] == value:
                    cells[0][c].merge(cells[1][c])
            for first, span, _ in groups:
                cells[0][first].merge(cells[0][first + span - 1])
        for row in t.rows[:top]:
            _repeat_header(row)
        _fixed_widths(t, fitted)
        self.sub.add_paragraph()

    def picture(self, png: bytes, caption: str) -> None:
        p = self.sub.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(png), width=Cm(min(self.width_cm, 16.5)))
        self.paragraph(caption, style="Caption")


def _shade(cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _fixed_widths(table, widths_cm: Sequence[float]) -> None:
    """Column widths that Word and LibreOffice both keep: grid, table width and fixed layout."""
    twips = [int(w * 567) for w in widths_cm]
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), twips, strict=False):
        col.set(qn("w:w"), str(w))
    pr = table._tbl.tblPr
    width = pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        pr.append(width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(twips)))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), "57")
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    _insert_pr(pr, margins, ("w:tblLook", "w:tblCaption", "w:tblDescription"))


def _insert_pr(pr, element, before: Sequence[str]) -> None:
    """Insert into a properties element in schema order (Word refuses files that break it)."""
    for tag in before:
        found = pr.find(qn(tag))
        if found is not None:
            found.addprevious(element)
            return
    pr.append(element)


def _repeat_header(row) -> None:
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{side}")
        for k, v in (("val", "single"), ("sz", "4"), ("space", "0"), ("color", "808080")):
            b.set(qn(f"w:{k}"), v)
        borders.append(b)
    _insert_pr(table._tbl.tblPr, borders, ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                           "w:tblCaption", "w:tblDescription"))


def _pageref(paragraph, bookmark: str) -> None:
    for kind, text in (("begin", None), ("instr", f" PAGEREF {bookmark} \\h "), ("separate", None),
                       ("text", "–"), ("end", None)):
        run = paragraph.add_run()
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
            run._r.append(el)
        elif kind == "text":
            run.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)


def toc(sub, entries: Sequence[tuple[str, str]], width_cm: float) -> None:
    for text, bookmark in entries:
        p = sub.add_paragraph()
        p.paragraph_format.tab_stops.add_tab_stop(Cm(width_cm), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        p.paragraph_format.space_after = Pt(4)
        p.add_run(f"{text}\t")
        _pageref(p, bookmark)


def update_fields_on_open(docx) -> None:
    """Ask Word to refresh the PAGEREF fields when the file is opened (LibreOffice does it anyway)."""
    settings = docx.settings.element
    flag = settings.find(qn("w:updateFields"))
    if flag is None:
        flag = OxmlElement("w:updateFields")
        _insert_pr(settings, flag, _AFTER_UPDATE_FIELDS)
    flag.set(qn("w:val"), "true")


# the elements that follow w:updateFields in w:settings (ECMA-376 CT_Settings), for schema order
_AFTER_UPDATE_FIELDS = (
    *tuple(f"w:{n}" for n in ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids")),
    "m:mathPr",
    *tuple(f"w:{n}" for n in ("attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                              "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
                              "smartTagType")),
    "sl:schemaLibrary",
    *tuple(f"w:{n}" for n in ("shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")),
)


