"""Loading a register from a plain JSON source such as ``sample_data/aachen_2020.json``.

The source keeps the report's original text for costs and dates. They are read with the same
parsers the Excel import uses and written through ``Repository.apply``, the import's own path.
A value that cannot be read is not guessed: its text is kept (``start_text``/``end_text``,
``cost_note``) and ``findings`` reports it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources
from typing import Any

from .changes import ChangeSet
from .errors import InvalidValue
from .models import City, Department, NewFundedProject, NewProject, Partner
from .report_content import TextSection, publish, save_text, set_examples
from .repository import Repository
from .types import Money, Period, parse_cost_field, parse_money, parse_period

SAMPLE_NAME = "aachen_2020.json"


def sample_source() -> dict[str, Any]:
    text = resources.files("sachstand.sample_data").joinpath(SAMPLE_NAME).read_text(encoding="utf-8")
    source: dict[str, Any] = json.loads(text)
    return source


def _period_or_text(text: str | None) -> tuple[Period | None, str]:
    if not text:
        return None, ""
    try:
        return parse_period(text), ""
    except ValueError:
        return None, text


def _money(text: str | None) -> Money | None:
    return None if text in (None, "") else parse_money(text)


def new_project(raw: dict[str, Any]) -> NewProject:
    cost = parse_cost_field(raw.get("cost") or "")
    start, start_text = _period_or_text(raw.get("start"))
    end, end_text = _period_or_text(raw.get("end"))
    return NewProject(
        department=raw["department"], name=raw["name"], description=raw.get("description", ""),
        planned_cost=cost.amount, cost_note=cost.note, start=start, end=end,
        start_text=start_text, end_text=end_text,
        progress={int(y): int(p) for y, p in (raw.get("progress") or {}).items()},
        priority=raw.get("priority"),
    )


def _day(text: str | None) -> date | None:
    return parse_period(text).first_day if text else None


def load(repo: Repository, source: dict[str, Any], city: City | None = None) -> int:
    """Write the city (``city``, else the source's), departments, projects, funded projects,
    reported figures, the years' texts and picked examples, and then publish the published years;
    returns the project count.

    Examples name projects by name (as the slides do); a name the register lacks is refused.
    """
    raw_city = source.get("city")
    city = city or (City(raw_city["name"], raw_city.get("ags")) if raw_city else None)
    if city is not None:
        repo.set_city(city)
    changes = ChangeSet(
        new_departments=[Department(d["code"], d.get("name")) for d in source.get("departments", [])],
        new_projects=[new_project(p) for p in source.get("projects", [])],
    )
    repo.apply(changes)
    funded = [
        NewFundedProject(
            programme=f.get("programme", ""), title=f["title"], title_in_table=f.get("title_in_table", f["title"]),
            recipients=f.get("recipients", ""), start=_day(f.get("start")), duration_months=f.get("duration_months"),
            total_cost=_money(f.get("total_cost")), funding_total=_money(f.get("funding_total")),
            funding_city=_money(f.get("funding_city")), goals=f.get("goals", ""),
            partners=tuple(Partner(p["partner"], p["role"]) for p in f.get("partners", [])),
            linked_projects=tuple(f.get("linked_projects", [])),
        )
        for f in source.get("funded_projects", [])
    ]
    if funded:
        repo.add_funded_projects(funded)
    for year, figures in (source.get("reported_figures") or {}).items():
        repo.set_reported_figures(int(year), {k: int(v) for k, v in figures.items()})
    for year, sections in (source.get("texts") or {}).items():
        for s in sections:
            save_text(repo, int(year), TextSection(s["key"], s["title"], s["markdown"]))
    by_name = {p.name: p.id for p in repo.projects()}
    for year, picks in (source.get("figure_examples") or {}).items():
        for figure, names in picks.items():
            missing = [n for n in names if n not in by_name]
            if missing:
                raise InvalidValue("Beispielprojekte", f"„{missing[0]}“ gibt es nicht im Register")
            set_examples(repo, int(year), figure, [by_name[n] for n in names])
    for year, pub in (source.get("published") or {}).items():
        publish(repo, int(year), at=datetime.fromisoformat(pub["at"]), by=pub["by"])
    return len(changes.new_projects)
