"""``export opendata`` and ``rollup``: real registers, real Parquet/CSV files read back with DuckDB."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from sachstand.core import City, open_register
from sachstand.core.figures import COUNT_COLUMNS, FIGURE_KEYS, status_params, status_sql
from sachstand.core.opendata import METADATA_NAME, TABLES, partition_key

SAMPLE_2020 = {"projects": 57, "completed": 15, "at_least_90": 7, "started": 7, "stalled": 11}
PROJECT_COLUMNS = ["id", "department", "department_name", "name", "description", "planned_cost", "start_first",
                   "start_last", "start_precision", "end_first", "end_last", "end_precision", "priority"]
INTERNAL = {"version", "archived", "created_at", "updated_at", "cost_note", "start_text", "end_text", "os_user",
            "source_file", "source_sha256", "old_value", "new_value", "role", "project_version"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _variant(sample_path: Path, target: Path, name: str, ags: str | None, bump: int, clear: int = 0) -> Path:
    """A copy of the sample for another city, with ``bump`` projects moved to 100 % in 2020 and
    ``clear`` others left without a 2020 value (open, counted through their earlier values)."""
    shutil.copy(sample_path, target)
    repo = open_register(target)
    repo.set_city(City(name, ags))
    todo = [p for p in repo.projects() if p.progress.get(2020) is not None and p.progress[2020] < 100]
    for p in todo[:bump]:
        repo.update(p.id, p.version, {"progress:2020": 100})
    for p in todo[bump:bump + clear]:
        repo.update(p.id, p.version, {"progress:2020": None})
    return target


def _summary_counts(cli, path: Path, year: int = 2020) -> dict[str, int]:
    """The register's own counts for Y from its current data (``summary`` shows the published
    snapshot of the sample's 2020, which the variants below have changed since)."""
    from sachstand.core.figures import report

    live = report(open_register(path), year, rows=False, live=True)
    return {f.key: f.value for f in live.figures}


def _rollup(cli, *args: str) -> dict:
    r = cli("rollup", *args, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def _sum(parts: list[dict[str, int]]) -> dict[str, int]:
    return {k: sum(p[k] for p in parts) for k in FIGURE_KEYS}


def _counts_over(conn: duckdb.DuckDBPyConnection, projects: str, progress: str, year: int) -> dict[str, int]:
    row = conn.execute(status_sql(projects, progress) + f"SELECT {COUNT_COLUMNS} FROM status",
                       status_params(year)).fetchone()
    return dict(zip(FIGURE_KEYS, row, strict=False))


def test_export_of_the_sample_reads_back_with_the_2020_figures(cli, sample_path: Path, tmp_path: Path) -> None:
    repo = open_register(sample_path)
    archived = next(p for p in repo.projects() if p.department == "FB 11")
    repo.archive(archived.id, archived.version)
    before = _digest(sample_path)
    out = tmp_path / "od"
    r = cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(out))
    assert r.code == 0, r.err
    folder = out / "city=05334002" / "year=2020"
    assert "city=05334002/year=2020" in r.out
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{t}.{e}" for t in TABLES for e in ("parquet", "csv")] + ["metadata.jsonld"])
    assert [p.name for p in out.rglob(".*")] == []  # no staging folder left behind
    assert _digest(sample_path) == before  # the register was only read

    conn = duckdb.connect()
    expected = _summary_counts(cli, sample_path)
    for ext, reader in (("parquet", "read_parquet"), ("csv", "read_csv")):
        rel = f"{reader}('{folder}/projects.{ext}', hive_partitioning = false)"
        columns = [c[0] for c in conn.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
        assert columns == [*PROJECT_COLUMNS, "progress_2019", "progress_2020"]
        assert not INTERNAL & set(columns)
        conn.execute(f"CREATE OR REPLACE VIEW p AS SELECT * FROM {rel}")
        conn.execute("CREATE OR REPLACE VIEW g AS SELECT id AS project_id, substr(col, 10)::INTEGER AS year, "
                     "percent FROM (UNPIVOT p ON COLUMNS('^progress_') INTO NAME col VALUE percent)")
        ids = {i for (i,) in conn.execute("SELECT id FROM p").fetchall()}
        assert archived.id not in ids and len(ids) == 57
        counts = _counts_over(conn, "p", "g", 2020)
        assert counts == expected  # one project fewer than the sample, through the same rules
        figures = dict(conn.execute(f"SELECT figure, value FROM {reader}('{folder}/figures.{ext}')").fetchall())
        assert figures == expected
    # the unarchived sample gives the report's own 2020 figures
    repo.archive(archived.id, archived.version + 1, archived=False)
    assert cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(out), "--force").code == 0
    got = dict(conn.execute(f"SELECT figure, value FROM read_csv('{folder}/figures.csv')").fetchall())
    assert {k: got[k] for k in SAMPLE_2020} == SAMPLE_2020
    rules = conn.execute(
        f"SELECT rule FROM read_parquet('{folder}/figures.parquet') WHERE figure = 'stalled'").fetchone()
    assert rules == ("gleicher Wert unter 100 % im Vorjahr und im Berichtsjahr",)


def test_csv_format_is_the_documented_one(cli, sample_path: Path, tmp_path: Path) -> None:
    assert cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(tmp_path)).code == 0
    folder = tmp_path / "city=05334002" / "year=2020"
    raw = (folder / "projects.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ",".join([*PROJECT_COLUMNS, "progress_2019", "progress_2020"])
    first = next(line for line in lines if line.startswith("AC-002,"))
    assert ",150000.00,2017-09-04,2017-09-04,day,2021-01-01,2021-03-31,quarter,,30,45" in first
    assert "Gesamtstädtisch" in text
    with open(folder / "funded_projects.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    sums = [sum((Decimal(r[k]) for r in rows if r[k]), Decimal(0))
            for k in ("total_cost", "funding_total", "funding_city")]
    assert [str(v) for v in sums] == ["6961704.07", "5534957.45", "3787688.99"]  # exact, decimal point
    conn = duckdb.connect()
    total = conn.execute(f"SELECT sum(total_cost) FROM read_parquet('{folder}/funded_projects.parquet')").fetchone()
    assert total == (Decimal("6961704.07"),)  # DECIMAL in Parquet
    partners = conn.execute(f"SELECT count(*) FROM read_parquet('{folder}/funded_partners.parquet')").fetchone()[0]
    assert partners == sum(len(f.partners) for f in open_register(sample_path).funded_projects())


def test_metadata_has_the_dcat_ap_de_fields(cli, sample_path: Path, tmp_path: Path) -> None:
    assert cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(tmp_path)).code == 0
    folder = tmp_path / "city=05334002" / "year=2020"
    meta = json.loads((folder / "metadata.jsonld").read_text(encoding="utf-8"))
    assert meta["@type"] == "dcat:Dataset" and meta["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert "Stadt Aachen" in meta["dct:title"]["@value"] and "2020" in meta["dct:title"]["@value"]
    assert meta["dct:description"]["@value"]
    assert meta["dct:publisher"]["foaf:name"] == "Stadt Aachen"
    assert meta["dct:license"]["@id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert meta["dct:temporal"]["dcat:startDate"]["@value"] == "2019-01-01"
    assert meta["dct:temporal"]["dcat:endDate"]["@value"] == "2020-12-31"
    today = date.today().isoformat()
    assert meta["dct:issued"]["@value"] == today and meta["dct:modified"]["@value"] == today
    assert "eGovernment" in [k["@value"] for k in meta["dcat:keyword"]]
    assert meta["dcatde:politicalGeocodingURI"]["@id"].endswith("/05334002")
    dists = {d["dcat:downloadURL"]["@id"]: d for d in meta["dcat:distribution"]}
    assert set(dists) == {f"{t}.{e}" for t in TABLES for e in ("parquet", "csv")}
    for name, d in dists.items():
        assert d["dct:format"]["@id"].endswith("/PARQUET" if name.endswith(".parquet") else "/CSV")
        assert d["dcat:mediaType"] == ("application/vnd.apache.parquet" if name.endswith(".parquet") else "text/csv")
        assert int(d["dcat:byteSize"]["@value"]) == (folder / name).stat().st_size
    # another licence; a re-export keeps the first issued date
    meta["dct:issued"]["@value"] = "2020-12-01"
    (folder / "metadata.jsonld").write_text(json.dumps(meta), encoding="utf-8")
    r = cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(tmp_path),
            "--license", "cc-by-4.0", "--force")
    assert r.code == 0, r.err
    meta = json.loads((folder / "metadata.jsonld").read_text(encoding="utf-8"))
    assert meta["dct:license"]["@id"] == "http://dcat-ap.de/def/licenses/cc-by/4.0"
    assert meta["dct:issued"]["@value"] == "2020-12-01"


@pytest.mark.parametrize(("args", "message"), [
    (("--year", "2020", "--license", "frei"), "Die Lizenz „frei“ ist unbekannt"),
    (("--year", "2031"), "Für 2031 gibt es keine Umsetzungsstände"),
])
def test_export_refuses_bad_input_and_writes_nothing(cli, sample_path: Path, tmp_path: Path, args, message) -> None:
    out = tmp_path / "od"
    r = cli("--db", str(sample_path), "export", "opendata", *args, "-o", str(out))
    assert r.code == 2 and message in r.err and "Traceback" not in r.err
    assert not any(p.is_file() for p in out.rglob("*"))


def test_export_without_a_city_is_refused(cli, sample_path: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(sample_path)) as conn:
        conn.execute("DELETE FROM meta WHERE key LIKE 'city_%'")
    r = cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(tmp_path / "od"))
    assert r.code == 2 and "settings --city" in r.err and not (tmp_path / "od").exists()


def test_partition_key_is_the_ags_or_a_safe_name() -> None:
    assert partition_key(City("Stadt Aachen", "05334002")) == "05334002"
    assert partition_key(City("Stadt Köln")) == "stadt-koeln"
    assert partition_key(City("Große Kreisstadt / Süd")) == "grosse-kreisstadt-sued"


@pytest.fixture
def cities(sample_path: Path, tmp_path: Path) -> list[Path]:
    """Three registers of three cities with different 2020 figures."""
    return [
        sample_path,
        _variant(sample_path, tmp_path / "koeln.duckdb", "Stadt Köln", "05315000", 3),
        _variant(sample_path, tmp_path / "dueren.duckdb", "Stadt Düren", None, 5, clear=4),
    ]


def test_rollup_of_two_registers_sums_the_parts(cli, cities: list[Path]) -> None:
    digests = [_digest(p) for p in cities[:2]]
    data = _rollup(cli, str(cities[0]), str(cities[1]))
    parts = [_summary_counts(cli, p) for p in cities[:2]]
    assert parts[0] != parts[1]
    assert data["year"] == 2020 and data["total"] == _sum(parts)
    by_city = {c["city"]: {k: c[k] for k in FIGURE_KEYS} for c in data["cities"]}
    assert by_city == {"Stadt Aachen": parts[0], "Stadt Köln": parts[1]}
    assert {k: data["total"][k] for k in SAMPLE_2020} != SAMPLE_2020
    assert [_digest(p) for p in cities[:2]] == digests
    # 2019, with the same definitions
    data = _rollup(cli, str(cities[0]), str(cities[1]), "--year", "2019")
    assert data["total"] == _sum([_summary_counts(cli, p, 2019) for p in cities[:2]])


def test_rollup_of_a_register_and_an_open_data_folder(cli, cities: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "od"
    assert cli("--db", str(cities[1]), "export", "opendata", "--year", "2020", "-o", str(out)).code == 0
    data = _rollup(cli, str(cities[0]), str(out))
    assert data["total"] == _sum([_summary_counts(cli, p) for p in cities[:2]])
    koeln = next(c for c in data["cities"] if c["city"] == "Stadt Köln")
    assert koeln["ags"] == "05315000" and koeln["source"].endswith("city=05315000")
    # the same export named by its city folder or its year folder
    for source in (out / "city=05315000", out / "city=05315000" / "year=2020"):
        assert _rollup(cli, str(cities[0]), str(source))["total"] == data["total"]


def test_rollup_of_a_folder_of_many_cities(cli, cities: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "od"
    for path in cities:
        for year in (2019, 2020):
            assert cli("--db", str(path), "export", "opendata", "--year", str(year), "-o", str(out)).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["city=05315000", "city=05334002", "city=stadt-dueren"]
    for year in (2019, 2020):
        data = _rollup(cli, str(out), "--year", str(year))
        parts = [_summary_counts(cli, p, year) for p in cities]
        assert data["total"] == _sum(parts)
        assert sorted(c["city"] for c in data["cities"]) == ["Stadt Aachen", "Stadt Düren", "Stadt Köln"]
        assert data == {**_rollup(cli, *map(str, cities), "--year", str(year)),
                        "cities": data["cities"]}  # same year, as-of and total as from the registers
    assert _rollup(cli, str(out))["year"] == 2020


def test_rollup_printout_and_html(cli, cities: list[Path], tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    r = cli("rollup", *map(str, cities), "--html", str(html))
    assert r.code == 0, r.err
    assert "Stadt Düren" in r.out and "Summe" in r.out and max(map(len, r.out.splitlines())) <= 80
    assert "Stadt Köln" in html.read_text(encoding="utf-8")


def test_rollup_by_topic_from_toml_and_csv(cli, cities: list[Path], tmp_path: Path) -> None:
    toml = tmp_path / "map.toml"
    toml.write_text('[topics]\n"FB 11" = "Personal"\n"FB 45" = "Schule"\n'
                    '[cities."05315000"]\n"FB 02" = "Bürgerservice"\n', encoding="utf-8")
    csv_map = tmp_path / "map.csv"
    csv_map.write_text('city;department;topic\n*;FB 11;Personal\n;FB 45;Schule\nStadt Köln;FB 02;Bürgerservice\n',
                   encoding="utf-8")
    results = [_rollup(cli, *map(str, cities), "--department-map", str(m)) for m in (toml, csv_map)]
    assert results[0] == results[1]
    data = results[0]
    topics = {t["topic"]: t for t in data["topics"]}
    assert list(topics)[-1] == "ohne Zuordnung" and {"Personal", "Schule", "Bürgerservice"} <= set(topics)
    assert _sum([t["total"] for t in data["topics"]]) == data["total"]
    assert [c["city"] for c in topics["Bürgerservice"]["cities"]] == ["Stadt Köln"]
    for t in data["topics"]:
        assert _sum(t["cities"]) == t["total"]
    repo = open_register(cities[0])
    fb11 = {p.id for p in repo.projects(department="FB 11") if p.progress.get(2020) is not None}
    personal = next(c for c in topics["Personal"]["cities"] if c["city"] == "Stadt Aachen")
    assert personal["projects"] == len(fb11)


def _scramble_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:12288] = b"\xff" * 12288
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(("make", "message"), [
    (lambda reg, od, tmp: [str(tmp / "fehlt.duckdb")], "gibt es nicht"),
    (lambda reg, od, tmp: [str(reg), str(tmp)], "kein Open-Data-Ordner"),
    (lambda reg, od, tmp: [str(reg), str(od)], "nennen dieselbe Stadt (Stadt Aachen)"),
    (lambda reg, od, tmp: [str(reg), str(od / "city=05334002" / "year=2020")], "nennen dieselbe Stadt"),
    (lambda reg, od, tmp: (_truncate(od / "city=05334002/year=2020/projects.parquet"), [str(od)])[1],
     "Open-Data-Dateien"),
    (lambda reg, od, tmp: ((tmp / "x.duckdb").write_bytes(b"kein Register" * 100), [str(tmp / "x.duckdb")])[1],
     "keine DuckDB-Datei"),
    (lambda reg, od, tmp: (_scramble_header(reg), [str(reg)])[1], "beschädigt"),
    (lambda reg, od, tmp: ((od / "city=05334002/year=2020/metadata.jsonld").write_text("{"), [str(od)])[1],
     "Metadaten"),
    (lambda reg, od, tmp: [str(od), "--year", "2019"], "Für 2019 fehlen Daten von: Stadt Aachen"),
    (lambda reg, od, tmp: ((tmp / "m.toml").write_text("[topics\n"), [str(reg), "--department-map",
                                                                       str(tmp / "m.toml")])[1], "kein gültiges TOML"),
    (lambda reg, od, tmp: ((tmp / "m.csv").write_text("a,b\n"), [str(reg), "--department-map",
                                                                  str(tmp / "m.csv")])[1], "Kopfzeile"),
    (lambda reg, od, tmp: ((tmp / "m.csv").write_text("city,department,topic\n*,FB 11,IT\n*,FB 11,Personal\n"),
                           [str(reg), "--department-map", str(tmp / "m.csv")])[1],
     "Zeile 3: „FB 11“ hat schon das Thema „IT“, nicht zugleich „Personal“"),
])
def test_rollup_bad_sources_one_german_line_exit_2_nothing_written(cli, sample_path: Path, tmp_path: Path,
                                                                   make, message) -> None:
    od = tmp_path / "od"
    assert cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(od)).code == 0
    work = tmp_path / "work"
    work.mkdir()
    args = make(sample_path, od, work)
    html = tmp_path / "out.html"
    r = cli("rollup", *args, "--html", str(html))
    assert r.code == 2, r.out
    assert message in r.err and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert not html.exists()


def test_rollup_reads_a_register_another_process_only_reads(cli, cities: list[Path]) -> None:
    """The register stays readable by others while the roll-up has it attached, and is unchanged."""
    with duckdb.connect(str(cities[0]), read_only=True):
        data = _rollup(cli, str(cities[0]))
    assert {k: data["total"][k] for k in SAMPLE_2020} == SAMPLE_2020


def test_rollup_refuses_a_register_without_a_city(cli, cities: list[Path]) -> None:
    with duckdb.connect(str(cities[1])) as conn:
        conn.execute("DELETE FROM meta WHERE key LIKE 'city_%'")
    r = cli("rollup", str(cities[0]), str(cities[1]))
    assert r.code == 2 and "keinen Stadtnamen" in r.err and "settings --city" in r.err


def test_planned_projects_count_nowhere_in_register_or_open_data(cli, cities: list[Path], tmp_path: Path) -> None:
    repo = open_register(cities[1])
    planned = [p for p in repo.projects() if p.progress.get(2020) is not None][:3]
    for p in planned:
        repo.update(p.id, p.version, {"priority": 1})
    out = tmp_path / "od"
    assert cli("--db", str(cities[1]), "export", "opendata", "--year", "2020", "-o", str(out)).code == 0
    expected = _summary_counts(cli, cities[1])
    assert expected["projects"] == 57 - 3
    from_data = _rollup(cli, str(out))
    from_register = _rollup(cli, str(cities[1]))
    assert from_data["total"] == from_register["total"] == expected
    got = duckdb.connect().execute(
        f"SELECT count(*) FROM read_csv('{out}/city=05315000/year=2020/projects.csv') WHERE priority = 1").fetchone()
    assert got == (3,)


def test_an_existing_export_is_replaced_only_with_force(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "od"
    folder = out / "city=05334002" / "year=2020"
    assert cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(out)).code == 0
    (folder / "projects.csv").write_text("kept", encoding="utf-8")
    r = cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(out))
    assert r.code == 2 and "gibt es schon" in r.err and "--force" in r.err and "Traceback" not in r.err
    assert (folder / "projects.csv").read_text(encoding="utf-8") == "kept"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["year=2020"]  # no staging folder left
    r = cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(out), "--force")
    assert r.code == 0, r.err
    assert (folder / "projects.csv").read_text(encoding="utf-8").startswith("id,department,")
    assert sorted(p.name for p in folder.parent.iterdir()) == ["year=2020"]


def test_a_folder_that_is_no_export_is_never_replaced(cli, sample_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "city=05334002" / "year=2020"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    r = cli("--db", str(sample_path), "export", "opendata", "--year", "2020", "-o", str(tmp_path), "--force")
    assert r.code == 2 and "keine Ausgabe von „export opendata“" in r.err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_folder_holding_the_register_or_its_backups_is_refused(cli, sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "od"
    folder = out / "city=05334002" / "year=2020"
    folder.mkdir(parents=True)
    register = folder / "register.duckdb"
    sample_path.rename(register)
    (folder / METADATA_NAME).write_text("{}", encoding="utf-8")  # looks like an export
    before = _digest(register)
    r = cli("--db", str(register), "export", "opendata", "--year", "2020", "-o", str(out), "--force")
    assert r.code == 2 and "enthält das Register" in r.err
    assert _digest(register) == before and register.is_file()
    # the register's backups folder, and the register's own folder given as the output
    other = tmp_path / "reg"
    other.mkdir()
    register.rename(other / "r.duckdb")
    backups = other / "r.duckdb.backups"
    backups.mkdir()
    r = cli("--db", str(other / "r.duckdb"), "export", "opendata", "--year", "2020", "-o", str(backups))
    assert r.code == 2 and "Sicherungsordner" in r.err
    assert list(backups.iterdir()) == []
