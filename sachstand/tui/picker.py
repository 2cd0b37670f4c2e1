"""Finding by typing: a picker that narrows a list as you type, and a jump to a project ID.

Rules:
- The picker shows the choices whose label contains the typed text (case ignored); ↑/↓ move,
  Enter chooses the highlighted one, Esc returns with nothing chosen.
- The jump moves the table's cursor as you type, to the first shown row whose ID starts with the
  text (then one that contains it); Enter or Esc returns to the table, the cursor staying there.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from .text import key_footer


class Picker(ModalScreen[Hashable | None]):
    """Choose one of ``choices`` (label, value); dismisses with the value, or None on Esc."""

    BINDINGS = [
        Binding("escape", "cancel", "Abbrechen"),
        Binding("down", "move(1)", "nächste", show=False),
        Binding("up", "move(-1)", "vorige", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(self, title: str, choices: Sequence[tuple[str | Text, Hashable]], current: Hashable | None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = [(label if isinstance(label, Text) else Text(label), value) for label, value in choices]
        self.current = current
        self.shown: list[Hashable] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), id="picker-title")
            yield Input(placeholder="tippen zum Eingrenzen", id="picker-input", compact=True)
            yield OptionList(id="picker-list", compact=True)
            yield Static("↑ ↓ wählen, Enter übernimmt, Esc bricht ab", classes="hint")
        yield key_footer()

    def on_mount(self) -> None:
        self._narrow("")
        self.query_one("#picker-input", Input).focus()

    def _narrow(self, text: str) -> None:
        wanted = text.strip().casefold()
        options = self.query_one("#picker-list", OptionList)
        options.clear_options()
        self.shown = []
        for label, value in self.choices:
            if wanted in label.plain.casefold():
                options.add_option(Option(label))
                self.shown.append(value)
        if self.shown:
            start = self.shown.index(self.current) if not wanted and self.current in self.shown else 0
            options.highlighted = start

    def on_input_changed(self, event: Input.Changed) -> None:
        self._narrow(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose(self.query_one("#picker-list", OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self.shown):
            self.app.bell()
            return
        self.dismiss(self.shown[index])

    def action_move(self, delta: int) -> None:
        options = self.query_one("#picker-list", OptionList)
        if not self.shown:
            return
        index = options.highlighted if options.highlighted is not None else 0
        if abs(delta) == 1:  # one step wraps around, as lists of choices do
            options.highlighted = (index + delta) % len(self.shown)
        else:
            options.highlighted = max(0, min(index + delta, len(self.shown) - 1))

    def action_cancel(self) -> None:
        self.dismiss(None)


class JumpDialog(ModalScreen[None]):
    """``g``: type an ID; ``jump(text)`` moves the table's cursor and says whether it found one."""

    BINDINGS = [Binding("escape", "close", "zur Tabelle")]

    def __init__(self, jump: Callable[[str], str | None]) -> None:
        super().__init__()
        self.jump = jump

    def compose(self) -> ComposeResult:
        with Vertical(id="jump", classes="dialog"):
            yield Input(placeholder="ID, z. B. FB12-003", id="jump-input", compact=True)
            yield Static("Springt beim Tippen zur ersten passenden ID. Enter oder Esc: zurück.",
                         id="jump-hint", classes="hint")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#jump-input", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        found = self.jump(event.value) if event.value.strip() else None
        hint = self.query_one("#jump-hint", Static)
        if not event.value.strip():
            hint.update("Springt beim Tippen zur ersten passenden ID. Enter oder Esc: zurück.")
            hint.set_class(False, "error")
        elif found is None:
            hint.update(Text(f"Keine ID mit „{event.value.strip()}“ in der Liste."))
            hint.set_class(True, "error")
        else:
            hint.update(Text(f"→ {found}"))
            hint.set_class(False, "error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
