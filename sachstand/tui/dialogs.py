"""Small dialogs: enter a progress value, a file name, and confirm a question.

Values are checked as they are typed with the parsers of ``core.types``; Enter on a wrong value
shows the German message and closes nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..core.types import parse_percent
from .text import key_footer


class ProgressDialog(ModalScreen[int | None]):
    """Asks for one progress value 0..100; dismisses with the number, or None on Esc."""

    BINDINGS = [Binding("escape", "cancel", "Abbrechen")]

    def __init__(self, title: Text, current: int | None) -> None:
        super().__init__()
        self.title_text = title
        self.current = current
        self._hint: tuple[Text, bool] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(self.title_text, id="dialog-title")
            yield Input(value="" if self.current is None else str(self.current), id="percent",
                        placeholder="0 bis 100", compact=True)
            if self.current is None:
                yield Static("Ganze Zahl von 0 bis 100, dann Enter.", id="dialog-error", classes="hint")
            else:  # what the first Input.Changed (of the value given) shows: no second layout for it
                self._hint = self._hint_for(str(self.current))
                yield Static(self._hint[0], id="dialog-error", classes="hint error" if self._hint[1] else "hint")
        yield key_footer()

    def on_mount(self) -> None:
        field = self.query_one("#percent", Input)
        field.focus()
        field.select_all()

    def _check(self, text: str) -> int | str:
        try:
            return parse_percent(text)
        except ValueError as exc:
            return str(exc)

    def _hint_for(self, value: str) -> tuple[Text, bool]:
        """The line under the field for ``value``, and whether it is an error."""
        result = self._check(value)
        return (Text("Enter speichert, Esc bricht ab."), False) if isinstance(result, int) else (Text(result), True)

    def on_input_changed(self, event: Input.Changed) -> None:
        hint = self._hint_for(event.value)
        if hint == self._hint:  # the same line again: no new layout for each digit typed
            return
        self._hint = hint
        error = self.query_one("#dialog-error", Static)
        error.update(hint[0])
        error.set_class(hint[1], "error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        result = self._check(event.value)
        if isinstance(result, int):
            self.dismiss(result)
        else:
            self.query_one("#dialog-error", Static).update(Text(result))
            self.query_one("#dialog-error", Static).set_class(True, "error")
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)


class FileNameDialog(ModalScreen[str | None]):
    """Asks for a file name, starting with ``default``; dismisses with the name, or None on Esc.
    The caller checks it (``core.output``), so this only refuses an empty name."""

    BINDINGS = [Binding("escape", "cancel", "Abbrechen")]

    def __init__(self, title: Text, default: str) -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(self.title_text, id="dialog-title")
            yield Input(value=self.default, id="file-name", compact=True)
            yield Static("Enter schreibt die Datei, Esc bricht ab.", id="dialog-error", classes="hint")
        yield key_footer()

    def on_mount(self) -> None:
        self.query_one("#file-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())
        else:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question: only j confirms (never Enter alone: the questions are destructive),
    n or Esc declines."""

    BINDINGS = [
        Binding("j", "answer(True)", "Ja"),
        Binding("n,escape", "answer(False)", "Nein"),
        Binding("enter", "enter", show=False),
    ]

    def __init__(self, question: Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(self.question, id="dialog-title")
            yield Static("j = ja, n = nein", classes="hint")
        yield key_footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_enter(self) -> None:
        self.app.bell()
        self.notify("Bitte j (ja) oder n (nein) drücken.", timeout=3)
