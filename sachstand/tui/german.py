"""German replacements for the English strings Textual 8 shows on its own.

What Textual brings in English, and where it is replaced here:
- the palette's system commands (``App.get_system_commands``): ``system_commands`` below;
- the palette's placeholder and its "No matches found": ``GermanCommandPalette``;
- the Select overlay's footer key "Dismiss menu": ``GermanSelect``;
- the ctrl+c toast and the screenshot toasts: methods of the app, using ``QUIT_HINT`` and
  ``save_screenshot`` here.
The theme picker is not offered: its theme names are English, and the app's colours are chosen
for contrast in every colour mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.screen import Screen
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay
from textual.widgets.option_list import Option

from .host import host_of

if TYPE_CHECKING:
    from textual.app import App

PALETTE_PLACEHOLDER = "Befehl suchen …"
NO_MATCHES = "Kein passender Befehl"
QUIT_HINT = "Zum Beenden ctrl+q drücken (ctrl+c kopiert nur)."


class GermanCommandPalette(CommandPalette):
    """The command palette with a German placeholder and a German "no matches" line."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("placeholder", PALETTE_PLACEHOLDER)
        super().__init__(**kwargs)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(NO_MATCHES, style="not bold")), disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)


class GermanSelectOverlay(SelectOverlay):
    BINDINGS = [Binding("escape", "dismiss", "Liste schließen")]


class GermanSelect(Select):
    """A ``Select`` whose open list says "Liste schließen" in the footer."""

    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield GermanSelectOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)


def system_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The palette's general commands, in German (quit asks first if an edit would be lost)."""
    yield SystemCommand("Beenden", "Sachstand beenden (fragt bei ungespeicherten Änderungen)", app.action_quit)
    yield SystemCommand("Hilfe", "Alle Tasten und Kennzeichen", host_of(app).action_help)
    if screen.maximized is not None:
        yield SystemCommand("Normale Größe", "Das vergrößerte Element wieder normal zeigen", screen.action_minimize)
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand("Vergrößern", "Das gewählte Element auf ganzer Fläche zeigen", screen.action_maximize)
    yield SystemCommand("Bildschirmfoto", "Den Bildschirm als SVG-Datei im aktuellen Ordner speichern",
                        lambda: app.set_timer(0.1, lambda: save_screenshot(app)))


def save_screenshot(app: App[object], folder: Path | None = None) -> Path | None:
    """Save an SVG of the screen in ``folder`` (default: the current folder) and say where."""
    try:
        path = Path(app.save_screenshot(path=str(folder or Path.cwd())))
    except OSError as exc:
        app.notify(f"Bildschirmfoto nicht gespeichert: {exc.strerror or exc}", severity="error", markup=False)
        return None
    app.notify(f"Bildschirmfoto gespeichert: {path}", title="Bildschirmfoto", markup=False)
    return path
