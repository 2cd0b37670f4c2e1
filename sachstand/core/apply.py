"""The write engine behind ``Repository.apply``: one change set inside an open write transaction.

Rules:
- Every entry rule comes from ``changes.check`` (the same check the import preview and the TUI
  form run), which raises its first problem; access is checked through ``Actor`` before anything
  is written; a stale version refuses the whole write (``ConflictError``). New projects that an
  import's plan checked already (``ChangeSet.news_checked``) get, in this transaction, only the
  rules that depend on the register's state (``changes.NewsChecked``).
- Every change of a project bumps its version by one; equal values are no change.
- New projects go to DuckDB as one text per batch of ``INSERT_BATCH`` that SQL splits
  (``ApplyRun._batch_text``); other bulk writes pass column lists to ``unnest``. IDs only grow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .access import Actor
from .audit import audit_new, audit_text, write_audit
from .changes import (
    ApplyResult,
    ArchiveChange,
    ChangeSet,
    ProjectUpdate,
    check,
    parse_field_key,
)
from .db import one_row
from .engine import duckdb
from .errors import ConflictError, CreatedMeanwhile, FieldConflict, InvalidValue, NotFound, SachstandError
from .history import history_of_lists, keep_history
from .memory import give_back, release_memory
from .models import (
    City,
    NewFundedProject,
    NewProject,
    Project,
    display_value,
    field_label,
    is_progress_key,
    match_key,
)
from .rows import (
    ID_PATTERN,
    INSERT_BATCH,
    decimal_text,
    id_prefix,
    load_by_ids,
    period_row,
)
from .types import Period

UNCOMMITTED_IN_MEMORY = 40 << 20
"""Bytes of uncommitted rows a large write (``release``) keeps in memory. Restoring 100,000
projects from the register workbook held 64 MB of them (and 27 MB of index) at the end of its
inserts, beside the spent plan: the process peaked at 276-278 MiB then, and at 255 MiB (the
read) with this bound, at about the same speed; 25,000 projects stay below it."""
_NEW_HISTORY = history_of_lists("n.y", "n.p")
_INTS = "string_split({}, ',')::INTEGER[]"
"""A list of whole numbers handed over as one text ("2019,2020"); NULL stays NULL."""
REMEMBERED = 10_000
"""Distinct progress series, and distinct periods, whose fields one write keeps for its batches
(``ApplyRun._learn``): they repeat across an import's projects."""
_SEPARATORS = (("\x1e", "\x1f"), ("\ufffe", "\uffff"))
"""Record and unit separators of a batch's text (``ApplyRun._batch_text``), in the order tried."""
_FIELDS = ("id", "department", "name", "description", "planned_cost", "cost_note", "start_first", "start_last",
           "start_precision", "start_text", "end_first", "end_last", "end_precision", "end_text", "archived",
           "priority", "years", "percents", "history_from", "history")
"""The fields of a new project's record in a batch's text, in order (``f[1]`` is the first)."""
_RECORDS = "(SELECT string_split(unnest(string_split($t, $rs)), $us) AS f)"
"""A batch's records (``ApplyRun._batch_text``), each a list ``f`` of its ``_FIELDS``."""
_INSERT_PROGRESS = (
    f"INSERT INTO progress SELECT id, unnest({_INTS.format('y')}), unnest({_INTS.format('p')}) "
    f"FROM (SELECT f[1] AS id, f[17] AS y, f[18] AS p FROM {_RECORDS}) WHERE y <> ''"
)
_INSERT_PROJECTS = (
    "INSERT INTO projects (id, department, name, description, planned_cost, cost_note, start_first, start_last, "
    "start_precision, start_text, end_first, end_last, end_precision, end_text, archived, version, created_at, "
    "updated_at, priority, history_from, history) "
    "SELECT f[1], f[2], f[3], f[4], nullif(f[5], '')::DECIMAL(14,2), f[6], nullif(f[7], '')::DATE, "
    "nullif(f[8], '')::DATE, nullif(f[9], ''), f[10], nullif(f[11], '')::DATE, nullif(f[12], '')::DATE, "
    "nullif(f[13], ''), f[14], f[15] = '1', 1, now()::TIMESTAMP, now()::TIMESTAMP, nullif(f[16], '')::INTEGER, "
    f"nullif(f[19], '')::INTEGER, nullif(f[20], '') FROM {_RECORDS}"
)


def _period_text(p: Period | None) -> tuple[str, str, str]:
    """``period_row(p)`` as fields of a batch's text (empty for NULL)."""
    return ("", "", "") if p is None else period_row(p)  # type: ignore[return-value]


def _series_text(progress: dict[int, int]) -> tuple[str, str, str, str]:
    """A progress series as four fields of a batch's text: its years and its percents in year
    order ("2019,2020", "15,40"), then ``history_from`` and ``history`` (``ApplyRun._learn``
    fills those in); all empty without values."""
    if not progress:
        return "", "", "", ""
    pairs = sorted(progress.items())
    return ",".join(str(y) for y, _ in pairs), ",".join(str(v) for _, v in pairs), "", ""


class ApplyRun:
    """One ``Repository.apply`` run inside an open write transaction."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, actor: Actor, release: bool = False) -> None:
        self.conn = conn
        self.actor = actor
        self.release = release
        # each distinct progress dict (kept, so its id stays its own) and period: its text fields
        self._series: dict[int, tuple[dict[int, int], tuple[str, str, str, str]]] = {}
        self._periods: dict[Period | None, tuple[str, str, str]] = {}
        self._all_known = False  # every series and period of the write is kept

    def run(self, cs: ChangeSet) -> ApplyResult:
        known = {c for (c,) in self.conn.execute("SELECT code FROM departments").fetchall()}
        new_depts = [d for d in cs.new_departments if d.code not in known]

        ids = [u.project_id for u in cs.updates] + [a[0] for a in cs.archive]
        if len(set(ids)) != len(ids):
            raise SachstandError("Ein Projekt kommt in einer Änderung mehrfach vor.")
        current = self._current(ids)
        for pid in ids:
            if pid not in current:
                raise NotFound(f"Projekt {pid} gibt es nicht.")

        proven = self._proven(cs, known | {d.code for d in new_depts})
        checked = check(replace(cs, new_departments=new_depts, new_projects=[] if proven else cs.new_projects),
                        current, self.actor, known)
        checked.raise_first()
        news, updates = (cs.new_projects if proven else checked.new_projects), checked.updates
        if self.release and not proven:
            cs.new_projects.clear()  # the checked list is the only one left; _insert empties it
        for pid, _version, _flag in cs.archive:
            self.actor.require_write(current[pid].department, "Projekte archivieren")
        if cs.funded_projects:
            self.actor.require_admin("Förderprojekte erfassen")
        if cs.reported_figures:
            self.actor.require_admin("berichtete Kennzahlen erfassen")
        if cs.city:
            self.actor.require_admin("Stadt und Gemeindeschlüssel festlegen")
        self._check_versions(cs, current, updates)
        if cs.absent_names:
            self._check_absent(news)

        if new_depts:
            self.conn.execute(
                "INSERT INTO departments SELECT unnest($c), unnest($n::VARCHAR[])",
                {"c": [d.code for d in new_depts], "n": [d.name for d in new_depts]},
            )
            write_audit(self.conn, self.actor, [("department", d.code, "*", None, d.name or d.code) for d in new_depts])
        created = self._insert(news)
        changed = self._update(updates, current)
        keep_history(self.conn, [u.project_id for u in updates if any(is_progress_key(k) for k in u.changes)])
        changed += self._archive(cs.archive, current)
        insert_funded(self.conn, self.actor, cs.funded_projects)
        for year, stated in cs.reported_figures.items():
            set_reported(self.conn, year, stated)
        if cs.city:
            set_city(self.conn, self.actor, cs.city)
        return ApplyResult(created, changed)

    def _proven(self, cs: ChangeSet, departments: set[str]) -> bool:
        """True when the change set's new projects come with ``check``'s proof (an import's plan
        checked them) and what that proof rested on still holds in this transaction, with these
        known ``departments`` (``NewsChecked.still_holds``): their rules then ran once per import.
        Otherwise they are checked here in full."""
        proof = cs.news_checked
        return (proof is not None and bool(cs.new_projects) and proof.covers(cs.new_projects)
                and proof.still_holds(cs.new_projects, departments, self.actor))

    def _current(self, ids: list[str]) -> dict[str, Project]:
        return load_by_ids(self.conn, ids)

    def _check_versions(self, cs: ChangeSet, current: dict[str, Project], updates: list[ProjectUpdate]) -> None:
        for u, checked in zip(cs.updates, updates, strict=False):
            cur = current[u.project_id]
            if cur.version != u.expected_version and checked.changes:
                raise ConflictError(
                    u.project_id,
                    [FieldConflict(n, field_label(n), display_value(v), display_value(cur.value(n)))
                     for n, v in checked.changes.items()],
                    cur.version,
                )
        for pid, version, flag in cs.archive:
            cur = current[pid]
            if cur.version != version and cur.archived != flag:
                raise ConflictError(
                    pid, [FieldConflict("archived", "Archiviert", display_value(flag), display_value(cur.archived))],
                    cur.version,
                )

    def _check_absent(self, news: list[NewProject]) -> None:
        """The plan's "no such project yet" still holds: no project that is not archived has the
        ``match_key`` of a new project without an ID (another import of the same list, run at the
        same time, planned it as new too). Only the departments concerned are read, and only the
        new projects of a department that has projects get their key worked out."""
        departments = {d.casefold() for d in {n.department for n in news if n.id is None}}
        if not departments:
            return
        found = [d for (d,) in self.conn.execute("SELECT DISTINCT department FROM projects WHERE NOT archived"
                                                  ).fetchall() if d.casefold() in departments]
        if not found:
            return
        concerned = {d.casefold() for d in found}
        wanted = {match_key(n.department, n.name) for n in news
                  if n.id is None and n.department.casefold() in concerned}
        for pid, department, name in self.conn.execute(
                "SELECT id, department, name FROM projects WHERE NOT archived AND list_contains($d, department) "
                "ORDER BY id", {"d": found}).fetchall():
            if match_key(department, name) in wanted:
                raise CreatedMeanwhile(pid, department, name)

    def _insert(self, news: list[NewProject]) -> list[str]:
        if not news:
            return []
        ids = self._allocate_ids([n.department for n in news if n.id is None])
        ids.reverse()
        ids = [n.id if n.id is not None else ids.pop() for n in news]
        self._keep_given_ids([n.id for n in news if n.id is not None])
        self._learn(news, ahead=True)
        for start in range(0, len(ids), INSERT_BATCH):
            batch = ids[start:start + INSERT_BATCH]
            part = news[:INSERT_BATCH] if self.release else news[start:start + INSERT_BATCH]
            if self.release:
                self._bound_uncommitted()
            self._insert_batch(batch, part)
            if self.release:
                del news[:INSERT_BATCH], part  # written: the batch's projects can go
                give_back()
        if self.release:
            self.conn.execute("RESET memory_limit")  # the COMMIT's checkpoint needs its memory
            release_memory()
        return ids

    def _bound_uncommitted(self) -> None:
        """Once DuckDB holds ``UNCOMMITTED_IN_MEMORY`` of uncommitted rows, let it keep no more
        in memory and write the rest to its temporary files (beside the register, removed when it
        closes): the limit is set, before each batch, that far above what it cannot write out
        (the primary keys' index, the file's blocks), so a write of any size never meets it."""
        used = dict(self.conn.execute("SELECT tag, memory_usage_bytes FROM duckdb_memory()").fetchall())
        if used.get("IN_MEMORY_TABLE", 0) < UNCOMMITTED_IN_MEMORY:
            return  # a limit costs time even where nothing is written out (25,000 rows: 0.1 s)
        fixed = sum(used.values()) - used.get("IN_MEMORY_TABLE", 0)
        self.conn.execute(f"SET memory_limit = '{(fixed + UNCOMMITTED_IN_MEMORY) >> 20}MB'")

    def _insert_batch(self, ids: list[str], news: list[NewProject]) -> None:
        """One batch: its ``progress`` rows, its projects and their audit rows, all three read from
        one text that holds the batch (``_batch_text``): handing DuckDB one text that SQL splits
        costs a fraction of binding a Python list per column (25,000 projects: 0.15 s for the
        projects' columns alone). Each project's years and percents are two short texts in it
        ("2019,2020", "15,40") that SQL splits into its ``progress`` rows."""
        params = self._batch_text(ids, news)
        if any(n.progress for n in news):
            self.conn.execute(_INSERT_PROGRESS, params)
        self.conn.execute(_INSERT_PROJECTS, params)
        audit_new(self.conn, self.actor, f"SELECT f[1] AS id, f[3] AS name FROM {_RECORDS}", params)

    def _batch_text(self, ids: list[str], news: list[NewProject]) -> dict[str, str]:
        """The batch as one text (``$t``): a project a record of ``_FIELDS`` in that order, fields
        apart by ``$us``, records by ``$rs``; NULL is the empty text (no field that may be NULL
        stores an empty text). The separators are the control characters US and RS, or else the
        noncharacters U+FFFF and U+FFFE, which no stored text holds (``text_problem``): a field
        that holds one shows in their counts, so a text that does not split back is never sent."""
        objects = self._learn(news)
        series, periods = self._series, self._periods
        want = len(_FIELDS) - 1
        for rs, us in _SEPARATORS:
            # a period's and a series' fields are joined once for each distinct one (they repeat)
            spans = {key: us.join(periods[p]) for key, p in objects.items()}
            joined = {key: us.join(series[key][1]) for key in {id(n.progress) for n in news}}
            records = [us.join((
                pid, n.department, n.name, n.description, "" if n.planned_cost is None else str(n.planned_cost),
                n.cost_note, spans[id(n.start)], n.start_text, spans[id(n.end)], n.end_text,
                "1" if n.archived else "", "" if n.priority is None else str(n.priority), joined[id(n.progress)],
            )) for pid, n in zip(ids, news, strict=True)]
            text = rs.join(records)
            if text.count(rs) == len(records) - 1 and text.count(us) == want * len(records):
                return {"t": text, "rs": rs, "us": us}
        raise InvalidValue("Text", "enthält die Nichtzeichen U+FFFE und U+FFFF; bitte entfernen")

    def _learn(self, news: Sequence[NewProject], ahead: bool = False) -> dict[int, Period | None]:
        """Work out the text fields of each progress series and period of ``news`` not met before
        (``_series_text``, ``_period_text``), keeping up to ``REMEMBERED`` of each for the write's
        later batches: a batch's own are all there afterwards; ``ahead`` (the whole write, before
        its first batch) learns only until that many are kept. A series' ``history_from`` and
        ``history`` come from SQL, from the same fragments as every project's history
        (``history_of_lists``), in one query for all the new series: 25,000 projects bring
        about 900. Returns the period objects of ``news`` by their ids (a period's hash is slow to
        work out, so each object is looked up once)."""
        series, periods = self._series, self._periods
        objects = {id(p): p for n in news for p in (n.start, n.end)}
        if self._all_known and not ahead:
            return objects
        if not ahead:
            for kept in (series, periods):
                if len(kept) + 2 * len(news) > REMEMBERED:
                    kept.clear()
        new: dict[int, tuple[dict[int, int], tuple[str, str, str, str]]] = {}
        for n in news:
            if id(n.progress) not in series and id(n.progress) not in new:
                if ahead and len(series) + len(new) >= REMEMBERED:
                    break  # the batches learn the rest
                new[id(n.progress)] = (n.progress, _series_text(n.progress))
        else:
            for p in objects.values():
                if p not in periods:
                    if ahead and len(periods) >= REMEMBERED:
                        break
                    periods[p] = _period_text(p)
            else:
                self._all_known = ahead
        todo = list({(f[0], f[1]) for _d, f in new.values() if f[0]})
        if todo:
            first, text = _NEW_HISTORY
            found = {(y, p): (str(f), h) for y, p, f, h in self.conn.execute(
                f"SELECT ys, ps, {first}, {text} FROM (SELECT ys, ps, {_INTS.format('ys')} AS y, "
                f"{_INTS.format('ps')} AS p FROM (SELECT unnest($y::VARCHAR[]) AS ys, unnest($p::VARCHAR[]) AS ps)) n",
                {"y": [t[0] for t in todo], "p": [t[1] for t in todo]}).fetchall()}
            new = {key: (d, (f[0], f[1], *found[f[0], f[1]]) if f[0] else f) for key, (d, f) in new.items()}
        series.update(new)
        return objects

    def _keep_given_ids(self, given: list[str]) -> None:
        """Given IDs (a register recreated from its workbook) must be new and unique; each
        prefix's counter is raised to the highest number given, so later IDs never collide.
        They are looked up a batch at a time (100,000 at once held 20 MB to the end of the write)."""
        if not given:
            return
        if len(set(given)) != len(given):
            raise InvalidValue("Projekt-ID", "kommt mehrfach vor")
        if one_row(self.conn.execute("SELECT count(*) FROM (SELECT 1 FROM projects LIMIT 1)"))[0]:
            for start in range(0, len(given), INSERT_BATCH):
                taken = self.conn.execute("SELECT id FROM projects WHERE id IN (SELECT unnest($ids)) LIMIT 1",
                                          {"ids": given[start:start + INSERT_BATCH]}).fetchall()
                if taken:
                    raise InvalidValue("Projekt-ID", f"„{taken[0][0]}“ gibt es schon im Register")
        highest: dict[str, int] = {}
        for pid in given:
            if m := ID_PATTERN.fullmatch(pid):
                highest[m.group(1)] = max(highest.get(m.group(1), 0), int(m.group(2)))
        if highest:
            self.conn.execute(
                "INSERT INTO id_counters SELECT unnest($p), unnest($n) ON CONFLICT (prefix) DO UPDATE "
                "SET last_number = greatest(id_counters.last_number, excluded.last_number)",
                {"p": list(highest), "n": list(highest.values())},
            )

    def _allocate_ids(self, departments: list[str]) -> list[str]:
        if not departments:
            return []
        of = {d: id_prefix(d) for d in set(departments)}
        prefixes = [of[d] for d in departments]
        wanted = sorted(set(prefixes))
        last = dict(self.conn.execute(
            "SELECT prefix, last_number FROM id_counters WHERE prefix IN (SELECT unnest($p))", {"p": wanted}
        ).fetchall())
        ids = []
        for prefix in prefixes:
            last[prefix] = last.get(prefix, 0) + 1
            ids.append(f"{prefix}-{last[prefix]:03d}")
        self.conn.execute(
            "INSERT INTO id_counters SELECT unnest($p), unnest($n) "
            "ON CONFLICT (prefix) DO UPDATE SET last_number = excluded.last_number",
            {"p": list(last), "n": list(last.values())},
        )
        return ids

    def _update(self, updates: list[ProjectUpdate], current: dict[str, Project]) -> int:
        by_field: dict[str, list[tuple[str, object]]] = {}
        audit_rows = []
        touched = []
        for u in updates:
            if not u.changes:
                continue
            touched.append(u.project_id)
            cur = current[u.project_id]
            for name, value in u.changes.items():
                by_field.setdefault(name, []).append((u.project_id, value))
                audit_rows.append(("project", u.project_id, name, audit_text(cur.value(name)), audit_text(value)))
        for name, pairs in by_field.items():
            ids = [p for p, _ in pairs]
            values = [v for _, v in pairs]
            if (year := parse_field_key(name).year) is not None:
                self._write_progress(year, ids, values)
            elif name in ("start", "end"):
                rows = [period_row(v) for v in values]  # type: ignore[arg-type]
                self.conn.execute(
                    f"UPDATE projects SET {name}_first = u.f::DATE, {name}_last = u.l::DATE, "
                    f"{name}_precision = u.p, {name}_text = '' FROM (SELECT unnest($ids) AS id, "
                    "unnest($f::VARCHAR[]) AS f, unnest($l::VARCHAR[]) AS l, unnest($p::VARCHAR[]) AS p) u "
                    "WHERE projects.id = u.id",
                    {"ids": ids, "f": [r[0] for r in rows], "l": [r[1] for r in rows], "p": [r[2] for r in rows]},
                )
            else:
                cast = {"planned_cost": "::DECIMAL(14,2)", "priority": "::INTEGER"}.get(name, "")
                vals = [decimal_text(v) if name == "planned_cost" else (None if v is None else str(v))  # type: ignore[arg-type]
                        for v in values]
                self.conn.execute(
                    f"UPDATE projects SET {name} = u.v{cast} FROM (SELECT unnest($ids) AS id, "
                    f"unnest($v::VARCHAR[]) AS v) u WHERE projects.id = u.id",
                    {"ids": ids, "v": vals},
                )
        self._bump(touched)
        write_audit(self.conn, self.actor, audit_rows, {pid: current[pid].version + 1 for pid in touched})
        return len(audit_rows)

    def _write_progress(self, year: int, ids: list[str], values: list[object]) -> None:
        set_ids = [i for i, v in zip(ids, values, strict=False) if v is not None]
        set_vals = [v for v in values if v is not None]
        cleared = [i for i, v in zip(ids, values, strict=False) if v is None]
        if set_ids:
            self.conn.execute(
                "INSERT INTO progress SELECT unnest($ids), $year, unnest($v) "
                "ON CONFLICT (project_id, year) DO UPDATE SET percent = excluded.percent",
                {"ids": set_ids, "year": year, "v": set_vals},
            )
        if cleared:
            self.conn.execute(
                "DELETE FROM progress WHERE year = $year AND project_id IN (SELECT unnest($ids))",
                {"ids": cleared, "year": year},
            )

    def _bump(self, ids: list[str]) -> None:
        if ids:
            self.conn.execute(
                "UPDATE projects SET version = version + 1, updated_at = now()::TIMESTAMP "
                "WHERE id IN (SELECT unnest($ids))",
                {"ids": ids},
            )

    def _archive(self, items: Sequence[ArchiveChange], current: dict[str, Project]) -> int:
        todo = [(pid, flag) for pid, _v, flag in items if current[pid].archived != flag]
        if not todo:
            return 0
        self.conn.execute(
            "UPDATE projects SET archived = u.f FROM (SELECT unnest($ids) AS id, unnest($f) AS f) u "
            "WHERE projects.id = u.id",
            {"ids": [t[0] for t in todo], "f": [t[1] for t in todo]},
        )
        self._bump([t[0] for t in todo])
        write_audit(self.conn, self.actor, [
            ("project", pid, "archived", audit_text(not flag), audit_text(flag)) for pid, flag in todo
        ], {pid: current[pid].version + 1 for pid, _flag in todo})
        return len(todo)


def set_reported(conn: duckdb.DuckDBPyConnection, year: int, figures: dict[str, int]) -> None:
    conn.execute("DELETE FROM reported_figures WHERE year = ?", [year])
    if figures:
        conn.execute(
            "INSERT INTO reported_figures SELECT $year, unnest($f), unnest($v)",
            {"year": year, "f": list(figures), "v": list(figures.values())},
        )


def insert_funded(conn: duckdb.DuckDBPyConnection, actor: Actor, funded: Sequence[NewFundedProject]) -> None:
    """Funded projects with partners and links; ``linked_projects`` must be existing project IDs."""
    if not funded:
        return
    start = int(one_row(conn.execute("SELECT coalesce(max(id), 0) FROM funded_projects"))[0])
    ids = list(range(start + 1, start + 1 + len(funded)))
    wanted = sorted({pid for f in funded for pid in f.linked_projects})
    known = {r[0] for r in conn.execute(
        "SELECT id FROM projects WHERE id IN (SELECT unnest($ids))", {"ids": wanted}).fetchall()} if wanted else set()
    for f in funded:
        for pid in f.linked_projects:
            if pid not in known:
                raise InvalidValue("Förderprojekt", f"„{f.title}“ verweist auf unbekanntes Projekt „{pid}“")
    conn.execute(
        "INSERT INTO funded_projects SELECT unnest($id), unnest($prog), unnest($title), unnest($tt), "
        "unnest($rec), unnest($start::VARCHAR[])::DATE, unnest($dur), unnest($cost::VARCHAR[])::DECIMAL(14,2), "
        "unnest($ft::VARCHAR[])::DECIMAL(14,2), unnest($fc::VARCHAR[])::DECIMAL(14,2), unnest($goals)",
        {
            "id": ids, "prog": [f.programme for f in funded], "title": [f.title for f in funded],
            "tt": [f.title_in_table for f in funded], "rec": [f.recipients for f in funded],
            "start": [f.start.isoformat() if f.start else None for f in funded],
            "dur": [f.duration_months for f in funded],
            "cost": [decimal_text(f.total_cost) for f in funded], "ft": [decimal_text(f.funding_total) for f in funded],
            "fc": [decimal_text(f.funding_city) for f in funded], "goals": [f.goals for f in funded],
        },
    )
    partner_rows = [(fid, i, p.partner, p.role) for fid, f in zip(ids, funded, strict=False) for i, p in enumerate(f.partners)]
    if partner_rows:
        conn.execute(
            "INSERT INTO funded_partners SELECT unnest($a), unnest($b), unnest($c), unnest($d)",
            dict(zip("abcd", map(list, zip(*partner_rows, strict=False)), strict=False)),
        )
    link_rows = [(fid, pid) for fid, f in zip(ids, funded, strict=False) for pid in dict.fromkeys(f.linked_projects)]
    if link_rows:
        conn.execute(
            "INSERT INTO funded_links SELECT unnest($a), unnest($b)",
            {"a": [r[0] for r in link_rows], "b": [r[1] for r in link_rows]},
        )
    write_audit(conn, actor, [("funded", str(i), "*", None, f.title) for i, f in zip(ids, funded, strict=False)])


def set_city(conn: duckdb.DuckDBPyConnection, actor: Actor, city: City) -> None:
    old = dict(conn.execute(
        "SELECT key, value FROM meta WHERE key IN ('city_name', 'city_ags')").fetchall())
    new = {"city_name": city.name, "city_ags": city.ags}
    changed = [(k, old.get(k), v) for k, v in new.items() if old.get(k) != v]
    for key, _old, value in changed:
        if value is None:
            conn.execute("DELETE FROM meta WHERE key = ?", [key])
        else:
            conn.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
    write_audit(conn, actor, [("register", "meta", k, o, v) for k, o, v in changed])
