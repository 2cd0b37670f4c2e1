"""The projects screen's key actions: record progress, archive, export, open, jump, pick, go to the
dashboard or the report texts. The screen itself (``projects.py``) loads, filters and shows.

Rules:
- Progress of the reporting year is recorded straight from the table: p, a number, Enter, saved
  on the row's version; a stale version opens the conflict screen, never a lost update.
- A write action checks the user's right to the row's department first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable
from io import BytesIO
from pathlib import Path
from typing import cast

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Input, Select

from ..core import figures
from ..core.changes import progress_key
from ..core.errors import ConflictError, PermissionDenied, SachstandError
from ..core.models import ProjectRow, display_value
from ..core.text import safe_text
from ..core.types import format_number
from .conflict import KEEP, ConflictScreen
from .data import Saved, record_progress
from .dialogs import ConfirmDialog, ProgressDialog
from .host import SachstandScreen
from .picker import JumpDialog, Picker
from .project_table import SORT_KEYS
from .state import drop_draft, load_draft, save_view
from .virtual_table import VirtualTable

PICKER_TITLES = {"dept": "Bereich wählen", "status": "Status wählen", "year": "Berichtsjahr wählen"}
LETTER_ACTIONS = {"archive", "search", "progress", "pick", "jump", "sort", "reverse", "dashboard", "new", "reload",
                  "app.quit", "report_texts"}


class ProjectActions(SachstandScreen[None]):
    """The keys and their actions; ``ProjectsScreen`` provides the table, the rows and their loading."""

    BINDINGS = [
        Binding("slash", "search", "Suche", key_display="/",
                tooltip="suchen in ID, Name und Beschreibung (Enter, ↓ oder Esc: zurück zur Tabelle)"),
        Binding("p", "progress", "Stand", tooltip="Umsetzungsstand des Berichtsjahres erfassen: p, Zahl, Enter"),
        Binding("g,ctrl+g", "jump", "Gehe zu", show=False, tooltip="zu einer ID springen, beim Tippen"),
        Binding("b", "pick('dept')", "Bereich", show=False, tooltip="Bereich wählen (tippen grenzt ein, Enter wählt)"),
        Binding("s", "pick('status')", "Status", show=False, tooltip="Status wählen (tippen grenzt ein, Enter wählt)"),
        Binding("j", "pick('year')", "Jahr", show=False,
                tooltip="Berichtsjahr wählen (tippen grenzt ein, Enter wählt)"),
        Binding("o", "sort", "Sort", tooltip="nach der nächsten Spalte sortieren"),
        Binding("O", "reverse", "umkehren", show=False, tooltip="Sortierrichtung umkehren"),
        Binding("d", "dashboard", "Übersicht", tooltip="Übersicht mit Kennzahlen und Zeitleiste"),
        Binding("t", "report_texts", "Bericht", show=False,
                tooltip="Bericht: die Texte des Berichtsjahres (Einleitung, Sonderthema, Ausblick)"),
        Binding("n", "new", "Neu", tooltip="neues Projekt"),
        Binding("x", "export", "Export", show=False, tooltip="die gezeigten Zeilen als Excel-Datei (.xlsx) speichern"),
        Binding("r", "reload", "Laden", show=False, tooltip="neu laden"),
        Binding("f8", "archive", "Archivieren", show=False,
                tooltip="markiertes Projekt archivieren, ein archiviertes wiederherstellen (mit Rückfrage)"),
        Binding("q", "app.quit", "Beenden", tooltip="beenden (fragt bei ungespeicherten Änderungen)"),
        Binding("escape,down", "to_table", "zur Tabelle",
                tooltip="aus der Suche oder einer Auswahlliste zurück zur Tabelle"),
    ]

    year: int | None
    years: list[int]
    # provided by ``ProjectsScreen`` (the rows and their loading), typed here for the actions
    load: Callable[..., None]
    _replace_row: Callable[[str, list[ProjectRow]], bool]
    show_saved: Callable[[str, int, list[ProjectRow]], None]
    saved_row: Callable[[str, int, Saved], None]
    picked: Callable[[str], None]
    _partial: bool
    shown: list[ProjectRow]
    loaded: bool
    sort_key: str
    sort_reverse: bool

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#table", VirtualTable)

    def refresh_row(self, row_id: str, then: Callable[[ProjectRow], None] | None = None) -> None:
        """Reload one saved row with its flags, instead of all rows (one row's save changes no
        other row's flags); ``then`` gets the fresh row."""
        app = self.host
        repo, year, today = self.repo, self.year, app.today
        if year is None:  # no year loaded yet, so no row or archive to read
            return

        def work() -> list[ProjectRow]:
            return figures.project_rows(repo.db, year, as_of=figures.default_as_of(year, today), ids=[row_id])

        def done(found: list[ProjectRow]) -> None:
            if year != self.year:
                return
            if self._replace_row(row_id, found) and then is not None:
                then(found[0])

        app.call_db(work, done, node=self, group="load")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Write actions only for writers; letter keys are dimmed while typing in the search."""
        if action in ("progress", "new", "archive") and not self.host.can_write:
            return False
        typing = isinstance(self.focused, Input)
        if action == "to_table":
            return typing or isinstance(self.focused, Select)
        if action in LETTER_ACTIONS and typing:
            return None
        return True

    def action_to_table(self) -> None:
        self.table.focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_pick(self, which: str) -> None:
        """b, s, j: a picker over the dropdown's choices; typing narrows, Enter chooses."""
        select = self.query_one(f"#{which}", Select)
        choices = [(label, value) for label, value in select._options]
        if not choices:
            return
        title = PICKER_TITLES[which]

        def chosen(value: object) -> None:
            # applied here, not by the Select.Changed it would post: that message queues behind
            # the repaint of the closing picker, and a year's read can start before it
            if value is not None and value != select.value:
                with self.prevent(Select.Changed):
                    select.value = value
                self.picked(which)
            self.table.focus()

        # the selects hold str and Text labels only (``_show_loaded`` fills them)
        self.app.push_screen(Picker(title, cast("list[tuple[str | Text, Hashable]]", choices), select.value), chosen)

    def _still_loading(self) -> bool:
        """True, with a message, while only the first page of the rows is shown: a jump or an
        export would act on that page alone."""
        if self._partial:
            self.app.notify("Die Liste wird noch geladen. Bitte gleich noch einmal.", severity="warning", timeout=3)
            return True
        return False

    def action_jump(self) -> None:
        if self._still_loading():
            return

        def back(_: None) -> None:
            self.table.focus()

        self.app.push_screen(JumpDialog(self.jump_to), back)

    def jump_to(self, text: str) -> str | None:
        """Move the cursor to the first shown row whose ID starts with ``text`` (else contains it)."""
        wanted = text.strip().casefold()
        rows = self.table.rows
        index = next((i for i, r in enumerate(rows) if r.id.casefold().startswith(wanted)), None)
        if index is None:
            index = next((i for i, r in enumerate(rows) if wanted in r.id.casefold()), None)
        if index is None:
            return None
        self.table.move_to(index)
        return cast(str, rows[index].id)

    def action_reload(self) -> None:
        self.load()

    def action_dashboard(self) -> None:
        from .dashboard import DashboardScreen

        if self.year is not None:
            self.app.push_screen(DashboardScreen(self.year))

    def action_report_texts(self) -> None:
        from .report_texts import ReportTextsScreen

        self.app.push_screen(ReportTextsScreen(self.year or self.host.today.year))

    # ---- export what is shown -------------------------------------------------------------------

    def action_export(self) -> None:
        """x: the rows shown (filter, search, sort) into an .xlsx, by the writer of ``export
        register``, through the output guard; an existing workbook is overwritten only after asking."""
        from .dialogs import FileNameDialog

        if self.year is None or self._still_loading():
            return
        if self.host.export_rows is None:
            self.app.notify("Export ist hier nicht verfügbar.", severity="warning", timeout=4)
            return
        ids = [r.id for r in self.shown]
        default = str(Path.cwd() / f"sachstand-{self.year}-auswahl.xlsx")
        title = Text(f"{format_number(len(ids))} gezeigte Projekte als Excel-Datei speichern", style="bold")
        self.app.push_screen(FileNameDialog(title, default),
                             lambda name: self._export(name, ids) if name else None)

    def _export(self, name: str, ids: list[str], force: bool = False) -> None:
        from ..core.output import XLSX, is_kind

        path = Path(name).expanduser()
        if not force and path.is_file() and is_kind(path, XLSX):
            question = Text(f"{safe_text(name)} gibt es schon. Überschreiben?", style="bold")
            self.app.push_screen(ConfirmDialog(question),
                                 lambda yes: self._export(name, ids, force=True) if yes else None)
            return
        repo, year, export_rows = self.repo, self.year, self.host.export_rows
        if year is None or export_rows is None:
            return

        def work() -> int:
            from ..core.output import check_output, write_output

            target = check_output(path, XLSX, repo.db.path, force)
            buffer = BytesIO()
            count = export_rows(repo, buffer, year, ids)
            write_output(target, buffer.getvalue())
            return count

        def done(count: int) -> None:
            self.app.notify(safe_text(f"{format_number(count)} Projekte geschrieben: {name}"), timeout=6, markup=False)

        self.host.call_db(work, done, node=self, group="export")

    # ---- the view as last left, and a draft kept at a hang-up ------------------------------------

    def _restore_view(self) -> str | None:
        """Filters and sort as last left (only values the register still offers); returns the last
        project's ID, which ``set_rows`` takes only if that project is still shown."""
        view = self.host.view
        with self.prevent(Select.Changed):
            for which in ("dept", "status"):
                select = self.query_one(f"#{which}", Select)
                if view.get(which) in {value for _label, value in select._options}:
                    select.value = view[which]
        if view.get("sort_key") in SORT_KEYS:
            self.sort_key = view["sort_key"]
            self.sort_reverse = bool(view.get("sort_reverse"))
        return view.get("project")

    def current_view(self) -> dict[str, object]:
        view: dict[str, object] = {
            "dept": self.query_one("#dept", Select).value, "status": self.query_one("#status", Select).value,
            "sort_key": self.sort_key, "sort_reverse": self.sort_reverse,
        }
        if self.year is not None:
            view["year"] = self.year
        if self.table.current is not None:
            view["project"] = self.table.current.id
        return view

    def remember(self) -> None:
        """Keep the view for the next start (written only when it changed)."""
        app = self.host
        if not self.loaded or app.repo is None:
            return
        view = self.current_view()
        if view != app.view:
            app.view = view
            save_view(app.repo.db.path, view)

    def _offer_draft(self) -> None:
        """An edit kept at a hang-up: offer to restore it (n drops it)."""
        app = self.host
        repo = app.repo
        if repo is None or not app.can_write:
            return
        draft = load_draft(repo.db.path)
        if draft is None:
            return
        question = Text("Ungespeicherter Entwurf gefunden\n", style="bold")
        what = f"Projekt {draft.project_id}" if draft.project_id else "neues Projekt"
        question.append(f"{what}, Stand {draft.saved_display}: {len(draft.texts)} geänderte(s) Feld(er).\n")
        question.append("j stellt ihn wieder her, n verwirft ihn.", style="dim")

        def answer(yes: bool | None) -> None:
            if not yes:
                drop_draft(repo.db.path)
                return
            from .project import ProjectScreen

            keep = draft.project_id
            self.app.push_screen(ProjectScreen(draft.project_id, draft.year, draft=draft),
                            lambda changed: self.load(keep_id=keep) if changed else None)

        self.app.push_screen(ConfirmDialog(question), answer)

    # ---- open, new, progress, archive -----------------------------------------------------------

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        self._open(event.row)

    def _open(self, row: ProjectRow) -> None:
        from .project import ProjectScreen

        self.app.push_screen(ProjectScreen(row.id, self.year or self.host.today.year),
                             lambda changed: self.load(keep_id=row.id) if changed else None)

    def action_new(self) -> None:
        from .project import ProjectScreen

        self.app.push_screen(ProjectScreen(None, self.year or self.host.today.year),
                             lambda changed: self.load() if changed else None)

    def _refused(self, department: str, action: str) -> bool:
        """True when this user may not do ``action`` in ``department``; shows the actor's own
        refusal (``Actor.require_write``), the same message the core gives."""
        if self.host.can_write_department(department):
            return False
        try:
            self.repo.actor.require_write(department, action)
        except PermissionDenied as exc:
            self.host.show_error(exc)
        return True

    def action_progress(self) -> None:
        row = self.table.selected()
        if row is None or self.year is None or self._refused(row.department, "Umsetzungsstand erfassen"):
            return
        self._ask_progress(row, self.year, row.current)

    def _ask_progress(self, row: ProjectRow, year: int, value: int | None) -> None:
        """The quick-entry dialog for ``row``, starting with ``value``; Enter saves on the row's version."""
        title = Text(f"Umsetzungsstand {year} für {row.id}\n", style="bold")
        title.append_text(Text(safe_text(row.name)))
        self.app.push_screen(ProgressDialog(title, value),
                             lambda value: self._record(row, year, value, row.version) if value is not None else None)

    def action_archive(self) -> None:
        """F8: archive the highlighted project, or restore it if it is archived; after asking."""
        row = self.table.selected()
        if row is None or self._refused(row.department, "Projekte archivieren"):
            return
        restore = row.archived
        question = Text(f"Projekt {row.id} {'wiederherstellen' if restore else 'archivieren'}?\n", style="bold")
        question.append_text(Text(safe_text(row.name)))
        question.append("\nEs erscheint wieder in Liste und Bericht." if restore else
                        "\nEs verschwindet aus Liste und Bericht; die Daten bleiben erhalten.", style="dim")
        repo = self.repo

        def done(_: object) -> None:
            self.app.notify(f"{row.id} {'wiederhergestellt' if restore else 'archiviert'}.", timeout=4)
            self.load()

        def failed(exc: SachstandError) -> None:
            self.host.show_error(exc)
            self.load(keep_id=row.id)

        def answer(yes: bool | None) -> None:
            if yes:
                self.host.call_db(lambda: repo.archive(row.id, row.version, archived=not restore),
                                  done, failed, node=self, group="write")

        self.app.push_screen(ConfirmDialog(question), answer)

    def _record(self, row: ProjectRow, year: int, percent: int, version: int) -> None:
        repo = self.repo

        def committed(rows: list[ProjectRow]) -> None:  # in the worker: the row shows while the file is closed
            with contextlib.suppress(RuntimeError):  # the app has gone meanwhile
                self.app.call_from_thread(self.show_saved, row.id, year, rows)

        def done(saved: Saved) -> None:
            self.app.notify(f"{row.id}: Umsetzungsstand {year} = {percent} % gespeichert", timeout=4)
            self.saved_row(row.id, year, saved)

        def failed(exc: SachstandError) -> None:
            if isinstance(exc, ConflictError):
                def decide(choice: str | None) -> None:
                    if choice == KEEP:  # as the screen says: reload, my value stays, save again
                        self.refresh_row(row.id, then=lambda fresh: self._ask_progress(fresh, year, percent))
                    else:
                        self.load(keep_id=row.id)
                base = {progress_key(year): display_value(row.current)}
                self.app.push_screen(ConflictScreen(exc, base), decide)
            else:
                self.host.show_error(exc)
                self.load(keep_id=row.id)

        today = self.host.today
        self.host.call_db(lambda: record_progress(repo, row.id, year, percent, version, today, committed), done,
                          failed, node=self, group="write")
