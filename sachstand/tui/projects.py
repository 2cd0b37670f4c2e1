"""The projects screen: the register's projects for a reporting year, searched, filtered, sorted.

Rules:
- Rows and their flags come from ``core.figures.project_rows`` (through ``data.load_year``): the
  projects *open in* the year, as in the report. The columns, cells, sort keys and filters are in
  ``project_table``, the key actions in ``projects_actions``.
- A year's rows are read once and kept while the register is unchanged (``data.RowCache``), so a
  year switch back, or a filter, costs no read; another process's change (polled by ``stat``)
  or ``r`` reads again. Our own save puts the saved row in place, without a reload.
- A read shows its first page (``data.FIRST_PAGE``) as soon as it has it, when that page is the
  top of what the list will show (default order, the cursor's row on it); the rest follows.
- Planned projects (not started, with a priority) belong to no year: they are listed only with
  the status filter "geplant", by priority.
"""

from __future__ import annotations

import contextlib

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from ..core import figures
from ..core.errors import SachstandError
from ..core.models import ProjectRow
from ..core.text import safe_text
from ..core.types import format_number
from .data import FIRST_PAGE, ChangeStamp, Saved, YearRows, change_stamp, load_year, split_planned
from .german import GermanSelect
from .project_table import (
    ALL,
    ARCHIVED,
    DEFAULT_SORT,
    PLANNED,
    SORT_KEYS,
    STATUSES,
    Filter,
    columns,
    columns_for,
    haystack_of,
    pick,
    render_row,
)
from .projects_actions import ProjectActions
from .text import key_footer
from .virtual_table import VirtualTable

POLL_SECONDS = 3.0
"""How often the list looks for another process's change (a ``stat``, nothing read)."""
REMEMBER_SECONDS = 2.0
"""How often the list's view (year, filters, sort, project) is written if it changed."""
FIRST_PAGE_WAIT_SECONDS = 0.25
"""At start-up, how long the screen waits for the start-up read's first page before it is first
painted (the read runs in its thread meanwhile; a slower one is shown when it comes)."""


class ProjectsScreen(ProjectActions):
    """The start screen. ``self.all_rows`` holds the year's rows, ``self.shown`` the filtered ones."""

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
        self._last_filter: tuple[Filter, list[ProjectRow]] | None = None
        self.archived_rows: list[ProjectRow] | None = None  # read when the filter "archiviert" is chosen
        self._stamp: ChangeStamp | None = None  # the register's change stamp when the rows were read
        self._partial = False  # only the first page of the rows is shown; the rest is being read
        self._restored = False  # the view as last left was restored (at the first rows shown)
        self._choices: tuple[list[str], list[int]] | None = None  # what the dropdowns offer
        self._remembered: str | None = None  # the project the view was left on, until first shown
        self._shown_year: int | None = None  # the year whose rows (all of them) are shown

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
        yield VirtualTable(columns(8, 9, 2019, 2020), render_row, empty_text="Lädt …",
                           nothing_selected="Kein Projekt ausgewählt: die Liste ist leer.",
                           row_key=lambda r: r.id, id="table")
        yield Static(id="count", classes="status-line")
        yield key_footer()

    def on_mount(self) -> None:
        self.table.focus()
        self.year = self.host.year
        self._update_title()
        self.load()
        self.set_interval(POLL_SECONDS, self._poll)
        self.set_interval(REMEMBER_SECONDS, self.remember)

    def _current_stamp(self) -> ChangeStamp | None:
        repo = self.host.repo
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

    def load(self, keep_id: str | None = None, fresh: bool = False) -> None:
        """Show the rows of ``self.year`` (or the latest year with data): the kept ones if the
        register is unchanged since they were read (and not ``fresh``), else read in a thread,
        the first page shown as soon as it is read (``_show_part``)."""
        app = self.host
        repo = self.repo
        wanted = self.year
        today = app.today
        self._load_generation += 1
        generation = self._load_generation
        stamp = self._current_stamp()
        kept = app.rows.get(wanted, stamp) if wanted is not None and stamp is not None and not fresh else None
        if kept is not None and self.loaded:
            self._show_loaded(kept, keep_id=keep_id)
            return
        prefetched = app.take_prefetch() if not self.loaded else None
        head_shown = False
        if prefetched is not None:
            # start-up: the first page, if it comes soon, is shown before the screen is first
            # painted (one layout and paint fewer than painting "Lädt …" and then the rows)
            try:
                head = prefetched.head.result(timeout=FIRST_PAGE_WAIT_SECONDS)
            except BaseException:  # not yet read (or failed: the worker below hands on the error)
                pass
            else:
                self._show_part(head, keep_id)
                head_shown = True
            self.call_after_refresh(prefetched.painted.set)  # the read may go on with the rest

        def part(rows: YearRows) -> None:
            if generation == self._load_generation:
                self._show_part(rows, keep_id)

        def hand_over(rows: YearRows) -> None:  # from the worker thread to the screen
            with contextlib.suppress(RuntimeError):  # the app has gone meanwhile
                self.app.call_from_thread(part, rows)

        def work() -> YearRows:
            if prefetched is not None:
                if not head_shown:
                    hand_over(prefetched.head.result())
                return prefetched.full.result()
            return load_year(repo, wanted, today, first=(FIRST_PAGE, hand_over))

        def done(result: YearRows) -> None:
            if generation == self._load_generation:
                self._show_loaded(result, keep_id=None if self._partial else keep_id)

        app.call_db(work, done, self._load_failed, node=self, group="load")

    def show_saved(self, row_id: str, year: int, rows: list[ProjectRow]) -> None:
        """Our own save, committed: the saved row shows at once (the file is still being closed)."""
        if year == self.year and year in self.years and not self._partial:
            self._replace_row(row_id, rows)

    def saved_row(self, row_id: str, year: int, saved: Saved) -> None:
        """Our own save, done: the kept rows and the stamp move on with it (no reload, see ``data``)."""
        self.host.rows.saved(year, saved)
        if self._stamp == saved.before:
            self._stamp = saved.after
        if year not in self.years or self._partial:
            # the first value of a new year (the year list changes too), or a read still going on
            # that began before this save: read again
            self.load(keep_id=row_id, fresh=True)

    def _replace_row(self, row_id: str, found: list[ProjectRow]) -> bool:
        """Show the reloaded ``found`` row in place of ``row_id``; if it is gone, all rows reload
        and the answer is False."""
        index = next((i for i, r in enumerate(self.all_rows) if r.id == row_id), None)
        if index is None or not found:
            self.load(keep_id=row_id, fresh=True)
            return False
        fresh = found[0]
        old, self.all_rows[index] = self.all_rows[index], fresh
        self.haystack[row_id] = haystack_of(fresh)
        key = SORT_KEYS[self.sort_key]
        if key(old) == key(fresh) and self._replace_shown(row_id, fresh):
            return True
        if key(old) != key(fresh):
            self._sort_all()
        self._last_filter = None  # the kept result holds the old row
        self.apply_filter(keep_id=row_id)
        return True

    def _replace_shown(self, row_id: str, fresh: ProjectRow) -> bool:
        """The saved row in place of the shown one, when it keeps its place (same sort key) and
        still passes the filters: only its line is drawn again, and the kept filter result (the
        same list) holds the fresh row. False if the whole list has to be filtered again."""
        table, wanted = self.table, self._filter()
        if table.rows is not self.shown or wanted.status in (ARCHIVED, PLANNED):
            return False
        current = table.current
        at = table.cursor if current is not None and current.id == row_id else \
            next((i for i, r in enumerate(self.shown) if r.id == row_id), None)
        if at is None or not pick([fresh], wanted, self.haystack, False):
            return False
        table.replace_row(at, fresh)
        return True

    def _load_failed(self, exc: SachstandError) -> None:
        if self.loaded:
            self.host.show_error(exc)
        else:  # nothing to show: the app's message screen takes over (in place of this screen)
            self.host.show_fatal(exc, replace=self.app.screen is self)

    def _fill(self, loaded: YearRows) -> str | None:
        """Year, columns and the dropdowns' choices from ``loaded``; the first time also the view
        as last left, whose project is returned (None after the first time)."""
        year, years = loaded.year, loaded.years
        self.year, self.years = year, years
        if loaded.columns is None:
            loaded.columns = columns_for(loaded.rows, year)
        self.table.columns = loaded.columns
        # the year after the last one with data is offered too: that is where next year's values go
        choices = sorted(set(years) | {year, (max(years) + 1) if years else year})
        self._filling = True
        with self.prevent(Select.Changed):
            dept, year_select = self.query_one("#dept", Select), self.query_one("#year", Select)
            if (loaded.departments, choices) != self._choices:  # rebuilding a dropdown costs a layout
                self._choices = (loaded.departments, choices)
                old = dept.value
                dept.set_options([("alle Bereiche", ALL)] + [(Text(safe_text(d)), d) for d in loaded.departments])
                dept.value = old if old in loaded.departments else ALL
                year_select.set_options([(str(y), y) for y in choices])
            year_select.value = year
        self._filling = False
        self._update_title()
        if self._restored:
            return None
        self._restored = True
        return self._restore_view()

    def _show_part(self, part: YearRows, keep_id: str | None) -> None:
        """The first page of a read still going on: shown when it is the top of what the list will
        show (default order, the year's rows) and holds the row the cursor is to stay on."""
        self._remembered = self._fill(part) or self._remembered  # kept for the whole rows if not shown here
        keep_id = keep_id or self._remembered or (self.table.current.id if self.table.current else None)
        if self.sort_key != DEFAULT_SORT or self.sort_reverse or self._filter().status in (ARCHIVED, PLANNED):
            return
        if self._shown_year == part.year:  # a reload of the year shown: its rows stay until the new ones are in
            return
        if keep_id is not None and all(r.id != keep_id for r in part.rows):
            return
        self._remembered = None
        self._partial = True
        self.all_rows = [r for r in part.rows if not r.planned]
        self.planned_rows, self.archived_rows = [], None
        self.haystack = {r.id: haystack_of(r) for r in part.rows}
        self.table.header_marks = {self.sort_key: " ↑"}
        self._last_filter = None
        self.apply_filter(keep_id=keep_id)
        self._shown_first()

    def _shown_first(self) -> None:
        if not self.loaded:
            self.loaded = True
            self.call_after_refresh(self.host.rows_shown.set)
            self.call_after_refresh(self._offer_draft)

    def _show_loaded(self, loaded: YearRows, keep_id: str | None = None) -> None:
        rows = loaded.rows
        self.host.rows.put(loaded)
        self._stamp = loaded.stamp
        self._partial = False
        self._shown_year = loaded.year
        keep_id = keep_id or self._fill(loaded) or self._remembered
        self._remembered = None
        if loaded.parts is None:
            loaded.parts = split_planned(rows)
        self.all_rows, self.planned_rows = list(loaded.parts[0]), loaded.parts[1]  # all_rows is sorted in place
        self.archived_rows = None
        if loaded.haystack is None:
            loaded.haystack = {r.id: haystack_of(r) for r in rows}
        self.haystack = loaded.haystack
        self.table.empty_text = "Keine Projekte für diese Auswahl"
        self._sort_all(loaded=True)
        self.apply_filter(keep_id=keep_id)
        self._shown_first()

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
                    self.haystack[r.id] = haystack_of(r)
                self._sort_all()
                self.apply_filter()

        app.call_db(work, done, self._load_failed, node=self, group="load")

    def _filter(self) -> Filter:
        return Filter(self.query_one("#search", Input).value.strip().casefold(),
                      self.query_one("#dept", Select).value, self.query_one("#status", Select).value)

    def _source(self, status: object) -> list[ProjectRow]:
        """The rows the filters pick from: the year's, the planned or the archived ones."""
        if status == ARCHIVED:
            return self.archived_rows or []
        return self.planned_rows if status == PLANNED else self.all_rows

    def apply_filter(self, keep_id: str | None = None) -> None:
        """Pick the rows matching search, department and status; the list keeps the sort order."""
        wanted = self._filter()
        if wanted.status == ARCHIVED and self.archived_rows is None:
            self._load_archived()
        last = self._last_filter
        narrowing = last is not None and wanted.narrows(last[0])
        source = last[1] if last is not None and narrowing else self._source(wanted.status)
        self.shown = pick(source, wanted, self.haystack, narrowing)
        self._last_filter = (wanted, self.shown)
        self.table.set_rows(self.shown, keep=keep_id)
        self._update_count()

    def _update_count(self) -> None:
        if self._partial:
            self.query_one("#count", Static).update(Text(f"Lädt …  ·  Berichtsjahr {self.year}", style="bold"),
                                                    layout=False)
            return
        archived = self.query_one("#status", Select).value == ARCHIVED
        total = len(self.archived_rows or []) if archived else len(self.all_rows)
        if archived:
            word = "archivierten Projekt" if total == 1 else "archivierten Projekten"
        else:
            word = "Projekt" if total == 1 else "Projekten"
        text = Text(f"{format_number(len(self.shown))} von {format_number(total)} {word}", style="bold")
        text.append(f"  ·  Berichtsjahr {self.year}" if self.year else "")
        text.append("  ·  Ü überfällig, S stagniert", style="dim")
        self.query_one("#count", Static).update(text, layout=False)  # one line, always: no layout needed

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
        # the dropdown's value now, not the event's: a dropdown's first Changed (its placeholder,
        # posted at its mount) can arrive after the rows' year was already put in
        self._to_year(event.select.value)

    def _to_year(self, value: object) -> None:
        if self.loaded and not self._filling and isinstance(value, int) and value != self.year:
            self.year = value
            self.load()

    def picked(self, which: str) -> None:
        """A dropdown's value was chosen in its picker (b, s, j): as if chosen in the dropdown."""
        if which == "year":
            self._to_year(self.query_one("#year", Select).value)
        else:
            self._filter_changed()

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
        self.load(fresh=True)
