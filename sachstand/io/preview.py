"""The import preview: a ``rich`` printout for people and one JSON object for scripts.

Both render the same ``ImportPlan``. User text goes through ``core.text.safe_text`` inside ``Text``, so
markup and control codes from a workbook are shown literally and never reach the terminal.

Rules of the printout:
- The first line says whether anything is (or was) saved; while a problem, an unsettled conflict
  or an unreadable file remains, it says plainly that nothing is saved.
- It fits the terminal's width: long values wrap inside their column, no line is wider.
- A kind with more than ``LARGE`` rows (changes, new projects, problems, missing projects) is
  shown as counts per department and its first ``FIRST`` rows; ``--all`` shows every row. The
  JSON is always complete.
- A conflict is shown with its row's other changes, each marked as applied or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import islice
from json import dumps
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, TextIO

from ..core.text import json_escaped, json_text, safe_text
from ..core.types import format_number
from .diff import ImportPlan, RowResult

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

    from ..core.types import Period

JSON_BATCH = 1000
LARGE = 200
FIRST = 20
CHOICE = {"file": "für die Datei", "register": "für das Register"}


def _change_json(c, applied: bool) -> dict:
    return {"field": c.field, "label": c.label, "cell": c.cell, "old": c.old, "new": c.new, "applied": applied}


def as_json(plan: ImportPlan, applied: bool, refused: Sequence[tuple[str, str]] = (), lazy: bool = False) -> dict:
    """The plan as one JSON object; with ``lazy``, "changed" and "new" are generators (``write_json``)."""
    new_departments = {d.code for d in plan.changeset.new_departments}
    updated = [r for r in plan.rows if r.kind == "update" or (r.settled and r.changes)]
    changed = (
        {"file": r.file, "row": r.row, "project": r.project_id, "name": r.name, "field": c.field,
         "label": c.label, "cell": c.cell, "old": c.old, "new": c.new}
        for r in updated for c in r.changes
    )
    seen: dict[object, object] = {}
    new: Iterator[dict] = (new_json(r, new_departments, seen) for r in plan.rows if r.kind == "new")
    if lazy:
        shown: dict[int, str] = {}
        new = Listing(new, (new_text(r, new_departments, shown) for r in plan.rows if r.kind == "new"))
    return {
        "files": [{"file": f.name, "sha256": f.sha256, "sheet": f.sheet,
                   "kind": "template" if f.is_template else "register" if f.extras is not None else "overview",
                   "ignored_columns": list(f.ignored), "notes": list(f.notes)} for f in plan.files],
        "refused": [{"file": name, "reason": reason} for name, reason in refused],
        "changed": changed if lazy else list(changed),
        "new": new if lazy else list(new),
        "unchanged": sum(1 for r in plan.rows if r.kind == "unchanged"),
        "missing": [{"file": m.file, "project": m.project_id, "department": m.department, "name": m.name}
                    for m in plan.missing],
        "problems": [{"file": p.file, "cell": p.cell, "value": p.value, "message": p.message} for p in plan.problems],
        "conflicts": [
            {"file": c.file, "cell": c.cell, "project": c.project_id, "field": c.field, "label": c.label,
             "file_value": c.file_value, "register_value": c.register_value, "settled": r.settled,
             "other_changes": [_change_json(ch, applied) for ch in r.changes if ch.field != c.field]}
            for r in plan.rows for c in r.conflicts
        ],
        "on_conflict": plan.on_conflict,
        "remarks": [{"file": m.file, "cell": m.cell, "project": m.project, "text": m.text} for m in plan.remarks],
        "warnings": list(plan.warnings),
        "applied": applied,
    }


def write_json(out: dict, stream: TextIO, indent: int | None = 2) -> None:
    """Write ``out`` (from ``as_json``) as ``json_text`` would; a generator value is written as a
    list, ``JSON_BATCH`` items at a time, so a preview of 100,000 rows never exists as one string.
    Compact output (``indent=None``) is the same text as ``json_text(out, None)``."""
    if indent is not None:
        stream.write(json_text({k: list(v) if isinstance(v, Iterator) else v for k, v in out.items()}, indent))
        stream.write("\n")
        return
    sep = "{"
    for key, value in out.items():
        stream.write(f"{sep}{json_text(key, None)}: ")
        sep = ", "
        if not isinstance(value, Iterator):
            stream.write(json_text(value, None))
            continue
        stream.write("[")
        first = True
        if isinstance(value, Listing):
            while batch := list(islice(value.texts, JSON_BATCH)):
                stream.write(("" if first else ", ") + json_escaped(", ".join(batch)))
                first = False
        else:
            while batch := list(islice(value, JSON_BATCH)):
                stream.write(("" if first else ", ") + json_text(batch, None)[1:-1])
                first = False
        stream.write("]")
    stream.write("}\n" if sep == ", " else "{}\n")


class Listing(Iterator[dict]):
    """A listing of the JSON made while it is written: iterated, its items as dicts; ``texts``
    gives the same items as compact JSON text instead, as ``json.dumps`` writes them (before
    ``json_text``'s escapes). ``write_json`` writes the texts: one C call per value, where the
    dicts cost a dict and an encoder pass per item. Only one of the two is consumed."""

    def __init__(self, items: Iterator[dict], texts: Iterator[str]) -> None:
        self.items = items
        self.texts = texts

    def __next__(self) -> dict:
        return next(self.items)


_NEW = ('{"file": %s, "row": %d, "department": %s, "name": %s, "new_department": %s, "project": %s, '
        '"description": %s, "planned_cost": %s, "cost_note": %s, "start": %s, "end": %s, "progress": %s%s}')


def new_text(r: RowResult, new_departments: set[str], seen: dict[int, str]) -> str:
    """``json.dumps(new_json(r, new_departments), ensure_ascii=False)``, made faster: the
    strings by the encoder's own C function, the shown form of values that repeat (dates,
    progress series: the plan shares one object per value) kept in ``seen`` by the object's id
    for a whole listing; the rows must stay alive while ``seen`` is used. A row with a value of
    another type than the usual ones goes through ``json.dumps``."""
    n = r.new_project
    enc = encode_basestring
    try:
        if n is None or type(r.row) is not int:
            raise TypeError
        start = seen.get(id(n.start)) if n.start is not None else None
        if start is None:
            start = _period_text(n.start, n.start_text, seen)
        end = seen.get(id(n.end)) if n.end is not None else None
        if end is None:
            end = _period_text(n.end, n.end_text, seen)
        progress = seen.get(id(n.progress))
        if progress is None:
            progress = seen[id(n.progress)] = dumps(
                {str(y): v for y, v in sorted(n.progress.items())}, ensure_ascii=False)
        cost = n.planned_cost
        return _NEW % (
            enc(r.file), r.row, enc(r.department), enc(r.name), "true" if r.department in new_departments else "false",
            "null" if n.id is None else enc(n.id), enc(n.description), "null" if cost is None else enc(str(cost)),
            enc(n.cost_note), start, end, progress, ', "archived": true' if n.archived is True else
            "" if n.archived is False else _odd())
    except TypeError:
        return dumps(new_json(r, new_departments), ensure_ascii=False)


def _odd() -> str:
    raise TypeError


def _period_text(period: Period | None, text: str, seen: dict[int, str]) -> str:
    """The JSON of a start or end as ``new_json`` shows it: the period's German form, else the
    source text, else null."""
    if period is None:
        return encode_basestring(text) if text else "null"
    found = seen.get(id(period))
    if found is None:
        shown = period.format()
        if not shown:
            return encode_basestring(text) if text else "null"
        found = seen[id(period)] = encode_basestring(shown)
    return found


def new_json(r: RowResult, new_departments: set[str], seen: dict[object, object] | None = None) -> dict:
    """A new project with every field it brings; money as a string, dates as shown. ``seen``
    keeps the shown form of values that repeat (dates, progress series) for a whole listing."""
    n = r.new_project
    out: dict = {"file": r.file, "row": r.row, "department": r.department, "name": r.name,
                 "new_department": r.department in new_departments}
    if n is not None:
        seen = {} if seen is None else seen
        start, end = seen.get(n.start), seen.get(n.end)
        if start is None:
            start = seen[n.start] = n.start.format() if n.start else None
        if end is None:
            end = seen[n.end] = n.end.format() if n.end else None
        progress = seen.get(id(n.progress))
        if progress is None:  # the plan keeps each series alive, so its id stays its own
            progress = seen[id(n.progress)] = {str(y): v for y, v in sorted(n.progress.items())}
        out.update({
            "project": n.id, "description": n.description,
            "planned_cost": None if n.planned_cost is None else str(n.planned_cost), "cost_note": n.cost_note,
            "start": start or n.start_text or None, "end": end or n.end_text or None, "progress": progress,
        })
        if n.archived:
            out["archived"] = True
    return out


def _new_fields(r: RowResult) -> str:
    from ..core.types import format_money

    n = r.new_project
    if n is None:
        return ""
    bits = []
    if n.planned_cost is not None:
        bits.append(format_money(n.planned_cost))
    if n.cost_note:
        bits.append(n.cost_note)
    start = n.start.format() if n.start else n.start_text
    end = n.end.format() if n.end else n.end_text
    if start or end:
        bits.append(f"{start or '?'} – {end or '?'}")
    bits += [f"{y}: {v}%" for y, v in sorted(n.progress.items())]
    if n.archived:
        bits.append("archiviert")
    return "; ".join(bits)


def _by_department(rows: Sequence[RowResult], what: str) -> Text:
    from rich.text import Text

    counts = Counter(r.department or "–" for r in rows)
    text = Text(f"{format_number(len(rows))} {what}, je Bereich: ", style="bold")
    text.append(", ".join(f"{safe_text(d)}: {format_number(n)}" for d, n in sorted(counts.items())))
    return text


def _more(total: int, shown: int) -> Text:
    from rich.text import Text

    return Text(f"… und {format_number(total - shown)} weitere (alle mit --all, vollständig mit --json)",
                style="dim")


def _table(title: str) -> Table:
    from rich import box
    from rich.table import Table

    return Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", expand=True, pad_edge=False)


def render(plan: ImportPlan, applied: bool, show_all: bool = False,
           refused: Sequence[tuple[str, str]] = ()) -> RenderableType:
    """The preview for people; rich is imported here, so ``--json`` never loads it."""
    from rich.console import Group
    from rich.text import Text

    from ..printout import user_text  # rich and the printout only when the preview is printed

    limit = None if show_all else LARGE
    parts: list[RenderableType] = []
    if (head := headline(plan, applied, refused)) is not None:
        parts.append(head)
    for name, reason in refused:
        parts.append(Text.assemble(("Nicht lesbar: ", "bold red"), user_text(name), ": ", user_text(reason)))
    for f in plan.files:
        kind = (f"Vorlage {f.meta.department} {f.meta.year}" if f.is_template and f.meta
                else "Register" if f.extras is not None else "Übersicht")
        parts.append(Text.assemble(("Datei ", "bold"), user_text(f.name), f"  ({kind}, Blatt „", user_text(f.sheet), "“)"))
        if f.ignored:
            parts.append(Text.assemble("  nicht gelesen: ", user_text(", ".join(f.ignored), "yellow")))
        for note in f.notes:
            parts.append(Text.assemble("  Hinweis: ", user_text(note)))

    updates = [r for r in plan.rows if r.kind == "update" or (r.settled and r.changes)]
    if updates:
        big = limit is not None and len(updates) > limit
        shown = updates[:FIRST] if big else updates
        changes: list[RenderableType] = [Text("Änderungen", style="bold underline")]
        for r in shown:
            changes.append(Text.assemble(user_text(r.project_id or "", "bold"), " ", user_text(r.name)))
            for c in r.changes:
                changes.append(Text.assemble("  ", user_text(c.label), ": ", user_text(c.old or "–", "red"), " → ",
                                             user_text(c.new or "–", "green"), ("  " + safe_text(c.cell), "dim")))
        if big:
            parts.append(_by_department(updates, "Projekte geändert"))
        parts += changes
        if big:
            parts.append(_more(len(updates), len(shown)))

    news = plan.of_kind("new")
    if news:
        new_depts = {d.code for d in plan.changeset.new_departments}
        big = limit is not None and len(news) > limit
        shown = news[:FIRST] if big else news
        table = _table("Neue Projekte")
        table.add_column("Bereich", ratio=1)
        table.add_column("Name", ratio=2)
        table.add_column("Angaben", ratio=3)
        for r in shown:
            dept_cell = user_text(r.department)
            if r.department in new_depts:
                dept_cell.append(" (neu)", style="yellow")
            name_cell = user_text(r.name)
            if r.new_project is not None and r.new_project.id:
                name_cell = Text.assemble(user_text(r.new_project.id, "bold"), " ", name_cell)
            table.add_row(dept_cell, name_cell, Text.assemble(user_text(_new_fields(r)), (f"  {r.file}:{r.row}", "dim")))
        if big:
            parts.append(_by_department(news, "neue Projekte"))
        parts.append(table)
        if big:
            parts.append(_more(len(news), len(shown)))

    if plan.missing:
        parts.append(Text(f"Nicht zurückgemeldet ({format_number(len(plan.missing))}): diese Projekte fehlen in der "
                          "zurückgegebenen Vorlage; sie bleiben unverändert.", style="bold yellow"))
        shown_missing = plan.missing if limit is None or len(plan.missing) <= limit else plan.missing[:FIRST]
        for m in shown_missing:
            parts.append(Text.assemble("  ", (safe_text(m.file), "dim"), " ", user_text(m.project_id, "bold"), " ",
                                       user_text(m.name)))
        if len(shown_missing) < len(plan.missing):
            parts.append(_more(len(plan.missing), len(shown_missing)))

    if plan.remarks:
        table = _table("Bemerkungen der Bereiche (werden nicht gespeichert)")
        table.add_column("Projekt", ratio=1)
        table.add_column("Zelle", ratio=1)
        table.add_column("Bemerkung", ratio=3)
        for remark in plan.remarks:
            table.add_row(user_text(remark.project), user_text(f"{remark.file} {remark.cell}", "dim"), user_text(remark.text))
        parts.append(table)
    for warning in plan.warnings:
        parts.append(Text.assemble(("Achtung: ", "bold yellow"), user_text(warning)))

    conflict_rows = [r for r in plan.rows if r.conflicts]
    open_rows = [r for r in conflict_rows if r.settled is None]
    settled_rows = [r for r in conflict_rows if r.settled is not None]
    if open_rows:
        parts.append(Text(f"Konflikte ({format_number(len(plan.conflicts))}): im Register seit dem Export anders "
                          "geändert. Zum Lösen die Zelle in der Datei anpassen oder --on-conflict file|register "
                          "angeben.", style="bold yellow"))
        parts += _conflict_lines(open_rows, limit, "nicht übernommen, solange der Konflikt besteht")
    if settled_rows:
        choice = CHOICE.get(plan.on_conflict or "", "")
        parts.append(Text(f"Konflikte entschieden {choice} (--on-conflict {plan.on_conflict}): "
                          f"{format_number(sum(len(r.conflicts) for r in settled_rows))}", style="bold"))
        parts += _conflict_lines(settled_rows, limit, "übernommen" if applied else "wird übernommen")
    if plan.problems:
        parts.append(Text(f"Probleme ({format_number(len(plan.problems))}):", style="bold red"))
        problems = plan.problems if limit is None or len(plan.problems) <= limit else plan.problems[:FIRST]
        for p in problems:
            parts.append(Text.assemble("  ", (safe_text(p.file), "dim"), " ", user_text(p.line())))
        if len(problems) < len(plan.problems):
            parts.append(_more(len(plan.problems), len(problems)))
    parts.append(summary_line(plan, applied, refused))
    return Group(*parts)


def _conflict_lines(rows: Sequence[RowResult], limit: int | None, other_state: str) -> list[RenderableType]:
    from rich.text import Text

    from ..printout import user_text

    out: list[RenderableType] = []
    shown = rows if limit is None or len(rows) <= limit else rows[:FIRST]
    for r in shown:
        clash = {c.field for c in r.conflicts}
        for c in r.conflicts:
            take = {"file": "  → Datei", "register": "  → Register"}.get(r.settled or "", "")
            out.append(Text.assemble("  ", (safe_text(c.file), "dim"), " ", user_text(c.line()), (take, "bold")))
        for ch in r.changes:
            if ch.field in clash:
                continue
            out.append(Text.assemble("    weitere Änderung ", user_text(ch.cell, "dim"), " ", user_text(ch.label), ": ",
                                     user_text(ch.old or "–", "red"), " → ", user_text(ch.new or "–", "green"),
                                     (f" ({other_state})", "italic")))
    if len(shown) < len(rows):
        out.append(_more(len(rows), len(shown)))
    return out


def _plural(n: int, one: str, many: str) -> str:
    return f"{format_number(n)} {one if n == 1 else many}"


def headline(plan: ImportPlan, applied: bool, refused: Sequence[tuple[str, str]] = ()) -> Text | None:
    """The first line: saved, a dry run, or plainly that nothing is saved, and why (None: nothing to do)."""
    from rich.text import Text

    blockers = []
    if refused:
        blockers.append(_plural(len(refused), "Datei nicht lesbar", "Dateien nicht lesbar"))
    if plan.problems:
        blockers.append(_plural(len(plan.problems), "Problem", "Probleme"))
    if plan.conflicts:
        blockers.append(_plural(len(plan.conflicts), "Konflikt", "Konflikte"))
    if blockers:
        return Text(f"Nichts wird gespeichert, solange etwas offen ist: {', '.join(blockers)}. "
                    "Erst wenn alles geklärt ist, übernimmt --apply alle Änderungen auf einmal.", style="bold red")
    if plan.changeset.empty:
        return None
    if applied:
        return Text("Gespeichert: alle Änderungen unten sind im Register.", style="bold green")
    return Text("Probelauf: nichts ist gespeichert. Zum Speichern mit --apply aufrufen.", style="bold")


def summary_line(plan: ImportPlan, applied: bool, refused: Sequence[tuple[str, str]] = ()) -> Text:
    from rich.text import Text

    updated = [r for r in plan.rows if r.kind == "update" or (r.settled and r.changes)]
    changed = len(updated)
    fields = sum(len(r.changes) for r in updated)
    new = len(plan.of_kind("new"))
    unchanged = len(plan.of_kind("unchanged"))
    counts = (f"{_plural(changed, 'Projekt', 'Projekte')} geändert ({_plural(fields, 'Feld', 'Felder')}), "
              f"{format_number(new)} neu, {format_number(unchanged)} unverändert")
    if plan.missing:
        counts += f", {format_number(len(plan.missing))} nicht zurückgemeldet"
    if plan.problems or plan.conflicts or refused:
        return Text.assemble(
            f"{counts}.\n",
            ("Nichts wurde gespeichert: "
             + ", ".join(x for x in (
                 _plural(len(refused), "Datei nicht lesbar", "Dateien nicht lesbar") if refused else "",
                 _plural(len(plan.problems), "Problem", "Probleme") if plan.problems else "",
                 _plural(len(plan.conflicts), "Konflikt", "Konflikte") if plan.conflicts else "") if x) + ".",
             "bold red"),
        )
    if not changed and not new:
        return Text(f"Keine Änderungen: {format_number(unchanged)} Zeilen stimmen mit dem Register überein.",
                    style="bold green")
    if applied:
        return Text(f"Gespeichert: {counts}.", style="bold green")
    return Text(f"Probelauf: {counts}.\nZum Speichern mit --apply aufrufen.", style="bold")
