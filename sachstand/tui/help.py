"""The help screen: what the screens are for and which keys they take.

Rule: the key lines are built from the screens' actual ``BINDINGS`` (description, or the longer
``tooltip`` where one is given), so the help never drifts from the keys; only the notes on roles
and flags are written here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .dashboard import DashboardScreen
from .project import ProjectScreen
from .projects import ProjectsScreen
from .report_texts import ReportTextsScreen
from .text import key_footer
from .virtual_table import VirtualTable

EXTRA_EVERYWHERE = (
    ("Tab / shift+Tab", "zum nächsten / vorigen Feld (auch zu den Auswahllisten der Projektliste)"),
    ("Esc", "zurück; schließt auch jede offene Auswahlliste"),
)

NOTES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Rollen", (
        ("ohne Konfiguration", "ohne sachstand.toml darf nur der Eigentümer der Registerdatei ändern"),
        ("nur lesen", "mit --read-only oder der Rolle Leser: Ändern ist ausgeblendet"),
    )),
    ("Status", (
        ("s … geplant", "geplante, noch nicht begonnene Projekte, nach Priorität"),
        ("s … archiviert", "archivierte Projekte; F8 stellt eines wieder her"),
    )),
    ("Kennzeichen", (
        ("Ü", "überfällig: geplantes Ende überschritten, Stand unter 100 %"),
        ("S", "stagniert: gleicher Stand unter 100 % wie im Vorjahr"),
    )),
)


def _bindings(items: Iterable[BindingType]) -> list[Binding]:
    out = []
    for item in items:
        if isinstance(item, Binding):
            out.append(item)
        else:
            out.append(Binding(*item))
    return out


def key_lines(app: App[object], bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys, what they do) for each binding with a description, keys as the footer shows them."""
    lines: list[tuple[str, str]] = []
    for binding in _bindings(bindings):
        text = binding.tooltip or binding.description
        if not text:
            continue
        keys = [k.strip() for k in binding.key.split(",")]
        if binding.key_display and len(keys) == 1:
            shown = [binding.key_display]
        else:
            shown = [app.get_key_display(replace(binding, key=k, key_display=None)) for k in keys]
        lines.append((" / ".join(shown), text))
    return lines


def sections(app: App[object]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        ("Überall", key_lines(app, app.BINDINGS) + list(EXTRA_EVERYWHERE)),
        ("Projektliste", key_lines(app, ProjectsScreen.BINDINGS) + key_lines(app, VirtualTable.BINDINGS)),
        ("Projekt", key_lines(app, ProjectScreen.BINDINGS)),
        ("Bericht (Texte)", key_lines(app, ReportTextsScreen.BINDINGS)),
        ("Übersicht", key_lines(app, DashboardScreen.BINDINGS)),
    ] + [(title, list(rows)) for title, rows in NOTES]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Schließen")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("Hilfe – Sachstand", style="bold"))
            for title, rows in sections(self.app):
                table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True,
                              title_style="bold")
                table.add_column(no_wrap=True, style="bold cyan", min_width=14)
                table.add_column(ratio=1)
                for key, text in rows:
                    table.add_row(key, text)
                yield Static(table)
        yield key_footer()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
