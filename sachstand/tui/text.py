"""Small pieces of display text shared by the screens.

Rule: user text (names, descriptions, department codes, audit values) is shown only as rich
``Text`` built from ``core.text.safe_text``: never as a markup string, so "[/]" or "[link=…]" stay
literal, and control codes or bidi overrides never reach the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Footer

from ..core.types import format_number

BAR_CELLS = " ▏▎▍▌▋▊▉█"


def bar(percent: int | None, width: int) -> Text:
    """A bar of ``width`` cells with eighth blocks; green when complete."""
    if percent is None:
        return Text("·" * width, style="dim")
    eighths = round(width * 8 * percent / 100)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (BAR_CELLS[part] if part and full < width else "")
    style = "green" if percent == 100 else "cyan"
    out = Text(filled, style=style)
    out.append("░" * (width - len(filled)), style="dim")
    return out


def percent_cell(percent: int | None, bar_width: int = 4) -> Text:
    """"100 % ████" — the number and a small bar, as in the projects table."""
    out = Text("  –  ", style="dim") if percent is None else Text(f"{percent:>3} %")
    out.append(" ")
    out.append_text(bar(percent, bar_width))
    return out


def signed(n: int | None) -> str:
    """A change with its sign, in German number format ("+1.234", "±0", "-5")."""
    if n is None:
        return "–"
    return f"+{format_number(n)}" if n > 0 else ("±0" if n == 0 else f"-{format_number(-n)}")


def key_footer() -> Footer:
    """The footer of every screen: compact, with the palette key among the others (^p Befehle)."""
    return Footer(compact=True, show_command_palette=False)
