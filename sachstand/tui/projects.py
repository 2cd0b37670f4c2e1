"""The projects screen: the register's projects for a reporting year, searched, filtered, sorted.

Rules:
- Rows and their flags (overdue, stalled, completed, at least 90 %) come from
  ``core.figures.project_rows``: the projects *open in* the year, as in the report. Nothing here
  recomputes a rule; filters only pick rows by those flags.
- Search, department and status filters and sorting run in Python over the loaded list, so a
  keystroke costs the same at 58 and at 25,000 projects. Only a year switch or a save reloads.
- Progress of the reporting year is recorded straight from the table: p, a number, Enter.
- Planned projects (not started, with a priority) belong to no year: they are listed only with
  the status filter "geplant", by priority.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import cast

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from ..core import figures
from ..core.changes import progress_key
from ..core.errors import ConflictError, PermissionDenied, SachstandError
from ..core.models import ProjectRow, display_value
from ..core.text import safe_text
from ..core.types import format_number
from .conflict import KEEP, ConflictScreen
from .data import ChangeStamp, YearRows, change_stamp, load_year, record_progress
from .dialogs import ConfirmDialog, ProgressDialog
from .german import GermanSelect
from .host import SachstandScreen
from .picker import JumpDialog, Picker
from .state import drop_draft, load_draft, save_view
from .text import key_footer, percent_cell
from .virtual_table import Cell, Column, VirtualTable

ALL = "__all__"
POLL_SECONDS = 3.0
"""How often the list looks for another process's change (a ``stat``, nothing read)."""
REMEMBER_SECONDS = 2.0
"""How often the list's view (year, filters, sort, project) is written if it changed."""
PICKER_TITLES = {"dept": "Bereich wählen", "status": "Status wählen", "year": "Berichtsjahr wählen"}
LETTER_ACTIONS = {"archive", "search", "progress", "pick", "jump", "sort", "reverse", "dashboard", "new", "reload",
                  "app.quit", "report_texts"}

STATUSES: dict[str, str] = {
    "alle": "alle",
    "offen": "offen",
    "abgeschlossen": "abgeschlossen",
    "ab90": "≥ 90 %",
    "ueberfaellig": "überfällig",
    "stagniert": "stagniert",
    "geplant": "geplant",
    "archiviert": "archiviert",
}
ARCHIVED = "archiviert"  # the one status whose rows are not the year's rows but the archived ones

STATUS_TEST = {
    "alle": lambda r: True,
    "offen": lambda r: not r.completed,
    "abgeschlossen": lambda r: r.completed,
    "ab90": lambda r: r.at_least_90,
    "ueberfaellig": lambda r: r.overdue,
    "stagniert": lambda r: r.stalled,
    "geplant": lambda r: r.planned,
    "archiviert": lambda r: r.archived,
}

DEFAULT_SORT = "department"  # the order of ``figures.project_rows``: department, name, id
SORT_KEYS = {
    "id": lambda r: r.id,
    "department": lambda r: (r.department.casefold(), r.name.casefold()),
    "name": lambda r: (r.name.casefold(), r.id),
    "previous": lambda r: (-1 if r.previous is None else r.previous, r.name.casefold()),
    "current": lambda r: (-1 if r.current is None else r.current, r.name.casefold()),
    "end": lambda r: (r.end.last_day if r.end else date.max, r.name.casefold()),
    "flags": lambda r: (2 * r.overdue + r.stalled, r.name.casefold()),
}


# The flags carry their own foreground and background, so no row style (the cursor's either)
# changes them: white on dark red, black on yellow, chosen so that the 256- and 16-colour
# downgrades land on the same pairs. Reverse video draws them (``color`` is the background shown),
# so with NO_COLOR, where colours go, the letter still stands out as a block; bold as well.
OVERDUE_STYLE = Style(color="#a00000", bgcolor="#ffffff", bold=True, reverse=True)
STALLED_STYLE = Style(color="#ffd700", bgcolor="#000000", bold=True, reverse=True)


def flags_cell(row: ProjectRow) -> Text:
    if row.planned:
        return Text(str(row.priority)[:2], style="bold cyan")
    out = Text()
    out.append("Ü" if row.overdue else " ", style=OVERDUE_STYLE if row.overdue else "")
    out.append("S" if row.stalled else " ", style=STALLED_STYLE if row.stalled else "")
    return out


def render_row(row: ProjectRow) -> list[Cell]:
    return [
        row.id,
        Text(safe_text(row.department)),
        Text(safe_text(row.name)),
        percent_cell(row.previous),
        percent_cell(row.current),
        safe_text(row.end_display) or "–",
        flags_cell(row),
    ]


class ProjectsScreen(SachstandScreen[None]):
    """The start screen. ``self.all_rows`` holds the year's rows, ``self.shown`` the filtered ones."""

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

    def __init__(self) -> None:
        super().__init__()
        self.year: int | None = None
        self.years: list[int] = []
        self.all_rows: list[ProjectRow] = []
        self.planned_rows: list[ProjectRow] = []
        self.shown: list[ProjectRow] = []
        self.haystack: dict[str, str] = {}
        self.sort_key = DEFAULT_SORT
        self.sort_reverse = False
        self.loaded = False
        self._load_generation = 0
        self._filling = False
        self._last_filter: tuple[str, object, object, list[ProjectRow]] | None = None
        self.archived_rows: list[ProjectRow] | None = None  # read when the filter "archiviert" is chosen
        self._stamp: ChangeStamp | None = None  # the register's change stamp when the rows were read

    # ---- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        with Horizontal(id="toolbar"):
            yield Static(Text("/", style="bold"), classes="key-hint")
            yield Input(placeholder="ID, Name, Beschreibung …", id="search", compact=True)
            yield Static(Text("b", style="bold"), classes="key-hint")
            yield GermanSelect([("alle Bereiche", ALL)], value=ALL, allow_blank=False, id="dept", compact=True)
            yield Static(Text("s", style="bold"), classes="key-hint")
            yield GermanSelect([(label, key) for key, label in STATUSES.items()], value="alle", allow_blank=False,
                         id="status", compact=True)
            yield Static(Text("j", style="bold"), classes="key-hint")
            yield GermanSelect([("–", 0)], value=0, allow_blank=False, id="year", compact=True)
        yield VirtualTable(self._columns(8, 9, 2019, 2020), render_row, empty_text="Lädt …",
                           nothing_selected="Kein Projekt ausgewählt: die Liste ist leer.",
                           row_key=lambda r: r.id, id="table")
        yield Static(id="count", classes="status-line")
        yield key_footer()

    def _columns(self, id_width: int, dept_width: int, previous: int, current: int) -> list[Column]:
        return [
            Column("id", "ID", id_width),
            Column("department", "Bereich", dept_width, min_width=5),
            Column("name", "Name", None, min_width=10),
            Column("previous", str(previous), 10, min_width=5),
            Column("current", str(current), 10, min_width=5),
            Column("end", "Ende", 10, min_width=7),
            Column("flags", "ÜS", 2),
        ]

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#table", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.year = self.host.year
        self._update_title()
        self.load()
        self.set_interval(POLL_SECONDS, self._poll)
        self.set_interval(REMEMBER_SECONDS, self.remember)

    def _current_stamp(self) -> ChangeStamp | None:
        repo = self.repo
        return change_stamp(repo.db.path) if repo is not None else None

    def _poll(self) -> None:
        """Another process changed the register: reload the rows in place, the cursor kept on its
        project (``VirtualTable.set_rows``). Only while this screen is shown and idle."""
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return
        if self.app.screen is not self or not self.loaded or any(
                not w.is_finished for w in self.workers):
            return  # looked at again at the next tick
        self.load()

    def _update_title(self) -> None:
        app = self.host
        repo = app.repo
        title = Text("Sachstand – Projekte", style="bold")
        if self.year:
            title.append(f" {self.year}", style="bold")
        if repo is not None:
            title.append("   ")
            title.append_text(Text(safe_text(repo.actor.describe), style="dim"))
            if not app.can_write:
                title.append("  nur lesen", style="bold yellow")
            if repo.actor.notice:  # no role config: the register's owner is admin (core.access)
                title.append("  ohne Rollen-Konfiguration", style="dim")
        self.query_one("#title", Static).update(title)

    # ---- loading --------------------------------------------------------------------------------

    def load(self, keep_id: str | None = None) -> None:
        """Load the rows of ``self.year`` (or the latest year with data) in a thread."""
        app = self.host
        repo = self.repo
        wanted = self.year
        today = app.today
        self._load_generation += 1
        generation = self._load_generation
        self._stamp = self._current_stamp()  # taken before the read: a later change is seen next tick

        prefetched = app.take_prefetch() if not self.loaded else None

        def work() -> YearRows:
            if prefetched is not None:
                return prefetched.result()
            return load_year(repo, wanted, today)

        def done(result: YearRows) -> None:
            if generation == self._load_generation:
                self._show_loaded(*result, keep_id=keep_id)

        app.call_db(work, done, self._load_failed, node=self, group="load")

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

        app.call_db(work, done, self._load_failed, node=self, group="load")

    def _replace_row(self, row_id: str, found: list[ProjectRow]) -> bool:
        """Show the reloaded ``found`` row in place of ``row_id``; if it is gone, all rows reload
        and the answer is False."""
        index = next((i for i, r in enumerate(self.all_rows) if r.id == row_id), None)
        if index is None or not found:
            self.load(keep_id=row_id)
            return False
        old, self.all_rows[index] = self.all_rows[index], found[0]
        self.haystack[row_id] = f"{row_id} {found[0].name} {found[0].description}".casefold()
        key = SORT_KEYS[self.sort_key]
        if key(old) != key(found[0]):
            self._sort_all()
        self._last_filter = None  # the kept result holds the old row
        self.apply_filter(keep_id=row_id)
        return True

    def _load_failed(self, exc: SachstandError) -> None:
        if self.loaded:
            self.host.show_error(exc)
        else:  # nothing to show: the app's message screen takes over (in place of this screen)
            self.host.show_fatal(exc, replace=self.app.screen is self)

    def _show_loaded(self, year: int, years: list[int], departments: list[str], rows: list[ProjectRow],
                     keep_id: str | None = None) -> None:
        self.year, self.years = year, years
        self.all_rows = [r for r in rows if not r.planned]
        self.planned_rows = sorted((r for r in rows if r.planned), key=lambda r: (r.priority, r.name.casefold()))
        self.archived_rows = None
        self.haystack = {r.id: f"{r.id} {r.name} {r.description}".casefold() for r in rows}
        id_width = max((len(r.id) for r in rows), default=8)
        dept_width = min(max((len(r.department) for r in rows), default=9), 10)
        self.table.columns = self._columns(max(id_width, 4), max(dept_width, 9), year - 1, year)
        self.table.empty_text = "Keine Projekte für diese Auswahl"
        self._filling = True
        with self.prevent(Select.Changed):
            dept = self.query_one("#dept", Select)
            old = dept.value
            dept.set_options([("alle Bereiche", ALL)] + [(Text(safe_text(d)), d) for d in departments])
            dept.value = old if old in departments else ALL
            year_select = self.query_one("#year", Select)
            # the year after the last one with data is offered too: that is where next year's values go
            choices = sorted(set(years) | {year, (max(years) + 1) if years else year})
            year_select.set_options([(str(y), y) for y in choices])
            year_select.value = year
        self._filling = False
        if not self.loaded:
            keep_id = keep_id or self._restore_view()
        self._sort_all(loaded=True)
        self.apply_filter(keep_id=keep_id)
        self._update_title()
        if not self.loaded:
            self.loaded = True
            self.call_after_refresh(self.host.rows_shown.set)
            self.call_after_refresh(self._offer_draft)

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

    # ---- filter and sort ------------------------------------------------------------------------

    def _sort_all(self, loaded: bool = False) -> None:
        """Sort the year's rows; rows just loaded already come in the default order."""
        self._last_filter = None
        if not (loaded and self.sort_key == DEFAULT_SORT and not self.sort_reverse):
            self.all_rows.sort(key=SORT_KEYS[self.sort_key], reverse=self.sort_reverse)
        if self.archived_rows:
            self.archived_rows.sort(key=SORT_KEYS[self.sort_key], reverse=self.sort_reverse)
        self.table.header_marks = {self.sort_key: " ↓" if self.sort_reverse else " ↑"}

    def _load_archived(self) -> None:
        """The archived projects with their values for the year (only when asked for: few rows)."""
        app = self.host
        repo, year, today = self.repo, self.year, app.today
        if year is None:  # no year loaded yet, so no row or archive to read
            return

        def work() -> list[ProjectRow]:
            return figures.project_rows(repo.db, year, as_of=figures.default_as_of(year, today), archived=True)

        def done(rows: list[ProjectRow]) -> None:
            if year == self.year:
                self.archived_rows = rows
                for r in rows:
                    self.haystack[r.id] = f"{r.id} {r.name} {r.description}".casefold()
                self._sort_all()
                self.apply_filter()

        app.call_db(work, done, self._load_failed, node=self, group="load")

    @property
    def year_rows(self) -> list[ProjectRow]:
        """The rows the filters pick from: the year's, or the archived ones."""
        status = self.query_one("#status", Select).value
        if status == ARCHIVED:
            return self.archived_rows or []
        if status == "geplant":
            return self.planned_rows
        return self.all_rows

    def apply_filter(self, keep_id: str | None = None) -> None:
        """Pick the rows matching search, department and status; the list keeps the sort order."""
        query = self.query_one("#search", Input).value.strip().casefold()
        dept = self.query_one("#dept", Select).value
        status_test = STATUS_TEST[str(self.query_one("#status", Select).value)]
        status = self.query_one("#status", Select).value
        if status == ARCHIVED and self.archived_rows is None:
            self._load_archived()
        source = self.year_rows
        base = source
        last = self._last_filter
        if last is not None and last[1:3] == (dept, status) and query.startswith(last[0]):
            base = last[3]  # typing on narrows the previous result: no need to scan every row
        rows = base
        if query:
            hay = self.haystack
            rows = [r for r in rows if query in hay[r.id]]
        if dept != ALL and base is source:
            rows = [r for r in rows if r.department == dept]
        if status not in ("alle", "geplant") and base is source:
            rows = [r for r in rows if status_test(r)]
        self.shown = rows if rows is not source else list(rows)
        self._last_filter = (query, dept, status, self.shown)
        self.table.set_rows(self.shown, keep=keep_id)
        self._update_count()

    def _update_count(self) -> None:
        archived = self.query_one("#status", Select).value == ARCHIVED
        total = len(self.archived_rows or []) if archived else len(self.all_rows)
        if archived:
            word = "archivierten Projekt" if total == 1 else "archivierten Projekten"
        else:
            word = "Projekt" if total == 1 else "Projekten"
        text = Text(f"{format_number(len(self.shown))} von {format_number(total)} {word}", style="bold")
        text.append(f"  ·  Berichtsjahr {self.year}" if self.year else "")
        text.append("  ·  Ü überfällig, S stagniert", style="dim")
        self.query_one("#count", Static).update(text)

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        if self.loaded:
            self.apply_filter()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    @on(Select.Changed, "#dept")
    @on(Select.Changed, "#status")
    def _filter_changed(self) -> None:
        if self.loaded and not self._filling:
            self.apply_filter()

    @on(Select.Changed, "#year")
    def _year_changed(self, event: Select.Changed) -> None:
        if self.loaded and not self._filling and isinstance(event.value, int) and event.value != self.year:
            self.year = event.value
            self.load()

    # ---- actions --------------------------------------------------------------------------------

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
            if value is not None and value != select.value:
                select.value = value
            self.table.focus()

        # the selects hold str and Text labels only (``_show_loaded`` fills them)
        self.app.push_screen(Picker(title, cast("list[tuple[str | Text, Hashable]]", choices), select.value), chosen)

    def action_jump(self) -> None:
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
        return rows[index].id

    def action_sort(self) -> None:
        keys = list(SORT_KEYS)
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.sort_reverse = False
        self._resort()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._resort()

    def _resort(self) -> None:
        self._sort_all()
        self.apply_filter()

    def action_reload(self) -> None:
        self.load()

    def action_dashboard(self) -> None:
        from .dashboard import DashboardScreen

        if self.year is not None:
            self.app.push_screen(DashboardScreen(self.year))

    # ---- export what is shown -------------------------------------------------------------------

    def action_export(self) -> None:
        """x: the rows shown (filter, search, sort) into an .xlsx, by the writer of ``export
        register``, through the output guard; an existing workbook is overwritten only after asking."""
        from .dialogs import FileNameDialog

        if self.year is None:
            return
        if self.app.export_rows is None:  # type: ignore[attr-defined]
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
        repo, year, export_rows = self.app.repo, self.year, self.app.export_rows  # type: ignore[attr-defined]

        def work() -> int:
            from ..core.output import check_output, write_output

            target = check_output(path, XLSX, repo.db.path, force)
            buffer = BytesIO()
            count = export_rows(repo, buffer, year, ids)
            write_output(target, buffer.getvalue())
            return count

        def done(count: int) -> None:
            self.app.notify(safe_text(f"{format_number(count)} Projekte geschrieben: {name}"), timeout=6, markup=False)

        self.app.call_db(work, done, node=self, group="export")  # type: ignore[attr-defined]

    def action_report_texts(self) -> None:
        from .report_texts import ReportTextsScreen

        self.app.push_screen(ReportTextsScreen(self.year or self.host.today.year))

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
        if row is None or self.year is None:
            return
        if self._refused(row.department, "Umsetzungsstand erfassen"):
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
        if row is None:
            return
        if self._refused(row.department, "Projekte archivieren"):
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

        def done(found: list[ProjectRow]) -> None:
            self.app.notify(f"{row.id}: Umsetzungsstand {year} = {percent} % gespeichert", timeout=4)
            if year not in self.years:
                self.load(keep_id=row.id)  # the first value of a new year: the year list changes too
            elif year == self.year:
                self._replace_row(row.id, found)

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
        self.host.call_db(lambda: record_progress(repo, row.id, year, percent, version, today), done, failed,
                          node=self, group="write")
