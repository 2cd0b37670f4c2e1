"""The command line's parser: every command's help, German only inside sachstand, a closed pipe.

The commands are found by walking the real parser (as sqlite-utils' test does), so a new command
gets its help tested without touching this file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sachstand.cli
from sachstand.cli import build_parser


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _commands(child, (*path, name))
    return found


COMMANDS = _commands(build_parser())


def test_the_walk_finds_every_command_and_subcommand() -> None:
    assert {("summary",), ("export", "templates"), ("import",), ("backup",), ("restore",), ("tui",)} <= set(COMMANDS)
    assert len(COMMANDS) >= 12


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "sachstand")
def test_help_of_every_command(cli, command: tuple[str, ...]) -> None:
    r = cli(*command, "--help")
    assert r.code == 0, r.err
    assert r.out.startswith(f"Aufruf: {' '.join(('sachstand', *command))} "), r.out[:200]
    assert "Optionen:" in r.out and "diese Hilfe zeigen und beenden" in r.out
    assert "usage:" not in r.out and "show this help" not in r.out
    assert r.err == ""


def test_a_bad_argument_is_one_german_line_with_exit_2(cli) -> None:
    r = cli("export", "register", "--year", "zwanzig")
    assert r.code == 2
    assert r.err.splitlines() == ["Fehler: Angabe --year: „zwanzig“ ist kein Jahr",
                                  "Hilfe: sachstand export register --help"]
    r = cli("export")
    assert r.code == 2 and r.err.startswith("Fehler: diese Angaben fehlen: ART\n")
    r = cli("init", "--sample", "--empty")
    assert r.code == 2 and r.err.startswith("Fehler: Angabe --empty: nicht zusammen mit --sample erlaubt\n")
    r = cli("export", "nope")
    assert r.code == 2
    assert r.err.startswith("Fehler: Angabe ART: ungültige Auswahl: 'nope' (möglich: 'register', "), r.err
    assert "invalid choice" not in r.err and "choose from" not in r.err


def test_other_parsers_in_the_process_keep_argparse_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert sachstand.cli.build_parser  # imported, and a sachstand parser built above
    build_parser().format_help()
    other = argparse.ArgumentParser(prog="other")
    other.add_argument("--count", type=int, required=True)
    help_text = other.format_help()
    assert help_text.startswith("usage: other ")
    assert "options:" in help_text and "show this help message and exit" in help_text
    with pytest.raises(SystemExit):
        other.parse_args([])
    assert "the following arguments are required: --count" in capsys.readouterr().err


_BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
"""The environment with stdout buffered, as a user's shell has it: a short output then stays in
the buffer until the command has ended."""


@pytest.mark.parametrize("args", [["summary"], ["summary", "--json"], ["check", "--json"], ["settings"]])
def test_a_closed_pipe_ends_quietly(sample_path: Path, args: list[str]) -> None:
    """``sachstand summary | head -1`` where the reader has gone: no traceback, exit 1; also for
    an output short enough to wait in the buffer until the command has ended."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    try:
        proc = subprocess.run([sys.executable, "-m", "sachstand.cli", "--db", str(sample_path), *args],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, env=_BUFFERED)
    finally:
        os.close(write_end)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert "Broken pipe" not in proc.stderr and "Fehler" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["settings"], ["summary", "--json"]])
def test_an_output_to_a_full_disk_is_one_line(sample_path: Path, args: list[str]) -> None:
    """stdout on a full disk (``> /dev/full``), a short output in the buffer or a long one written
    as it goes: one German line with the cause, exit 2, never the interpreter's own traceback."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "sachstand", "--db", str(sample_path), *args],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, env=_BUFFERED)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "Fehler: kein Platz mehr auf dem Datenträger.\n"


def test_a_closed_stdout_does_not_stop_an_import(empty_path: Path, tmp_path: Path) -> None:
    """``sachstand import F --apply >&-``: Python has no stdout at all; the import still saves and
    ends with its own exit code (its output goes nowhere), not with an unexpected error."""
    import openpyxl

    path = tmp_path / "liste.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Bereich", "Name des Projektes"])
    wb.active.append(["FB 11", "Neues Projekt"])
    wb.save(path)
    proc = subprocess.run([sys.executable, "-m", "sachstand", "--db", str(empty_path), "import", str(path), "--apply"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120, env=_BUFFERED,
                          preexec_fn=lambda: os.close(1))
    assert (proc.returncode, proc.stderr) == (0, "")
    from sachstand.core import open_register

    assert [p.name for p in open_register(empty_path).projects()] == ["Neues Projekt"]


def test_python_dash_m_sachstand_runs_the_cli(sample_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "sachstand", "--db", str(sample_path), "summary", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '"year": 2020' in proc.stdout
