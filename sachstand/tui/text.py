"""Small pieces of display text shared by the screens.

Rule: user text (names, descriptions, department codes, audit values) is shown only as rich
``Text`` built from ``core.text.safe_text``: never as a markup string, so "[/]" or "[link=…]" stay
literal, and control codes or bidi overrides never reach the terminal.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from ..printout import progress_bar


def percent_cell(percent: int | None, bar_width: int = 4) -> Text:
    """"100 % ████" — the number and a small bar, as in the projects table."""
    out = Text("  –  ", style="dim") if percent is None else Text(f"{percent:>3} %")
    out.append(" ")
    out.append_text(progress_bar(percent, bar_width))
    return out


class KeyFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows change.

    Textual rebuilds its footer (a widget per key: styles, layout) whenever the bindings *may*
    have changed: at every focus change, a dialog opening or closing. Most of those show the same
    keys; skipping them saved several milliseconds per dialog on the way to a save."""

    _shown: Hashable = None

    @staticmethod
    def shown_keys(screen: Screen[object]) -> Hashable:
        """What the footer draws from ``screen``'s bindings: the keys shown, their labels and states."""
        return tuple((key, b.action, b.description, b.key_display, b.group, enabled, tooltip)
                     for key, (_node, b, enabled, tooltip) in screen.active_bindings.items() if b.show)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self.shown_keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (self._bindings_ready and self._shown is not None and self.is_attached and screen is self.screen
                and self.shown_keys(screen) == self._shown):
            return
        super().bindings_changed(screen)


def key_footer() -> Footer:
    """The footer of every screen: compact, with the palette key among the others (^p Befehle)."""
    return KeyFooter(compact=True, show_command_palette=False)
