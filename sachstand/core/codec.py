"""Records as JSON text and back, exactly: the snapshot of a published report.

Rules:
- Money stays ``Decimal`` (written as a decimal string, "6961704.07"), never a float.
- Dates and times are ISO text; a ``Period`` keeps its precision ("Q 4 2020" stays a quarter).
- ``loads(cls, dumps(x)) == x`` for every record type of ``core.models`` and ``core.figures``;
  the structure follows the dataclasses' type hints (cattrs), so a new field needs no code here.
  The hints are resolved here first (``_resolve``), in each record's module and, for a name it
  imports only for type checking, with the names of ``core.models`` (``figures.Report`` names
  ``ProjectRow`` so: a report without rows does not load the project records).
- cattrs is loaded on first use: a report of an unpublished year never needs it.
- A field added to a stored record type later needs a default, so snapshots written before it
  still load. Text that does not load is a ``SachstandError`` (one German line), never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_type_hints

if TYPE_CHECKING:
    import cattrs

T = TypeVar("T")


@cache
def _converter() -> cattrs.Converter:
    import cattrs

    conv = cattrs.Converter()
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, lambda value, _type: Decimal(value))
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(date, lambda value, _type: date.fromisoformat(value))
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(datetime, lambda value, _type: datetime.fromisoformat(value))
    return conv


_resolved: set[type] = set()
"""Record types whose hints (and those of the records they hold) are resolved."""
_resolving = threading.RLock()


def _resolve(cls: Any) -> None:
    """Replace the string hints of the record type ``cls`` and of the records its fields hold by
    the types they name, before cattrs reads them (cattrs takes resolved hints as they are): in
    the record's own module, and with ``core.models``' names for one imported only for type
    checking there. A type counts as resolved once all the records it holds are (one thread at a
    time: a second one would otherwise find a record resolved before the records it holds)."""
    if cls in _resolved or not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        return
    with _resolving:
        _resolve_held(cls, set())


def _resolve_held(cls: Any, seen: set[type]) -> None:
    if cls in _resolved or cls in seen or not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        return
    from . import models

    seen.add(cls)
    hints = get_type_hints(cls, localns={**vars(models), **vars(sys.modules[cls.__module__])})
    fields = dataclasses.fields(cls)
    for f in fields:
        f.type = hints[f.name]
    for f in fields:
        _resolve_args(f.type, seen)
    _resolved.add(cls)


def _resolve_args(hint: Any, seen: set[type]) -> None:
    _resolve_held(hint, seen)
    for arg in get_args(hint):
        _resolve_args(arg, seen)


def to_plain(obj: Any) -> Any:
    """``obj`` as JSON-ready lists, dicts, strings and numbers."""
    _resolve(type(obj))
    return _converter().unstructure(obj)


def from_plain(cls: type[T], data: Any) -> T:
    _resolve(cls)
    return _converter().structure(data, cls)


def dumps(obj: Any) -> str:
    return json.dumps(to_plain(obj), ensure_ascii=False)


def loads(cls: type[T], text: str) -> T:
    from cattrs.errors import BaseValidationError

    from .errors import SachstandError

    try:
        return from_plain(cls, json.loads(text))
    except (BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise SachstandError(
            f"Ein gespeicherter Stand ({cls.__name__}) lässt sich nicht lesen: {str(exc).splitlines()[0]}"
        ) from None
