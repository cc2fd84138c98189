"""``Ref``: a value read from the run context when the automation runs.

Courier accepts ``{"$ref": "data.user.token"}`` in place of most step values: the
path is resolved against the run's ``data``, ``profile``, ``refs`` and the other
run-context properties when the step executes.

Example:
    >>> from automation_dsl import Automation, Ref
    >>> Automation().cancel(Ref("data.order.token")).to_dict()
    {'steps': [{'action': 'cancel', 'cancelation_token': {'$ref': 'data.order.token'}}]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol, TypeAlias

import attrs

from ._errors import ValidationError, ValidationTypeError

__all__ = ["Ref", "RefLike", "SupportsRef"]


def mapping_ref(value: Mapping[str, Any]) -> Ref | None:
    """The ``Ref`` of Courier's accessor object ``{"$ref": path}``, else ``None``."""
    if len(value) == 1 and isinstance(value.get("$ref"), str):
        return Ref(value["$ref"])
    return None


def as_ref(value: Any) -> Ref | None:
    """The ``Ref`` a value stands for: a ``Ref``, ``{"$ref": path}``, or an object with an
    ``__automation_ref__()`` method (a typed path such as ``data.order.token``)."""
    if isinstance(value, Ref):
        return value
    hook = getattr(type(value), "__automation_ref__", None)
    if hook is not None:
        return hook(value)  # type: ignore[no-any-return]
    return mapping_ref(value) if isinstance(value, Mapping) else None


_PATH = re.compile(r"[^\s.]+(?:\.[^\s.]+)*")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which UTF-8 (and so JSON on the wire) cannot carry.

    Example:
        >>> has_surrogate("caf\\u00e9"), has_surrogate("a\\ud800")
        (False, True)
    """
    return not text.isascii() and _SURROGATE.search(text) is not None


def _check_path(_: Any, __: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationTypeError("Ref", "path", "a dotted path string", value)
    if not _PATH.fullmatch(value) or has_surrogate(value):
        raise ValidationError(
            "Ref",
            "path",
            "a dotted path such as 'data.user.token' (no spaces, no empty segments, valid Unicode)",
            value,
        )


@attrs.frozen(slots=True, repr=False)
class Ref:
    """A ``$ref`` accessor: a dotted path into the run context.

    Args:
        path: where the value lives when the automation runs, rooted at a run-context
            property (``data``, ``profile``, ``brand``, ``template``, ``recipient``) or at
            ``refs`` (the results of earlier steps).

    Example:
        >>> Ref("data.user.token").to_wire()
        {'$ref': 'data.user.token'}
    """

    path: str = attrs.field(validator=_check_path)

    def to_wire(self) -> dict[str, str]:
        """Return the JSON form Courier reads: ``{"$ref": path}``."""
        return {"$ref": self.path}

    def __repr__(self) -> str:
        return f"Ref({self.path!r})"


class SupportsRef(Protocol):
    """An object that stands for a ``$ref`` when used as a step value: a typed path
    such as ``data.order.token`` (see ``automation_dsl.conditions``).

    Examples:
        >>> from automation_dsl.conditions import data
        >>> data.order.token.__automation_ref__()
        Ref('data.order.token')
    """

    def __automation_ref__(self) -> Ref:
        """The ``Ref`` this object stands for."""
        ...


RefLike: TypeAlias = Ref | SupportsRef
"""A value read from the run context: a ``Ref``, or a typed path (``data.order.token``)."""
