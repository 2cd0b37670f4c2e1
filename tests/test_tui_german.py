"""German throughout: no English word of Textual's reaches the screen.

The English vocabulary is taken from Textual itself (every string literal in its package that is
not a docstring), so a new English string in a Textual update is caught too. What is visible on
each screen, the palette, the open dropdown, the dialogs and the toasts is scanned; only words in
``ALLOWED`` (German words or key names that happen to be English too) may match.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import textual
from textual.app import App
from tui_helpers import make_app, settle, started, sync, type_text

from sachstand.tui.commands import ScreenActions
from sachstand.tui.help import HelpScreen, sections
from sachstand.tui.project import ProjectScreen

WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{2,}")

ALLOWED = {
    # German words that are English words too, and names of keys
    "in", "an", "so", "die", "am", "um", "es", "man", "will", "war", "also", "bei", "hat", "oder", "ob",
    "name", "status", "ende", "enter", "esc", "tab", "shift", "ctrl", "end", "home", "pos", "alle",
    "id", "svg", "bild", "plan", "sort", "top", "mit", "von", "zu", "der", "den", "des", "du", "ja",
    "nein", "da", "was", "wer", "stand", "fest", "hier", "hin", "ist", "rest", "art", "neu", "kann",
    "fb", "it", "uhr", "gut", "tag", "null", "total", "list", "her", "bereich", "bund", "land", "mark", "version",
}


@functools.cache
def textual_english() -> frozenset[str]:
    """Words of every non-docstring string literal in Textual's source."""
    words: set[str] = set()
    for path in Path(textual.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    docstrings.add(id(first.value))
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # attribute docstrings
                docstrings.add(id(node.value))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and (" " in node.value.strip() or node.value[:1].isupper())
            ):
                words.update(w.casefold() for w in WORD.findall(node.value))
    return frozenset(words)


def visible_text(app: App[object]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


TECHNICAL = re.compile(r"--[a-z][a-z-]*|\S+\.(toml|svg|xlsx|duckdb)\b")
"""CLI flags and file names are English by the project's rules: not scanned."""


def english_words(text: str, data: frozenset[str] = frozenset()) -> set[str]:
    vocabulary = textual_english()
    words = (m.casefold() for m in WORD.findall(TECHNICAL.sub(" ", text)))
    return {w for w in words if w in vocabulary and w not in ALLOWED and w not in data}


def data_words(path: Path) -> frozenset[str]:
    """Words of the register's own data (IDs, names, descriptions): user text, not the UI's."""
    from sachstand.core import open_register

    repo = open_register(path)
    projects = repo.projects()
    text = " ".join(f"{p.id} {p.department} {p.name} {p.description} {p.cost_note}" for p in projects)
    text += " " + " ".join(a.os_user for p in projects for a in repo.audit_for(p.id))  # who changed what
    return frozenset(w.casefold() for w in WORD.findall(text))


def test_the_vocabulary_knows_textuals_english() -> None:
    """The check can fail: Textual's own strings are in the vocabulary."""
    found = english_words("Search for commands… Dismiss menu Do you want to quit? Press q to quit the app "
                          "Quit the application as soon as possible Theme Maximize Screenshot Keys No matches found")
    assert {"search", "commands", "dismiss", "menu", "quit", "theme", "maximize", "screenshot", "keys",
            "matches", "found", "press", "want"} <= found


@sync
async def test_no_english_on_any_screen_dialog_palette_or_toast(sample_path: Path) -> None:
    app = make_app(sample_path)
    seen: dict[str, set[str]] = {}

    data = data_words(sample_path)

    def scan(where: str) -> None:
        seen[where] = english_words(visible_text(app), data)

    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        scan("Projektliste")
        await pilot.press("ctrl+c")
        await settle(pilot)
        scan("ctrl+c")
        await pilot.press("slash")
        scan("Suche")
        await pilot.press("tab")  # the department dropdown
        await pilot.press("enter")
        await settle(pilot)
        scan("Auswahlliste offen")
        await pilot.press("escape", "escape")
        await settle(pilot)
        app.screen.query_one("#table").focus()
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.pause(0.3)
        scan("Befehle")
        await type_text(pilot, "zzqx")
        await pilot.pause(0.8)
        scan("Befehle ohne Treffer")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        all_help = " ".join(f"{k} {t}" for _title, rows in sections(app) for k, t in rows)
        seen["Hilfe (ganz)"] = english_words(all_help)
        scan("Hilfe")
        await pilot.press("escape")
        await pilot.press("p")
        await settle(pilot)
        scan("Stand-Dialog")
        await pilot.press("escape", "f8")
        await settle(pilot)
        scan("Archiv-Frage")
        await pilot.press("escape", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectScreen)
        scan("Projekt")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.pause(0.3)
        scan("Befehle im Projekt")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        scan("Übersicht")
    assert all(not words for words in seen.values()), sorted((k, sorted(v)) for k, v in seen.items() if v)


@sync
async def test_palette_entries_have_distinct_german_names(sample_path: Path) -> None:
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        for screen_key in (None, "enter"):
            if screen_key:
                await pilot.press(screen_key)
                await settle(pilot)
            provider = ScreenActions(app.screen)
            names = [label for label, *_ in provider._actions()]
            names += [c.title for c in app.get_system_commands(app.screen)]
            assert len(names) == len(set(names)), names
            assert "Beenden" in names and "Hilfe" in names
            assert not english_words(" ".join(names)), names
            for command in app.get_system_commands(app.screen):
                assert not english_words(command.help), command.help


@sync
async def test_help_lists_every_binding_of_the_projects_screen(sample_path: Path) -> None:
    from sachstand.tui.projects import ProjectsScreen

    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        texts = {t for _title, rows in sections(app) for _k, t in rows}
        for binding in ProjectsScreen.BINDINGS:
            assert (binding.tooltip or binding.description) in texts, binding
