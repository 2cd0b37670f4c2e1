"""Synthetic registers and overview workbooks for the benchmarks.

Rules:
- The data is deterministic for a tier size and seed, so every run and every baseline sees the
  same rows.
- It looks like a city's register: department codes like the 2020 Aachen report's ("FB 11",
  "Dez. II", "AC"), German names and descriptions with umlauts built from word lists, planned
  costs as exact ``Decimal`` (some missing, some with a note instead), starts as days, ends as
  quarters, and progress for ``YEARS`` (ten reporting years) that never goes down.
- Names are unique per department, because an overview row without an ID is matched by
  Bereich plus name.
- A register is written through the core only: ``init_register(sample=False)`` and one
  ``Repository.apply(ChangeSet)``, which bulk-inserts with ``unnest``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from sachstand.core import init_register
from sachstand.core.changes import ChangeSet
from sachstand.core.models import Department, NewProject, progress_label
from sachstand.core.types import Period

YEARS: tuple[int, ...] = tuple(range(2016, 2026))
TIERS: tuple[int, ...] = (1_000, 25_000, 100_000)

DEPARTMENT_NAMES: dict[str, str | None] = {
    "AC": "Gesamtstädtisch",
    "Dez. I": None, "Dez. II": None, "Dez. III": None, "Dez. IV": None, "Dez. V": None,
    "FB 01": "Fachbereich Presse und Marketing", "FB 02": "Fachbereich Bürgerdienste",
    "FB 11": "Fachbereich Personal und Organisation", "FB 12": "Fachbereich Wahlen und Statistik",
    "FB 13": "Fachbereich Ratsangelegenheiten", "FB 14": "Fachbereich Rechnungsprüfung",
    "FB 20": "Fachbereich Finanzsteuerung", "FB 21": "Fachbereich Steuern und Kasse",
    "FB 23": "Fachbereich Immobilienmanagement", "FB 30": "Fachbereich Recht und Versicherung",
    "FB 32": "Fachbereich Sicherheit und Ordnung", "FB 36": "Fachbereich Umwelt",
    "FB 37": "Fachbereich Feuerwehr", "FB 40": "Fachbereich Kinder, Jugend und Schule",
    "FB 42": "Fachbereich Kultur", "FB 45": "Fachbereich Bildung", "FB 50": "Fachbereich Soziales",
    "FB 52": "Fachbereich Sport", "FB 56": "Fachbereich Wohnen", "FB 60": "Fachbereich Stadtentwicklung",
    "FB 61": "Fachbereich Planung", "FB 63": "Fachbereich Bauaufsicht", "FB 64": "Fachbereich Wohnungswesen",
    "FB 66": "Fachbereich Straßenbau", "FB 68": "Fachbereich Wirtschaftsförderung",
    "FB 70": "Fachbereich Stadtbetrieb", "E 18": "Eigenbetrieb Gebäudemanagement",
    "E 26": "Eigenbetrieb Kultur", "E 49": "Eigenbetrieb Volkshochschule",
}

_ACTIONS = (
    "Einführung", "Digitalisierung", "Umstellung", "Erneuerung", "Ausbau", "Migration", "Konsolidierung",
    "Modernisierung", "Ablösung", "Beschaffung", "Anbindung", "Automatisierung", "Optimierung",
    "Zentralisierung", "Weiterentwicklung", "Pilotierung", "Harmonisierung", "Virtualisierung",
)
_OBJECTS = (
    "der E-Akte", "des Antragsverfahrens Wohngeld", "der Netzwerkinfrastruktur", "des Ratsinformationssystems",
    "des Bürgerportals", "der Online-Terminvergabe", "der Schulverwaltungssoftware", "des Dokumentenmanagements",
    "der Telefonanlage", "des Personalmanagementsystems", "der Zeiterfassung", "der Gewerbeanmeldung",
    "des Geoinformationssystems", "der Kfz-Zulassung", "des Meldewesens", "der Elternbeitragsberechnung",
    "der Baugenehmigung", "des Hundesteuerverfahrens", "der Rechnungseingangsbearbeitung", "des Fuhrparkmanagements",
    "der Bibliotheksausleihe", "der Ausländerbehörde", "des Standesamtsregisters", "der Friedhofsverwaltung",
    "der Sitzungsdienste", "des Beschwerdemanagements", "der Knöllchen-App", "der Führerscheinstelle",
    "der Wärmeplanung", "des Straßenverzeichnisses", "der Förderbescheide", "der Schülerbeförderung",
    "der ThinClients", "des WLAN in Schulen", "der Videokonferenzen", "der Mängelmelder-App",
)
_PLACES = (
    "im Bürgerservice", "für alle Fachbereiche", "in den Kitas", "an Grundschulen", "im Standesamt",
    "in der Feuerwache Nord", "im Verwaltungsgebäude Katschhof", "für Außenstellen", "im Rathaus",
    "in Brand", "in Eilendorf", "in Haaren", "in Kornelimünster", "in Laurensberg", "in Richterich",
    "für mobile Endgeräte", "für Bürgerinnen und Bürger", "für Unternehmen", "nach OZG", "gemäß EfA-Prinzip",
)
_GOALS = (
    "Medienbruchfreie Bearbeitung", "Verkürzung der Bearbeitungszeiten", "Entlastung der Sachbearbeitung",
    "Barrierefreier Zugang", "Rechtssichere Archivierung", "Senkung der Betriebskosten",
    "Höhere Datenqualität", "Bessere Erreichbarkeit", "Transparenz für die Politik", "Papierlose Abläufe",
    "Schnellere Rückmeldung an Antragstellende", "Einheitliche Prozesse",
)
_MEANS = (
    "durch eine zentrale Plattform", "über standardisierte Schnittstellen (XÖV)", "mit einem Fachverfahren des Landes",
    "in Zusammenarbeit mit dem regio iT", "auf Basis des Servicekontos NRW", "mit einer Ausschreibung nach VgV",
    "durch Schulungen der Beschäftigten", "über einen Rahmenvertrag", "mit Fördermitteln des Landes",
    "schrittweise je Fachbereich",
)
_NOTES = ("Finanzierung über FB 30", "im Budget des Fachbereichs", "Fördermittel beantragt", "Kosten noch offen")


def departments() -> list[Department]:
    return [Department(code, name) for code, name in DEPARTMENT_NAMES.items()]


def _cost(rng: random.Random) -> tuple[Decimal | None, str]:
    r = rng.random()
    if r < 0.06:
        return None, rng.choice(_NOTES)
    if r < 0.10:
        return None, ""
    euros = int(10 ** rng.uniform(3.7, 6.8))
    cents = 0 if rng.random() < 0.8 else rng.randrange(100)
    return Decimal(euros // 100 * 100 + (euros % 100 if cents else 0)) + Decimal(cents) / 100, ""


def _progress(rng: random.Random, start_year: int, end_year: int) -> dict[int, int]:
    """Values for every year in ``YEARS``, never going down; 0 before the start.

    Most projects move towards 100 % by their planned end; about one in six runs late or stalls, so
    the overdue and stalled figures look like a real register's rather than like all or none.
    """
    years = max(end_year - start_year + 1, 1)
    pace = 100 / years * (rng.uniform(0.45, 0.8) if rng.random() < 0.17 else rng.uniform(0.9, 1.3))
    out, value = {}, 0
    for year in YEARS:
        if year >= start_year and rng.random() > 0.08:
            value = min(100, value + 5 * round(pace / 5))
        out[year] = value
    return out


def projects(count: int, seed: int = 2020) -> list[NewProject]:
    """``count`` synthetic projects, the same list for the same arguments."""
    rng = random.Random(seed * 1_000_003 + count)
    codes = list(DEPARTMENT_NAMES)
    weights = [8 if c.startswith("FB") else 3 for c in codes]
    used: set[tuple[str, str]] = set()
    out: list[NewProject] = []
    for _ in range(count):
        dept = rng.choices(codes, weights)[0]
        name = f"{rng.choice(_ACTIONS)} {rng.choice(_OBJECTS)} {rng.choice(_PLACES)}"
        stage = 1
        while (dept, name if stage == 1 else f"{name} – Stufe {stage}") in used:
            stage += 1
        if stage > 1:
            name = f"{name} – Stufe {stage}"
        used.add((dept, name))
        description = f"{rng.choice(_GOALS)} {rng.choice(_MEANS)}. Ziel: {rng.choice(_GOALS)}."
        start_year = rng.randrange(2014, 2026)
        start = Period.day(date(start_year, rng.randrange(1, 13), rng.randrange(1, 29)))
        end_year = start_year + rng.randrange(1, 9)
        end = Period.quarter(end_year, rng.randrange(1, 5))
        cost, note = _cost(rng)
        out.append(NewProject(
            department=dept, name=name, description=description, planned_cost=cost, cost_note=note,
            start=start, end=end, progress=_progress(rng, start_year, end_year),
        ))
    return out


def make_register(path: Path, count: int, seed: int = 2020) -> Path:
    """A new register file at ``path`` with ``count`` synthetic projects, written through the core."""
    repo = init_register(path, sample=False)
    repo.apply(ChangeSet(new_departments=departments(), new_projects=projects(count, seed)))
    return path


OVERVIEW_HEADERS: tuple[str, ...] = ("Bereich", "Name des Projektes", "Kurzbeschreibung / Projektziel",
                                     "Geplante Kosten", "Beginn", "Geplantes Ende",
                                     *tuple(progress_label(y) for y in YEARS))


def overview_rows(items: Iterable[NewProject]) -> list[list[object]]:
    """Cell values of the overview sheet: money as numbers, a day start as a date, a quarter as text."""
    rows: list[list[object]] = []
    for p in items:
        if p.planned_cost is not None:
            cost: object = float(p.planned_cost)
        else:
            cost = p.cost_note or None
        start = p.start.first_day if p.start else (p.start_text or None)
        end = p.end.format() if p.end else (p.end_text or None)
        rows.append([p.department, p.name, p.description, cost, start, end]
                    + [p.progress.get(y) for y in YEARS])
    return rows


def write_overview(path: Path, items: Sequence[NewProject]) -> Path:
    """An overview workbook in the report's familiar layout, written with xlsxwriter.

    The project's own exporter writes the register's layout with the two latest progress years;
    an overview with ten years, as a state-wide roll-up would send, is written here directly.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                               "strings_to_numbers": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Projekte")
    bold = workbook.add_format({"bold": True, "text_wrap": True})
    money = workbook.add_format({"num_format": '#,##0.00 "€"'})
    day = workbook.add_format({"num_format": "dd.mm.yyyy"})
    for col, header in enumerate(OVERVIEW_HEADERS):
        sheet.write_string(0, col, header, bold)
    sheet.set_column(0, 0, 9)
    sheet.set_column(1, 2, 45)
    sheet.set_column(3, 5, 14)
    for r, row in enumerate(overview_rows(items), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if c == 3 and isinstance(value, float):
                sheet.write_number(r, c, value, money)
            elif c == 4 and isinstance(value, date):
                sheet.write_datetime(r, c, value, day)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return path
