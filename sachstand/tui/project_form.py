"""The project form's state and checks: what was loaded, what was typed, and each field's problem.

Rules:
- Every field is checked as it is typed by its ``fields.FieldRule`` (a Textual ``Validator``: the
  parsers of ``core.types``, then ``changes.check_value``); an error is shown under its field and
  the field is marked ``invalid``.
- Before a save, ``check_all`` runs ``changes.check`` (the check ``Repository.apply`` runs) on the
  edit and puts each problem at its field (the date order at "Geplantes Ende"); a problem of no
  field (the right to write) is shown as the core's refusal.
- Only fields whose text differs from what was loaded count as edited.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.widgets import Input, Select, Static, TextArea

from ..core.changes import ChangeSet, Problem, ProjectUpdate, check, progress_year
from ..core.models import REQUIRED_FIELDS, NewProject, Project
from ..core.types import clean_text
from .fields import MULTI_LINE, FieldRule, parse_field
from .host import SachstandScreen
from .state import Draft


class ProjectForm(SachstandScreen[bool]):
    """The form part of ``ProjectScreen``: field access, validation, the status line, the edit."""

    project_id: str | None
    year: int
    project: Project | None
    initial: dict[str, str]
    errors: dict[str, str]
    hints: dict[str, str]
    ready: bool
    departments: list[str]

    def _input(self, name: str) -> Input | TextArea | Select:
        if name == "department":
            return self.query_one("#f-department", Select)
        selector = f"#f-{name.replace(':', '-')}"
        if name in MULTI_LINE:
            return self.query_one(selector, TextArea)
        return self.query_one(selector, Input)

    def _text(self, name: str) -> str:
        widget = self._input(name)
        if isinstance(widget, Select):
            return "" if widget.is_blank() else str(widget.value)
        return widget.text if isinstance(widget, TextArea) else widget.value

    def _set_text(self, name: str, text: str) -> None:
        widget = self._input(name)
        assert not isinstance(widget, Select)
        if isinstance(widget, TextArea):
            widget.load_text(text)
        else:
            widget.value = text

    def edited_texts(self) -> dict[str, str]:
        """Fields whose text differs from what was loaded."""
        out = {}
        for name, first in self.initial.items():
            text = self._text(name)
            if text != first:
                out[name] = text
        return out

    @property
    def dirty(self) -> bool:
        return self.ready and bool(self.edited_texts())

    def unsaved_draft(self) -> Draft | None:
        """The unsaved edit with the version it was typed on (kept at a hang-up)."""
        repo = self.host.repo
        if not self.dirty or repo is None:
            return None
        return Draft(str(repo.db.path.resolve()), self.project_id, self.year,
                     self.project.version if self.project is not None else None, self.edited_texts())

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.name and self.ready:
            self._validate(event.input.name, event.value)
            self._update_status()

    @on(TextArea.Changed)
    def _area_changed(self, event: TextArea.Changed) -> None:
        name = event.text_area.name
        if name and self.ready:
            self._validate(name, event.text_area.text)
            self._update_status()

    @on(Select.Changed, "#f-department")
    def _dept_changed(self) -> None:
        if self.ready:
            self._validate("department", self._text("department"))
            self._update_status()

    def _rule(self, name: str) -> FieldRule:
        """The field's validator: the core's rules, with what the register holds never an error."""
        return FieldRule(name, lambda text: self._unchanged(name, text))

    def _unchanged(self, name: str, text: str) -> bool:
        """The text is what was loaded, and the field is not a required one marked missing."""
        return text == self.initial.get(name) and not (name in REQUIRED_FIELDS and name in self.errors)

    def _validate(self, name: str, text: str) -> None:
        """Run the field's ``FieldRule`` (an ``Input`` runs its own validators) and show the result."""
        widget = self._input(name)
        result = widget.validate(text) if isinstance(widget, Input) else self._rule(name).validate(text)
        if result is None or result.is_valid:
            self.errors.pop(name, None)
        else:
            self.errors[name] = result.failure_descriptions[0]
        self._show_error(name, self.errors.get(name, ""))

    def _revalidate(self) -> None:
        for name in self.initial:
            self._validate(name, self._text(name))
        self._update_status()

    def _missing(self) -> list[str]:
        """Required fields left blank (a new project starts with them blank, unchanged)."""
        return [name for name in REQUIRED_FIELDS if not clean_text(self._text(name))]

    def _show_error(self, name: str, message: str) -> None:
        """An error under the field; else a finding about the stored value while it is unchanged."""
        box = self.query_one(f"#e-{name.replace(':', '-')}", Static)
        hint = "" if message or self._text(name) != self.initial.get(name) else self.hints.get(name, "")
        box.update(Text(message if message else f"Hinweis: {hint}" if hint else ""))
        box.display = bool(message or hint)
        box.set_class(bool(hint), "field-hint")
        self._input(name).set_class(bool(message), "invalid")

    def _update_status(self) -> None:
        status = self.query_one("#form-status", Static)
        edited = self.edited_texts() if self.ready else {}
        if self.errors:
            text = Text(f"{len(self.errors)} Feld(er) fehlerhaft – so wird nichts gespeichert", style="bold red")
        elif edited:
            text = Text(f"{len(edited)} ungespeicherte Änderung(en) – ctrl+s oder F2 speichert", style="bold yellow")
        elif self.ready:
            text = Text("Keine ungespeicherten Änderungen", style="dim")
        else:
            text = Text("Lädt …", style="dim")
        status.update(text)

    def _values(self) -> dict[str, object]:
        """The edited fields' values (the form checked them: no parser fails here)."""
        return {name: (text if name == "department" else parse_field(name, text))
                for name, text in self.edited_texts().items()}

    def _check_all(self) -> bool:
        """Run ``changes.check`` (the rules ``apply`` enforces, such as the date order or the right
        to write in the department) on what would be saved, and put each problem at its field;
        a problem of no field is shown as the refusal. True when there is none."""
        p = self.project
        if p is None:
            changeset = ChangeSet(new_projects=[self._new_project(self._values())])
            current: dict[str, Project] = {}
        else:
            changeset = ChangeSet(updates=[ProjectUpdate(p.id, p.version, self._values())])
            current = {p.id: p}
        problems: list[Problem] = check(changeset, current, self.repo.actor, set(self.departments)).problems
        for problem in problems:
            if problem.key in self.initial:
                self.errors[problem.key] = problem.reason
                self._show_error(problem.key, problem.reason)
            elif problem.error is not None:
                self.app.bell()
                self.host.show_error(problem.error)
                return False
        return True

    def _new_project(self, values: dict[str, object]) -> NewProject:
        dept = self.query_one("#f-department", Select)
        progress = {year: v for k, v in values.items() if (year := progress_year(k)) is not None and v is not None}
        return NewProject(
            department="" if dept.is_blank() else str(dept.value),
            name=str(values.get("name") or ""), description=str(values.get("description") or ""),
            planned_cost=values.get("planned_cost"),  # type: ignore[arg-type]  # parsed: Decimal | None
            cost_note=str(values.get("cost_note") or ""),
            # parsed values: start and end are Period | None, progress maps years to int (``_parse``)
            start=values.get("start"), end=values.get("end"), progress=progress,  # type: ignore[arg-type]
        )

