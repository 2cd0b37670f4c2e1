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
  ("Sachstandsbericht 2020"), ``{{ dates }}`` ("Stand 24.11.2020 · Werte zum Stichtag 31.12.2020",
  ``core.models.report_dates``), ``{{ as_of }}`` ("31.12.2020"), ``{{ published }}`` ("Stand
  24.11.2020" or "Entwurf, noch nicht veröffentlicht"), also in headers and footers.

The layout (tables, columns, pictures) is ``io.docx_layout``. The content is set in the template's
styles: Normal, Heading 1–3 (Heading 1 starts each section),
Caption, List Bullet (2, 3) and Table Grid. A style the template lacks falls back to Normal (a
bullet then gets a "• " prefix), so a sparse corporate template still gives a complete report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ..core.errors import SachstandError
from ..core.models import Project, ProjectRow, progress_label, report_dates, report_stand
from ..core.report_content import ReportContent
from ..core.types import format_money
from .docx_layout import Body, toc, update_fields_on_open, xml_text
from .report_chart import CAPTION, ProgressChart
from .report_templates import DOCX_TEMPLATE
from .template_jinja import TemplateEnvironment

REQUIRED = ("body",)
PROGRESS_GROUP = progress_label(None).replace(" %", "\u00a0%")  # "(in %)" stays on one line
FUNDING_TITLE = "Digitale Modellregion"


def title(content: ReportContent) -> str:
    return f"Sachstandsbericht {content.year}"


def published_line(content: ReportContent) -> str:
    """ "Stand 24.11.2020", or the draft note (the wording of ``core.models.report_dates``)."""
    return report_stand(content.published.at if content.published else None)


def planned_cost_text(p: Project) -> str:
    """The cost as the table shows it: "225.000,00 €", "4.000.000,00 € (Fördersumme)", or the note."""
    if p.planned_cost is None:
        return p.cost_note
    money = _money(p.planned_cost)
    return f"{money} ({p.cost_note})" if p.cost_note else money


def _date(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


def sections(content: ReportContent, chart: ProgressChart | None, pictures: Sequence[bytes], body: Body) -> None:
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


def _funding(content: ReportContent, body: Body) -> None:
    fund = content.report.funding
    city = city_name(content)
    column = content.city or "Stadt"
    body.paragraph(
        f"{city} ist an {len(fund.projects)} geförderten Projekten beteiligt. Ihre Gesamtkosten (alle "
        f"Antragsteller) betragen {_money(fund.total_cost)}, die Förderung (alle Antragsteller) "
        f"{_money(fund.funding_total)}, davon für {column if content.city else 'die Stadt'} "
        f"{_money(fund.funding_city)}."
    )
    rows = [
        [p.title_in_table, p.recipients, _date(p.start), "" if p.duration_months is None else str(p.duration_months),
         _money(p.total_cost, ""), _money(p.funding_total, ""), _money(p.funding_city, "")]
        for p in fund.projects
    ]
    rows.append(["Summe", "", "", "", _money(fund.total_cost), _money(fund.funding_total),
                 _money(fund.funding_city)])
    body.table(
        ["Projekttitel", "Zuwendungsempfänger", "Projektstart", "Projektdauer (Monate)",
         "Gesamtkosten (alle Antragsteller)", "Förderung (alle Antragsteller)", f"Förderung ({column})"],
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


def _overview(content: ReportContent, chart: ProgressChart | None, pictures: Sequence[bytes], body: Body) -> None:
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
         "Geplantes Ende", str(year - 1), str(year)],
        table, widths=(1.2, 3.0, 5.0, 2.2, 1.7, 1.5, 1.1, 1.1), right=(3, 6, 7), font=7,
        groups=[(6, 2, PROGRESS_GROUP)],
    )
    for i, png in enumerate(pictures, start=1):
        part = f" (Teil {i} von {len(pictures)})" if len(pictures) > 1 else ""
        body.picture(png, f"Abbildung 1{part}: {CAPTION}")


def _money(amount, empty: str = "–") -> str:
    """German money with a no-break space before "€", so a table cell never breaks there."""
    return format_money(amount, empty).replace(" €", "\u00a0€")


def _planned(content: ReportContent, body: Body) -> None:
    if not content.planned:
        return
    body.heading("Geplante Projekte nach Priorität", 3)
    rows = [[str(p.priority), p.department, p.name, p.description, planned_cost_text(p)] for p in content.planned]
    body.table(["Priorität", "Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel", "Geplante Kosten"],
               rows, widths=(1.5, 1.5, 4.2, 7.0, 2.4), right=(0, 4), font=8)


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
    body = Body(tpl.new_subdoc(), width)
    sections(content, chart, pictures, body)
    contents = tpl.new_subdoc()
    toc(contents, body.toc, width)
    context = {
        "city": xml_text(content.city or ""), "year": content.year, "title": title(content),
        "as_of": f"{content.report.as_of:%d.%m.%Y}", "published": published_line(content),
        "dates": report_dates(content.report.as_of, content.published.at if content.published else None),
        "body": body.sub, "toc": contents,
    }
    try:  # a template is a file from outside: placeholders only, sandboxed (io.template_jinja)
        tpl.render(context, jinja_env=TemplateEnvironment(autoescape=True))
    except TemplateError as exc:
        raise SachstandError(f"Die Vorlage enthält einen fehlerhaften Platzhalter: {exc}") from None
    update_fields_on_open(tpl.docx)
    tpl.docx.core_properties.title = f"{title(content)} über die eGovernment-Projekte"
    tpl.docx.core_properties.author = xml_text(content.city or "sachstand")
    return tpl


