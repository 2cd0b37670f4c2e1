"""The project screen: all fields of one project, edited in place, with history, funding and audit.

Rules:
- Fields are checked as typed and the whole edit before a save (``project_form``: the core's
  ``check_value`` and ``check``); a save with a wrong field writes nothing.
- Only fields whose text was changed are sent, with the row version read; the repository refuses
  a stale version with a ``ConflictError``, which opens the conflict screen.
- A field whose stored text is not a date (e.g. "11.05.217" from the seed) stays as it is unless
  the user changes it.
- Long text (the description) is a multi-line ``TextArea`` that keeps line breaks and wraps; in
  read-only it stays focusable and scrollable (``read_only``, not disabled), so all of it can be read.
- Required fields (``models.REQUIRED_FIELDS``: Bereich, Name) are named at ctrl+s ("Name fehlt")
  and marked at the field, for a new project as for a blanked one.
- The findings about a project's own values (``core.findings.project_findings``, e.g. the start
  "11.05.217" that is no date) are shown under their field while it holds the stored text.
- Leaving with unsaved changes asks first. The screen dismisses with True if anything was written.
- A restored draft (kept at a hang-up) is put into the fields on top of the stored project, and
  the save is checked against the version the draft was typed on: if someone changed the project
  since, the conflict screen shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static, TextArea

from ..core.changes import progress_key
from ..core.errors import ConflictError, SachstandError
from ..core.findings import project_findings
from ..core.models import REQUIRED_FIELDS, SHORT_LABELS, AuditEntry, FundedProject, Project, display_value, field_label
from ..core.text import safe_text
from ..core.types import format_date
from . import project_sections as sections
from .conflict import KEEP, RELOAD, ConflictScreen
from .dialogs import ConfirmDialog
from .fields import MULTI_LINE, PLACEHOLDERS, field_text, missing_message
from .german import GermanSelect
from .project_form import ProjectForm
from .state import Draft, drop_draft
from .text import key_footer


@dataclass(frozen=True)
class Loaded:
    project: Project | None
    audit: list[AuditEntry]
    funded: list[FundedProject]
    departments: list[str]


class ProjectScreen(ProjectForm):
    """One project (``project_id``), or a new one when ``project_id`` is None."""

    BINDINGS = [
        Binding("ctrl+s,f2", "save", "Speichern"),
        Binding("escape", "leave", "Zurück", tooltip="zurück (fragt bei ungespeicherten Änderungen)"),
        Binding("ctrl+r", "reload", "Neu laden"),
        Binding("f8", "archive", "Archivieren",
                tooltip="archivieren, ein archiviertes Projekt wiederherstellen (mit Rückfrage)"),
    ]

    def __init__(self, project_id: str | None, year: int, draft: Draft | None = None) -> None:
        super().__init__()
        self.draft = draft
        self.stale_draft = False
        self.project_id = project_id
        self.year = year
        self.project: Project | None = None
        self.initial: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.hints: dict[str, str] = {}
        self.saved_any = False
        self.ready = False
        self.busy = False
        self.departments: list[str] = []

    # ---- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        with VerticalScroll(id="form"):
            yield Static(id="info")
            with Horizontal(classes="field-row"):
                yield Label(SHORT_LABELS["department"], classes="field-label")
                with Vertical(classes="field-box"):
                    yield GermanSelect([], allow_blank=True, prompt="Bereich wählen", id="f-department",
                                       compact=True)
                    yield Static("", id="e-department", classes="field-error")
            for name in ("name", "description", "planned_cost", "cost_note", "start", "end"):
                yield from self._field(name, SHORT_LABELS[name])
            yield Vertical(id="progress-fields")
            yield Static(id="history", classes="section")
            yield Static(id="funded", classes="section")
            yield Static(id="audit", classes="section")
        yield Static(id="form-status", classes="status-line")
        yield key_footer()

    def _field(self, name: str, label: str) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(label, classes="field-label")
            with Vertical(classes="field-box"):
                if name in MULTI_LINE:
                    yield TextArea(id=f"f-{name}", soft_wrap=True, compact=True, tab_behavior="focus",
                                   placeholder=PLACEHOLDERS.get(name, ""), classes="long-text", name=name)
                else:
                    yield Input(id=f"f-{name.replace(':', '-')}", placeholder=PLACEHOLDERS.get(name, ""),
                                compact=True, name=name, validators=[self._rule(name)], validate_on=["changed"])
                yield Static("", id=f"e-{name.replace(':', '-')}", classes="field-error")

    def on_mount(self) -> None:
        self._set_title()
        self.load()

    def _set_title(self) -> None:
        title = Text("Sachstand – ", style="bold")
        if self.project is None:
            title.append("neues Projekt" if self.project_id is None else f"Projekt {self.project_id}", style="bold")
        else:
            title.append(f"Projekt {self.project.id}  ", style="bold")
            title.append_text(Text(safe_text(self.project.name)))
        self.query_one("#title", Static).update(title)

    @property
    def editable(self) -> bool:
        app = self.host
        if self.project is None:
            return app.can_write
        return not self.project.archived and app.can_write_department(self.project.department)

    # ---- loading --------------------------------------------------------------------------------

    def load(self, keep_mine: bool = False) -> None:
        repo = self.repo
        pid = self.project_id
        mine = self.edited_texts() if keep_mine else {}
        draft, self.draft = self.draft, None
        if draft is not None:
            mine = dict(draft.texts)

        def work() -> Loaded:
            with repo.db.read():  # one short connection for the four reads
                project = repo.get(pid) if pid else None
                audit = repo.audit_for(pid) if pid else []
                funded = repo.funded_projects(pid) if pid else []
                return Loaded(project, audit, funded, [d.code for d in repo.departments()])

        async def done(loaded: Loaded) -> None:
            stale = False
            if draft is not None and draft.version is not None and loaded.project is not None:
                stale = loaded.project.version != draft.version
                self.stale_draft = stale
                loaded = replace(loaded, project=replace(loaded.project, version=draft.version))
            await self._fill(loaded)
            for name, text in mine.items():
                if name == "department":
                    dept = self.query_one("#f-department", Select)
                    if text in self.departments:
                        dept.value = text
                elif name in self.initial:
                    self._set_text(name, text)
            self._revalidate()
            if draft is not None:
                drop_draft(repo.db.path)
                note = f"Entwurf vom {draft.saved_display} wiederhergestellt – ctrl+s speichert."
                if stale:
                    note += " Das Projekt wurde seitdem geändert: beim Speichern sehen Sie die Unterschiede."
                self.app.notify(note, timeout=10, markup=False)

        self.host.call_db(work, done, node=self, group="load")

    async def _fill(self, loaded: Loaded) -> None:
        self.project = loaded.project
        self.departments = loaded.departments
        p = loaded.project
        dept = self.query_one("#f-department", Select)
        writable = [d for d in loaded.departments if self.host.can_write_department(d)]
        if p is not None:
            dept.set_options([(Text(safe_text(d)), d) for d in loaded.departments])
            dept.value = p.department
        else:  # a new project can only go where this user may write
            dept.set_options([(Text(safe_text(d)), d) for d in writable])
            if writable:
                dept.value = writable[0]
        self.initial = {"department": str(dept.value) if not dept.is_blank() else ""}
        for name in ("name", "description", "planned_cost", "cost_note", "start", "end"):
            text = field_text(p, name)
            self._set_text(name, text)
            self.initial[name] = text
        await self._fill_progress(p)
        self.errors.clear()
        self.hints = {f.field: f.message for f in project_findings(p) if f.field} if p is not None else {}
        for name in self.initial:
            self._show_error(name, "")
        editable = self.editable
        for widget in self.query("#form Input, #form Select"):
            widget.disabled = not editable
        for area in self.query("#form TextArea").results(TextArea):
            area.read_only = not editable
        self._fill_info(p)
        self.query_one("#history", Static).update(sections.history(p))
        funded = self.query_one("#funded", Static)
        funded.display = bool(loaded.funded)
        funded.update(sections.funded(loaded.funded))
        self.query_one("#audit", Static).update(sections.audit(loaded.audit))
        self._set_title()
        self.ready = True
        self._update_status()
        self.refresh_bindings()
        if editable:
            self._input("name").focus()
        else:
            self.query_one("#form", VerticalScroll).focus()

    async def _fill_progress(self, p: Project | None) -> None:
        box = self.query_one("#progress-fields", Vertical)
        years = sorted(set(p.progress if p else {}) | {self.year})
        await box.remove_children()
        rows = []
        for y in years:
            name = progress_key(y)
            row = Horizontal(
                Label(f"Stand {y} in %", classes="field-label"),
                Vertical(
                    Input(value=field_text(p, name), id=f"f-progress-{y}", placeholder="0 bis 100", compact=True,
                          name=name, validators=[self._rule(name)], validate_on=["changed"]),
                    Static("", id=f"e-progress-{y}", classes="field-error"),
                    classes="field-box",
                ),
                classes="field-row",
            )
            rows.append(row)
            self.initial[name] = field_text(p, name)
        await box.mount_all(rows)

    def _fill_info(self, p: Project | None) -> None:
        info = Text()
        if p is None:
            info.append("Neues Projekt: die ID vergibt das Register beim Speichern.", style="dim")
        else:
            info.append(f"{p.id}", style="bold")
            info.append(f"  ·  Version {p.version}  ·  angelegt {format_date(p.created_at.date())}"
                        f"  ·  geändert {format_date(p.updated_at.date())}", style="dim")
            if p.archived:
                info.append("  ·  ARCHIVIERT (F8 stellt es wieder her)", style="bold yellow")
        if not self.editable:
            info.append("\nNur lesen: Sie können dieses Projekt nicht ändern.", style="yellow")
        self.query_one("#info", Static).update(info)

    # ---- actions --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.editable
        if action == "archive":  # archive, or restore an archived project
            p = self.project
            return p is not None and self.host.can_write_department(p.department)
        return True

    def action_save(self) -> None:
        if not self.ready or self.busy:
            return
        self._revalidate()  # each field's own rule again: drops what an earlier check put at a field
        for name in self._missing():
            self.errors[name] = missing_message(name)
            self._show_error(name, self.errors[name])
        if not self.errors and not self._check_all():
            self._update_status()
            return
        self._update_status()
        if self.errors:
            self.app.bell()
            missing = [self.errors[n] for n in REQUIRED_FIELDS if n in self.errors]
            first = next(n for n in (*REQUIRED_FIELDS, *self.errors) if n in self.errors)
            said = ", ".join(missing) if missing else f"{field_label(first)}: {self.errors[first]}"
            self.app.notify(safe_text(f"Nicht gespeichert: {said}"), severity="error", markup=False)
            field = self._input(first)
            field.focus()
            self.call_after_refresh(field.scroll_visible, animate=False)
            return
        edited = self.edited_texts()
        if not edited:
            self.app.notify("Keine Änderungen zu speichern.", timeout=3)
            return
        values = self._values()
        if self.project is None:
            self._create(values)
        else:
            self._update(self.project, values)

    def _create(self, values: dict[str, object]) -> None:
        repo = self.repo
        new = self._new_project(values)

        def done(project: Project) -> None:
            self.busy = False
            self.saved_any = True
            self.project_id = project.id
            self.app.notify(f"Projekt {project.id} angelegt.", timeout=4)
            self.load()

        self._write(lambda: repo.create(new), done)

    def _update(self, project: Project, values: dict[str, object]) -> None:
        repo = self.repo

        def done(saved: Project) -> None:
            self.busy = False
            self.saved_any = True
            self.app.notify(f"{saved.id} gespeichert (Version {saved.version}).", timeout=4)
            self.load()

        self._write(lambda: repo.update(project.id, project.version, values), done)

    def _write(self, work: Callable[[], Project], done: Callable[[Project], None]) -> None:
        self.busy = True

        def failed(exc: SachstandError) -> None:
            self.busy = False
            if isinstance(exc, ConflictError):
                self.app.push_screen(ConflictScreen(exc, self._base_values()), self._after_conflict)
            else:
                self.host.show_error(exc)

        self.host.call_db(work, done, failed, node=self, group="write")

    def _base_values(self) -> dict[str, str]:
        """The stored values this edit started from, shown as the conflict shows the stored ones."""
        p = self.project
        if p is None or self.stale_draft:  # a stale draft's base values are not known
            return {}
        return {name: display_value(p.value(name)) for name in self.initial if name != "department"} | {
            "department": p.department}

    def _after_conflict(self, choice: str | None) -> None:
        self.stale_draft = False
        if choice == KEEP:
            self.load(keep_mine=True)
        elif choice == RELOAD:
            self.saved_any = True  # the list shows the stored values too when this screen closes
            self.load()

    def action_reload(self) -> None:
        if self.dirty:
            self._ask(Text("Ungespeicherte Änderungen verwerfen und neu laden?"), lambda: self.load())
        else:
            self.load()

    def action_leave(self) -> None:
        if self.dirty:
            self._ask(Text("Ungespeicherte Änderungen verwerfen?"), lambda: self.dismiss(self.saved_any))
        else:
            self.dismiss(self.saved_any)

    def action_archive(self) -> None:
        p = self.project
        if p is None:
            return
        repo = self.repo
        if p.archived:
            question = Text(f"Projekt {p.id} wiederherstellen?\n", style="bold")
            question.append_text(Text(safe_text(p.name)))
            question.append("\nEs erscheint wieder in Liste und Bericht.", style="dim")

            def restored(saved: Project) -> None:
                self.busy = False
                self.saved_any = True
                self.app.notify(f"{saved.id} wiederhergestellt.", timeout=4)
                self.load()

            self._ask(question, lambda: self._write(lambda: repo.archive(p.id, p.version, archived=False), restored))
            return
        question = Text(f"Projekt {p.id} archivieren?\n", style="bold")
        question.append_text(Text(safe_text(p.name)))
        question.append("\nEs verschwindet aus Liste und Bericht; die Daten bleiben erhalten.", style="dim")

        def archived(saved: Project) -> None:
            self.busy = False
            self.app.notify(f"{saved.id} archiviert.", timeout=4)
            self.dismiss(True)

        self._ask(question, lambda: self._write(lambda: repo.archive(p.id, p.version), archived))

    def _ask(self, question: Text, then: Callable[[], object]) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmDialog(question), answer)
