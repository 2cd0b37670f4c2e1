"""The "Bericht" screen: the year's report texts (Einleitung, free section, Ausblick), edited.

Rules:
- One tab per section (``core.report_content.TEXT_SECTIONS``), each with its heading and a
  multi-line editor for its Markdown (paragraphs, "- " lists, "### " sub-headings).
- ctrl+s (or F2) saves every changed section in one transaction, each based on the version it
  was loaded at; a section someone else saved meanwhile is a conflict, shown as for a project
  (keep mine on top of the fresh versions, or take theirs). Nothing is lost either way.
- A published year's texts are shown as published and cannot be changed; so is everything for
  viewers, ``--read-only`` and anyone but an Administrator (texts are the Administrator's).
- Unsaved edits are guarded like a project's (``app.HoldsEdits``): ctrl+q, the palette's quit and
  SIGTERM ask first.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static, TabbedContent, TabPane, TextArea

from ..core.errors import ConflictError, SachstandError
from ..core.report_content import TEXT_SECTIONS, PublishedInfo, TextSection, report_content, save_texts, texts
from .conflict import KEEP, RELOAD, ConflictScreen
from .dialogs import ConfirmDialog
from .host import SachstandScreen
from .text import key_footer

TAB_LABELS = {"einleitung": "Einleitung", "sonderthema": "Sonderthema", "ausblick": "Ausblick"}
Loaded = tuple[tuple[TextSection, ...], PublishedInfo | None]


def load_texts(repo, year: int) -> Loaded:
    """The year's sections, as published for a published year."""
    pub = repo.publication(year)
    if pub is not None:
        content = report_content(repo, year)
        return content.texts, content.published
    return texts(repo, year), None


class ReportTextsScreen(SachstandScreen[None]):
    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Speichern"),
        Binding("escape", "leave", "Zurück"),
        Binding("ctrl+r", "reload", "Neu laden"),
        Binding("f4", "next_section", "Abschnitt"),
    ]

    def __init__(self, year: int) -> None:
        super().__init__()
        self.year = year
        self.sections: tuple[TextSection, ...] = ()
        self.published: PublishedInfo | None = None
        self.ready = False
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Sachstand – Bericht {self.year}: Texte", style="bold"), id="title", classes="title")
        yield Static(Text("Lädt …", style="dim"), id="state", classes="status-line")
        with TabbedContent(id="sections"):
            for key, _title in TEXT_SECTIONS:
                with TabPane(TAB_LABELS[key], id=f"tab-{key}"):
                    yield Input(id=f"title-{key}", placeholder="Überschrift", compact=True)
                    yield TextArea(id=f"text-{key}", soft_wrap=True, show_line_numbers=False,
                                   tab_behavior="focus")
        yield key_footer()

    def on_mount(self) -> None:
        self.load()

    @property
    def editable(self) -> bool:
        app = self.host
        repo = self.repo
        return (self.ready and self.published is None and not app.read_only
                and repo.actor.role == "admin")

    # ---- loading --------------------------------------------------------------------------------

    def load(self, keep_mine: bool = False) -> None:
        """Load the sections; with ``keep_mine`` the edited text stays and only versions move on."""
        repo, year = self.repo, self.year
        mine = self.edited() if keep_mine else {}

        def done(loaded: Loaded) -> None:
            self.sections, self.published = loaded
            for s in self.sections:
                title, text = mine.get(s.key, (s.title, s.markdown))
                self.query_one(f"#title-{s.key}", Input).value = title
                area = self.query_one(f"#text-{s.key}", TextArea)
                where = area.cursor_location  # a reload after a save keeps the cursor where it was
                area.load_text(text)
                area.move_cursor(where)
            self.ready = True
            editable = self.editable
            for s in self.sections:
                self.query_one(f"#title-{s.key}", Input).disabled = not editable
                self.query_one(f"#text-{s.key}", TextArea).read_only = not editable
            self._show_state()
            self.refresh_bindings()
            self.query_one(f"#text-{TEXT_SECTIONS[0][0]}", TextArea).focus()

        self.host.call_db(lambda: load_texts(repo, year), done, node=self, group="load")

    def _show_state(self) -> None:
        if self.published is not None:
            text = Text(f"Veröffentlicht am {self.published.at:%d.%m.%Y} von {self.published.by} – nur lesen",
                        style="bold yellow")
        elif not self.editable:
            text = Text("Nur lesen: Berichtstexte ändert ein Administrator.", style="bold yellow")
        else:
            stored = sum(1 for s in self.sections if s.version)
            text = Text(f"{stored}/{len(self.sections)} gespeichert · Markdown: Absätze, „- “ Liste, "
                        "„### “ Zwischentitel", style="dim")  # fits 80 columns
        self.query_one("#state", Static).update(text)

    # ---- editing --------------------------------------------------------------------------------

    def edited(self) -> dict[str, tuple[str, str]]:
        """The sections whose heading or text differ from what was loaded: key -> (title, text)."""
        out = {}
        for s in self.sections:
            title = self.query_one(f"#title-{s.key}", Input).value
            text = self.query_one(f"#text-{s.key}", TextArea).text
            if (title, text) != (s.title, s.markdown):
                out[s.key] = (title, text)
        return out

    @property
    def dirty(self) -> bool:
        return self.ready and bool(self.edited())

    def unsaved_draft(self) -> None:
        """No draft is kept for report texts: a hang-up loses them (quitting asks first)."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.editable
        return True

    def action_save(self) -> None:
        if not self.editable or self.busy:
            return
        edited = self.edited()
        if not edited:
            self.app.notify("Keine Änderungen zu speichern.", timeout=3)
            return
        changed = [TextSection(s.key, *edited[s.key], s.version) for s in self.sections if s.key in edited]
        repo, year = self.repo, self.year
        self.busy = True

        def done(count: int) -> None:
            self.busy = False
            self.app.notify(f"{count} Abschnitt(e) für {year} gespeichert.", timeout=4)
            self.load()

        def failed(exc: SachstandError) -> None:
            self.busy = False
            if isinstance(exc, ConflictError):
                self.app.push_screen(ConflictScreen(exc), self._after_conflict)
            else:
                self.host.show_error(exc)

        self.host.call_db(lambda: save_texts(repo, year, changed), done, failed,
                          node=self, group="write")

    def _after_conflict(self, choice: str | None) -> None:
        if choice == KEEP:
            self.load(keep_mine=True)
        elif choice == RELOAD:
            self.load()

    def action_next_section(self) -> None:
        """The next section's tab, with the cursor in its text."""
        keys = [k for k, _t in TEXT_SECTIONS]
        tabs = self.query_one(TabbedContent)
        current = (tabs.active or f"tab-{keys[0]}").removeprefix("tab-")
        key = keys[(keys.index(current) + 1) % len(keys)]
        tabs.active = f"tab-{key}"
        self.query_one(f"#text-{key}", TextArea).focus()

    def action_reload(self) -> None:
        if self.dirty:
            self._ask(Text("Ungespeicherte Änderungen verwerfen und neu laden?"), self.load)
        else:
            self.load()

    def action_leave(self) -> None:
        if self.dirty:
            self._ask(Text("Ungespeicherte Änderungen verwerfen?"), lambda: self.dismiss(None))
        else:
            self.dismiss(None)

    def _ask(self, question: Text, then: Callable[[], object]) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmDialog(question), answer)
