"""The conflict screen: somebody else saved the project (or a report text: ``ConflictError.what``)
since it was loaded.

Nothing was written. The screen shows, field by field, their stored value against mine and lets
the user decide: keep my values on top of the fresh record (then save again), or take theirs.
Either way nothing is lost: their change is in the register, mine stays on screen until dropped.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..core.errors import ConflictError
from .text import user, key_footer

KEEP = "keep"
RELOAD = "reload"


class ConflictScreen(ModalScreen[str | None]):
    """Dismisses with ``KEEP`` (reload, my values stay), ``RELOAD`` (take theirs) or None."""

    BINDINGS = [
        Binding("m", "choose('keep')", "Meine Werte behalten"),
        Binding("t", "choose('reload')", "Gespeicherte übernehmen"),
        Binding("escape", "choose('')", "Zurück"),
    ]

    def __init__(self, error: ConflictError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        table = Table(expand=True, show_lines=False, title_justify="left")
        table.add_column("Feld", no_wrap=True, style="bold")
        table.add_column("Inzwischen gespeichert", ratio=1)
        table.add_column("Meine Eingabe", ratio=1)
        for c in self.error.conflicts:
            table.add_row(Text(c.label), user(c.theirs or "–"), user(c.mine or "–", style="bold"))
        with VerticalScroll(id="conflict-box", classes="dialog"):
            yield Static(Text(f"Konflikt bei {self.error.project_id}", style="bold red"))
            yield Static(Text(f"Jemand anderes hat {self.error.what} inzwischen geändert. Nichts wurde "
                              "gespeichert, nichts ist verloren."))
            yield Static(table, id="conflict-table")
            yield Static(Text("m: neu laden und meine Werte behalten (danach erneut speichern)\n"
                              "t: neu laden und die gespeicherten Werte übernehmen\n"
                              "Esc: zurück, nichts tun", style="dim"))
        yield key_footer()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice or None)
