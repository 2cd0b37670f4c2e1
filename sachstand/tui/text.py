"""Small pieces of display text shared by the screens.

Rule: user text (names, descriptions, department codes, audit values) is shown only as rich
``Text`` built from ``core.text.safe_text``: never as a markup string, so "[/]" or "[link=…]" stay
literal, and control codes or bidi overrides never reach the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Footer

from ..printout import progress_bar


def percent_cell(percent: int | None, bar_width: int = 4) -> Text:
    """"100 % ████" — the number and a small bar, as in the projects table."""
    out = Text("  –  ", style="dim") if percent is None else Text(f"{percent:>3} %")
    out.append(" ")
    out.append_text(progress_bar(percent, bar_width))
    return out


def key_footer() -> Footer:
    """The footer of every screen: compact, with the palette key among the others (^p Befehle)."""
    return Footer(compact=True, show_command_palette=False)
