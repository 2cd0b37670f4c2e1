"""The funded projects of the report with their sums (section 02 of the 2020 report)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ``codec`` resolves the hints of a published report with ``models``' names
    from .funded import FundedProject
    from .repository import Repository


@dataclass(frozen=True)
class FundingSummary:
    """The funded projects of a report with their sums."""

    projects: tuple[FundedProject, ...]
    total_cost: Decimal
    funding_total: Decimal
    funding_city: Decimal


def funding(repo: Repository, department: str | None = None) -> FundingSummary:
    """Funded projects with their sums, exact to the cent (missing amounts count as zero).

    With ``department``, only the funded projects linked to one of its register projects.
    """
    funded = repo.funded_projects()
    if department is not None:
        own = repo.project_ids(department)
        funded = [f for f in funded if own.intersection(f.linked_projects)]
    zero = Decimal("0.00")
    return FundingSummary(
        tuple(funded),
        sum((f.total_cost or zero for f in funded), zero),
        sum((f.funding_total or zero for f in funded), zero),
        sum((f.funding_city or zero for f in funded), zero),
    )
