"""The message screen for a register that cannot be used: missing, locked, damaged or too new.

The message is the German text of the ``SachstandError``; no traceback is ever shown. Leaving
ends the app with the error's exit code; retrying is the app's (``SachstandApp.retry_register``).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from ..core.errors import RegisterLocked, SachstandError
from ..core.text import safe_text
from .host import SachstandScreen
from .text import key_footer


class MessageScreen(SachstandScreen[None]):
    """Shows why the register cannot be opened; r tries again, q ends the app."""

    BINDINGS = [
        Binding("r", "retry", "Erneut versuchen"),
        Binding("q", "leave", "Beenden"),
    ]

    def __init__(self, error: SachstandError | None) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        message = self.error.message if self.error else "Kein Register angegeben."
        hint = ("Ein anderer Prozess schreibt gerade; gleich noch einmal versuchen (r)."
                if isinstance(self.error, RegisterLocked) else
                "Nichts wurde geändert. Mit q beenden.")
        with Vertical(id="message-box"):
            yield Static(Text("Das Register kann nicht geöffnet werden", style="bold"), id="message-title")
            yield Static(Text(safe_text(message, one_line=False)), id="message-text")
            yield Static(Text(hint, style="dim"), id="message-hint")
        yield key_footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.host.repo is not None
        return True

    def action_leave(self) -> None:
        """End the app with the error's exit code, as the CLI would (2 unusable, 1 locked)."""
        self.app.exit(return_code=self.error.exit_code if self.error else 2)

    def action_retry(self) -> None:
        self.host.retry_register()
