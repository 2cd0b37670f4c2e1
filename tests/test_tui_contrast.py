"""The flags (Ü, S) and the cursor row stay readable in every colour mode (issue 12, 4/10).

The real app under Pilot draws the projects list; the test takes the drawn segments (after
Textual's filters, e.g. the monochrome one for NO_COLOR), brings each colour down to what the
terminal shows (rich's downgrade to 256 or 16 colours, the standard terminal palette), swaps
foreground and background for reverse video, and computes the WCAG contrast ratio of the flag
letter and of the cursor row's text against their background.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color, ColorSystem
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.strip import Strip
from tui_helpers import make_app, settle, started, sync

MODES = {
    "truecolor": (ColorSystem.TRUECOLOR, False),
    "256": (ColorSystem.EIGHT_BIT, False),
    "16": (ColorSystem.STANDARD, False),
    "NO_COLOR": (ColorSystem.TRUECOLOR, True),
}
MIN_FLAG = 4.5  # WCAG AA for normal text; the flags are one bold letter, so they get the stricter bar
MIN_ROW = 4.5


def _rgb(color: Color | None, system: ColorSystem, foreground: bool) -> tuple[int, int, int]:
    if color is None or color.is_default:
        t = DEFAULT_TERMINAL_THEME.foreground_color if foreground else DEFAULT_TERMINAL_THEME.background_color
        return t.red, t.green, t.blue
    t = color.downgrade(system).get_truecolor(DEFAULT_TERMINAL_THEME, foreground=foreground)
    return t.red, t.green, t.blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(style: Style, system: ColorSystem) -> float:
    fg, bg = _rgb(style.color, system, True), _rgb(style.bgcolor, system, False)
    if style.reverse:
        fg, bg = _rgb(style.bgcolor, system, True), _rgb(style.color, system, False)
        if style.bgcolor is None or style.bgcolor.is_default:
            fg = tuple(DEFAULT_TERMINAL_THEME.background_color)  # type: ignore[assignment]
        if style.color is None or style.color.is_default:
            bg = tuple(DEFAULT_TERMINAL_THEME.foreground_color)  # type: ignore[assignment]
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def segment_of(strip: Strip, char: str) -> Style:
    for seg in strip:
        if char in seg.text:
            return seg.style or Style()
    raise AssertionError(f"{char!r} not in {strip.text!r}")


@pytest.mark.parametrize("mode", list(MODES))
@sync
async def test_flags_and_cursor_row_are_readable(sample_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    system, no_color = MODES[mode]
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app(sample_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        screen = app.screen
        assert app.no_color is no_color
        shown = screen.shown
        overdue = next(r for r in shown if r.overdue)
        stalled = next(r for r in shown if r.stalled and not r.overdue)
        found = {}
        for row, letter in ((overdue, "Ü"), (stalled, "S")):
            i = shown.index(row)
            for cursor_at in (i, i + 1 if i + 1 < len(shown) else i - 1):  # on the row, then beside it
                screen.table.move_to(cursor_at)
                screen.table.focus()
                await settle(pilot)
                strips = app.screen._compositor.render_strips()
                lines = {s.text.split()[0]: s for s in strips if s.text.split()}
                strip = lines[row.id]
                flags = strip.crop(strip.cell_length - 4 - 1, strip.cell_length)
                style = segment_of(flags, letter)
                found[(row.id, letter, cursor_at == i)] = contrast(style, system)
                if no_color:
                    assert style.bold or style.reverse, style  # a mark that needs no colour
                on = shown[cursor_at]
                name_style = segment_of(lines[on.id], on.id)
                ratio = found[(on.id, "cursor row", True)] = contrast(name_style, system)
                assert ratio >= MIN_ROW, (mode, on.id, round(ratio, 2), name_style)
        for (pid, letter, on_cursor), ratio in found.items():
            if letter != "cursor row":
                assert ratio >= MIN_FLAG, (mode, pid, letter, on_cursor, round(ratio, 2), found)
