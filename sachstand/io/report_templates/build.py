"""Build the default report templates shipped with the package: ``bericht.docx``, ``praesentation.pptx``.

Run ``python -m sachstand.io.report_templates.build`` after changing this file; a test rebuilds
both and compares their XML with the shipped files, so the two never drift apart. The files are
shipped (not only built at export time) so that a city can copy one and restyle it in Word or
PowerPoint as its corporate-design template.

The Word template holds the docxtpl (Jinja) placeholders documented in ``io/report_docx.py``; its
styles (Normal, Heading 1–3, Title, Subtitle, Caption, List Bullet 1–3, Table Grid) are what the
report's content is set in. The PowerPoint template is python-pptx's default, made 16:9, with a
blue band on the master; its "Title Slide" and "Title and Content" layouts are used.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).parent
DOCX = HERE / "bericht.docx"
PPTX = HERE / "praesentation.pptx"

BLUE = RGBColor(0x1F, 0x38, 0x64)
FONT = "Arial"


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE) that Word and LibreOffice compute when laying out the page."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == instruction:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        else:
            run.text = text


def build_docx(path: Path = DOCX) -> None:
    doc = Document()
    core = doc.core_properties
    core.author, core.title = "sachstand", "Sachstandsbericht"
    core.last_modified_by, core.revision = "sachstand", 1
    from datetime import datetime

    core.created = core.modified = datetime(2020, 1, 1)

    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.0)
    section.different_first_page_header_footer = True

    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10.5)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for name, size, before in (("Heading 1", 20, 0), ("Heading 2", 14, 14), ("Heading 3", 11.5, 10)):
        st = styles[name]
        st.font.name, st.font.size, st.font.color.rgb, st.font.bold = FONT, Pt(size), BLUE, True
        st.paragraph_format.space_before, st.paragraph_format.space_after = Pt(before), Pt(6)
        st.paragraph_format.keep_with_next = True
        rpr = st.element.get_or_add_rPr()
        for child in rpr.findall(qn("w:rFonts")):  # the theme font would win over FONT otherwise
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                child.attrib.pop(qn(attr), None)
    styles["Heading 1"].paragraph_format.page_break_before = True
    for name, size in (("Title", 30), ("Subtitle", 16)):
        st = styles[name]
        st.font.name, st.font.size, st.font.color.rgb = FONT, Pt(size), BLUE
    styles["Caption"].font.name, styles["Caption"].font.size = FONT, Pt(9)
    styles["Caption"].font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    for name in ("List Bullet", "List Bullet 2", "List Bullet 3"):
        styles[name].font.name = FONT
        styles[name].paragraph_format.space_after = Pt(3)

    for _ in range(6):
        doc.add_paragraph()
    doc.add_paragraph("{{ city }}", style="Subtitle")
    doc.add_paragraph("eGovernment-Projekte", style="Title")
    doc.add_paragraph("{{ title }}", style="Subtitle")
    doc.add_paragraph()
    doc.add_paragraph("{{ dates }}")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    heading = doc.add_paragraph("Inhalt", style="Subtitle")
    heading.runs[0].bold = True
    doc.add_paragraph("{{p toc }}")
    doc.add_paragraph("{{p body }}")

    footer = section.footer.paragraphs[0]
    footer.style = styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("{% if city %}{{ city }} · {% endif %}{{ title }} über die eGovernment-Projekte · Seite ")
    _field(footer, "PAGE")
    for run in footer.runs:
        run.font.size, run.font.name = Pt(8), FONT
    doc.save(str(path))


def build_pptx(path: Path = PPTX) -> None:
    from pptx import Presentation
    from pptx.dml.color import RGBColor as PptxRGB
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu

    prs = Presentation()
    factor = 16 / 9 / (prs.slide_width / prs.slide_height)
    prs.slide_width = Emu(int(prs.slide_width * factor))
    master = prs.slide_master
    for owner in [master, *master.slide_layouts]:
        for shape in owner.placeholders:
            if shape._element.spPr.find(qn("a:xfrm")) is not None:  # own position, not inherited
                shape.left, shape.width = Emu(int(shape.left * factor)), Emu(int(shape.width * factor))
    # A band along the top of every slide: drawn on a scratch slide, moved to the master, behind.
    scratch = prs.slides.add_slide(master.slide_layouts[6])
    assert prs.slide_height is not None, "a presentation made by python-pptx has a slide size"
    band = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, prs.slide_width, Emu(int(prs.slide_height * 0.035)))
    band.fill.solid()
    band.fill.fore_color.rgb = PptxRGB(0x1F, 0x38, 0x64)
    band.line.fill.background()
    tree = master.shapes._spTree
    tree.insert(2, copy.deepcopy(band._element))
    rid = prs.slides._sldIdLst[0].rId
    prs.part.drop_rel(rid)
    del prs.slides._sldIdLst[0]
    prs.core_properties.author = "sachstand"
    prs.core_properties.revision = 1
    from datetime import datetime

    prs.core_properties.created = prs.core_properties.modified = datetime(2020, 1, 1)
    prs.core_properties.last_modified_by = "sachstand"
    prs.save(str(path))


if __name__ == "__main__":
    build_docx()
    build_pptx()
    print(f"geschrieben: {DOCX}, {PPTX}", file=sys.stderr)
