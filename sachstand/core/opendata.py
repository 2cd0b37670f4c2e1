"""The register as open data: Parquet and CSV files plus DCAT-AP.de metadata, one folder per city and year.

Rules:
- Layout: ``DIR/city=<key>/year=<Y>/``, where the key is the city's AGS, else its name made
  safe for paths (``partition_key``). Many cities' exports in one folder are one hive-partitioned
  dataset; readers must take ``city`` as text (``05334002`` is not a number).
- Files (each as ``.parquet`` and ``.csv``, the same columns): ``projects`` (one row per project
  that is not archived, planned ones with their ``priority``, with ``progress_<year>`` for every
  year with data up to Y), ``figures`` (the figures for Y with their rules, from ``core.figures``,
  computed from the register's current data like the projects file, also for a published year),
  ``funded_projects``
  and ``funded_partners``; and ``metadata.jsonld``.
- CSV: UTF-8 without BOM, a header row, comma as separator, double quotes around text that
  needs them, ISO dates (``2020-12-31``), a decimal point, empty fields for missing values.
- Never exported: archived projects, the audit log, users and roles, row versions, creation
  and change times, cost notes and unreadable source text.
- The output passes the guard of every output (``core.output``): never the register, its WAL, lock
  file or backups, nor a folder that holds them; an existing export of the same city and year is
  replaced only with ``force`` (then as a whole, keeping its ``issued`` date), and only if it is an
  export (a folder with ``metadata.jsonld``), never another folder or a file.
- A target whose name is not UTF-8 is refused as such (``identity.check_utf8``; DuckDB cannot take
  it), and a write DuckDB fails (full disk, no permission) says the OS's cause in German
  (``errors.WriteFailed``), never DuckDB's English text.
- Everything is written into a hidden folder beside the target and renamed into place, so a
  reader sees the old export or the new one, never half of one.
- The SQL runs on an in-memory DuckDB connection that may touch only the register (attached
  read-only) and the output folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from . import figures
from .db import file_connection, sql_string
from .engine import duckdb
from .errors import SachstandError, WriteFailed
from .identity import check_utf8
from .licenses import DEFAULT_LICENSE, LICENSES
from .models import City
from .output import OutputRefused, check_folder, register_files
from .repository import Repository
from .signals import held_stops
from .text import json_text, safe_text

CSV_OPTIONS = "FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', DATEFORMAT '%Y-%m-%d'"
TABLES = ("projects", "figures", "funded_projects", "funded_partners")
METADATA_NAME = "metadata.jsonld"
FORMATS = {
    "parquet": ("http://publications.europa.eu/resource/authority/file-type/PARQUET", "application/vnd.apache.parquet"),
    "csv": ("http://publications.europa.eu/resource/authority/file-type/CSV", "text/csv"),
}
TABLE_TITLES = {
    "projects": "Projekte mit Umsetzungsstand je Jahr",
    "figures": "Kennzahlen des Berichtsjahres mit ihren Regeln",
    "funded_projects": "Geförderte Projekte",
    "funded_partners": "Partner der geförderten Projekte",
}
KEYWORDS = ("eGovernment", "Digitalisierung", "Verwaltung", "Sachstandsbericht", "Projekte", "Open Data")


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    files: tuple[Path, ...]
    projects: int


def partition_key(city: City) -> str:
    """The folder key of a city: its AGS, else its name in lower-case ASCII with hyphens
    (``Stadt Köln`` → ``stadt-koeln``)."""
    if city.ags:
        return city.ags
    text = city.name.casefold()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "stadt"


def license_uri(license_id: str) -> tuple[str, str]:
    """(URI, name) of a licence id from ``LICENSES``, or of a licence given as an http(s) URI."""
    if license_id in LICENSES:
        return LICENSES[license_id]
    if re.fullmatch(r"https?://\S+", license_id):
        return license_id, license_id
    raise SachstandError(f"Die Lizenz „{license_id}“ ist unbekannt. Bekannt: {', '.join(LICENSES)} "
                         "(oder eine URI, die mit http:// oder https:// beginnt).")


def export_opendata(repo: Repository, year: int, output: str | os.PathLike[str],
                    license_id: str = DEFAULT_LICENSE, today: date | None = None, force: bool = False) -> ExportResult:
    """Write the open-data export of year Y into ``output/city=<key>/year=<Y>/``; see the module rules.

    A previous export of the same city and year is replaced as a whole only with ``force``; its
    ``issued`` date is kept.
    """
    today = today or date.today()
    lic = license_uri(license_id)
    city = repo.city()
    if city is None:
        raise SachstandError("Das Register hat noch keinen Stadtnamen; bitte zuerst "
                             "„sachstand settings --city NAME [--ags AGS]“ aufrufen.")
    report = figures.report(repo, year, rows=False, live=True)  # also refuses a year without data
    years = [y for y in repo.years() if y <= year]
    check_utf8(output, "Der Zielordner")  # DuckDB writes the files and takes only UTF-8 paths
    root = check_folder(Path(output).expanduser(), repo.db.path)  # never the register or its backups
    city_dir = root / f"city={partition_key(city)}"
    final = city_dir / f"year={year}"
    _check_final(final, repo.db.path, force)
    made = [d for d in (root, city_dir) if not d.exists()]
    city_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".year={year}.", suffix=".tmp", dir=city_dir))
    try:
        staging.chmod(0o755)  # published data; mkdtemp makes it private
        try:
            count = _write_tables(repo, report, years, staging)
        except duckdb.Error as exc:  # a full disk, no permission: the OS's cause in German
            raise WriteFailed(f"Die offenen Daten lassen sich nicht nach {safe_text(str(final))} schreiben",
                              exc) from None
        issued = _previous_issued(final / METADATA_NAME) or today
        meta = metadata(city, year, years, report.figure("projects").value, lic, issued, today, staging)
        _write_json(staging / METADATA_NAME, meta)
        _swap_in(staging, final)
    except BaseException:
        with held_stops():  # a second stop would leave the half-written folder half removed
            shutil.rmtree(staging, ignore_errors=True)
            for folder in reversed(made):  # folders this export created, if still empty
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise
    files = tuple(sorted(final.iterdir()))
    return ExportResult(final, files, count)


def _check_final(final: Path, register: Path, force: bool) -> None:
    """Refuse to replace ``final`` unless it is an earlier export and ``force`` is given, or when
    the register or any of its files lies inside it (replacing the folder would remove them)."""
    shown = safe_text(str(final))
    check_folder(final, register)
    for place in register_files(register):
        if final in place.parents:
            raise OutputRefused(f"{shown} enthält das Register oder eine seiner Dateien ({safe_text(str(place))}); "
                                "bitte einen anderen Zielordner wählen. Nichts wurde geschrieben.")
    if not final.exists() and not final.is_symlink():
        return
    if final.is_symlink() or not (final / METADATA_NAME).is_file():
        raise OutputRefused(f"{shown} gibt es schon und ist keine Ausgabe von „export opendata“; er wird nicht "
                            "ersetzt. Bitte einen anderen Zielordner wählen.")
    if not force:
        raise OutputRefused(f"{shown} gibt es schon; nichts wurde ersetzt. Ersetzen mit --force.")


def _write_tables(repo: Repository, report: figures.Report, years: Sequence[int], folder: Path) -> int:
    conn = file_connection(paths=[repo.db.path], directories=[folder])
    try:
        repo.db.attach_read_only(conn, "reg")
        pivot = ", ".join(f"max(percent) FILTER (WHERE year = {int(y)}) AS progress_{int(y)}" for y in years)
        conn.execute(f"""
            CREATE TEMP TABLE projects AS
            SELECT p.id, p.department, d.name AS department_name, p.name, p.description,
                   p.planned_cost, p.start_first, p.start_last, p.start_precision,
                   p.end_first, p.end_last, p.end_precision, p.priority, g.* EXCLUDE (project_id)
            FROM reg.projects p
            LEFT JOIN reg.departments d ON d.code = p.department
            LEFT JOIN (SELECT project_id, {pivot} FROM reg.progress WHERE year <= $year GROUP BY project_id) g
                ON g.project_id = p.id
            WHERE NOT p.archived
            ORDER BY p.department, lower(p.name), p.id""", {"year": report.year})
        conn.execute(
            "CREATE TEMP TABLE figures AS SELECT unnest($key) AS figure, "
            "unnest($label) AS label, unnest($rule) AS rule, unnest($value::INTEGER[]) AS value, "
            "unnest($prev::INTEGER[]) AS previous_year_value",
            {"key": [f.key for f in report.figures], "label": [f.label for f in report.figures],
             "rule": [f.rule for f in report.figures], "value": [f.value for f in report.figures],
             "prev": [f.previous for f in report.figures]},
        )
        conn.execute("""
            CREATE TEMP TABLE funded_projects AS
            SELECT f.id, f.programme, f.title, f.title_in_table, f.recipients, f.start_date,
                   f.duration_months, f.total_cost, f.funding_total, f.funding_city, f.goals,
                   coalesce((SELECT string_agg(l.project_id, ' ' ORDER BY l.project_id) FROM reg.funded_links l
                             JOIN reg.projects p ON p.id = l.project_id AND NOT p.archived
                             WHERE l.funded_id = f.id), '') AS linked_project_ids
            FROM reg.funded_projects f ORDER BY f.id""")
        conn.execute("""
            CREATE TEMP TABLE funded_partners AS
            SELECT funded_id, position + 1 AS position, partner, role
            FROM reg.funded_partners ORDER BY funded_id, position""")
        for table in TABLES:
            conn.execute(f"COPY {table} TO {sql_string(str(folder / f'{table}.parquet'))} (FORMAT parquet)")
            conn.execute(f"COPY {table} TO {sql_string(str(folder / f'{table}.csv'))} ({CSV_OPTIONS})")
        row = conn.execute("SELECT count(*) FROM projects").fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


def metadata(city: City, year: int, years: Sequence[int], projects: int, lic: tuple[str, str],
             issued: date, modified: date, folder: Path) -> dict[str, Any]:
    """The DCAT-AP.de description of one export as JSON-LD: a ``dcat:Dataset`` with a
    ``dcat:Distribution`` per data file present in ``folder`` (format, media type, size).
    ``projects`` is the number of projects in the report of Y."""
    first = min(years) if years else year
    dataset: dict[str, Any] = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "dcatde": "http://dcat-ap.de/def/dcatde/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@type": "dcat:Dataset",
        "dct:identifier": f"sachstand:city={partition_key(city)}/year={year}",
        "dct:title": {"@language": "de", "@value": f"eGovernment-Projekte: {city.name}, Sachstand {year}"},
        "dct:description": {"@language": "de", "@value": (
            f"Register der eGovernment-Projekte von {city.name} mit dem Umsetzungsstand je Jahr "
            f"({first}–{year}), den Kennzahlen des Sachstandsberichts {year} ({projects} Projekte im Bericht) "
            "mit ihren Regeln und den geförderten Projekten. CSV: UTF-8, Kopfzeile, Trennzeichen Komma, "
            "Datumsangaben nach ISO 8601, Dezimalpunkt.")},
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": city.name},
        "dct:license": {"@id": lic[0]},
        "dcatde:licenseAttributionByText": city.name,
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@type": "xsd:date", "@value": f"{first}-01-01"},
            "dcat:endDate": {"@type": "xsd:date", "@value": f"{year}-12-31"},
        },
        "dct:issued": {"@type": "xsd:date", "@value": issued.isoformat()},
        "dct:modified": {"@type": "xsd:date", "@value": modified.isoformat()},
        "dcat:keyword": [{"@language": "de", "@value": k} for k in KEYWORDS],
        "dcat:theme": [{"@id": "http://publications.europa.eu/resource/authority/data-theme/GOVE"}],
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/DEU"},
        "dcat:distribution": [],
    }
    if city.ags:
        dataset["dcatde:politicalGeocodingLevelURI"] = {"@id": "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"}
        dataset["dcatde:politicalGeocodingURI"] = {
            "@id": f"http://dcat-ap.de/def/politicalGeocoding/municipalityKey/{city.ags}"}
    for table in TABLES:
        for ext, (format_uri, media_type) in FORMATS.items():
            name = f"{table}.{ext}"
            if not (folder / name).is_file():
                continue
            dataset["dcat:distribution"].append({
                "@type": "dcat:Distribution",
                "dct:title": {"@language": "de", "@value": f"{TABLE_TITLES[table]} ({ext.upper()})"},
                "dcat:accessURL": {"@id": name},
                "dcat:downloadURL": {"@id": name},
                "dct:format": {"@id": format_uri},
                "dcat:mediaType": media_type,
                "dct:license": {"@id": lic[0]},
                "dcat:byteSize": {"@type": "xsd:nonNegativeInteger", "@value": str((folder / name).stat().st_size)},
                "dct:modified": {"@type": "xsd:date", "@value": modified.isoformat()},
            })
    return dataset


def _previous_issued(path: Path) -> date | None:
    try:
        return date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["dct:issued"]["@value"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with open(path, "x", encoding="utf-8") as f:
        f.write(json_text(data) + "\n")  # control and bidi characters escaped
        f.flush()
        os.fsync(f.fileno())


def _swap_in(staging: Path, final: Path) -> None:
    """Rename the finished folder into place; an older export is moved aside first, then removed.
    With the stop signals held: a stop while the older export was removed left it half removed
    as a hidden folder beside the new one, and called the finished export "abgebrochen"."""
    with held_stops():
        old = None
        if final.exists():
            old = final.with_name(f".{final.name}.old.{os.getpid()}")
            os.replace(final, old)
        try:
            os.replace(staging, final)
        except BaseException:
            if old is not None:
                os.replace(old, final)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
