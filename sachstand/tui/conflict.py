"""The conflict screen: somebody else saved the project (or a report text: ``ConflictError.what``)
since it was loaded.

Nothing was written. The screen shows, field by field, their stored value against mine and lets
the user decide: keep my values on top of the fresh record (then save again), or take theirs.
Either way nothing is lost: their change is in the register, mine stays on screen until dropped.
Only fields both sides changed are conflicts: with ``base`` (the values my edit started from, as
``display_value`` shows them), a field whose stored value is still the base was changed by me
alone; it is listed as "wird übernommen".
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
from ..core.text import safe_text
from .text import key_footer

KEEP = "keep"
RELOAD = "reload"


class ConflictScreen(ModalScreen[str | None]):
    """Dismisses with ``KEEP`` (reload, my values stay), ``RELOAD`` (take theirs) or None."""

    BINDINGS = [
        Binding("m", "choose('keep')", "Meine Werte behalten"),
        Binding("t", "choose('reload')", "Gespeicherte übernehmen"),
        Binding("escape", "choose('')", "Zurück"),
    ]

    def __init__(self, error: ConflictError, base: dict[str, str] | None = None) -> None:
        super().__init__()
        self.error = error
        base = base or {}
        self.both = [c for c in error.conflicts if c.field not in base or base[c.field] != c.theirs]
        self.mine_only = [c for c in error.conflicts if c not in self.both]

    def compose(self) -> ComposeResult:
        table = Table(expand=True, show_lines=False, title_justify="left")
        table.add_column("Feld", no_wrap=True, style="bold")
        table.add_column("Inzwischen gespeichert", ratio=1)
        table.add_column("Meine Eingabe", ratio=1)
        for c in self.both:
            table.add_row(Text(c.label), Text(safe_text(c.theirs or "–")), Text(safe_text(c.mine or "–"), style="bold"))
        with VerticalScroll(id="conflict-box", classes="dialog"):
            yield Static(Text(f"Konflikt bei {self.error.project_id}", style="bold red"))
            yield Static(Text(f"Jemand anderes hat {self.error.what} inzwischen geändert. Nichts wurde "
                              "gespeichert, nichts ist verloren."))
            if self.both:
                yield Static(table, id="conflict-table")
            else:
                yield Static(Text("Kein Feld wurde von beiden Seiten geändert: die andere Änderung betrifft "
                                  "andere Felder."), id="conflict-table")
            if self.mine_only:
                kept = Text("Wird übernommen (nur Sie haben es geändert): ", style="bold")
                kept.append_text(Text(", ").join(Text(c.label) + Text(" = ") + Text(safe_text(c.mine or "–"))
                                                 for c in self.mine_only))
                yield Static(kept, id="conflict-mine-only")
            yield Static(Text("m: neu laden und meine Werte behalten (danach erneut speichern)\n"
                              "t: neu laden und die gespeicherten Werte übernehmen\n"
                              "Esc: zurück, nichts tun", style="dim"))
        yield key_footer()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice or None)
