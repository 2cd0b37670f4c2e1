"""The presentation of the report (``export report -o F.pptx``), built with python-pptx.

Slides, all from ``core.report_content.ReportContent``:
1. title ("Digitalisierung in Aachen", "Sachstandsbericht 2020 über die eGovernment-Projekte");
2. "Status für das Jahr Y": the Einleitung's bullets and sub-headings (else the first sentence of
   its first four paragraphs, cut at a word after 260 characters);
3. the funding programme ("Digitale Modellregion"): the funded projects grouped by recipients
   (the city alone, the city with one partner, Verbundprojekte) and the sums;
4. one slide per figure of ``core.figures.FIGURES`` ("Gesamt: 57", "Davon in 2020 abgeschlossene
   IT-Projekte … Gesamt: 15", …), each ending with "Unter anderem folgende Projekte:" and the
   figure's examples;
5. "Geplante Projekte": the planned projects by priority; 6. "Ausblick": the Ausblick's
   sub-headings and bullets.

Layout: the default ``report_templates/praesentation.pptx`` or ``--template FILE.pptx``. A
template's own slides are removed; its first layout with a title and a subtitle placeholder makes
the title slide, its first with a title and a body placeholder every other slide (in the default
and in PowerPoint's own: "Title Slide" and "Title and Content"). Fonts and colours are the
template's; only the figure's number is set larger.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import SachstandError
from ..core.models import report_dates
from ..core.report_content import ReportContent
from ..core.types import format_money
from . import report_markdown
from .report_templates import PPTX_TEMPLATE

EXAMPLES_LEAD = "Unter anderem folgende Projekte:"
MAX_ITEMS = 8
SENTENCES = 4


def headline(key: str, year: int) -> str:
    """The slide's wording of a figure (the figure itself is defined in ``core.figures``)."""
    return {
        "projects": f"IT-Projekte im Sachstandsbericht {year}",
        "completed": f"Davon in {year} abgeschlossene IT-Projekte (Umsetzungsstand 100 %)",
        "at_least_90": "Davon IT-Projekte mit Status ≥ 90 %",
        "started": f"Davon in {year} gestartete IT-Projekte",
        "stalled": f"Davon IT-Projekte ohne Fortschritt seit {year - 1}",
        "overdue": "Davon IT-Projekte über dem geplanten Ende",
    }.get(key, key)


def short_city(city: str) -> str:
    """ "Stadt Aachen" -> "Aachen", for "Digitalisierung in Aachen"."""
    return re.sub(r"^(Stadt|Gemeinde|Kreisstadt|Landeshauptstadt)\s+", "", city).strip()


def _layouts(prs):
    from pptx.enum.shapes import PP_PLACEHOLDER

    def kinds(layout) -> set:
        return {ph.placeholder_format.type for ph in layout.placeholders}

    title = next((lay for lay in prs.slide_layouts
                  if PP_PLACEHOLDER.SUBTITLE in kinds(lay)
                  and kinds(lay) & {PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.TITLE}), None)
    content = next((lay for lay in prs.slide_layouts
                    if PP_PLACEHOLDER.TITLE in kinds(lay)
                    and kinds(lay) & {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}), None)
    if title is None or content is None:
        raise SachstandError(
            "Die Vorlage braucht ein Folienlayout mit Titel und Untertitel (Titelfolie) und eines mit "
            "Titel und Inhalt; in dieser fehlt " + ("die Titelfolie." if title is None else "„Titel und Inhalt“.")
        )
    return title, content


def _body(slide):
    from pptx.enum.shapes import PP_PLACEHOLDER

    return next(ph for ph in slide.placeholders
                if ph.placeholder_format.type in (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT))


def _fill(frame, items: Sequence[tuple[str, int, bool]], size: int | None = None) -> None:
    """(text, level 0–4, bold) paragraphs into a text frame."""
    from pptx.util import Pt

    frame.clear()
    for i, (text, level, bold) in enumerate(items):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.level = level
        run = p.add_run()
        run.text = report_markdown.document_text(text)
        if bold:
            run.font.bold = True
        if size:
            run.font.size = Pt(size)


ASSUMED_SIZE = 24
"""The body text size (pt) assumed for a template's own, unset size (PowerPoint's default is 28/24)."""
FIT_SIZES = (24, 22, 20, 18, 16, 14, 12)


def fitting_size(items: Sequence[tuple[str, int, bool]], width_in: float, height_in: float,
                 start: float) -> int | None:
    """The largest size (pt) at which ``items`` fit a body of the given size; None when they fit at
    ``start``. The estimate is generous (a character 0.55 em wide, a bullet's indent
    per level, lines 1.15 high), so text that fits here fits on the slide; below 12 pt the text is cut by the slide."""
    def height(pt: float) -> float:
        total = 0.0
        for text, level, _ in items:
            size = pt - 2 if level else pt
            per_line = max(8.0, (width_in - 0.45 * (level + 1)) * 72 / (size * 0.55))
            total += (-(-len(text) // int(per_line)) * 1.15 + 0.25) * size / 72
        return total + 0.2

    if height(start) <= height_in:
        return None
    return next((pt for pt in FIT_SIZES if pt < start and height(pt) <= height_in), FIT_SIZES[-1])


def _outline(markdown: str) -> list[tuple[str, int, bool]]:
    """A text's sub-headings and bullets; a text with neither: each paragraph's first sentence."""
    blocks = report_markdown.parse(markdown)
    has_heads = any(b.kind == "heading" for b in blocks)
    items: list[tuple[str, int, bool]] = []
    for b in blocks:
        if b.kind == "heading":
            items.append((report_markdown.plain(b.text), 0, True))
        elif b.kind == "bullet":
            items.append((report_markdown.plain(b.text), min(b.level - (0 if has_heads else 1), 4), False))
    if not items:
        for b in blocks[:SENTENCES]:
            first = first_sentence(report_markdown.plain(b.text))
            if len(first) > 260:
                first = first[:260].rsplit(" ", 1)[0].rstrip(",;:") + " …"
            items.append((first, 0, False))
    return items[:MAX_ITEMS]


ABBREVIATIONS = frozenset({"bspw", "bzw", "ca", "d.h", "etc", "evtl", "ggf", "inkl", "insb", "max", "min", "Nr",
                           "s", "sog", "u.a", "usw", "vgl", "z.B", "z.T", "zzgl", "Dez", "Abs", "Art"})
"""Words a period ends without ending the sentence ("inkl.", "bspw.", "z.B.")."""


def first_sentence(text: str) -> str:
    """The text up to its first sentence end: a ".", "!" or "?" before a space, not after an
    abbreviation (``ABBREVIATIONS``) or a number ("1. Quartal")."""
    for m in re.finditer(r"[.!?](?=\s)", text):
        word = text[:m.start()].rsplit(None, 1)[-1] if text[:m.start()].strip() else ""
        if m.group() == "." and (word.lstrip("(„\"") in ABBREVIATIONS or word.isdigit()):
            continue
        return text[:m.end()]
    return text


def _parties(recipients: str) -> list[str]:
    return [p.strip() for p in re.split(r",| und ", recipients) if p.strip()]


def _group(recipients: str, city: str) -> str:
    """The city alone, the city with one partner, or a Verbundprojekt (as the seed's slide groups)."""
    parties = _parties(recipients)
    if len(parties) <= 1:
        return parties[0] if parties else city
    if len(parties) == 2 and city in parties:
        other = next(p for p in parties if p != city)
        return f"{city} mit {other}"
    return "Verbundprojekte mit anderen Kommunen, Hochschulen und Unternehmen"


def load(template: Path | None):
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    path = Path(template) if template else PPTX_TEMPLATE
    try:
        prs = Presentation(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise SachstandError(f"Die Vorlage {path} ist keine lesbare PowerPoint-Datei (.pptx): {exc}") from None
    ids = prs.slides._sldIdLst
    for sld in list(ids):  # a template's sample slides are not part of the report
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)
    return prs


def build(content: ReportContent, template: Path | None = None):
    """The presentation (a ``pptx.Presentation``; save it with ``.save(path)``)."""
    from pptx.util import Pt

    prs = load(template)
    title_layout, content_layout = _layouts(prs)
    report = content.report
    year = report.year
    city = content.city or "Stadt"

    def slide(title: str, items: Sequence[tuple[str, int, bool]], size: int | None = None):
        s = prs.slides.add_slide(content_layout)
        s.shapes.title.text = report_markdown.document_text(title)
        body = _body(s)
        _fill(body.text_frame, items, size)
        if body.width and body.height:
            fit = fitting_size(items, body.width.inches, body.height.inches, size or ASSUMED_SIZE)
            if fit is not None:  # smaller, and no shrinking on top (LibreOffice shrinks far too much)
                from pptx.enum.text import MSO_AUTO_SIZE

                body.text_frame.auto_size = MSO_AUTO_SIZE.NONE
                for p in body.text_frame.paragraphs:
                    for r in p.runs:
                        r.font.size = Pt(fit - 2 if p.level else fit)
        return s

    s = prs.slides.add_slide(title_layout)
    s.shapes.title.text = report_markdown.document_text(
        f"Digitalisierung in {short_city(city)}" if content.city else "Digitalisierung")
    sub = next(ph for ph in s.placeholders if ph.placeholder_format.idx != 0)
    stand = report_dates(report.as_of, content.published.at if content.published else None)
    _fill(sub.text_frame, [(f"Sachstandsbericht {year} über die eGovernment-Projekte", 0, False)])
    dates = sub.text_frame.add_paragraph()
    dates.text = stand  # smaller, so the Stand and the Stichtag stay on one line
    dates.runs[0].font.size = Pt(18)

    intro = content.text("einleitung").markdown
    if intro.strip():
        slide(f"Status für das Jahr {year}", _outline(intro), size=20)

    fund = report.funding
    if fund.projects:
        programmes = {p.programme for p in fund.projects}
        programme = programmes.pop() if len(programmes) == 1 else "Geförderte Projekte"
        # the city: the register's name, else the recipient named in most funded projects
        named = Counter(x for p in fund.projects for x in set(_parties(p.recipients)))
        home = content.city or (named.most_common(1)[0][0] if named else city)
        groups: dict[str, list[str]] = {}
        for p in fund.projects:
            groups.setdefault(_group(p.recipients, home), []).append(p.title)
        slide(programme, [
            (f"{len(fund.projects)} geförderte Projekte, an denen {home} beteiligt ist", 0, True),
            (f"Gesamtkosten (alle Antragsteller): {format_money(fund.total_cost)}", 0, False),
            (f"Förderung (alle Antragsteller): {format_money(fund.funding_total)}", 0, False),
            (f"Förderung ({home}): {format_money(fund.funding_city)}", 0, False),
        ])
        items: list[tuple[str, int, bool]] = []
        for group, titles in groups.items():
            items.append((group, 0, True))
            items += [(t, 1, False) for t in titles]
        slide(f"{programme}: Projekte", items)

    for f in report.figures:
        items = [(headline(f.key, year), 0, True), (f"Gesamt: {f.value}", 0, True)]
        if f.previous is not None:
            items.append((f"Vorjahr: {f.previous}", 0, False))
        examples = content.examples.get(f.key, ())
        if examples:
            items.append((EXAMPLES_LEAD, 0, False))
            items += [(f"{p.name} ({p.department})", 1, False) for p in examples]
        s = slide("eGovernment IT-Projekte", items)
        big = _body(s).text_frame.paragraphs[1]
        for r in big.runs:
            r.font.size = Pt(40)

    if content.planned:
        items = [(f"{p.priority}. {p.name} ({p.department})", 0, False) for p in content.planned[:MAX_ITEMS]]
        if len(content.planned) > MAX_ITEMS:
            items.append((f"… und {len(content.planned) - MAX_ITEMS} weitere", 0, False))
        slide("Geplante Projekte nach Priorität", items)
    outlook = content.text("ausblick").markdown
    if outlook.strip():
        slide("Ausblick", _outline(outlook))
    prs.core_properties.title = f"Sachstandsbericht {year} über die eGovernment-Projekte"
    prs.core_properties.author = report_markdown.document_text(city)
    return prs
