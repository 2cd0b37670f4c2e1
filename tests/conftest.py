"""Shared fixtures: real register files in a temporary folder, and the CLI called in-process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sachstand.cli import main
from sachstand.core import Repository, init_register, open_register


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps the app's remembered state and drafts in a folder of its own (never ~)."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "sample.duckdb"
    init_register(path, sample=True)
    return path


@pytest.fixture
def sample_path(tmp_path: Path, _sample_template: Path) -> Path:
    """A fresh copy of the 2020 sample register for one test."""
    path = tmp_path / "register.duckdb"
    shutil.copy(_sample_template, path)
    return path


@pytest.fixture
def repo(sample_path: Path) -> Repository:
    return open_register(sample_path)


@pytest.fixture
def empty_path(tmp_path: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    init_register(path, sample=False)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``sachstand ARGS`` in-process, like click's CliRunner; returns exit code and output."""
    monkeypatch.delenv("SACHSTAND_DB", raising=False)
    monkeypatch.delenv("SACHSTAND_CONFIG", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
