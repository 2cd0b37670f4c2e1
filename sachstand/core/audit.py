"""The audit log: writing its rows, reading them, and what changed since a version.

Rules:
- Every write audits each changed field: when, OS user, source (cli, tui, import plus file and
  SHA-256), entity, field, old and new value (``audit_text``), and a project's new version.
- ``changed_since`` trusts the audit only when it accounts for every version since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from .access import Actor
from .db import one_row
from .engine import duckdb
from .models import AuditEntry, display_value


def write_audit(
    conn: duckdb.DuckDBPyConnection,
    actor: Actor,
    rows: Iterable[tuple[str, str, str, str | None, str | None]],
    versions: dict[str, int] | None = None,
) -> None:
    """Audit rows; ``versions`` gives each project the version the change left it at."""
    rows = list(rows)
    for start in range(0, len(rows), AUDIT_BATCH):  # list parameters cost DuckDB far more than their rows
        _write_batch(conn, actor, rows[start:start + AUDIT_BATCH], versions or {})


AUDIT_BATCH = 10_000


def _write_batch(conn: duckdb.DuckDBPyConnection, actor: Actor,
                 rows: list[tuple[str, str, str, str | None, str | None]], versions: dict[str, int]) -> None:
    entity, entity_id, fld, old, new = (list(c) for c in zip(*rows, strict=False))
    conn.execute(
        "INSERT INTO audit (changed_at, os_user, source, source_file, source_sha256, entity, entity_id, field, "
        "old_value, new_value, project_version) "
        "SELECT now()::TIMESTAMP, $user, $source, $file, $sha, unnest($entity), unnest($eid), unnest($field), "
        "unnest($old::VARCHAR[]), unnest($new::VARCHAR[]), unnest($ver::INTEGER[])",
        {
            "user": actor.user, "source": actor.source, "file": actor.source_file, "sha": actor.source_sha256,
            "entity": entity, "eid": entity_id, "field": fld, "old": old, "new": new,
            "ver": [versions.get(i) if e == "project" else None for e, i in zip(entity, entity_id, strict=False)],
        },
    )


def audit_new(conn: duckdb.DuckDBPyConnection, actor: Actor, projects: str, params: Mapping[str, object]) -> None:
    """The audit rows of new projects, in the order of ``projects`` (a SELECT of ``id`` and
    ``name`` with its ``params``): entity ``project``, field ``*``, the name as the new value,
    version 1 (``write_audit``'s rows, read by SQL from what the caller handed over already)."""
    conn.execute(
        "INSERT INTO audit (changed_at, os_user, source, source_file, source_sha256, entity, entity_id, field, "
        "old_value, new_value, project_version) "
        "SELECT now()::TIMESTAMP, $user, $source, $file, $sha, 'project', n.id, '*', NULL, n.name, 1 "
        f"FROM ({projects}) n",
        {**params, "user": actor.user, "source": actor.source, "file": actor.source_file,
         "sha": actor.source_sha256},
    )


def audit_text(value: object) -> str | None:
    """Canonical text of a value in the audit log (decimal point, ISO-free German periods)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    return display_value(value)


def audit_for(conn: duckdb.DuckDBPyConnection, project_id: str, limit: int = 200) -> list[AuditEntry]:
    """A project's audit entries, newest first."""
    rows = conn.execute(
        "SELECT changed_at, os_user, source, source_file, entity, entity_id, field, old_value, new_value "
        "FROM audit WHERE entity = 'project' AND entity_id = ? ORDER BY id DESC LIMIT ?",
        [project_id, limit],
    ).fetchall()
    return [AuditEntry(*r) for r in rows]


def audit_count(conn: duckdb.DuckDBPyConnection) -> int:
    return int(one_row(conn.execute("SELECT count(*) FROM audit"))[0])


def changes_since(conn: duckdb.DuckDBPyConnection, when: datetime) -> list[AuditEntry]:
    """Audit entries written after ``when``, oldest first."""
    rows = conn.execute(
        "SELECT changed_at, os_user, source, source_file, entity, entity_id, field, old_value, new_value "
        "FROM audit WHERE changed_at > ? ORDER BY id", [when],
    ).fetchall()
    return [AuditEntry(*r) for r in rows]


def changed_since(conn: duckdb.DuckDBPyConnection, versions: dict[str, int]) -> dict[str, dict[str, str | None]]:
    """For each project, the fields changed after the given version, each with the value it
    had at that version (the audit's old value of the first later change, as ``audit_text``).

    A project is left out when the audit cannot account for every version since (changes
    made before the audit recorded versions, or a restore): callers must then assume
    everything may have changed.
    """
    if not versions:
        return {}
    rows = conn.execute(
        "WITH v AS (SELECT unnest($ids) AS id, unnest($vs) AS since), "
        "later AS (SELECT a.entity_id AS id, a.field, a.old_value, a.id AS seq, a.project_version "
        "FROM audit a JOIN v ON a.entity = 'project' AND a.entity_id = v.id "
        "AND a.project_version > v.since) "
        "SELECT l.id, l.field, arg_min(l.old_value, l.seq), "
        "(SELECT count(DISTINCT project_version) FROM later x WHERE x.id = l.id) "
        "FROM later l GROUP BY l.id, l.field",
        {"ids": list(versions), "vs": list(versions.values())},
    ).fetchall()
    current = dict(conn.execute(
        "SELECT id, version FROM projects WHERE id IN (SELECT unnest($ids))", {"ids": list(versions)}
    ).fetchall())
    out: dict[str, dict[str, str | None]] = {}
    explained: dict[str, int] = {}
    for pid, fld, base, distinct in rows:
        out.setdefault(pid, {})[fld] = base
        explained[pid] = distinct
    return {
        pid: fields for pid, fields in out.items()
        if explained[pid] == current.get(pid, 0) - versions[pid]
    } | {pid: {} for pid, v in versions.items() if current.get(pid) == v}


def fence_of(conn: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], dict[str, int]]:
    """The replaced register's project versions and ID counters, for ``fence_versions``."""
    before = dict(conn.execute("SELECT id, version FROM projects").fetchall())
    counters = dict(conn.execute("SELECT prefix, last_number FROM id_counters").fetchall())
    return before, counters


def fence_versions(conn: duckdb.DuckDBPyConnection, before: dict[str, int], counters: dict[str, int],
                   user: str, source_name: str) -> None:
    """The restore's version fence, inside the caller's transaction: raise each restored project's
    version above ``before`` (its version in the replaced file; +1 when unknown), raise the ID
    counters to ``counters`` (an ID is never handed out twice), and write one audit row."""
    conn.execute(
        "UPDATE projects SET version = greatest(projects.version, coalesce(b.v, 0)) + 1 "
        "FROM (SELECT p.id, b.v FROM projects p LEFT JOIN "
        "(SELECT unnest($ids) AS id, unnest($vs) AS v) b ON b.id = p.id) b WHERE projects.id = b.id",
        {"ids": list(before), "vs": list(before.values())},
    )
    if counters:
        conn.execute(
            "INSERT INTO id_counters SELECT unnest($p), unnest($n) ON CONFLICT (prefix) "
            "DO UPDATE SET last_number = greatest(id_counters.last_number, excluded.last_number)",
            {"p": list(counters), "n": list(counters.values())},
        )
    conn.execute(
        "INSERT INTO audit (changed_at, os_user, source, source_file, source_sha256, entity, entity_id, "
        "field, old_value, new_value) VALUES (now()::TIMESTAMP, ?, 'restore', ?, '', 'register', '*', "
        "'restore', NULL, ?)",
        [user, source_name, source_name],
    )
