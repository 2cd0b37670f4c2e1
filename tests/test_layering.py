"""Data flows one way: io and tui call core; core imports neither; SQL lives in core only."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sachstand"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
    return names


def test_core_imports_neither_io_nor_tui_nor_textual() -> None:
    for path in (PACKAGE / "core").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("textual", "openpyxl", "python_calamine", "rich", "sachstand.io",
                                        "sachstand.tui", "..io", "..tui")), f"{path.name} imports {name}"


def test_duckdb_is_imported_in_core_only() -> None:
    for path in PACKAGE.rglob("*.py"):
        if (PACKAGE / "core") in path.parents:
            continue
        assert "duckdb" not in {n.split(".")[0] for n in _imports(path)}, f"{path} imports duckdb"


def test_tui_and_io_do_not_import_each_other() -> None:
    for part, other in (("io", "tui"), ("tui", "io")):
        for path in (PACKAGE / part).rglob("*.py"):
            for name in _imports(path):
                assert not name.startswith((f"sachstand.{other}", f"..{other}")), f"{path} imports {name}"
