"""The register's schema as numbered migrations; the version lives in the file's ``meta`` table.

Rules:
- Migration N moves a register from version N-1 to N inside one transaction.
- A register whose version is above ``LATEST`` was written by a newer sachstand and is refused.
- Money columns are DECIMAL(14,2); periods are stored as first day, last day, precision and,
  when the source text could not be read, that original text (``*_text``).
- There are no foreign keys: DuckDB rewrites updated rows as delete plus insert, which trips
  foreign-key checks; the repository keeps references valid instead.
"""

from __future__ import annotations

import contextlib

from .engine import duckdb
from .history import HISTORY_COLUMNS, refresh_sql

APP_MARKER = "sachstand-register"

MIGRATIONS: list[str] = [
    # 1: the register, funded projects, departments, audit log
    """
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    CREATE TABLE departments (
        code VARCHAR PRIMARY KEY,
        name VARCHAR
    );
    CREATE TABLE id_counters (prefix VARCHAR PRIMARY KEY, last_number INTEGER NOT NULL);
    CREATE TABLE projects (
        id VARCHAR PRIMARY KEY,
        department VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        description VARCHAR NOT NULL DEFAULT '',
        planned_cost DECIMAL(14,2),
        cost_note VARCHAR NOT NULL DEFAULT '',
        start_first DATE,
        start_last DATE,
        start_precision VARCHAR,
        start_text VARCHAR NOT NULL DEFAULT '',
        end_first DATE,
        end_last DATE,
        end_precision VARCHAR,
        end_text VARCHAR NOT NULL DEFAULT '',
        archived BOOLEAN NOT NULL DEFAULT false,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        CHECK (planned_cost IS NULL OR planned_cost >= 0)
    );
    CREATE TABLE progress (
        project_id VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        percent INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
        PRIMARY KEY (project_id, year)
    );
    CREATE TABLE funded_projects (
        id INTEGER PRIMARY KEY,
        programme VARCHAR NOT NULL,
        title VARCHAR NOT NULL,
        title_in_table VARCHAR NOT NULL,
        recipients VARCHAR NOT NULL,
        start_date DATE,
        duration_months INTEGER,
        total_cost DECIMAL(14,2),
        funding_total DECIMAL(14,2),
        funding_city DECIMAL(14,2),
        goals VARCHAR NOT NULL DEFAULT ''
    );
    CREATE TABLE funded_partners (
        funded_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        partner VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        PRIMARY KEY (funded_id, position)
    );
    CREATE TABLE funded_links (
        funded_id INTEGER NOT NULL,
        project_id VARCHAR NOT NULL,
        PRIMARY KEY (funded_id, project_id)
    );
    CREATE TABLE reported_figures (
        year INTEGER NOT NULL,
        figure VARCHAR NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (year, figure)
    );
    CREATE SEQUENCE audit_seq;
    CREATE TABLE audit (
        id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
        changed_at TIMESTAMP NOT NULL,
        os_user VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL DEFAULT '',
        source_sha256 VARCHAR NOT NULL DEFAULT '',
        entity VARCHAR NOT NULL,
        entity_id VARCHAR NOT NULL,
        field VARCHAR NOT NULL,
        old_value VARCHAR,
        new_value VARCHAR
    );
    """,
    # 2: each project audit row records the version the change gave the project, so a returned
    # template can tell which fields the register changed after the version it was made from
    """
    ALTER TABLE audit ADD COLUMN project_version INTEGER;
    """,
    # 3: the yearly report as published: planned projects (a priority while not started), the
    # year's texts, the examples named per figure, and published years with their snapshot
    """
    ALTER TABLE projects ADD COLUMN priority INTEGER;
    CREATE TABLE report_texts (
        year INTEGER NOT NULL,
        key VARCHAR NOT NULL,
        title VARCHAR NOT NULL,
        markdown VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (year, key)
    );
    CREATE TABLE figure_examples (
        year INTEGER NOT NULL,
        figure VARCHAR NOT NULL,
        position INTEGER NOT NULL,
        project_id VARCHAR NOT NULL,
        PRIMARY KEY (year, figure, position)
    );
    CREATE TABLE published_years (
        year INTEGER PRIMARY KEY,
        published_at TIMESTAMP NOT NULL,
        published_by VARCHAR NOT NULL
    );
    CREATE TABLE published_parts (
        year INTEGER NOT NULL,
        part VARCHAR NOT NULL,
        body VARCHAR NOT NULL,
        PRIMARY KEY (year, part)
    );
    """,
    # 4: each project's progress as one list on its row (``core.history``), kept current on write,
    # so the report's figures read one table instead of grouping ``progress`` by the text ID
    HISTORY_COLUMNS + refresh_sql(ids=False),
]

LATEST = len(MIGRATIONS)


def schema_version(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> int | None:
    """The register's schema version (of the attached ``catalog``, else the connection's own
    database), or None for a database that is not a register (also for a version below 1).

    The ``meta`` table is read directly (a missing one is a catalog error): asking
    ``information_schema`` first cost as much as the read itself on every open.
    """
    try:
        rows = dict(conn.execute(f"SELECT key, value FROM {catalog + '.' if catalog else ''}main.meta").fetchall())
    except duckdb.CatalogException:
        return None
    if rows.get("app") != APP_MARKER:
        return None
    try:
        version = int(rows.get("schema_version", "0"))
    except ValueError:
        return None
    return version if version >= 1 else None  # 0 or below: no register of this program


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Apply the missing migrations, each in its own transaction; returns the new version."""
    current = schema_version(conn) or 0
    if current < LATEST:
        conn.execute("SET enable_progress_bar = false")  # a long upgrade draws no bar on the terminal
    for number in range(current + 1, LATEST + 1):
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(MIGRATIONS[number - 1])
            if number == 1:
                conn.execute("INSERT INTO meta VALUES ('app', ?)", [APP_MARKER])
                conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
            else:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(number)])
            conn.execute("COMMIT")
        except BaseException:
            # the stop or error that came (even during or after the COMMIT, with no transaction
            # left to roll back) is what the caller hears, not the ROLLBACK's own failure
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            raise
    return LATEST
