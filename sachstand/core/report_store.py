"""The yearly report's stored parts: narrative texts, the example projects per figure, and the
publication with its snapshot. A part of ``Repository`` (``ReportStore`` is its base class), kept
apart so that each module holds one job; all SQL on these tables is here.

Rules:
- Texts, examples and publishing need the role Administrator, and are audited like project changes.
- A published year's texts and examples stay as published (``PublishedYear``); a year is
  published once, with its snapshot written in the same transaction.
- A section title is one line and a text holds no control characters (``text_rules``); Markdown is
  stored with Unix line ends and without trailing spaces. A stale version refuses the whole save
  (``ConflictError``), but a published year is named as the cause first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .db import Database
from .errors import EMPTY, ConflictError, FieldConflict, InvalidValue, NotFound, PublishedYear
from .records import Publication
from .text import clean_text

if TYPE_CHECKING:
    from .engine import duckdb

if TYPE_CHECKING:
    from .access import Actor
    from .models import ReportText


class ReportStore:
    """The report's texts, examples and publication; ``Repository`` provides ``db`` and ``actor``."""

    db: Database
    actor: Actor

    def report_texts(self, year: int) -> dict[str, ReportText]:
        """The stored narrative sections of a year's report, by key."""
        from .models import ReportText

        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT year, key, title, markdown, version, updated_at FROM report_texts WHERE year = ?", [year]
            ).fetchall()
        return {r[1]: ReportText(*r) for r in rows}

    def save_report_text(self, year: int, key: str, title: str, markdown: str, expected_version: int) -> ReportText:
        """Store one section; see ``save_report_texts``."""
        self.save_report_texts(year, [(key, title, markdown, expected_version)])
        return self.report_texts(year)[key]

    def save_report_texts(self, year: int, sections: Sequence[tuple[str, str, str, int]]) -> int:
        """Store sections (key, title, markdown, version read; 0: not stored yet) in one
        transaction, all or none; returns how many changed. Audited per field.

        A stale version refuses the whole save (``ConflictError``); values equal to the stored
        ones write nothing and keep the version. A published year's texts stay as published.
        """
        from .text_rules import text_problem, title_problem

        self.actor.require_admin("Berichtstexte ändern")
        cleaned = []
        for key, title, markdown, version in sections:
            title = clean_text(title)
            if not title:
                raise InvalidValue("Überschrift", EMPTY)
            if problem := title_problem(title):
                raise InvalidValue(f"Überschrift „{_short(_CONTROL_SHOWN.sub('?', title))}“", problem)
            markdown = _clean_markdown(markdown)
            if found := text_problem(markdown):
                raise InvalidValue(f"Text „{_short(_CONTROL_SHOWN.sub('?', title))}“", f"Zeile {found[0]}: {found[1]}")
            cleaned.append((key, title, markdown, version))
        labels = {"title": "Überschrift", "markdown": "Text"}
        from .audit import write_audit

        with self.db.write() as conn:
            stored = {r[0]: r[1:] for r in conn.execute(
                "SELECT key, title, markdown, version FROM report_texts WHERE year = ?", [year]).fetchall()}
            todo, stale = [], []
            for key, title, markdown, expected in cleaned:
                old_title, old_text, version = stored.get(key, (None, None, 0))
                changes = [(f, old, new) for f, old, new in (("title", old_title, title),
                                                             ("markdown", old_text, markdown)) if old != new]
                if version != expected and changes:
                    stale.append(ConflictError(
                        f"Bericht {year} „{old_title or title}“",
                        [FieldConflict(f, labels[f], _short(new), _short(old)) for f, old, new in changes],
                        version, what="den Text",
                    ))
                if changes:
                    todo.append((key, title, markdown, version + 1, changes))
            if todo:  # a published year is the cause, whatever versions the file carries
                _refuse_published(conn, year, "Texte")
            if stale:
                raise stale[0]
            for key, title, markdown, version, changes in todo:
                conn.execute(
                    "INSERT INTO report_texts VALUES ($y, $k, $t, $m, $v, now()::TIMESTAMP) ON CONFLICT (year, key) "
                    "DO UPDATE SET title = excluded.title, markdown = excluded.markdown, version = excluded.version, "
                    "updated_at = excluded.updated_at",
                    {"y": year, "k": key, "t": title, "m": markdown, "v": version},
                )
                write_audit(conn, self.actor, [("report_text", f"{year}:{key}", f, old, new) for f, old, new in changes])
        return len(todo)

    def figure_examples(self, year: int) -> dict[str, list[str]]:
        """The projects IT picked per figure ("Unter anderem folgende Projekte"), in order."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT figure, project_id FROM figure_examples WHERE year = ? ORDER BY figure, position", [year]
            ).fetchall()
        out: dict[str, list[str]] = {}
        for fig, pid in rows:
            out.setdefault(fig, []).append(pid)
        return out

    def set_figure_examples(self, year: int, figure: str, project_ids: Sequence[str]) -> None:
        """Pick the examples of one figure (an empty list returns to the default); audited."""
        self.actor.require_admin("Beispielprojekte festlegen")
        ids = list(dict.fromkeys(project_ids))
        from .audit import write_audit

        with self.db.write() as conn:
            known = {p for (p,) in conn.execute(
                "SELECT id FROM projects WHERE id IN (SELECT unnest($ids))", {"ids": ids or [""]}).fetchall()}
            missing = [i for i in ids if i not in known]
            if missing:
                raise NotFound(f"Projekt {missing[0]} gibt es nicht.")
            old = [p for (p,) in conn.execute(
                "SELECT project_id FROM figure_examples WHERE year = ? AND figure = ? ORDER BY position",
                [year, figure]).fetchall()]
            if old == ids:
                return
            _refuse_published(conn, year, "Beispielprojekte")
            conn.execute("DELETE FROM figure_examples WHERE year = ? AND figure = ?", [year, figure])
            if ids:
                conn.execute(
                    "INSERT INTO figure_examples SELECT $y, $f, unnest($pos), unnest($ids)",
                    {"y": year, "f": figure, "pos": list(range(1, len(ids) + 1)), "ids": ids},
                )
            write_audit(conn, self.actor, [("figure_examples", f"{year}:{figure}", "projects",
                                       ", ".join(old) or None, ", ".join(ids) or None)])

    def check_unpublished(self, year: int, what: str) -> None:
        """Refuse (``PublishedYear``) when the year's report is published: its ``what`` stay."""
        with self.db.read() as conn:
            _refuse_published(conn, year, what)

    def publication(self, year: int) -> Publication | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT year, published_at, published_by FROM published_years WHERE year = ?", [year]
            ).fetchone()
        return Publication(*row) if row else None

    def published_years(self) -> list[int]:
        with self.db.read() as conn:
            return [y for (y,) in conn.execute("SELECT year FROM published_years ORDER BY year").fetchall()]

    def published_part(self, year: int, part: str) -> str | None:
        """One stored part (JSON text) of a published year's snapshot, or None."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM published_parts WHERE year = ? AND part = ?", [year, part]
            ).fetchone()
        return row[0] if row else None

    def publish(self, year: int, snapshot: Callable[[], dict[str, str]], at: datetime | None = None,
                by: str | None = None) -> Publication:
        """Record a year as published, with the snapshot parts ``snapshot()`` makes inside the same
        transaction (so they show exactly the state that was published). Admin only; audited.

        ``at`` and ``by`` default to now and the OS user (the sample passes the council paper's).
        A year is published once; it is refused when it already is.
        """
        self.actor.require_admin("einen Bericht veröffentlichen")
        from .audit import write_audit

        with self.db.write() as conn:
            done = conn.execute("SELECT published_at FROM published_years WHERE year = ?", [year]).fetchone()
            if done:
                raise PublishedYear(
                    f"Der Bericht {year} ist schon am {done[0]:%d.%m.%Y} veröffentlicht; er bleibt, wie er ist."
                )
            parts = snapshot()
            at = at or datetime.now().replace(microsecond=0)
            by = by or self.actor.user
            conn.execute("INSERT INTO published_years VALUES (?, ?, ?)", [year, at, by])
            conn.execute(
                "INSERT INTO published_parts SELECT $y, unnest($p), unnest($b)",
                {"y": year, "p": list(parts), "b": list(parts.values())},
            )
            write_audit(conn, self.actor, [("report", str(year), "published", None,
                                       f"{at:%d.%m.%Y %H:%M} von {by}")])
        return Publication(year, at, by)


def _refuse_published(conn: duckdb.DuckDBPyConnection, year: int, what: str) -> None:
    done = conn.execute("SELECT published_at FROM published_years WHERE year = ?", [year]).fetchone()
    if done:
        raise PublishedYear(
            f"Der Bericht {year} ist am {done[0]:%d.%m.%Y} veröffentlicht; seine {what} bleiben, wie sie sind."
        )


_CONTROL_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _clean_markdown(text: str) -> str:
    """A section's Markdown as stored: Unix line ends, no trailing spaces at line ends, no blank
    lines at either end (control characters are refused by ``text_rules``, never dropped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _short(text: str | None, limit: int = 60) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
