"""tests/data/make_bad_corpus.py makes the whole corpus of tests/data/bad/ again, reproducibly, and
every workbook it makes gives its one German line.

- Run into a temporary folder without the external tools (LibreOffice, msoffcrypto-tool: their
  three files stay as committed), it makes every other committed file, and nothing else.
- A second run gives the same bytes (fixed zip and document dates).
- Every workbook it makes is refused with exactly the line that tests/test_io_bad_corpus.py expects
  of the committed file (exit 2, nothing else printed, the register unchanged), or read with the
  same problems named by cell (exit 1, nothing applied). A position inside a part ("Zeile 1,
  Spalte 2550") and the string uses a sheet's bytes could hold follow the bytes that the installed
  openpyxl writes, so only their form is compared.
- The report-text, map and template files equal the committed ones byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.data import make_bad_corpus
from tests.test_io_bad_corpus import BAD, CONFLICTS, PROBLEMS, REFUSED, _state

# figures that follow the bytes of openpyxl's XML writer: a position in a part, the string uses
# that the sheets' bytes could hold
_WRITER = re.compile(r"\(Zeile \d+, Spalte \d+\)|höchstens [0-9.]+ Texte")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bad")
    make_bad_corpus.main(["--out", str(out), "--no-external"])
    return out


def test_the_generator_makes_every_committed_file(generated: Path) -> None:
    made = {p.name for p in generated.iterdir()}
    committed = {p.name for p in BAD.iterdir()}
    assert made == committed - set(make_bad_corpus.EXTERNAL)
    assert {p.name for p in generated.glob("*.xlsx")} | set(make_bad_corpus.EXTERNAL) == set(REFUSED) | set(PROBLEMS) | set(CONFLICTS)


def test_a_second_run_gives_the_same_bytes(generated: Path, tmp_path: Path) -> None:
    make_bad_corpus.main(["budget", "--out", str(tmp_path)])
    make_bad_corpus.main(["templates", "--out", str(tmp_path)])
    again = sorted(tmp_path.iterdir())
    assert len(again) > 30
    for path in again:
        assert path.read_bytes() == (generated / path.name).read_bytes(), path.name


def test_texts_maps_and_templates_equal_the_committed_files(generated: Path) -> None:
    others = [p for p in generated.iterdir() if p.suffix not in (".xlsx",)]
    assert len(others) == 11
    for path in others:
        assert path.read_bytes() == (BAD / path.name).read_bytes(), path.name


@pytest.mark.parametrize("name", sorted(set(REFUSED) - set(make_bad_corpus.EXTERNAL)))
def test_every_refused_workbook_it_makes_gives_its_one_line(name: str, generated: Path, cli, sample_path: Path) -> None:
    before = _state(sample_path)
    r = cli("--db", str(sample_path), "import", str(generated / name), "--apply", "--json")
    assert (r.code, r.out) == (2, "")
    assert _WRITER.sub("…", r.err) == _WRITER.sub("…", f"Fehler: {name}: {REFUSED[name]}\n")
    assert _state(sample_path) == before


@pytest.mark.parametrize("name", sorted(PROBLEMS) + sorted(CONFLICTS))
def test_every_other_workbook_it_makes_is_read_with_its_problems(name: str, generated: Path, cli, sample_path: Path) -> None:
    before = _state(sample_path)
    r = cli("--db", str(sample_path), "import", str(generated / name), "--apply", "--json")
    assert r.code == 1 and "Traceback" not in r.err
    data = json.loads(r.out)
    assert [f"{p['cell']}: {p['message']}" for p in data["problems"]] == PROBLEMS.get(name, [])
    assert len(data["conflicts"]) == len(CONFLICTS.get(name, [])) and data["applied"] is False
    assert _state(sample_path) == before
