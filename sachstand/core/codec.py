"""Records as JSON text and back, exactly: the snapshot of a published report.

Rules:
- Money stays ``Decimal`` (written as a decimal string, "6961704.07"), never a float.
- Dates and times are ISO text; a ``Period`` keeps its precision ("Q 4 2020" stays a quarter).
- ``loads(cls, dumps(x)) == x`` for every record type of ``core.models`` and ``core.figures``;
  the structure follows the dataclasses' type hints (cattrs), so a new field needs no code here.
- cattrs is loaded on first use: a report of an unpublished year never needs it.
- A field added to a stored record type later needs a default, so snapshots written before it
  still load. Text that does not load is a ``SachstandError`` (one German line), never a traceback.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

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


def to_plain(obj: Any) -> Any:
    """``obj`` as JSON-ready lists, dicts, strings and numbers."""
    return _converter().unstructure(obj)


def from_plain(cls: type[T], data: Any) -> T:
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
