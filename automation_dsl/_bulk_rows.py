"""A row of an ``invoke_many`` batch as a run context (DataFrame records included).

`row_context` keeps a row's run-context columns (`CONTEXT_FIELDS`) and puts
every other column into ``data``; `_cell` reads a cell as JSON (pandas and numpy
missing values, numpy scalars, dates); a column that misspells a run-context field is
refused. `unencodable` says which field of a row JSON cannot hold.

Examples:
    >>> row_context({"recipient": "user-1", "plan": "pro", "note": None}, {})
    {'data': {'plan': 'pro'}, 'recipient': 'user-1'}
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ._errors import ValidationError, ValidationTypeError
from ._ref import mapping_ref
from ._values import RunContext

CONTEXT_FIELDS = ("recipient", "brand", "template", "profile", "data")
"""The columns of a row that are run-context fields; every other column goes into ``data``."""
_OWNER = "invoke_many"
_MISSING_TYPES = frozenset({"NAType", "NaTType"})  # pandas.NA and pandas.NaT


def _cell(name: str, value: Any) -> Any:
    """A flat row's cell as JSON: ``None`` for a missing cell (None, NaN, NaT, NA), plain
    Python for numpy scalars, ISO 8601 text for dates and aware datetimes."""
    kind = value.__class__
    if kind is str or kind is int or kind is bool or kind is dict or kind is list:
        return value
    if kind.__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # numpy scalars: int64, float64, bool_, str_ ...
        kind = value.__class__
    if value is None or kind.__name__ in _MISSING_TYPES:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError(
                _OWNER,
                name,
                "a timezone-aware datetime (a naive one names no instant)",
                value,
                hint="localize the column first, e.g. df[column].dt.tz_localize('UTC')",
            )
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def unencodable(context: Mapping[str, Any]) -> tuple[str, str, Any]:
    """The field of a row that JSON cannot hold, why, and what to show of it (called on
    the error path only)."""
    for name, value in context.items():
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
        except UnicodeEncodeError:
            return name, "text without lone surrogates (UTF-8 cannot encode them)", value
        except (RecursionError, ValueError, TypeError):
            expected = "JSON that is neither nested too deeply nor contains itself"
            return name, expected, type(value).__name__
    return "row", "a run context JSON can encode", type(context).__name__


def _column(columns: dict[str, None], name: Any, value: Any) -> None:
    """Refuse a column name that is not text, or that misspells a run-context field."""
    if name in columns:
        return
    if not isinstance(name, str):
        raise ValidationTypeError(_OWNER, "row", "a mapping with string keys", name)
    close = difflib.get_close_matches(name.lower(), CONTEXT_FIELDS, n=1, cutoff=0.8)
    if close:
        raise ValidationError(
            _OWNER,
            name,
            f"the run-context field {close[0]!r}, or a data column of another name",
            value,
            hint=f"rename the column {close[0]!r} (or nest it under 'data' on purpose)",
        )
    if len(columns) < 10_000:
        columns[name] = None


def row_context(raw: Mapping[str, Any] | RunContext, columns: dict[str, None]) -> dict[str, Any]:
    """A row as a run context: the run-context columns stay, every other one goes into
    ``data``; missing cells are left out (see `_cell`)."""
    if isinstance(raw, RunContext):
        return raw.to_wire()
    context: dict[str, Any] = {}
    extra: dict[str, Any] | None = None
    for name, cell in raw.items():
        value = _cell(name, cell)
        if value is None:
            continue
        if name in CONTEXT_FIELDS:
            context[name] = value
        else:
            _column(columns, name, value)
            if extra is None:
                extra = {}
            extra[name] = value
    if extra is not None:
        data = context.get("data")
        if data is None:
            context["data"] = extra
        elif isinstance(data, Mapping) and mapping_ref(data) is None:
            for name in extra:
                if name in data:
                    raise ValidationError(
                        _OWNER,
                        name,
                        "a column that is not also a key of the row's data",
                        extra[name],
                        hint="rename the column, or remove the key from data",
                    )
            context["data"] = {**data, **extra}
        else:
            raise ValidationError(
                _OWNER,
                "data",
                f"a mapping, to hold the row's other columns {sorted(extra)}",
                data,
            )
    return RunContext.from_wire(context).to_wire()
