"""The Textual app: a thin shell that opens the projects screen and runs register calls in threads.

Rules:
- No SQL here: every read and write goes through ``Repository`` and ``core.figures``.
- No connection is kept: the repository opens one per call, so other processes (other users'
  apps, imports, ``summary``) are never locked out for longer than one call.
- Register calls run in threads, started at once and awaited by a worker (``call_db``), so the screen never waits on the file
  (except at start-up: the projects screen waits up to ``FIRST_PAGE_WAIT_SECONDS`` for the first page, see ``Prefetch``).
- Expected errors (``SachstandError``) become a message, never a traceback; at start-up a register
  that is missing, locked, damaged or too new gets its own message screen.
- ``--read-only`` and the viewer role both give a viewer actor: the repository refuses its writes
  and the screens hide write actions.
- Quitting never loses an edit: ctrl+q, the palette's quit and SIGTERM ask "Ungespeicherte
  Änderungen verwerfen?" when any open screen has unsaved edits, as Esc does. A screen with edits
  says so through ``HoldsEdits`` (``dirty``, and ``unsaved_draft()`` for what a hang-up
  keeps); the app asks every screen on the stack, so a new editing screen is guarded by implementing it.
- SIGHUP (the SSH connection dropped) ends the app at once; a timer makes sure the process goes
  even if the terminal is already gone. An unsaved edit is kept as a draft (``state``), which the
  next start offers to restore.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..core import Actor, Repository, open_register
from ..core.errors import SachstandError, interrupted
from ..core.text import safe_text
from .commands import ScreenActions
from .data import FIRST_PAGE, PAINT_WAIT_SECONDS, Prefetch, RowCache, YearRows, load_year
from .german import QUIT_HINT, GermanCommandPalette, system_commands
from .host import AppHost, ExportRows
from .state import Draft, drop_draft, load_view, save_draft

T = TypeVar("T")

"""Writes the given projects' workbook for a year (``io.export.export_register``, handed in by
the CLI: the TUI does not import ``io``)."""

HANGUP_EXIT_CODE = 129
HANGUP_GRACE_SECONDS = 5.0
QUIT_QUESTION = "Ungespeicherte Änderungen verwerfen und beenden?"


@runtime_checkable
class HoldsEdits(Protocol):
    """A screen whose edits quitting must not lose."""

    @property
    def dirty(self) -> bool: ...

    def unsaved_draft(self) -> Draft | None:
        """The unsaved edit to keep at a hang-up; None if this screen keeps no draft."""
        ...


def viewer_of(repo: Repository) -> Repository:
    """The same register for the same person, but as a viewer (``--read-only``)."""
    actor = repo.actor
    return Repository(repo.db, Actor(actor.user, "viewer", frozenset(), actor.source, notice=actor.notice))


class SachstandApp(App[int]):
    """The app. ``year`` and ``today`` fix the reporting year and the date (tests, snapshots).

    ``rows_shown`` is set once the projects table first shows its rows (benchmarks wait on it).
    """

    TITLE = "Sachstand"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS = [
        Binding("f1,question_mark", "help", "Hilfe", tooltip="diese Hilfe"),
        Binding("ctrl+p", "command_palette", "Befehle", tooltip="Befehle suchen und ausführen"),
        Binding("ctrl+q", "quit", "Beenden", show=False, priority=True,
                tooltip="beenden (fragt bei ungespeicherten Änderungen)"),
    ]

    def __init__(self, repo: Repository | None, *, read_only: bool = False, year: int | None = None,
                 today: date | None = None, startup_error: SachstandError | None = None,
                 export_rows: ExportRows | None = None) -> None:
        super().__init__()
        self.export_rows = export_rows
        if repo is not None and read_only:
            repo = viewer_of(repo)
        self.repo = repo
        self.read_only = read_only
        # the remembered view of this register (state.py); a year given explicitly wins
        self.view: dict[str, Any] = load_view(repo.db.path) if repo is not None else {}
        self.year = year or self.view.get("year")
        self.today = today or date.today()
        self.startup_error = startup_error
        self.rows_shown = asyncio.Event()
        self.rows = RowCache()  # the years' rows read so far, valid while the register is unchanged
        self.hung_up = False
        self._prefetch: Prefetch | None = None
        if repo is not None and startup_error is None:
            self._prefetch = self._start_prefetch(repo)

    def _start_prefetch(self, repo: Repository) -> Prefetch:
        """Read the first year's rows while Textual starts up (one short read, in a thread): the
        first page as soon as it is read, then, once it is painted, all rows (``Prefetch``)."""
        prefetch = Prefetch(Future(), Future())
        head, full = prefetch.head, prefetch.full

        def first_page(rows: YearRows) -> None:
            head.set_result(rows)
            prefetch.painted.wait(PAINT_WAIT_SECONDS)

        def run() -> None:
            try:
                full.set_result(load_year(repo, self.year, self.today, first=(FIRST_PAGE, first_page)))
            except BaseException as exc:  # handed to whoever takes the result
                for future in (head, full):
                    if not future.done():
                        future.set_exception(exc)

        threading.Thread(target=run, name="sachstand-prefetch", daemon=True).start()
        return prefetch

    def take_prefetch(self) -> Prefetch | None:
        """The start-up read, once; later loads read afresh."""
        prefetch, self._prefetch = self._prefetch, None
        return prefetch

    @classmethod
    def for_path(cls, path: str | os.PathLike[str], **kwargs: Any) -> SachstandApp:
        """The app on the register at ``path`` (as ``sachstand --db PATH tui``)."""
        try:
            return cls(open_register(Path(path), source="tui"), **kwargs)
        except SachstandError as exc:
            return cls(None, startup_error=exc, **kwargs)

    @property
    def can_write(self) -> bool:
        """Whether this user may change anything at all (not read-only, not a viewer)."""
        return self.repo is not None and not self.read_only and self.repo.actor.can_write_any

    def can_write_department(self, department: str) -> bool:
        return self.can_write and self.repo is not None and self.repo.actor.can_write(department)

    def on_mount(self) -> None:
        from .message import MessageScreen
        from .projects import ProjectsScreen

        try:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self.hang_up)
            loop.add_signal_handler(signal.SIGTERM, self.terminate)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
        if self.startup_error is not None or self.repo is None:
            self.push_screen(MessageScreen(self.startup_error))
            return
        self.push_screen(ProjectsScreen())

    # ---- quitting -------------------------------------------------------------------------------

    def edited_screen(self) -> HoldsEdits | None:
        """The topmost screen with unsaved edits; None if there is none."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, HoldsEdits) and screen.dirty:
                return screen
        return None

    def unsaved_edit(self) -> Draft | None:
        """The draft of the topmost screen with unsaved edits; None if there is none or it keeps none."""
        screen = self.edited_screen()
        return screen.unsaved_draft() if screen is not None and self.repo is not None else None

    def remember_view(self) -> None:
        """Keep the projects list's view (year, filters, sort, project) for the next start."""
        from .projects import ProjectsScreen

        for screen in self.screen_stack:
            if isinstance(screen, ProjectsScreen):
                screen.remember()

    def action_quit(self) -> None:  # type: ignore[override]  # Textual's is async; this one only opens a dialog
        """ctrl+q and the palette's quit: leave, but ask first if an edit would be lost."""
        from .dialogs import ConfirmDialog

        self.remember_view()
        if self.edited_screen() is None:
            self.exit(0)
            return
        if any(isinstance(s, ConfirmDialog) and s.question.plain == QUIT_QUESTION for s in self.screen_stack):
            return  # already asking

        def answer(yes: bool | None) -> None:
            if self.repo is not None:
                drop_draft(self.repo.db.path)
            if yes:
                self.exit(0)

        self.push_screen(ConfirmDialog(Text(QUIT_QUESTION, style="bold")), answer)

    def terminate(self) -> None:
        """SIGTERM: like ctrl+q. The edit is also kept as a draft in case the process is killed."""
        draft = self.unsaved_edit()
        if draft is not None and self.repo is not None:
            save_draft(self.repo.db.path, draft)
        self.action_quit()

    def hang_up(self) -> None:
        """The terminal is gone: keep an unsaved edit as a draft, leave now, and for sure within a
        few seconds."""
        self.hung_up = True
        try:
            self.remember_view()
            draft = self.unsaved_edit()
            if draft is not None and self.repo is not None:
                save_draft(self.repo.db.path, draft)
        except Exception:
            pass
        timer = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(HANGUP_EXIT_CODE,))
        timer.daemon = True
        timer.start()
        self.exit(HANGUP_EXIT_CODE, return_code=HANGUP_EXIT_CODE)

    # ---- German in place of Textual's English (german.py) ------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        return system_commands(self, screen)

    def action_command_palette(self) -> None:
        # Textual types is_open's argument App[object], and App is invariant in its result type
        if self.use_command_palette and not GermanCommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(GermanCommandPalette(id="--command-palette"))

    def action_help_quit(self) -> None:
        """ctrl+c copies in a field; elsewhere say how to quit."""
        self.notify(QUIT_HINT, title="Beenden?", markup=False)

    def action_help(self) -> None:
        from .help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def show_error(self, exc: SachstandError) -> None:
        self.notify(safe_text(exc.message), title="Fehler", severity="error", timeout=12, markup=False)

    def show_fatal(self, exc: SachstandError, replace: bool = False) -> None:
        """A register that cannot be read at all: the message screen goes on top, or takes the
        place of the current screen (``replace``, for a screen that has nothing to show)."""
        from .message import MessageScreen

        if replace:
            self.switch_screen(MessageScreen(exc))
        else:
            self.push_screen(MessageScreen(exc))

    def retry_register(self) -> None:
        """The message screen's retry: the projects screen takes its place and loads afresh."""
        from .projects import ProjectsScreen

        self.switch_screen(ProjectsScreen())

    def call_db(self, work: Callable[[], T], done: Callable[[T], object],
                failed: Callable[[SachstandError], None] | None = None, *, node: DOMNode | None = None,
                group: str = "db") -> None:
        """Run ``work`` (a register call) in a thread; ``done``/``failed`` run back on the UI.

        The thread starts at once, not when the event loop next gets round to a new worker:
        that was after the repaint a closing dialog causes (about 12 ms at 25,000 rows), and the
        register need not wait for the screen. A worker (of ``node``, in ``group``) awaits it, so
        ``workers`` still tell whether a register call is running, and an unforeseen error still
        ends that worker (``on_worker_state_changed``)."""
        on_error = failed or self.show_error

        def run() -> None:
            try:
                result = work()
            except SachstandError as exc:
                self._back(on_error, exc)
                return
            self._back(done, result)

        running = asyncio.get_running_loop().run_in_executor(None, run)
        (node or self).run_worker(running, group=group, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure lands here, in one place (Harlequin's way): an error the register
        did not foresee (not a ``SachstandError``, which ``call_db`` hands to its caller) is one
        German line; the app keeps running, nothing half-done is shown as saved (each register call
        is one transaction)."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if error is None or interrupted(error):
            return
        self.notify(f"Unerwarteter Fehler ({type(error).__name__}); die Aktion wurde abgebrochen, nichts "
                    "Halbes gespeichert. Bitte die Meldung dem Administrator geben.",
                    title="Fehler", severity="error", timeout=15, markup=False)

    def _back(self, callback: Callable[[Any], object], value: Any) -> None:
        with contextlib.suppress(RuntimeError):
            self.call_from_thread(callback, value)


if TYPE_CHECKING:
    _provides_host: type[AppHost] = SachstandApp  # mypy checks that the app has what the screens use


def run_app(args: argparse.Namespace, open_repo: Callable[[argparse.Namespace, str], Repository],
            export_rows: ExportRows | None = None) -> int:
    """``sachstand`` / ``sachstand tui [--read-only]``: run the app until the user leaves."""
    error: SachstandError | None = None
    repo: Repository | None = None
    try:
        repo = open_repo(args, "tui")
    except SachstandError as exc:
        error = exc
    app = SachstandApp(repo, read_only=bool(getattr(args, "read_only", False)), startup_error=error,
                       export_rows=export_rows)
    app.run()
    return int(app.return_code or 0)
