"""The values steps hold: the four enums, ``Webhook``, ``DataSource``, ``Retain`` and
``RunContext`` (with :func:`given_context`, the run-context fields that were given).

Each enum has a ``*Like`` alias (``MergeLike`` ...): the enum or its string value, as
signatures accept it.

Example:
    >>> from automation_dsl import DataSource, MergeStrategy
    >>> DataSource(webhook={"url": "https://x.test/d"}, merge_strategy="replace").merge_strategy
    <MergeStrategy.REPLACE: 'replace'>
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from . import _fields as f
from ._compile import fast_init
from ._errors import ValidationError, ValidationTypeError
from ._ref import RefLike
from ._types import JSONValue
from ._wire import WireObject

__all__ = [
    "BatchScope",
    "DataSource",
    "HttpMethod",
    "MergeStrategy",
    "Retain",
    "RetainType",
    "RunContext",
    "Webhook",
]


class MergeStrategy(StrEnum):
    """How incoming data (A) is merged into existing data (B).

    Example:
        >>> MergeStrategy("soft-merge")
        <MergeStrategy.SOFT_MERGE: 'soft-merge'>
    """

    REPLACE = "replace"
    """B becomes A: keys missing from A are removed."""
    NONE = "none"
    """B is left alone if it exists, otherwise B becomes A."""
    OVERWRITE = "overwrite"
    """Every key of A is copied onto B."""
    SOFT_MERGE = "soft-merge"
    """Only the keys of A missing in B are added."""


class HttpMethod(StrEnum):
    """The HTTP method of a ``fetch-data`` webhook.

    Example:
        >>> HttpMethod("POST") is HttpMethod.POST
        True
    """

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


class RetainType(StrEnum):
    """Which items an ``add-to-batch`` step keeps.

    Example:
        >>> RetainType("highest").value
        'highest'
    """

    FIRST = "first"
    LAST = "last"
    HIGHEST = "highest"
    LOWEST = "lowest"


class BatchScope(StrEnum):
    """The scope of a batch or a throttle: per user, global, or by a dynamic key.

    Example:
        >>> BatchScope("dynamic").value
        'dynamic'
    """

    USER = "user"
    GLOBAL = "global"
    DYNAMIC = "dynamic"


MergeLike: TypeAlias = MergeStrategy | Literal["replace", "none", "overwrite", "soft-merge"]
"""A merge strategy, as the enum or its string value."""
HttpMethodLike: TypeAlias = HttpMethod | Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
"""An HTTP method, as the enum or its string value."""
RetainTypeLike: TypeAlias = RetainType | Literal["first", "last", "highest", "lowest"]
"""A retain type, as the enum or its string value."""
ScopeLike: TypeAlias = BatchScope | Literal["user", "global", "dynamic"]
"""A batch or throttle scope, as the enum or its string value."""


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token
_HEADER_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # RFC 9110: HTAB is allowed


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Webhook(WireObject):
    """The HTTP request of a ``fetch-data`` step (or of a ``send-list`` data source).

    Args:
        url: the address to call.
        method: ``GET`` (default), ``POST``, ``PUT``, ``PATCH`` or ``DELETE``; always sent,
            as Courier's current spec requires it.
        headers: request headers, string to string.
        body: the request body: a string, or a dict that is JSON-encoded.
        params: query parameters (documented by Courier's guides, not its current spec).

    Example:
        >>> Webhook(url="https://api.example.com/u/1", body={"a": 1}).to_wire()
        {'url': 'https://api.example.com/u/1', 'method': 'GET', 'body': '{"a":1}'}
    """

    OWNER: ClassVar[str] = "webhook"

    url: str | RefLike = f.text(ref=True)
    method: HttpMethodLike = f.choice(HttpMethod, required=True, default=HttpMethod.GET)
    headers: JSONValue | None = f.json_object(ref=False)
    body: str | Mapping[str, Any] | None = f.json_body()
    params: JSONValue | None = f.json_object(ref=False)

    def __attrs_post_init__(self) -> None:
        if self.headers is not None:
            for key, value in self.headers.items():
                if not _HEADER_NAME.fullmatch(key):
                    raise ValidationError(self.OWNER, "headers", "HTTP header names", key)
                if not isinstance(value, str):
                    raise ValidationTypeError(
                        self.OWNER, f"headers[{key!r}]", "a string header value", value
                    )
                if _HEADER_VALUE_BAD.search(value) or not f.utf8(value):
                    raise ValidationError(
                        self.OWNER,
                        f"headers[{key!r}]",
                        "a header value without CR, LF or other control characters",
                        value,
                    )


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class DataSource(WireObject):
    """Where a ``send-list`` step fetches per-recipient data (Courier's guides).

    Example:
        >>> DataSource(webhook={"url": "https://x.test/d"}).to_wire()
        {'webhook': {'url': 'https://x.test/d', 'method': 'GET'}}
    """

    OWNER: ClassVar[str] = "data_source"

    webhook: Webhook | Mapping[str, Any] = f.nested(Webhook, "a Webhook or a mapping")
    merge_strategy: MergeLike | None = f.choice(MergeStrategy)


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class Retain(WireObject):
    """Which items an ``add-to-batch`` step keeps, and how many.

    Example:
        >>> Retain(type="highest", count=5, sort_key="refs.data.score").to_wire()
        {'type': 'highest', 'count': 5, 'sort_key': 'refs.data.score'}
    """

    OWNER: ClassVar[str] = "retain"

    type: RetainTypeLike = f.choice(RetainType, required=True)
    count: int = f.integer(maximum=100)
    sort_key: str | None = f.text(required=False)

    def __attrs_post_init__(self) -> None:
        if self.type in (RetainType.HIGHEST, RetainType.LOWEST) and self.sort_key is None:
            raise ValidationError(
                self.OWNER, "sort_key", f"a sort key when type is '{self.type}'", None
            )


def given_context(
    *,
    data: Any = None,
    profile: Any = None,
    recipient: Any = None,
    brand: Any = None,
    template: Any = None,
) -> dict[str, Any]:
    """The run-context fields that were given (not ``None``), by name.

    Example:
        >>> given_context(recipient="u1", data=None)
        {'recipient': 'u1'}
    """
    fields = {
        "data": data,
        "profile": profile,
        "recipient": recipient,
        "brand": brand,
        "template": template,
    }
    return {key: value for key, value in fields.items() if value is not None}


@fast_init
@attrs.frozen(slots=True, kw_only=True, repr=False)
class RunContext(WireObject):
    """The run context: ``data``, ``profile``, ``recipient``, ``brand`` and ``template``.

    It is the top-level part of an invoke body beside ``automation``, and the
    ``context`` of an ``invoke`` step. Step values win over run values.

    Example:
        >>> RunContext(recipient="user-1", data={"plan": "pro"}).to_wire()
        {'data': {'plan': 'pro'}, 'recipient': 'user-1'}
    """

    OWNER: ClassVar[str] = "run context"

    data: JSONValue | None = f.json_object()
    profile: JSONValue | None = f.json_object()
    recipient: str | RefLike | None = f.text(required=False, ref=True)
    brand: str | RefLike | None = f.text(required=False, ref=True)
    template: str | RefLike | None = f.text(required=False, ref=True)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> RunContext:
        """Parse a run context, ignoring the keys named in ``skip``."""
        return cls(**cls._kwargs_from_wire(data, skip))
