"""The output guard and the atomic writer (issue 9, point 2, and point 7 for outputs).

Core level: ``core.output`` against real files (the register, its WAL, lock file and backups,
symlinks and hard links to them, files of another kind, devices), and the writer on a real
full and a real read-only file system. CLI level: every command that writes a file."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fs_helpers import fill, listing, remount_read_only, tmpfs

from sachstand.core.errors import WriteFailed
from sachstand.core.output import (
    HTML,
    SVG,
    XLSX,
    OutputRefused,
    check_folder,
    check_output,
    write_output,
)


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


@pytest.fixture
def register(sample_path: Path) -> Path:
    Path(f"{sample_path}.wal").write_bytes(b"")  # as if a writer were busy
    (sample_path.parent / f".{sample_path.name}.lock").touch()
    backups = sample_path.parent / f"{sample_path.name}.backups"
    backups.mkdir()
    (backups / "old.xlsx").write_bytes(_xlsx_bytes())
    return sample_path


def test_the_register_and_its_files_are_refused_even_with_force(register: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.xlsx"
    link.symlink_to(register)
    hard = tmp_path / "hard.xlsx"
    os.link(register, hard)
    wal_link = tmp_path / "wal.xlsx"
    wal_link.symlink_to(f"{register}.wal")
    cases = {
        str(register): "ist die Registerdatei selbst",
        f"{register}.wal": "ist die WAL-Datei des Registers",
        str(tmp_path / f".{register.name}.lock"): "ist die Sperrdatei des Registers",
        str(tmp_path / f"{register.name}.backups" / "old.xlsx"): "liegt im Sicherungsordner des Registers",
        str(tmp_path / f"{register.name}.backups" / "new.xlsx"): "liegt im Sicherungsordner des Registers",
        str(link): "ist die Registerdatei selbst",
        str(hard): "ist die Registerdatei selbst",
        str(wal_link): "ist die WAL-Datei des Registers",
    }
    for path, message in cases.items():
        with pytest.raises(OutputRefused, match=message):
            check_output(path, XLSX, register, force=True)
    # a register reached through a symlinked path is protected at its target too
    via = tmp_path / "via.duckdb"
    via.symlink_to(register)
    with pytest.raises(OutputRefused, match="ist die Registerdatei selbst"):
        check_output(register, XLSX, via, force=True)
    with pytest.raises(OutputRefused, match="ist die Registerdatei selbst"):
        check_folder(register, register)


def test_files_of_another_kind_are_never_overwritten(register: Path, tmp_path: Path) -> None:
    other_register = tmp_path / "other.duckdb"
    other_register.write_bytes(register.read_bytes())
    text = tmp_path / "notes.xlsx"
    text.write_text("Notizen", encoding="utf-8")
    plain_zip = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("a.txt", "x")
    docx = tmp_path / "brief.svg"
    docx.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    for path, kind in ((other_register, XLSX), (text, XLSX), (plain_zip, XLSX), (docx, SVG), (text, HTML)):
        with pytest.raises(OutputRefused, match="gibt es schon und ist keine"):
            check_output(path, kind, register, force=True)
    with pytest.raises(OutputRefused, match="ist ein Ordner"):
        check_output(tmp_path, XLSX, register, force=True)
    for device in ("/dev/null", "/dev/full"):
        with pytest.raises(OutputRefused, match="keine gewöhnliche Datei"):
            check_output(device, XLSX, register, force=True)
    with pytest.raises(OutputRefused, match=r"Den Ordner .* gibt es nicht"):
        check_output(tmp_path / "fehlt" / "x.xlsx", XLSX, register)


def test_a_file_of_the_right_kind_needs_force(register: Path, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(_xlsx_bytes())
    svg = tmp_path / "s.svg"
    svg.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', encoding="utf-8")
    html = tmp_path / "h.html"
    html.write_text("<!DOCTYPE html>\n<html><body></body></html>", encoding="utf-8")
    for path, kind in ((book, XLSX), (svg, SVG), (html, HTML)):
        refused = re.escape("gibt es schon; nichts wurde überschrieben. Überschreiben mit --force")
        with pytest.raises(OutputRefused, match=refused):
            check_output(path, kind, register)
        assert check_output(path, kind, register, force=True) == path
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    assert check_output(link, XLSX, register, force=True) == book  # written at the link's target


def test_atomic_write_replaces_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    write_output(target, b"new" * 1000)
    assert target.read_bytes() == b"new" * 1000
    assert listing(tmp_path) == ["out.xlsx"]


def test_disk_full_leaves_the_old_file_and_no_half_file(tmp_path: Path) -> None:
    with tmpfs(tmp_path, "2m") as where:
        target = where / "out.xlsx"
        target.write_bytes(_xlsx_bytes())
        before = target.read_bytes()
        fill(where, leave_kib=16)
        with pytest.raises(WriteFailed) as failed:
            write_output(target, os.urandom(512 * 1024))
        assert failed.value.message == f"{target} wurde nicht geschrieben: kein Platz mehr auf dem Datenträger."
        assert "No space left on device" in failed.value.detail
        assert target.read_bytes() == before
        assert listing(where) == ["filler.bin", "out.xlsx"]


def test_read_only_file_system_is_one_german_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path, "1m") as where:
        remount_read_only(where)
        with pytest.raises(WriteFailed, match=re.escape("wurde nicht geschrieben: nur lesbares Dateisystem.")):
            write_output(where / "out.xlsx", b"x")
        assert listing(where) == []


def _viewer_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "roles.toml"
    cfg.write_text('default_role = "viewer"\n', encoding="utf-8")
    cfg.chmod(0o644)
    return cfg


def test_no_command_writes_over_the_register_or_its_files(cli, register: Path, tmp_path: Path) -> None:
    db = str(register)
    book = tmp_path / "book.xlsx"
    assert cli("--db", db, "export", "register", "-o", str(book)).code == 0
    files = {p: p.read_bytes() for p in (register, Path(f"{register}.wal"), tmp_path / f".{register.name}.lock")}
    viewer = ["--config", str(_viewer_config(tmp_path))]
    for target in files:
        for args in (
            ["import", str(book), "--markup", str(target), "--force"],
            [*viewer, "import", str(book), "--markup", str(target), "--force"],  # a viewer cannot either
            ["export", "register", "-o", str(target), "--force"],
            ["export", "report", "-o", str(target), "--force"],
            ["summary", "--svg", str(target), "--force"],
            ["summary", "--html", str(target), "--force"],
            ["texts", "export", "--year", "2020", "-o", str(target), "--force"],
            ["backup", "-o", str(target)],
        ):
            r = cli("--db", db, *args)
            assert r.code == 2, (args, r.err)
            assert "des Registers" in r.err or "Registerdatei selbst" in r.err, (args, r.err)
    r = cli("--db", db, "export", "templates", "--year", "2021", "-o", str(tmp_path / f"{register.name}.backups"))
    assert r.code == 2 and "liegt im Sicherungsordner des Registers" in r.err
    assert {p: p.read_bytes() for p in files} == files
    assert not list(tmp_path.glob(".*.tmp"))


def test_existing_outputs_need_force_and_other_files_are_kept(cli, sample_path: Path, tmp_path: Path) -> None:
    db = str(sample_path)
    book = tmp_path / "book.xlsx"
    assert cli("--db", db, "export", "register", "-o", str(book)).code == 0
    notes = tmp_path / "notizen.xlsx"
    notes.write_text("wichtige Notizen", encoding="utf-8")
    svg = tmp_path / "s.svg"
    assert cli("--db", db, "summary", "--svg", str(svg)).code == 0
    for args in (["export", "register", "-o", str(book)], ["export", "report", "-o", str(book)],
                 ["import", str(book), "--markup", str(tmp_path / "m.xlsx")], ["summary", "--svg", str(svg)]):
        first = cli("--db", db, *args)
        if first.code == 0:  # the markup's first run creates it
            first = cli("--db", db, *args)
        assert first.code == 2 and "Überschreiben mit --force" in first.err, (args, first.err)
        assert cli("--db", db, *args, "--force").code in (0, 1), args
    readme = tmp_path / "README.md"
    readme.write_text("# Unser Projekt\n", encoding="utf-8")
    r = cli("--db", db, "texts", "export", "--year", "2020", "-o", str(readme), "--force")
    assert r.code == 2 and "ist keine Datei mit Berichtstexten" in r.err
    assert readme.read_text(encoding="utf-8") == "# Unser Projekt\n"
    for args in (["export", "register", "-o", str(notes), "--force"],
                 ["import", str(book), "--markup", str(notes), "--force"],
                 ["summary", "--html", str(notes), "--force"]):
        r = cli("--db", db, *args)
        assert r.code == 2 and "ist keine" in r.err and "nicht überschrieben" in r.err, (args, r.err)
    assert notes.read_text(encoding="utf-8") == "wichtige Notizen"
    r = cli("--db", db, "export", "register", "-o", "/dev/full", "--force")
    assert r.code == 2 and "keine gewöhnliche Datei" in r.err


def test_verbose_adds_the_original_text(cli, sample_path: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path, "1m") as where:
        fill(where, leave_kib=4)
        r = cli("--db", str(sample_path), "export", "register", "-o", str(where / "r.xlsx"))
        assert r.code == 2 and "kein Platz mehr auf dem Datenträger." in r.err and "No space" not in r.err
        r = cli("--verbose", "--db", str(sample_path), "export", "register", "-o", str(where / "r.xlsx"))
        assert r.code == 2 and "kein Platz mehr auf dem Datenträger." in r.err and "No space left on device" in r.err
        assert r.err.count("\n") == 1
