"""The printed report (``export report -o F.docx``), built on a Word template with docxtpl.

Everything shown comes from ``core.report_content.ReportContent``; nothing is computed here but
the layout. Sections, numbered in order (a section without content is left out):

01 Einleitung (the year's text) · 02 the funding programme (lead with the sums, the funded-projects
table with its Summe row, then per project its partners and roles and "Motivation und Ziele") ·
03 the free section (e.g. "IT-Projekte in der Corona-Situation") · 04 Übersicht der einzelnen
Projekte (the figures with their examples, the projects table in the seed's columns, Abbildung 1)
· 05 Geplante Projekte und Ausblick (planned projects by priority, then the Ausblick text).

The template (the default ``report_templates/bericht.docx`` or ``--template FILE.docx``) is a Word
document with these Jinja placeholders, each alone in its paragraph where marked ``p``:

- ``{{p body }}`` (required): the sections 01–05.
- ``{{p toc }}``: the table of contents (section titles with page numbers as PAGEREF fields,
  which Word and LibreOffice compute when laying out the pages).
- ``{{ city }}`` (empty while the register has no city name), ``{{ year }}``, ``{{ title }}``
  ("Sachstandsbericht 2020"), ``{{ as_of }}`` ("31.12.2020"), ``{{ published }}``
  ("Veröffentlicht am 24.11.2020" or "Entwurf …"), also in headers and footers.

The content is set in the template's styles: Normal, Heading 1–3 (Heading 1 starts each section),
Caption, List Bullet (2, 3) and Table Grid. A style the template lacks falls back to Normal (a
bullet then gets a "• " prefix), so a sparse corporate template still gives a complete report.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ..core.errors import SachstandError
from ..core.models import Project, ProjectRow, progress_label
from ..core.report_content import ReportContent
from ..core.text import safe_text
from ..core.types import format_money
from . import report_markdown
from .report_chart import CAPTION, ProgressChart
from .report_templates import DOCX_TEMPLATE
from .template_jinja import TemplateEnvironment

REQUIRED = ("body",)
HEADER_FILL = "DDEBF7"
TOTAL_FILL = "F2F2F2"
FUNDING_TITLE = "Digitale Modellregion"


def title(content: ReportContent) -> str:
    return f"Sachstandsbericht {content.year}"


def published_line(content: ReportContent) -> str:
    pub = content.published
    if pub is None:
        return "Entwurf – noch nicht veröffentlicht"
    return f"Veröffentlicht am {pub.at:%d.%m.%Y}"


def planned_cost_text(p: Project) -> str:
    """The cost as the table shows it: "225.000,00 €", "4.000.000,00 € (Fördersumme)", or the note."""
    if p.planned_cost is None:
        return p.cost_note
    money = _money(p.planned_cost)
    return f"{money} ({p.cost_note})" if p.cost_note else money


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text for Word: what XML cannot hold (control characters) is shown escaped as on the terminal
    (``safe_text``); everything else, soft hyphens included, stays as written."""
    return _NOT_XML.sub(lambda m: safe_text(m.group()), text)


class _Body:
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
            self.toc.append((_xml(text), name))
        run = p.add_run(_xml(text))
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
            p.add_run(_xml(t)).bold = b or bold

    def bullet(self, text: str, level: int = 1) -> None:
        name = "List Bullet" if level == 1 else f"List Bullet {level}"
        style = self.style(name)
        p = self.add_paragraph(style)
        if style is None:
            p.paragraph_format.left_indent = Cm(0.6 * level)
            p.paragraph_format.first_line_indent = Cm(-0.4)
            p.add_run("• ")
        for t, b in report_markdown.runs(text):
            p.add_run(_xml(t)).bold = b

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
              right: Sequence[int] = (), bold_last: bool = False, font: float = 8) -> None:
        t = self.sub.add_table(rows=1 + len(rows), cols=len(headers))
        if self.style("Table Grid"):
            t._tbl.tblStyle_val = self.styles["Table Grid"]
        else:
            _borders(t)
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        scale = min(1.0, self.width_cm / sum(widths))
        cells = [row.cells for row in t.rows]
        for r, values in enumerate([list(headers), *rows]):
            for c, value in enumerate(values):
                cell = cells[r][c]
                cell.width = Cm(widths[c] * scale)
                p = cell.paragraphs[0]
                p.paragraph_format.space_after = Pt(0)
                p.paragraph_format.line_spacing = 1.0
                if c in right and r > 0:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                run = p.add_run(_xml(value))
                run.font.size = Pt(font)
                if r == 0 or (bold_last and r == len(rows)):
                    run.bold = True
                    _shade(cell, HEADER_FILL if r == 0 else TOTAL_FILL)
        _repeat_header(t.rows[0])
        _fixed_widths(t, [w * scale for w in widths])
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


def _date(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


def sections(content: ReportContent, chart: ProgressChart | None, pictures: Sequence[bytes], body: _Body) -> None:
    """Write sections 01–05 into ``body``, numbering those that have content."""
    number = 0

    def section(text: str) -> None:
        nonlocal number
        number += 1
        body.heading(f"{number:02d} {text}", 1, toc=True)

    intro = content.text("einleitung")
    if intro.markdown.strip():
        section(intro.title)
        body.markdown(intro.markdown, lead_bold=True)

    fund = content.report.funding
    if fund.projects:
        programmes = {p.programme for p in fund.projects}
        section(programmes.pop() if len(programmes) == 1 else "Geförderte Projekte")
        _funding(content, body)

    special = content.text("sonderthema")
    if special.markdown.strip():
        section(special.title)
        body.markdown(special.markdown, lead_bold=True)

    section("Übersicht der einzelnen Projekte")
    _overview(content, chart, pictures, body)

    outlook = content.text("ausblick")
    if outlook.markdown.strip() or content.planned:
        section(outlook.title or "Geplante Projekte und Ausblick")
        body.markdown(outlook.markdown, lead_bold=True)
        _planned(content, body)


def city_name(content: ReportContent) -> str:
    """The city as the text names it; "Die Stadt" while the register has no city name."""
    return content.city or "Die Stadt"


def _funding(content: ReportContent, body: _Body) -> None:
    fund = content.report.funding
    city = city_name(content)
    column = content.city or "Stadt"
    body.paragraph(
        f"{city} ist an {len(fund.projects)} geförderten Projekten beteiligt. Ihre Gesamtkosten (alle "
        f"Antragsteller) betragen {format_money(fund.total_cost)}, die Förderung (alle Antragsteller) "
        f"{format_money(fund.funding_total)}, davon für {column if content.city else 'die Stadt'} "
        f"{format_money(fund.funding_city)}."
    )
    rows = [
        [p.title_in_table, p.recipients, _date(p.start), "" if p.duration_months is None else str(p.duration_months),
         _money(p.total_cost, ""), _money(p.funding_total, ""), _money(p.funding_city, "")]
        for p in fund.projects
    ]
    rows.append(["Summe", "", "", "", _money(fund.total_cost), _money(fund.funding_total),
                 _money(fund.funding_city)])
    body.table(
        [_breakable(h) for h in ("Projekttitel", "Zuwendungsempfänger", "Projektstart", "Projektdauer (Monate)",
                                 "Gesamtkosten (alle Antragsteller)", "Förderung (alle Antragsteller)",
                                 f"Förderung ({column})")],
        rows, widths=(2.8, 3.3, 1.75, 1.3, 2.5, 2.5, 2.5), right=(3, 4, 5, 6), bold_last=True, font=7.5,
    )
    for p in fund.projects:
        body.heading(p.title, 2)
        if p.partners:
            body.heading("Beteiligte Partner und deren Rolle", 3)
            body.table(["Partner", "Rolle"], [[x.partner, x.role] for x in p.partners], widths=(7, 9.5), font=9)
        if p.goals.strip():
            body.heading("Motivation und Ziele", 3)
            body.markdown(p.goals)


def _examples(projects: Sequence[Project]) -> str:
    return "; ".join(f"{p.name} ({p.department})" for p in projects)


def _overview(content: ReportContent, chart: ProgressChart | None, pictures: Sequence[bytes], body: _Body) -> None:
    report = content.report
    year = report.year
    body.paragraph(
        f"Die Übersicht zeigt die {report.figure('projects').value} Projekte mit einem Umsetzungsstand "
        f"für {year} (Stichtag {report.as_of:%d.%m.%Y}), geordnet nach Bereich und Name. Abbildung 1 "
        "stellt den Fortschritt und die Projektzeit jedes Projekts dar.",
        bold=True,
    )
    rows = []
    for f in report.figures:
        prev = "" if f.previous is None else str(f.previous)
        rows.append([f.label, str(f.value), prev, _examples(content.examples.get(f.key, ()))])
    body.table(["Kennzahl", str(year), str(year - 1), "Unter anderem folgende Projekte"], rows,
               widths=(3.6, 1.3, 1.3, 10.4), right=(1, 2), font=8.5)

    by_id = {p.id: p for p in content.projects}
    shown: list[ProjectRow] = [r for r in report.rows if r.current is not None]
    table = []
    for r in shown:
        p = by_id.get(r.id)
        table.append([r.department, r.name, r.description, planned_cost_text(p) if p else "", r.start_display,
                      r.end_display, "" if r.previous is None else str(r.previous), str(r.current)])
    body.table(
        ["Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten", "Beginn",
         _breakable("Geplantes Ende"), _breakable(progress_label(year - 1)), _breakable(progress_label(year))],
        table, widths=(1.3, 2.8, 3.9, 2.0, 1.75, 1.4, 1.45, 1.45), right=(3, 6, 7), font=7,
    )
    for i, png in enumerate(pictures, start=1):
        part = f" (Teil {i} von {len(pictures)})" if len(pictures) > 1 else ""
        body.picture(png, f"Abbildung 1{part}: {CAPTION}")


_HYPHENS = {"Umsetzungsstand": "Umsetzungs\u00adstand", "Zuwendungsempfänger": "Zuwendungs\u00adempfänger",
            "Projektstart": "Projekt\u00adstart", "Projektdauer": "Projekt\u00addauer",
            "Gesamtkosten": "Gesamt\u00adkosten", "Antragsteller": "Antrag\u00adsteller",
            "Geplantes": "Geplan\u00adtes"}


def _breakable(header: str) -> str:
    """A header with soft hyphens, so a narrow column breaks "Umsetzungsstand" as a word."""
    for word, hyphenated in _HYPHENS.items():
        header = header.replace(word, hyphenated)
    return header


def _money(amount, empty: str = "–") -> str:
    """German money with a no-break space before "€", so a table cell never breaks there."""
    return format_money(amount, empty).replace(" €", "\u00a0€")


def _planned(content: ReportContent, body: _Body) -> None:
    if not content.planned:
        return
    body.heading("Geplante Projekte nach Priorität", 3)
    rows = [[str(p.priority), p.department, p.name, p.description, planned_cost_text(p)] for p in content.planned]
    body.table(["Priorität", "Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten"],
               rows, widths=(1.5, 1.5, 4.2, 7.0, 2.4), right=(0, 4), font=8)


def _toc(sub, entries: Sequence[tuple[str, str]], width_cm: float) -> None:
    for text, bookmark in entries:
        p = sub.add_paragraph()
        p.paragraph_format.tab_stops.add_tab_stop(Cm(width_cm), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        p.paragraph_format.space_after = Pt(4)
        p.add_run(f"{text}\t")
        _pageref(p, bookmark)


def _update_fields_on_open(docx) -> None:
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


def load_template(template: Path | None):
    """The docxtpl template, checked for the required placeholders (German error otherwise)."""
    import zipfile

    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    path = Path(template) if template else DOCX_TEMPLATE
    try:
        tpl = DocxTemplate(path)
        tpl.init_docx()
        names = tpl.get_undeclared_template_variables(jinja_env=TemplateEnvironment())
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise SachstandError(f"Die Vorlage {path} ist keine lesbare Word-Datei (.docx): {exc}") from None
    except TemplateError as exc:
        raise SachstandError(f"Die Vorlage {path} enthält einen fehlerhaften Platzhalter: {exc}") from None
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise SachstandError(
            f"Der Vorlage {path} fehlt der Platzhalter {', '.join('{{p ' + n + ' }}' for n in missing)} "
            "(in einem eigenen Absatz); dort steht später der Berichtstext."
        )
    return tpl


def text_width_cm(docx) -> float:
    s = docx.sections[-1]
    try:
        return round((s.page_width - s.left_margin - s.right_margin) / 360000, 2)
    except TypeError:  # a template without page size: A4 with 2.5 cm margins
        return 16.0


def build(content: ReportContent, chart: ProgressChart | None, pictures: Sequence[bytes],
          template: Path | None = None):
    """The rendered document (a ``docxtpl.DocxTemplate``; save it with ``.save(path)``)."""
    from jinja2 import TemplateError

    tpl = load_template(template)
    width = text_width_cm(tpl.docx)
    body = _Body(tpl.new_subdoc(), width)
    sections(content, chart, pictures, body)
    toc = tpl.new_subdoc()
    _toc(toc, body.toc, width)
    context = {
        "city": content.city, "year": content.year, "title": title(content),
        "as_of": f"{content.report.as_of:%d.%m.%Y}", "published": published_line(content),
        "body": body.sub, "toc": toc,
    }
    try:  # a template is a file from outside: placeholders only, sandboxed (io.template_jinja)
        tpl.render(context, jinja_env=TemplateEnvironment(autoescape=True))
    except TemplateError as exc:
        raise SachstandError(f"Die Vorlage enthält einen fehlerhaften Platzhalter: {exc}") from None
    _update_fields_on_open(tpl.docx)
    tpl.docx.core_properties.title = f"{title(content)} über die eGovernment-Projekte"
    tpl.docx.core_properties.author = content.city or "sachstand"
    return tpl


