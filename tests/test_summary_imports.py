"""``summary`` loads only what it uses: DuckDB's engine without its Python package, and none of
the write engine (``core.engine`` and ``core.repository`` say why). Each case runs in a fresh
interpreter, since the test process itself has everything loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_LOADED = ("duckdb", "sachstand.core.apply", "sachstand.core.changes", "sachstand.core.audit",
              "sachstand.io", "sachstand.tui", "textual", "openpyxl", "pandas")


@pytest.mark.parametrize("args", [["summary", "--json"], ["summary"], ["summary", "--department", "FB 11"]],
                         ids=["json", "printout", "department"])
def test_summary_loads_neither_the_duckdb_package_nor_the_write_engine(args: list[str], sample_path: Path) -> None:
    code = (
        "import io, json, sys, contextlib\n"
        "from sachstand.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    rc = main(['--db', {str(sample_path)!r}, *{args!r}])\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {NOT_LOADED!r} or m.startswith({NOT_LOADED!r}))\n"
        "print(json.dumps({'rc': rc, 'loaded': loaded, 'engine': '_duckdb' in sys.modules, 'out': out.getvalue()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0 and result["engine"]
    assert result["loaded"] == []
    if "--json" in args:
        assert json.loads(result["out"])["completed"] == 15
    else:
        assert "Kennzahlen 2020" in result["out"]
