"""The help screen: what the screens are for and which keys they take."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .text import key_footer

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Überall", (
        ("F1 oder ?", "diese Hilfe"),
        ("ctrl+p", "Befehle suchen und ausführen"),
        ("Tab / shift+Tab", "zum nächsten / vorigen Feld"),
        ("Esc", "zurück"),
        ("ctrl+q", "beenden"),
    )),
    ("Projektliste", (
        ("/", "suchen in Name und Beschreibung (Enter, ↓ oder Esc: zurück zur Tabelle)"),
        ("↑ ↓ Bild↑ Bild↓ Pos1 Ende", "in der Tabelle bewegen"),
        ("Enter", "Projekt öffnen"),
        ("p", "Umsetzungsstand des Berichtsjahres erfassen: p, Zahl, Enter"),
        ("b / s / j", "Bereich / Status / Berichtsjahr weiterschalten"),
        ("o / O", "nach der nächsten Spalte sortieren / Richtung umkehren"),
        ("n", "neues Projekt"),
        ("d", "Übersicht mit Kennzahlen und Zeitleiste"),
        ("t", "Bericht: die Texte des Berichtsjahres (Einleitung, Sonderthema, Ausblick)"),
        ("s … geplant", "geplante, noch nicht begonnene Projekte, nach Priorität"),
        ("r", "neu laden"),
    )),
    ("Projekt", (
        ("ctrl+s oder F2", "speichern"),
        ("Esc", "zurück (fragt bei ungespeicherten Änderungen)"),
        ("ctrl+r", "neu laden"),
        ("F8", "archivieren (mit Rückfrage)"),
    )),
    ("Bericht (Texte)", (
        ("F4", "nächster Abschnitt (Einleitung, Sonderthema, Ausblick)"),
        ("Tab / shift+Tab", "zwischen Reitern, Überschrift und Text"),
        ("ctrl+s oder F2", "alle geänderten Abschnitte speichern"),
        ("Esc", "zurück (fragt bei ungespeicherten Änderungen)"),
        ("ctrl+r", "neu laden"),
    )),
    ("Übersicht", (
        ("j", "Berichtsjahr weiterschalten"),
        ("Esc", "zurück zur Projektliste"),
    )),
    ("Rollen", (
        ("ohne Konfiguration", "ohne sachstand.toml darf nur der Eigentümer der Registerdatei ändern"),
        ("nur lesen", "mit --read-only oder der Rolle Leser: Ändern ist ausgeblendet"),
    )),
    ("Kennzeichen", (
        ("Ü", "überfällig: geplantes Ende überschritten, Stand unter 100 %"),
        ("S", "stagniert: gleicher Stand unter 100 % wie im Vorjahr"),
    )),
)

class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Schließen")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("Hilfe – Sachstand", style="bold"))
            for title, rows in KEYS:
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
