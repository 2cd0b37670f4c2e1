"""What the screens use of the app, typed: ``SachstandScreen.host`` in place of an untyped ``self.app``.

Textual types ``self.app`` as a plain ``App``; the screens need the register, the user's rights
and ``call_db`` of ``SachstandApp``. ``AppHost`` lists those, and ``app.py`` has mypy check that
``SachstandApp`` provides them. The screens do not import ``app.py`` (it imports them), so no
import cycle arises.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, BinaryIO, Protocol, TypeVar, cast

from textual.dom import DOMNode
from textual.screen import Screen

from ..core import Repository
from ..core.errors import SachstandError
from .data import Prefetch, RowCache

T = TypeVar("T")
ResultT = TypeVar("ResultT")
#: writes the given project IDs of a year as a register workbook; returns the number written
ExportRows = Callable[[Repository, BinaryIO, int, Sequence[str]], int]


class AppHost(Protocol):
    """The app's own state and services, as the screens see them (``SachstandApp`` has them)."""

    repo: Repository | None
    read_only: bool
    view: dict[str, Any]
    year: int | None
    today: date
    rows_shown: asyncio.Event
    rows: RowCache
    export_rows: ExportRows | None

    @property
    def can_write(self) -> bool: ...

    def can_write_department(self, department: str) -> bool: ...

    def take_prefetch(self) -> Prefetch | None: ...

    def show_error(self, exc: SachstandError) -> None: ...

    def show_fatal(self, exc: SachstandError, replace: bool = False) -> None: ...

    def retry_register(self) -> None: ...

    def action_help(self) -> None: ...

    def call_db(self, work: Callable[[], T], done: Callable[[T], object],
                failed: Callable[[SachstandError], None] | None = None, *, node: DOMNode | None = None,
                group: str = "db") -> None: ...


def host_of(node: DOMNode) -> AppHost:
    """The running ``SachstandApp`` of ``node``, typed."""
    return cast(AppHost, node.app)


class SachstandScreen(Screen[ResultT]):
    """A screen of the app: ``self.host`` is the app, typed as ``AppHost``."""

    @property
    def host(self) -> AppHost:
        return host_of(self)

    @property
    def repo(self) -> Repository:
        """The register. Only the message screen is shown without one (``SachstandApp.on_mount``)."""
        repo = self.host.repo
        if repo is None:
            raise RuntimeError(f"{type(self).__name__} shown without a register")
        return repo
