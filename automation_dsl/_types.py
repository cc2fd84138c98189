"""The type aliases that public signatures name, in one module.

They are aliases, not classes: each describes the values a parameter accepts.
The ``*Like`` aliases (``MergeLike``, ``ScopeLike`` ...) live in `automation_dsl._values`
beside the enums they widen, because an alias of an enum is part of that enum's
concept and this module sits below the model.

Examples:
    >>> from datetime import datetime, timezone
    >>> from automation_dsl import Automation
    >>> moment = datetime(2030, 1, 1, tzinfo=timezone.utc)  # an Expiry
    >>> Automation().send("T", idempotency_key="k", idempotency_expiry=moment).to_dict()
    {'steps': [{'action': 'send', 'template': 'T', 'idempotency_key': 'k', \
'idempotency_expiry': 1893456000}]}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Mapping

    from _typeshed import DataclassInstance
    from attrs import AttrsInstance

__all__: list[str] = []  # aliases for signatures; none is exported at the top level

JSONValue: TypeAlias = Any
"""A value that serializes to JSON: str, int, float, bool, None, a mapping or a sequence."""

Expiry: TypeAlias = int | str | datetime
"""A step's idempotency expiry: epoch seconds, an ISO 8601 string, or an aware datetime."""

Expiration: TypeAlias = datetime | timedelta | int
"""When an invoke's idempotency key expires: an aware datetime, a time from now, or
epoch seconds (the ``Idempotency-Expiration`` header)."""

KeyFunction: TypeAlias = Callable[[dict[str, Any]], str]
"""A bulk item's idempotency key, computed from its run context."""

OnInvalid: TypeAlias = Literal["fail", "raise"]
"""What bulk invoke does with an item that does not validate."""

DataLike: TypeAlias = "Mapping[str, Any] | AttrsInstance | DataclassInstance"
"""A run's ``data`` or ``profile``: a mapping, or an instance of the attrs class or dataclass
that the automation's payload schema was made from (written as JSON field by field)."""
