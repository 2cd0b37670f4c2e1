"""The small Markdown of the report's texts, parsed into blocks that Word and PowerPoint show.

Rules (what the "Bericht" texts and the funded projects' goals use):
- A blank line ends a paragraph; lines without one are joined with a space.
- "- " or "* " starts a bullet; two or more leading spaces nest it one level deeper (at most 3).
- "## " and "### " start sub-headings (level 2 and 3); "# " counts as level 2, because level 1 is
  the report's own section heading ("01 Einleitung").
- Inline, ``**bold**`` is bold; ``\\*`` is a literal star (as in "Nutzer\\*innen"); a single star
  stays a star. Nothing else is interpreted: the text is the city's, not markup to execute.
- ``document_text`` is how every report document (Word, PowerPoint, Abbildung 1) shows user text:
  as ``core.text.safe_text`` shows it on a terminal (control, bidi and zero-width characters
  escaped, e.g. ``\\u202e``), with soft hyphens and line breaks kept; U+FFFE and U+FFFF, which no
  XML part can hold, are escaped too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["paragraph", "bullet", "heading"]

_BULLET = re.compile(r"^(?P<indent>\s*)[-*•]\s+(?P<text>.*)$")
_HEADING = re.compile(r"^(?P<marks>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_NOT_XML = re.compile("[\ufffe\uffff]")


def document_text(text: str) -> str:
    """User text for a document (see the module's rules)."""
    from ..core.text import safe_text

    safe = "\u00ad".join(safe_text(part, one_line=False) for part in text.split("\u00ad"))
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", safe)


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str
    level: int = 1
    """Bullet depth (1–3) or heading level (2–3)."""


def parse(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("paragraph", " ".join(para)))
            para.clear()

    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if m := _HEADING.match(line.strip()):
            flush()
            blocks.append(Block("heading", m["text"], min(max(len(m["marks"]), 2), 3)))
        elif (m := _BULLET.match(line)) and not line.lstrip().startswith("**"):
            flush()
            depth = 1 + min(len(m["indent"].expandtabs(2)) // 2, 2)
            blocks.append(Block("bullet", m["text"].strip(), depth))
        elif blocks and blocks[-1].kind == "bullet" and not para and raw.startswith((" ", "\t")):
            last = blocks.pop()
            blocks.append(Block("bullet", f"{last.text} {line.strip()}", last.level))
        else:
            para.append(line.strip())
    flush()
    return blocks


def runs(text: str) -> list[tuple[str, bool]]:
    """The text split into (text, bold) runs, with ``\\*`` unescaped."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _BOLD.finditer(text):
        if m.start() > pos:
            out.append((text[pos:m.start()], False))
        out.append((m.group(1), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return [(t.replace("\\*", "*"), bold) for t, bold in out if t]


def plain(text: str) -> str:
    """The text without its bold marks."""
    return "".join(t for t, _ in runs(text))
