"""What an import found: one typed result per row, the plan of all files, and applying it.

Rules:
- Each row ends as exactly one of ``KINDS``; a plan is ``clean`` without problems and unsettled
  conflicts, and only a clean plan is applied (all or nothing, one transaction).
- Templates are accepted for the latest reporting year and the one after it (or ``--year``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.changes import ApplyResult, ChangeSet
from ..core.errors import SachstandError
from ..core.memory import release_memory
from ..core.models import NewProject
from ..core.repository import Repository
from .layout import META_SHEET
from .limits import WorkbookRefused
from .plan_cells import forget_cells
from .reader import Problem, WorkbookData

KINDS = ("new", "update", "unchanged", "conflict", "error")


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str
    cell: str


@dataclass(frozen=True, slots=True)
class Conflict:
    file: str
    cell: str
    project_id: str
    field: str
    label: str
    file_value: str
    register_value: str

    def line(self) -> str:
        return (f"{self.cell}: Konflikt bei {self.project_id}, {self.label}: in der Datei „{self.file_value}“, "
                f"inzwischen im Register „{self.register_value}“")


@dataclass(slots=True)
class RowResult:
    file: str
    row: int
    kind: str
    project_id: str | None
    department: str
    name: str
    # empty tuples until the row has any: 100,000 new rows hold no empty lists
    changes: Sequence[FieldChange] = ()
    problems: Sequence[Problem] = ()
    conflicts: Sequence[Conflict] = ()
    new_project: NewProject | None = None
    #: "file" or "register" when the row's conflicts were settled by ``--on-conflict``
    settled: str | None = None


@dataclass(frozen=True)
class Remark:
    """A department's note for IT ("Bemerkungen"): shown in the preview, not stored."""

    file: str
    cell: str
    project: str
    text: str


@dataclass(frozen=True)
class Missing:
    """A project of a returned template whose row is gone from it ("nicht zurückgemeldet")."""

    file: str
    project_id: str
    department: str
    name: str


@dataclass
class ImportPlan:
    files: list[WorkbookData]
    rows: list[RowResult]
    problems: list[Problem]
    changeset: ChangeSet
    remarks: list[Remark] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    on_conflict: str | None = None

    @property
    def conflicts(self) -> list[Conflict]:
        """Conflicts not settled by ``--on-conflict``: each stops the import."""
        return [c for r in self.rows if r.settled is None for c in r.conflicts]

    @property
    def settled(self) -> list[RowResult]:
        return [r for r in self.rows if r.settled is not None]

    def of_kind(self, kind: str) -> list[RowResult]:
        return [r for r in self.rows if r.kind == kind]

    @property
    def clean(self) -> bool:
        return not self.problems and not self.conflicts


def _version_warnings(files: Sequence[WorkbookData], rows: Sequence[RowResult]) -> list[str]:
    """Files that change existing projects but carry no row versions (no hidden sheet): a change
    made in the register since the file was made cannot be told from an old value there."""
    updating = {r.file for r in rows if r.kind == "update"}
    return [
        f"{data.name}: ohne Versionsangaben (kein verstecktes Blatt „{META_SHEET}“); Änderungen, die seit "
        "dem Erstellen der Datei im Register gemacht wurden, werden nicht als Konflikt erkannt. "
        "Bitte die Änderungen oben prüfen."
        for data in files
        if data.name in updating and (data.meta is None or not data.meta.versions)
    ]


def accepted_years(repo_years: Sequence[int]) -> set[int]:
    """Years a template may be for: the latest reporting year and the one after it."""
    if not repo_years:
        return set()
    return {max(repo_years), max(repo_years) + 1}


def check_template_year(data: WorkbookData, repo_years: Sequence[int], year: int | None) -> None:
    if not data.is_template or data.meta is None:
        return
    allowed = {year} if year is not None else accepted_years(repo_years)
    if allowed and data.meta.year not in allowed:
        wanted = " oder ".join(str(y) for y in sorted(allowed))
        raise WorkbookRefused(
            data.name, f"die Vorlage gilt für {data.meta.year}, erwartet wird eine Vorlage für {wanted}"
        )


def apply_plan(repo: Repository, plan: ImportPlan, release: bool = False) -> ApplyResult:
    """Write the plan's change set in one transaction, audited with each file's name and SHA-256.

    Only a clean plan is applied; several files share one transaction, so their names and hashes
    are joined in the audit entry. With ``release`` (the caller has shown the plan already), the
    plan's rows and what its files brought only for planning (row versions, a register
    workbook's extra sheets) are dropped, and its new projects are let go as they are written, so
    a large import does not hold its plan while DuckDB holds the uncommitted rows; the plan is
    spent.
    """
    if not plan.clean:
        raise SachstandError("Die Dateien haben Probleme oder Konflikte; es wurde nichts gespeichert.")
    source = f"import --on-conflict {plan.on_conflict}" if plan.settled else "import"
    actor = repo.actor.with_source(
        source, ", ".join(f.name for f in plan.files), ", ".join(f.sha256 for f in plan.files)
    )
    if release:
        plan.rows = []
        for f in plan.files:
            f.extras = None
            if f.meta is not None:
                f.meta.versions = {}
        forget_cells()
        release_memory()
    return Repository(repo.db, actor).apply(plan.changeset, release=release)
