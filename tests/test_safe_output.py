"""Hostile user text in the ``rich`` printouts of ``summary`` and ``check``: shown literally, never
interpreted as markup, and no control code or bidi override reaches the terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sachstand.core import open_register
from sachstand.core.models import NewProject

HOSTILE = {
    "close": "Abschluss [/] offen",
    "link": "[link=x.io]K[/link]",
    "style": "[bold red]Alarm",
    "clear": "Bildschirm\x1b[2J weg",
    "title": "Titel\x1b]0;gehackt\x07 Ende",
    "rtl": "Rechnung \u202etxt.exe",
    "html": "<script>x</script>",
}
# what each name looks like once made safe: control codes and bidi overrides visibly escaped
# (core.text.safe_text), markup kept
SHOWN = {
    "close": "Abschluss [/] offen",
    "link": "[link=x.io]K[/link]",
    "style": "[bold red]Alarm",
    "clear": "Bildschirm\\x1b[2J weg",
    "title": "Titel\\x1b]0;gehackt\\x07 Ende",
    "rtl": "Rechnung \\u202etxt.exe",
    "html": "<script>x</script>",
}
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile_path(sample_path: Path) -> Path:
    """The sample plus one hostile project per name: stalled at 50 % in 2021 (so it is listed twice
    in ``summary``; 2020 is published and stays as it was), with a cost note and start text that
    ``check`` reports with the name."""
    repo = open_register(sample_path)
    with repo.db.write() as conn:  # a code from before codes were checked on entry
        conn.execute("INSERT INTO departments VALUES ('FB [/]\x1b[31m', NULL)")
    repo.create(NewProject(department="FB [/]\x1b[31m", name="Bereichsprojekt", progress={2020: 10, 2021: 20}))
    for name in HOSTILE.values():
        repo.create(NewProject(department="FB 11", name=name, progress={2020: 50, 2021: 50},
                               cost_note="Finanzierung offen", start_text="irgendwann"))
    return sample_path


def assert_clean(text: str) -> None:
    assert not CONTROL.search(text.replace("\n", "")), repr(CONTROL.search(text.replace("\n", "")))
    assert not BIDI.search(text)


def test_summary_prints_hostile_names_literally(cli, hostile_path: Path) -> None:
    r = cli("--db", str(hostile_path), "summary")
    assert r.code == 0, r.err
    assert_clean(r.out)
    for key, shown in SHOWN.items():
        assert r.out.count(shown[:24]) >= 2, (key, shown)  # the timeline and the stalled list (cut at 24)
    assert "FB [/]\\x1b[31m" in r.out  # a hostile department code, too


def test_check_prints_hostile_names_literally(cli, hostile_path: Path) -> None:
    r = cli("--db", str(hostile_path), "check")
    assert r.code == 0, r.err
    assert_clean(r.out)
    for key, shown in SHOWN.items():  # the narrow column wraps and cuts words: look for their starts
        for word in shown.split():
            assert word[:15] in r.out, (key, word)


def test_json_keeps_the_exact_text_escaped(cli, hostile_path: Path) -> None:
    r = cli("--db", str(hostile_path), "check", "--json")
    assert r.code == 0
    assert "\x1b" not in r.out and "\x07" not in r.out  # JSON escapes control characters
    subjects = " ".join(f["subject"] for f in json.loads(r.out))
    for name in HOSTILE.values():
        assert name in subjects  # the data itself is unchanged


def test_svg_and_html_exports_escape_hostile_text(cli, hostile_path: Path, tmp_path: Path) -> None:
    svg, html = tmp_path / "s.svg", tmp_path / "s.html"
    r = cli("--db", str(hostile_path), "summary", "--svg", str(svg), "--html", str(html))
    assert r.code == 0, r.err
    for path in (svg, html):
        text = path.read_text(encoding="utf-8")
        assert "<script>x" not in text
        assert "&lt;script&gt;x&lt;/script&gt;" in text
        assert "\x1b" not in text and not BIDI.search(text)


def _in_terminal(*args: str) -> str:
    """Run ``sachstand`` on a real pseudo-terminal with colours on; returns all it printed."""
    import pty

    main, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "sachstand.cli", *args], stdin=child, stdout=child,
                            stderr=subprocess.PIPE, env=env, close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    assert proc.returncode == 0, proc.stderr.read()
    return b"".join(chunks).decode("utf-8", errors="replace")


@pytest.mark.parametrize("command", ["summary", "check"])
def test_on_a_real_terminal_only_styles_reach_it(hostile_path: Path, command: str) -> None:
    out = _in_terminal("--db", str(hostile_path), command)
    sgr = re.compile(r"\x1b\[[0-9;]*m")
    assert sgr.search(out), "rich should style its own output on a terminal"
    rest = sgr.sub("", out)
    assert "\x1b" not in rest, repr(rest[rest.index("\x1b") - 20: rest.index("\x1b") + 20])
    assert "\x1b]8;" not in out  # no hyperlink from "[link=…]"
    assert_clean(rest.replace("\r", ""))
    for word in (*SHOWN["link"].split(), *SHOWN["close"].split(), *SHOWN["style"].split()):
        assert word[:15] in rest, word
