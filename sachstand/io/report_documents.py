"""``sachstand export report --year Y -o F``: the format is taken from F's suffix.

- ``.xlsx``: the report workbook (``io.report``).
- ``.docx``: the printed report (``io.report_docx``, with Abbildung 1 from ``io.report_chart``).
- ``.pptx``: the presentation (``io.report_pptx``).
- ``.pdf``: the ``.docx`` converted by LibreOffice headless (``soffice``) with a private profile
  and a time limit; without LibreOffice, one German line says what to install (exit 2).

Rules: the documents are built from ``core.report_content.report_content`` only (a published year
gives its published state). ``template`` must match the format (.docx for .docx/.pdf, .pptx for
.pptx). A file is written under a temporary name beside the target and renamed into place, so a
failed export leaves neither a half-written file nor a changed old one (``core.output``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import SachstandError
from ..core.repository import Repository
from ..core.signals import held_stops

FORMATS = (".xlsx", ".docx", ".pptx", ".pdf")
SOFFICE_TIMEOUT = 180
SOFFICE_HINT = (
    "Für PDF wird LibreOffice gebraucht, es ist hier nicht installiert: bitte das Paket "
    "„libreoffice-writer-nogui“ installieren (Debian/Ubuntu: apt-get install libreoffice-writer-nogui) "
    "oder den Bericht als .docx exportieren."
)


def report_format(path: str | Path) -> str:
    """The format of ``path`` by its suffix; an unknown suffix is refused in German."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SachstandError(
            f"{path}: das Format „{suffix or 'ohne Endung'}“ kennt export report nicht "
            f"(möglich: {', '.join(FORMATS)})."
        )
    return suffix


def _check_template(fmt: str, template: str | Path | None) -> Path | None:
    if template is None:
        return None
    path = Path(template).expanduser()
    wanted = {".docx": ".docx", ".pdf": ".docx", ".pptx": ".pptx"}.get(fmt)
    if wanted is None:
        raise SachstandError("--template gilt nur für .docx, .pdf und .pptx, nicht für die Arbeitsmappe.")
    if path.suffix.lower() != wanted:
        raise SachstandError(f"Für {fmt} braucht es eine {wanted}-Vorlage, nicht {path.name}.")
    if not path.is_file():
        raise SachstandError(f"Die Vorlage {path} gibt es nicht.")
    from .limits import check_package
    from .ooxml import check_template_parts

    check_package(path, "die Vorlage")
    check_template_parts(path, "die Vorlage")
    return path


def _saved(document) -> bytes:
    """A python-docx/docxtpl/python-pptx document as bytes (built in memory, then written once)."""
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def export_document(repo: Repository, path: str | Path, year: int, template: str | Path | None = None,
                    force: bool = False) -> Path:
    """Write the year's report in the format of ``path``'s suffix; returns the path written.

    The target passes the output guard (``core.output``: never the register or its files, never
    a file of another kind, an existing one only with ``force``); the file is built in memory and
    written atomically.
    """
    from ..core import output

    kinds = {".xlsx": output.XLSX, ".docx": output.DOCX, ".pptx": output.PPTX, ".pdf": output.PDF}
    # the guard first: the register, its files or a folder are named as such, whatever the suffix
    target = output.check_output(path, kinds.get(Path(path).suffix.lower(), output.XLSX), repo.db.path, force)
    fmt = report_format(path)
    tpl = _check_template(fmt, template)
    if fmt == ".pdf" and soffice() is None:
        raise SachstandError(SOFFICE_HINT)
    if fmt == ".xlsx":
        from .report import export_report

        buffer = io.BytesIO()
        export_report(repo, buffer, year)
        output.write_output(target, buffer.getvalue())
        return target

    from ..core.report_content import report_content

    content = report_content(repo, year)
    if fmt == ".pptx":
        from . import report_pptx

        output.write_output(target, _saved(report_pptx.build(content, tpl)))
        return target
    docx = _saved(build_docx(content, tpl))
    output.write_output(target, docx if fmt == ".docx" else _pdf(docx))
    return target


def build_docx(content, template: Path | None):
    from . import report_chart, report_docx

    chart = report_chart.progress_chart(content.report.rows, content.year, content.report.as_of)
    return report_docx.build(content, chart, report_chart.render(chart), template)


def _pdf(docx: bytes) -> bytes:
    """The .docx as PDF, converted by LibreOffice headless in a private folder and profile."""
    office = soffice()
    if office is None:
        raise SachstandError(SOFFICE_HINT)
    with _scratch_folder() as work:
        source = Path(work) / "bericht.docx"
        source.write_bytes(docx)
        profile = Path(work) / "profile"
        cmd = [office, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", work, str(source)]
        try:
            run = _run_office(cmd, Path(work))
        except subprocess.TimeoutExpired:
            raise SachstandError(
                f"LibreOffice hat den Bericht nach {SOFFICE_TIMEOUT} s nicht in PDF umgewandelt; "
                "bitte erneut versuchen oder als .docx exportieren."
            ) from None
        produced = Path(work) / "bericht.pdf"
        if run.returncode != 0 or not produced.is_file():
            detail = (run.stderr or run.stdout).strip().splitlines()
            raise SachstandError(
                "LibreOffice konnte den Bericht nicht in PDF umwandeln"
                + (f": {detail[-1]}" if detail else f" (Rückgabewert {run.returncode}).")
            )
        return produced.read_bytes()


@contextlib.contextmanager
def _scratch_folder() -> Iterator[str]:
    """A temporary folder, removed at the end with the stop signals held: a stop in the middle of
    its removal left the folder half removed (``TemporaryDirectory`` does not try again)."""
    work = tempfile.mkdtemp(prefix="sachstand_pdf_")
    try:
        yield work
    finally:
        with held_stops():
            shutil.rmtree(work, ignore_errors=True)


def _run_office(cmd: list[str], work: Path) -> subprocess.CompletedProcess[str]:
    """LibreOffice run to its end, in a session of its own with its temporary files in ``work``.

    ``soffice`` starts ``soffice.bin`` as a child of its own, and LibreOffice writes temporary
    files into ``$TMPDIR``. When the conversion is stopped (ctrl+c, SIGTERM, the time limit),
    the whole session is killed before ``work`` is removed: killing ``soffice`` alone left
    ``soffice.bin`` converting on, its files in the temporary folder, and the folder's removal
    failing on the files it still wrote ("Fehler des Betriebssystems" instead of "abgebrochen")."""
    scratch = work / "tmp"
    scratch.mkdir()
    posix = os.name == "posix"
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "TMPDIR": str(scratch)}, start_new_session=posix)
    try:
        out, err = proc.communicate(timeout=SOFFICE_TIMEOUT)
    except BaseException:
        with held_stops():  # a second stop does not cut the clean-up short
            _end_session(proc, posix)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _end_session(proc: subprocess.Popen[str], posix: bool) -> None:
    """Kill ``proc`` and every process of its session (SIGKILL: none of them writes another
    byte), and wait for ``proc``."""
    if posix:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()
    proc.wait()
