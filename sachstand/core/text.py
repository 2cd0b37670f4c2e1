"""Text from users and files on its way to a terminal or a script: the one safe-text helper.

Rules:
- ``safe_text`` is the only way user or file text (names, descriptions, department codes, file
  names, echoed arguments, error messages) reaches a terminal: printouts, errors, the TUI.
- Control characters (C0, DEL, C1), bidi controls, zero-width characters, line and paragraph
  separators and lone surrogates (bytes of a file name that are not UTF-8) are shown visibly
  escaped, as ``\\x1b``, ``\\x9b``, ``\\u202e``, ``\\udcff``: never sent raw (an ESC, OSC 8 or BEL
  would drive the terminal; a right-to-left override reorders what people read), never silently
  dropped (the reader should see that something odd is there).
- ``one_line`` turns runs of tabs and line breaks into one space (table cells, messages); without
  it, line breaks and tabs stay (a description shown in full).
- ``escaped_display`` finds such an escape (``\\u2066``) in text someone typed or edited: an
  escaped display is never stored as if it were the text (a form refuses it).
- ``json_text`` is ``json.dumps`` that escapes the same characters as ``\\uXXXX``, so a script's
  output never carries them raw either.
"""

from __future__ import annotations

import json
import re

_INVISIBLE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (tab and line feed are handled apart), DEL, C1
    "\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    "\u200b-\u200f"  # zero-width space/non-joiner/joiner, LRM, RLM
    "\u2028-\u202e"  # line and paragraph separators, bidi embeddings and overrides
    "\u2060-\u2064\u2066-\u2069"  # word joiner, invisible operators, bidi isolates
    "\ufeff\ufff9-\ufffb"  # zero-width no-break space (BOM), interlinear annotation
    "\ud800-\udfff"  # lone surrogates: undecodable bytes of a file name
)
_UNSAFE = re.compile(f"[{_INVISIBLE}]")
_UNSAFE_WITH_BREAKS = re.compile(f"[{_INVISIBLE}\t\n]")
_BREAKS = re.compile(r"[\t\r\n]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: object, one_line: bool = True) -> str:
    """``value`` as text that is safe to show in a terminal (see the module's rules)."""
    text = "" if value is None else str(value)
    if one_line:
        text = _BREAKS.sub(" ", text)
    return _UNSAFE.sub(_escape, text)


_SHOWN_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))")


def escaped_display(text: str) -> str | None:
    """The first ``\\xNN``/``\\uNNNN`` in ``text`` that ``safe_text`` makes of a character it
    escapes (so ``\\u2066``, not ``\\u00e4``), or None."""
    for m in _SHOWN_ESCAPE.finditer(text):
        if _UNSAFE.fullmatch(chr(int(m.group(1) or m.group(2), 16))):
            return m.group()
    return None


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds a character that ``safe_text`` would escape (tab and newline too)."""
    return _UNSAFE_WITH_BREAKS.search(text) is not None


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def clean_text(value: str) -> str:
    """Trim ordinary and non-breaking spaces at both ends, as pasted from Excel; the spaces inside
    a text are kept as they are (a text's non-breaking space is part of the text)."""
    return value.strip()


def json_text(data: object, indent: int | None = 2) -> str:
    """JSON for scripts: readable umlauts, but the characters above escaped as ``\\uXXXX``.

    JSON's own syntax is ASCII, so these characters can only sit inside strings, where the
    escape keeps the exact value for a reader of the JSON. The text is ``json.dumps``' (with
    ``ensure_ascii=False`` and ``indent``) character for character; indented, a list of plain
    values (a list of 10,000 project IDs) is written by the C encoder in one call
    (``_indented``), not value by value by json's Python encoder.
    """
    if indent is None:
        return json_escaped(json.dumps(data, ensure_ascii=False))
    try:
        text = _indented(data, " " * indent, "\n")
    except _Unusual:  # a key that is not text, or a value JSON has no form for: json.dumps decides
        text = json.dumps(data, ensure_ascii=False, indent=indent)
    return json_escaped(text)


class _Unusual(Exception):
    pass


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _indented(value: object, step: str, newline: str) -> str:
    """``value`` as ``json.dumps(value, ensure_ascii=False, indent=len(step))`` writes it at the
    depth where ``newline`` (a line break and that depth's indentation) starts a line."""
    inner = newline + step
    if type(value) in _PLAIN:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if not value:
            return "{}"
        if any(type(k) is not str for k in value):
            raise _Unusual
        return "{" + inner + ("," + inner).join(
            f"{json.dumps(k, ensure_ascii=False)}: {_indented(v, step, inner)}" for k, v in value.items()
        ) + newline + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if set(map(type, value)) <= _PLAIN:  # the C encoder, with the line break as the separator
            return "[" + inner + json.dumps(value, ensure_ascii=False, separators=("," + inner, ": "))[1:-1] + newline + "]"
        return "[" + inner + ("," + inner).join(_indented(v, step, inner) for v in value) + newline + "]"
    raise _Unusual


def json_escaped(text: str) -> str:
    """JSON text (as ``json.dumps`` writes it) with the characters above escaped: ``json_text``
    of data whose JSON was written some other way. Every such character is one that
    ``str.isprintable`` refuses, so text that passes that test (one fast pass) is returned as is."""
    return text if text.isprintable() else _UNSAFE.sub(_json_escape, text)
