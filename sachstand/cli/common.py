"""What every ``sachstand`` command shares: the parser class, register lookup, errors, output.

Rules:
- The register is ``--db PATH``, else ``$SACHSTAND_DB``, else
  ``$XDG_DATA_HOME/sachstand/register.duckdb`` (platformdirs; ``~/.local/share`` by default).
  Only at that default path is a missing register created (from the 2020 sample), and the
  command says so.
- Expected errors print one German line on stderr (``fail``), with no traceback: exit 2 for input
  that cannot be used, 1 for refusals, conflicts and locks.
- argparse speaks German only inside ``Parser`` (its messages, help titles and usage prefix);
  ``argparse`` itself is left alone, so other parsers in the process keep their English.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..core.text import safe_text

if TYPE_CHECKING:
    from ..core import Repository
    from ..core.db import Database

# argparse's English texts (Python 3.11) and their German; placeholders are argparse's own.
_MESSAGES_DE: dict[str, str] = {
    "the following arguments are required: %s": "diese Angaben fehlen: %s",
    "unrecognized arguments: %s": "unbekannte Angaben: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ungültige Auswahl: %(value)r (möglich: %(choices)s)",
    "argument %(argument_name)s: %(message)s": "Angabe %(argument_name)s: %(message)s",
    "invalid %(type)s value: %(value)r": "ungültiger Wert: %(value)r",
    "expected one argument": "erwartet einen Wert",
    "not allowed with argument %s": "nicht zusammen mit %s erlaubt",
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[rs]|%s")


def _compile(english: str) -> re.Pattern[str]:
    parts, last = [], 0
    for n, m in enumerate(_PLACEHOLDER.finditer(english)):
        parts.append(re.escape(english[last:m.start()]))
        parts.append(f"(?P<{m.group(1) or f'arg{n}'}>.*?)")
        last = m.end()
    parts.append(re.escape(english[last:]))
    return re.compile("".join(parts), re.DOTALL)


def _german_template(german: str) -> str:
    counter = iter(range(100))
    escaped = german.replace("{", "{{").replace("}", "}}")
    return _PLACEHOLDER.sub(lambda m: "{%s}" % (m.group(1) or f"arg{next(counter)}"), escaped)


@cache
def _translations() -> list[tuple[re.Pattern[str], str]]:
    """The patterns of ``_MESSAGES_DE``, made on the first error (a command without one needs none)."""
    return [(_compile(en), _german_template(de)) for en, de in _MESSAGES_DE.items()]


def german(message: str) -> str:
    """argparse's English error ``message`` in German (nested messages too); others unchanged."""
    for pattern, template in _translations():
        m = pattern.fullmatch(message)
        if m:
            parts = m.groupdict()
            if "message" in parts:
                parts["message"] = german(parts["message"])
            return template.format(**parts)
    return message


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Aufruf: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """The project's argparse parser: German help and errors, exit 2 with a hint on bad input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "Argumente"
        self._optionals.title = "Optionen"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "diese Hilfe zeigen und beenden"

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"Fehler: {safe_text(german(message))}\nHilfe: {self.prog} --help\n")


Subparsers = argparse._SubParsersAction  # the type of ``sub`` handed to each group's add_parsers


def year(text: str) -> int:
    """The argparse type of a year (``core.types.parse_year``: 1900–2200, ASCII digits)."""
    from ..core.types import parse_year

    found = parse_year(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"„{text}“ ist kein Jahr")
    return found


FORCE_HELP = "eine vorhandene Datei derselben Art überschreiben"


def fail(message: str, code: int = 2, detail: str = "") -> int:
    """Print one German error line on stderr, control characters escaped (``safe_text``), with
    the original text of a library or the OS after it when ``--verbose`` asked for it (``detail``);
    returns the exit code."""
    extra = f" [{detail}]" if detail else ""
    print(f"Fehler: {safe_text(message)}{safe_text(extra)}", file=sys.stderr)
    return code


YOUNG_OBJECTS = 10_000
"""New container objects between two passes of the garbage collector over the young ones, in a
command that makes hundreds of thousands of objects and next to no cycles (``few_collections``)."""


@contextmanager
def few_collections() -> Iterator[None]:
    """The garbage collector passes over young objects every ``YOUNG_OBJECTS`` new ones instead
    of every 700 (Python's default) inside the block, and as before after it. An import of
    25,000 rows spent 50-85 ms in 160 passes, about 20 ms in 40 this way; cycles are still
    collected, a little later."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def db_path(args: argparse.Namespace) -> Path:
    from ..core import default_db_path

    return default_db_path(args.db)


def open_repo(args: argparse.Namespace, source: str = "cli", db: Database | None = None) -> Repository:
    """The register for this command; creates the sample register at the default path only.
    ``db`` is the register's ``Database`` when the caller made it already (``read_ahead``)."""
    from ..core import init_register, open_register

    path = db_path(args)
    if not path.exists() and not args.db and not os.environ.get("SACHSTAND_DB"):
        from ..core.errors import SachstandError

        try:
            init_register(path, sample=True, config=args.config, source=source)
        except SachstandError:
            if not path.exists():
                raise
            return open_register(path, source=source, config=args.config)  # another first run made it
        print(
            f"Hinweis: Kein Register gefunden; unter {safe_text(str(path))} wurde eines mit dem "
            "Sachstandsbericht 2020 der Stadt Aachen angelegt. "
            "Ein leeres Register: „sachstand --db PFAD init --empty“.",
            file=sys.stderr,
        )
    return open_register(path, source=source, config=args.config, db=db)


_notice_shown = False


def show_notice(repo: Repository) -> None:
    """Say once per process that no role config exists (see ``core.access``)."""
    global _notice_shown
    if repo.actor.notice and not _notice_shown:
        print(safe_text(repo.actor.notice), file=sys.stderr)
        _notice_shown = True


def default_year(repo: Repository, requested: int | None, years: list[int] | None = None) -> int:
    """The requested reporting year, else the latest with data (of ``years`` when given)."""
    from ..core.errors import SachstandError

    if requested is not None:
        return requested
    latest = repo.latest_year() if years is None else (years[-1] if years else None)
    if latest is None:
        raise SachstandError("Das Register enthält noch keine Umsetzungsstände.")
    return latest
