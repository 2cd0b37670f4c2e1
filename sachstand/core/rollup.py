"""The report's figures across many cities: registers and open-data exports, read-only.

Rules:
- A source is a register file, or an open-data folder written by ``core.opendata``: one export
  (``…/city=K/year=Y``), one city (``…/city=K``) or a folder of many cities (holding ``city=*``).
- Registers are attached read-only (``Database.attach_read_only``) and never migrated or
  written; open-data files are read with ``read_parquet``. The connection may touch only the
  sources.
- The figures are ``core.figures``' own: its ``status_sql`` runs over the projects and progress
  of all cities at once (project keys made unique across cities), grouped by city, with the
  total computed by the same query (``GROUPING SETS``). They are computed from the data, also
  for a year a register has published (``summary`` shows that year's snapshot).
- The year is ``year``, else the latest year of any source; every city needs data for it (for an
  open-data city, an export ``year=Y``), or the roll-up is refused naming the cities without.
- A city is the same as another when their AGS match or their names do (ignoring case). Two
  sources naming the same city are refused, unless they are the same register file.
- A department map (``core.department_map``) assigns each city's department codes to shared topics;
  departments it does not name fall under ``UNMAPPED``.
- Every problem with a source is one German ``SachstandError`` (exit 2) naming it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .db import Database, backup_dir_for, file_connection
from .department_map import UNMAPPED, DepartmentMap
from .engine import duckdb
from .errors import RegisterDamaged, SachstandError, first_line, os_reason
from .figures import COUNT_COLUMNS, FIGURE_KEYS, status_params, status_sql
from .files import MISSING, InputRefused, input_problem, read_input
from .history import values_sql
from .models import City
from .opendata import METADATA_NAME, partition_key
from .repository import city_from_meta
from .text import safe_text
from .types import is_digits


@dataclass(frozen=True)
class CityFigures:
    key: str
    city: str
    ags: str | None
    source: str
    counts: dict[str, int]


@dataclass(frozen=True)
class TopicFigures:
    topic: str
    total: dict[str, int]
    cities: tuple[tuple[str, dict[str, int]], ...]
    """(city name, counts) for each city with projects of this topic."""


@dataclass(frozen=True)
class Rollup:
    year: int
    as_of: date
    total: dict[str, int]
    cities: tuple[CityFigures, ...]
    topics: tuple[TopicFigures, ...] | None


@dataclass
class _City:
    key: str
    city: City
    source: str
    years: set[int]
    register: str | None = None  # the attached register's alias
    files: dict[int, Path] | None = None  # open data: year → projects.parquet


def rollup(sources: Sequence[str | os.PathLike[str]], year: int | None = None,
           department_map: DepartmentMap | None = None, as_of: date | None = None) -> Rollup:
    """The six counts per city and in total (and per topic, with a department map)."""
    if not sources:
        raise SachstandError("Bitte mindestens eine Quelle angeben (Registerdatei oder Open-Data-Ordner).")
    registers: list[Path] = []
    folders: list[Path] = []
    for raw in sources:
        path = Path(raw).expanduser()
        if not path.exists():
            raise SachstandError(f"Die Quelle {raw} gibt es nicht.")
        resolved = path.resolve()
        if resolved.is_dir():
            if resolved not in folders:
                folders.append(resolved)
        elif problem := input_problem(resolved):
            raise SachstandError(f"Die Quelle {safe_text(str(raw))} ist weder Register noch Open-Data-Ordner: {problem}.")
        elif resolved not in registers:  # the same register twice counts once
            registers.append(resolved)
    conn = file_connection(paths=registers, directories=folders)
    try:
        cities: list[_City] = []
        for i, path in enumerate(registers):
            cities.append(_attach_register(conn, Database(path), f"r{i}"))
        for folder in folders:
            cities.extend(_open_data_cities(folder))
        _refuse_duplicates(cities)
        year = year if year is not None else max((y for c in cities for y in c.years), default=None)
        if year is None:
            raise SachstandError("Keine der Quellen enthält Umsetzungsstände.")
        missing = [c.city.name for c in cities if year not in c.years]
        if missing:
            more = f" und {len(missing) - 5} weitere" if len(missing) > 5 else ""
            raise SachstandError(f"Für {year} fehlen Daten von: {', '.join(missing[:5])}{more}.")
        _load(conn, cities, year, departments=department_map is not None)
        _load_topics(conn, cities, department_map)
        return _figures(conn, cities, year, as_of, department_map is not None)
    finally:
        conn.close()


def _attach_register(conn: duckdb.DuckDBPyConnection, db: Database, alias: str) -> _City:
    db.attach_read_only(conn, alias)
    try:
        meta = dict(conn.execute(f"SELECT key, value FROM {alias}.meta").fetchall())
        years = {y for (y,) in conn.execute(f"SELECT DISTINCT year FROM {alias}.progress").fetchall()}
    except duckdb.Error as exc:
        raise _damaged(db.path, exc) from None
    city = city_from_meta(meta)
    if city is None:
        raise SachstandError(f"Das Register {db.path} hat noch keinen Stadtnamen; bitte mit "
                             f"„sachstand --db {db.path} settings --city NAME“ festlegen.")
    return _City(partition_key(city), city, str(db.path), years, register=alias)


def _damaged(path: str | Path, exc: BaseException) -> RegisterDamaged:
    return RegisterDamaged(str(path), first_line(exc), str(backup_dir_for(Path(path))))


def _open_data_cities(folder: Path) -> list[_City]:
    """The cities of an open-data folder: one export, one city, or many cities."""
    if (folder / "projects.parquet").is_file() and folder.name.startswith("year=") \
            and folder.parent.name.startswith("city="):
        city_dirs, only_year = [folder.parent], folder
    elif folder.name.startswith("city="):
        city_dirs, only_year = [folder], None
    else:
        city_dirs, only_year = sorted(d for d in folder.glob("city=*") if d.is_dir()), None
    if not city_dirs:
        raise SachstandError(
            f"{folder} ist kein Open-Data-Ordner von sachstand (erwartet: city=…/year=…/projects.parquet).")
    out = []
    for city_dir in city_dirs:
        key = city_dir.name.removeprefix("city=")
        files: dict[int, Path] = {}
        for year_dir in [only_year] if only_year else city_dir.glob("year=*"):
            text = year_dir.name.removeprefix("year=")
            if is_digits(text) and (year_dir / "projects.parquet").is_file():
                files[int(text)] = year_dir / "projects.parquet"
        if not files:
            raise SachstandError(f"In {city_dir} fehlt ein Export (year=…/projects.parquet).")
        city = _city_from_metadata(files[max(files)].parent / METADATA_NAME, key)
        out.append(_City(key, city, str(city_dir), set(files), files=files))
    return out


METADATA_MAX_BYTES = 1 << 20  # an export's metadata.jsonld is a few KB


def _city_from_metadata(path: Path, key: str) -> City:
    """The city named by an export's metadata (publisher, AGS); else the folder key."""
    try:
        data = json.loads(read_input(path, METADATA_MAX_BYTES).decode("utf-8"))
        name = data["dct:publisher"]["foaf:name"]
        geo = (data.get("dcatde:politicalGeocodingURI") or {}).get("@id", "")
        ags = geo.rsplit("/", 1)[-1] if "municipalityKey/" in geo else None
        return City(name, ags)
    except InputRefused as exc:
        if exc.reason == MISSING:
            return City(key, key if is_digits(key) and len(key) == 8 else None)
        raise SachstandError(f"Die Metadaten {safe_text(str(path))} sind unlesbar "
                             f"({'zu groß' if exc.size is not None else exc.reason}).") from None
    except OSError as exc:
        raise SachstandError(f"Die Metadaten {safe_text(str(path))} sind unlesbar ({os_reason(exc)}).") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        why = "kein gültiges JSON in UTF-8" if isinstance(exc, ValueError) else "ohne Herausgeber (dct:publisher)"
        raise SachstandError(f"Die Metadaten {safe_text(str(path))} sind unlesbar ({why}).") from None


def _refuse_duplicates(cities: list[_City]) -> None:
    """Refuse two sources of the same city: the same AGS, or the same name ignoring case (looked
    up by key, so 400 cities are not compared pairwise)."""
    seen: dict[tuple[str, str], _City] = {}
    for a in cities:
        keys = [("name", a.city.name.casefold())] + ([("ags", a.city.ags)] if a.city.ags else [])
        for key in keys:
            b = seen.get(key)
            if b is not None:
                raise SachstandError(
                    f"Die Quellen {b.source} und {a.source} nennen dieselbe Stadt ({a.city.name}); "
                    "bitte jede Stadt nur einmal angeben.")
        for key in keys:
            seen[key] = a


def _load(conn: duckdb.DuckDBPyConnection, cities: list[_City], year: int, departments: bool) -> None:
    """The projects of every city (``rp``), with keys unique across cities and their values as a
    list from the year ``history_from`` on (``figures.status_sql(listed=True)``).

    ``rp.city`` is the city's index in ``cities``. Department codes are read only when
    ``departments`` (a department map) needs them: text columns are the costly part of a scan.
    """
    conn.execute("CREATE TEMP TABLE rp (id BIGINT, city INTEGER, department VARCHAR, priority INTEGER, "
                 "start_first DATE, start_last DATE, end_last DATE, history_from INTEGER, history INTEGER[])")
    base = 0
    for index, c in enumerate(cities):
        if c.register is None:
            continue
        alias = c.register
        # registers before schema 3 have no planned projects (read as they are, never migrated)
        has_priority = _scalar(conn, "SELECT count(*) FROM information_schema.columns WHERE table_catalog = $a "
                               "AND table_name = 'projects' AND column_name = 'priority'", {"a": alias})
        priority = "p.priority" if has_priority else "NULL::INTEGER"
        try:
            conn.execute(
                f"CREATE TEMP TABLE ids AS SELECT id AS local_id, $base + row_number() OVER (ORDER BY id) AS id "
                f"FROM {alias}.projects WHERE NOT archived", {"base": base})
            conn.execute(
                f"INSERT INTO rp SELECT i.id, $city, p.department, {priority}, p.start_first, p.start_last, p.end_last, "
                f"g.first, g.vals FROM {alias}.projects p JOIN ids i ON i.local_id = p.id "
                f"LEFT JOIN ({values_sql(f'{alias}.progress')}) g ON g.project_id = p.id", {"city": index})
            conn.execute("DROP TABLE ids")
        except duckdb.Error as exc:
            raise _damaged(c.source, exc) from None
        base = _scalar(conn, "SELECT coalesce(max(id), 0) FROM rp")
    parts = [(i, str(c.files[year])) for i, c in enumerate(cities) if c.files is not None]
    if not parts:
        return
    files = [f for _i, f in parts]
    source = ("read_parquet($files, hive_partitioning = true, union_by_name = true, "
              "hive_types = {'city': VARCHAR, 'year': INTEGER})")
    try:
        columns = [r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM {source}", {"files": files}).fetchall()]
        years = sorted(int(c[9:]) for c in columns if re.fullmatch(r"progress_[0-9]{4}", c) and int(c[9:]) <= year)
        if not years:
            raise SachstandError("Den Open-Data-Dateien fehlen die Spalten progress_<Jahr>.")
        conn.execute("CREATE TEMP TABLE city_index AS SELECT unnest($keys) AS key, unnest($idx) AS idx",
                     {"keys": [cities[i].key for i, _f in parts], "idx": [i for i, _f in parts]})
        dept = "department::VARCHAR" if departments else "NULL::VARCHAR"
        # one entry a year from the first column on; a year without a column (no data in that
        # city's register) is NULL, so a value's position gives its year
        dense = f"[{', '.join(f'progress_{y}' if y in years else 'NULL' for y in range(years[0], years[-1] + 1))}]::INTEGER[]"
        conn.execute(
            f"CREATE TEMP TABLE od AS SELECT $base + row_number() OVER () AS gid, k.idx AS city, {dept} AS department, "
            "priority::INTEGER AS priority, start_first::DATE AS start_first, start_last::DATE AS start_last, "
            "end_last::DATE AS end_last, "
            f"{dense} AS prog FROM {source} s JOIN city_index k ON k.key = s.city", {"base": base, "files": files})
        conn.execute("INSERT INTO rp SELECT gid, city, department, priority, start_first, start_last, end_last, "
                     "$first, prog FROM od", {"first": years[0]})
        bad = _scalar(conn, "SELECT count(*) FROM (SELECT unnest(prog) AS v FROM od) WHERE v NOT BETWEEN 0 AND 100")
        conn.execute("DROP TABLE od")
    except duckdb.Error as exc:
        where = files[0] if len(files) == 1 else f"{len(files)} Parquet-Dateien"
        raise SachstandError(f"Die Open-Data-Dateien ({where}) sind unlesbar oder unvollständig "
                             f"({first_line(exc)}).") from None
    if bad:
        raise SachstandError(f"Die Open-Data-Dateien enthalten {bad} Umsetzungsstände außerhalb von 0 bis 100.")


def _load_topics(conn: duckdb.DuckDBPyConnection, cities: list[_City], mapping: DepartmentMap | None) -> None:
    conn.execute("CREATE TEMP TABLE topic_map (city INTEGER, department VARCHAR, topic VARCHAR)")
    if mapping is None:
        return
    pairs = conn.execute("SELECT DISTINCT city, department FROM rp").fetchall()
    rows = [(k, d, mapping.topic(cities[k].city, d)) for k, d in pairs]
    if rows:
        conn.execute("INSERT INTO topic_map SELECT unnest($k), unnest($d), unnest($t)",
                     {"k": [r[0] for r in rows], "d": [r[1] for r in rows], "t": [r[2] for r in rows]})


def _figures(conn: duckdb.DuckDBPyConnection, cities: list[_City], year: int, as_of: date | None,
             topics: bool) -> Rollup:
    params = status_params(year, None, as_of)
    relation = ("(SELECT rp.*, m.topic FROM rp LEFT JOIN topic_map m "
                "ON m.city = rp.city AND m.department = rp.department)") if topics else "rp"
    sql = status_sql(relation, listed=True)
    rows = conn.execute(
        sql + f"SELECT grouping(city), city, {COUNT_COLUMNS} FROM status "
        "GROUP BY GROUPING SETS ((city), ())", params).fetchall()
    counts = {(r[1] if r[0] == 0 else None): dict(zip(FIGURE_KEYS, map(int, r[2:]), strict=False)) for r in rows}
    zero = dict.fromkeys(FIGURE_KEYS, 0)
    order = sorted(range(len(cities)), key=lambda i: (cities[i].city.name.casefold(), cities[i].key))
    result_cities = tuple(
        CityFigures(cities[i].key, cities[i].city.name, cities[i].city.ags, cities[i].source, counts.get(i, zero))
        for i in order)
    by_topic = None
    if topics:
        names = {i: c.city.name for i, c in enumerate(cities)}
        trows = conn.execute(
            sql + f"SELECT grouping(city), topic, city, {COUNT_COLUMNS} FROM status "
            "GROUP BY GROUPING SETS ((topic, city), (topic)) ORDER BY topic, city",
            params).fetchall()
        grouped: dict[str, TopicFigures] = {}
        per_city: dict[str, list[tuple[str, dict[str, int]]]] = {}
        for g, topic, key, *values in trows:
            figures = dict(zip(FIGURE_KEYS, map(int, values), strict=False))
            if g:
                grouped[topic] = TopicFigures(topic, figures, ())
            else:
                per_city.setdefault(topic, []).append((names[key], figures))
        by_topic = tuple(
            TopicFigures(t, grouped[t].total, tuple(sorted(per_city.get(t, []), key=lambda x: x[0].casefold())))
            for t in sorted(grouped, key=lambda t: (t == UNMAPPED, t.casefold()))
        )
    return Rollup(year, params["as_of"], counts.get(None, zero), result_cities, by_topic)


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> int:
    """The single value of an aggregate query (which always returns one row)."""
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row is not None else 0


__all__ = ["CityFigures", "Rollup", "TopicFigures", "rollup"]
