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


def test_core_loads_duckdb_through_its_engine_module_only() -> None:
    """``core.engine`` loads the engine with Ctrl-C held back; a plain ``import duckdb`` would not."""
    for path in (PACKAGE / "core").rglob("*.py"):
        if path.name != "engine.py":
            assert not {"duckdb", "_duckdb"} & _imports(path), f"{path.name} imports duckdb itself"


def test_tui_and_io_do_not_import_each_other() -> None:
    for part, other in (("io", "tui"), ("tui", "io")):
        for path in (PACKAGE / part).rglob("*.py"):
            for name in _imports(path):
                assert not name.startswith((f"sachstand.{other}", f"..{other}")), f"{path} imports {name}"


def _module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    modules: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which module imports which, counting imports anywhere (inside functions, under
    ``TYPE_CHECKING``) and relative ones. ``from p import x`` points at module ``p.x`` when there
    is one, else at ``p`` itself (a package's ``__init__`` included)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                for alias in node.names:
                    targets.append(f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_counts_relative_and_function_level_imports() -> None:
    graph = import_graph(_module_names())
    assert "sachstand.core.db" in graph["sachstand.core.backup"]  # from .db import …
    assert "sachstand.tui.app" in graph["sachstand.cli.tui"]  # from ..tui.app import run_app, in a function
    assert "sachstand.core" in graph["sachstand.cli.common"]  # from ..core import default_db_path


def test_no_import_cycles_between_modules() -> None:
    cycles = import_cycles(import_graph(_module_names()))
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
