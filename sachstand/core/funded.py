"""The funded projects of the register (section 02 of the 2020 report): apart from the project
records (``models``, which re-exports them) and loaded when a register has funded projects.

Money is ``Decimal`` (``types.Money``), never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Partner:
    """A partner of a funded project and its role there."""

    partner: str
    role: str


@dataclass(frozen=True)
class NewFundedProject:
    """A project of a funding programme; ``linked_projects`` holds register project IDs once stored
    (names when loading a source file)."""

    programme: str
    title: str
    title_in_table: str
    recipients: str
    start: date | None
    duration_months: int | None
    total_cost: Decimal | None
    funding_total: Decimal | None
    funding_city: Decimal | None
    goals: str
    partners: tuple[Partner, ...] = ()
    linked_projects: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FundedProject(NewFundedProject):
    """A stored funded project, with its number in the register."""

    id: int
