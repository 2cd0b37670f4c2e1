"""The default templates of the printed report and the presentation (built by ``build.py``)."""

from pathlib import Path

DOCX_TEMPLATE = Path(__file__).with_name("bericht.docx")
PPTX_TEMPLATE = Path(__file__).with_name("praesentation.pptx")
