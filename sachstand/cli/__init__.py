"""The ``sachstand`` command. Thin: it parses arguments and calls core, io and tui.

Rules:
- Each command group is one module beside this one, holding its ``add_parsers(sub)`` and its
  handlers (``cmd_*``, each ``(args) -> exit code``); its entry in ``GROUPS`` names the commands
  it adds. A new group is one module plus one entry in ``GROUPS``. A command line imports and
  builds only its command's group (``build_parser``): ``summary`` loads no other group's module.
  Shared helpers (register lookup, ``fail``, the German ``Parser``) are in ``common``.
- Expected errors print one German line on stderr, with no traceback: exit 2 for input that
  cannot be used, 1 for refusals, conflicts and locks. An unexpected error (a bug, a register
  forged to pass the checks) is one German line too, exit 1, naming only its kind; ``--verbose``
  adds its text and where it happened. ctrl+c is "abgebrochen", exit 130, also when DuckDB turned
  it into "Query interrupted" inside a query. SIGTERM and SIGHUP (a shutdown, a dropped SSH
  connection) stop a command the same way, through the same clean-up (``Stopped``, a
  ``KeyboardInterrupt``): "abgebrochen (SIGTERM)", exit 143, or 129; no temporary file stays. A reader that closes the pipe early
  (``sachstand summary | head -1``) ends the command quietly with exit code 1 (as rich does for
  its printouts, and as Python's own docs advise).
- Heavy libraries are imported by the commands that need them: ``summary`` loads neither
  textual nor openpyxl.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any, NoReturn

from .. import __version__

try:  # ctrl+c while the shared helpers load: the same line as later, no traceback
    from .common import Parser, fail
except KeyboardInterrupt:
    print("Fehler: abgebrochen", file=sys.stderr)
    raise SystemExit(130) from None

GROUPS: dict[str, tuple[str, ...]] = {
    "report": ("init", "settings", "summary", "check"),
    "texts": ("texts", "examples", "planned", "publish"),
    "excel": ("export", "import"),
    "opendata": ("rollup",),
    "tui": ("tui",),
    "backup": ("backup", "restore"),
}
"""Each group's module (beside this one) and the commands its ``add_parsers`` adds, in the order
of ``sachstand --help``. A module is imported only when its group is built (``group``)."""


def group(name: str) -> ModuleType:
    """The module of the command group ``name`` (a key of ``GROUPS``), imported on first use."""
    return import_module(f"{__name__}.{name}")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With ``argv``, only the commands of the group that holds its
    command are added (each parser costs argparse ~0.3 ms, mostly gettext looking for
    translation files, and a command needs one group's, not all 20); all of them without
    ``argv``, or when it names no known command, asks for help or abbreviates a global option."""
    p = Parser(prog="sachstand", description="Register und Sachstandsbericht der eGovernment-Projekte.")
    p.add_argument("--db", metavar="PFAD", help="Registerdatei (sonst $SACHSTAND_DB oder die Standarddatei)")
    p.add_argument("--config", metavar="DATEI",
                   help="Rollen-Konfiguration (sonst $SACHSTAND_CONFIG oder sachstand.toml neben dem Register)")
    p.add_argument("--verbose", action="store_true",
                   help="bei Fehlern zusätzlich den Originaltext von Betriebssystem oder DuckDB zeigen")
    p.add_argument("--version", action="version", version=f"sachstand {__version__}",
                   help="Versionsnummer zeigen und beenden")
    sub = p.add_subparsers(dest="command", metavar="BEFEHL", parser_class=Parser)
    for name in _groups(argv):
        group(name).add_parsers(sub)
    return p


_GLOBAL_WITH_VALUE = ("--db", "--config")


def _groups(argv: Sequence[str] | None) -> Sequence[str]:
    """The groups to build for ``argv``: the one whose commands (``GROUPS``) hold its first word
    that is not a global option (or that option's value); all when unsure, so argparse decides as
    always."""
    if argv is None:
        return tuple(GROUPS)
    words = iter(argv)
    for word in words:
        if word in _GLOBAL_WITH_VALUE:
            next(words, None)
        elif word == "--verbose" or word.startswith(tuple(f"{o}=" for o in _GLOBAL_WITH_VALUE)):
            continue
        elif word.startswith("-"):
            return tuple(GROUPS)
        else:
            return [g for g, commands in GROUPS.items() if word in commands] or tuple(GROUPS)
    return tuple(GROUPS)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the command is, so that every clean-up ctrl+c runs runs."""


_STOPS = (signal.SIGTERM, signal.SIGHUP)
_received: list[int] = []


def _stop(signum: int, _frame: object) -> None:
    _received.append(signum)
    raise Stopped(signum)


def aborted(saved: bool = False) -> int:
    """"abgebrochen", exit 128 + the signal: ctrl+c (130), or the SIGTERM/SIGHUP received. With
    ``saved`` (the command had committed a write when the stop was acted on), a note says that
    what was saved stays saved: without it a user would take the change for lost and make it
    again."""
    if _received:
        signum = _received[-1]
        code = fail(f"abgebrochen ({signal.Signals(signum).name})", 128 + signum)
    else:
        code = fail("abgebrochen", 130)
    if saved:
        print(STOPPED_AFTER_SAVING, file=sys.stderr)
    return code


STOPPED_AFTER_SAVING = "Hinweis: Was vor dem Abbruch gespeichert wurde, bleibt im Register."


def run() -> NoReturn:
    """The program's entry (``python -m sachstand``, the ``sachstand`` command): ``main``, and a
    stop in the instant before ``main`` handles it is "abgebrochen" too, never a traceback."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = aborted()
    _end(code)


def _end(code: int) -> NoReturn:
    """End the process with ``code`` without the interpreter's teardown, which frees every object
    one by one (15-25 ms after an import of 25,000 rows): the ``atexit`` functions run and both
    streams are flushed first. While another thread that is not a daemon still runs, or when a
    stream cannot be flushed (a closed pipe, a full disk), the ordinary exit takes over and
    reports it as it always did."""
    import atexit
    import threading

    try:
        main_thread = threading.main_thread()
        if not any(t is not main_thread and not t.daemon for t in threading.enumerate()):
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    except BaseException:  # a stop now is too late to stop the command; the ordinary exit reports the rest
        pass
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; SIGTERM and SIGHUP are handled while it runs (``Stopped``). A stop while
    the handlers are put in place is "abgebrochen" too; one while they are put back, once the
    command has ended, is too late to stop it."""
    before: dict[int, Any] = {}
    _usable_streams()
    hook = sys.unraisablehook
    try:
        _received.clear()
        try:
            for stop in _STOPS:
                before[stop] = signal.signal(stop, _stop)
        except ValueError:  # not the main thread: signals stay as they are
            pass
        else:
            sys.unraisablehook = _stop_again(hook)
        return _main(argv)
    except KeyboardInterrupt:  # while the handlers are set, the parser is built, or after an error was caught
        return aborted()
    finally:
        sys.unraisablehook = hook
        _put_back(before)


def _stop_again(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """``sys.unraisablehook`` while a command runs. A stop (ctrl+c, SIGTERM, SIGHUP) that arrives
    where Python cannot raise it (a weakref callback, a ``__del__``, the garbage collector) would
    be printed as "Exception ignored" and lost, and the command would run on: it is delivered
    again instead (``_thread.interrupt_main``), to stop the command where it then is. From
    another thread: called here, the handler would run at once, inside this hook, and be lost
    again. Anything else goes to ``hook``."""
    import _thread

    def unraisable(args: Any) -> object:
        if not isinstance(args.exc_value, KeyboardInterrupt):
            return hook(args)
        stopped = isinstance(args.exc_value, Stopped) and _received
        again = signal.Signals(_received[-1]) if stopped else signal.SIGINT
        _thread.start_new_thread(_thread.interrupt_main, (again,))  # not ``threading``: its start waits here
        return None

    return unraisable


def _put_back(before: dict[int, Any]) -> None:
    """The handlers as they were before ``main``; a stop meanwhile (too late to stop the command)
    does not leave one of them out."""
    pending = list(before.items())
    while pending:
        try:
            while pending:
                signal.signal(*pending[-1])
                pending.pop()
        except KeyboardInterrupt:
            pass


def _main(argv: Sequence[str] | None) -> int:
    from ..core.errors import SachstandError

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", None) or group("tui").cmd_tui
    if not hasattr(args, "read_only"):
        args.read_only = False
    from ..core.signals import saved_count

    saved = saved_count()
    try:
        _refuse_undecodable(args)
        code = func(args)
        with contextlib.suppress(KeyboardInterrupt):  # the command has ended: too late to stop it
            _flush_output()  # (what a stop left unwritten is written at exit)
        return code
    except SachstandError as exc:
        return fail(exc.message, exc.exit_code, exc.detail if args.verbose else "")
    except KeyboardInterrupt:
        return aborted(saved=saved_count() != saved)
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, exit 1 as rich does
        _silence_stdout()
        return 1
    except OSError as exc:  # an output path that cannot be written, a folder given as a file, …
        from ..core.errors import os_reason

        where = f"{exc.filename}: " if exc.filename else ""
        return fail(f"{where}{os_reason(exc)}.", 2, f"{type(exc).__name__}: {exc}" if args.verbose else "")
    except Exception as exc:  # the last guard: no traceback reaches a user
        from ..core.errors import interrupted

        if interrupted(exc):
            return aborted(saved=saved_count() != saved)
        return fail(f"Unerwarteter Fehler ({type(exc).__name__}); der Befehl wurde abgebrochen. Bitte mit --verbose "
                    "wiederholen und die Meldung dem Administrator geben.", 1, _where(exc) if args.verbose else "")


def _where(exc: BaseException) -> str:
    """An unexpected error's text and the innermost line of this program it passed, for --verbose."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "sachstand" in f.filename]
    place = f" (bei {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{place}"


# Arguments that name files: bytes that are not UTF-8 are allowed there (an output simply works,
# a register path is refused by core with its own line). Every other argument is text that may
# reach the register or a query, where such bytes cannot go.
_PATH_ARGUMENTS = frozenset({"db", "config", "output", "markup", "svg", "html", "files", "backup"})
# Files that are read by libraries needing UTF-8 names (DuckDB, docxtpl): refused, named as files.
_FILE_ARGUMENTS = frozenset({"file", "sources", "template", "department_map"})
_POSITIONAL_NAMES = {"ids": "Die Projekt-ID", "id": "Die Projekt-ID"}


def _refuse_undecodable(args: argparse.Namespace) -> None:
    from ..core.errors import SachstandError
    from ..core.text import safe_text

    for name, value in vars(args).items():
        if name in _PATH_ARGUMENTS:
            continue
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    if name in _FILE_ARGUMENTS:
                        raise SachstandError(f"Der Pfad „{safe_text(text)}“ ist kein gültiges UTF-8; "
                                             "bitte die Datei umbenennen.") from None
                    what = _POSITIONAL_NAMES.get(name, f"Die Angabe --{name.replace('_', '-')}")
                    raise SachstandError(f"{what} „{safe_text(text)}“ ist kein gültiges UTF-8.") from None


def _flush_output() -> None:
    """Write out what the command left in stdout's buffer, so that a reader gone early or a full
    disk is handled like any other write (quietly, or one German line with the cause), not by
    the interpreter's exit, which prints a traceback of its own. A failed output is dropped."""
    try:
        sys.stdout.flush()
    except OSError:
        _silence_stdout()
        raise


def _usable_streams() -> None:
    """A standard stream that was closed when the process started (``>&-``) is None in Python:
    what would be written there goes nowhere instead, so that a command still runs to its end
    (an import already saved is not reported as an error because its output had no place)."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole process


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


__all__ = ["GROUPS", "build_parser", "main"]
