"""The JSON Schema of the invoke body this library writes and reads.

It covers Courier's seven current actions, the documented beta and legacy ones,
``if``/``ref`` on every step and ``$ref`` accessors. Use it to check payloads made
elsewhere, or in your own tests.

Examples:
    >>> from automation_dsl import invoke_schema
    >>> schema = invoke_schema()
    >>> schema["required"]
    ['automation']
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from ._automation import Automation
from ._errors import ValidationTypeError

if TYPE_CHECKING:
    from ._payload_schema import PayloadSchema

__all__ = ["invoke_schema"]

_TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
_REF: dict[str, Any] = {
    "type": "object",
    "properties": {"$ref": {"type": "string", "minLength": 1}},
    "required": ["$ref"],
    "additionalProperties": False,
}
_TEXT_OR_REF: dict[str, Any] = {"anyOf": [_TEXT, _REF]}
_OBJECT: dict[str, Any] = {"type": "object"}
_OBJECT_OR_REF: dict[str, Any] = {"type": "object"}  # a $ref accessor is an object too
_MERGE = {"enum": ["replace", "none", "overwrite", "soft-merge"]}
_SCOPE = {"enum": ["user", "global", "dynamic"]}
_ISO_DURATION = {
    "type": "string",
    "pattern": r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$",
}
_COURIER_DURATION = {
    "type": "string",
    "pattern": r"^[1-9]\d* (minute|hour|day|week|month|year)s?$",
}
_UNTIL = {
    "type": "string",
    "pattern": r"^(\d{8}T\d{6}\.\d{3}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$",
}
_EXPIRY = {"anyOf": [{"type": "integer", "minimum": 1}, _TEXT]}
_WEBHOOK = {
    "type": "object",
    "properties": {
        "url": _TEXT_OR_REF,
        "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {"type": "string"},
        "params": _OBJECT,
    },
    "required": ["url", "method"],
    "additionalProperties": False,
}
_CONTEXT = {
    "data": _OBJECT_OR_REF,
    "profile": _OBJECT_OR_REF,
    "recipient": _TEXT_OR_REF,
    "brand": _TEXT_OR_REF,
    "template": _TEXT_OR_REF,
}


def _step(action: str, properties: dict[str, Any], required: tuple[str, ...] = ()) -> Any:
    return {
        "type": "object",
        "properties": {
            "action": {"const": action},
            **properties,
            "if": _TEXT,
            "ref": {"type": "string", "pattern": r"^[^.\s]+$"},
        },
        "required": ["action", *required],
        "additionalProperties": False,
    }


_SEND = {
    "template": _TEXT_OR_REF,
    "recipient": _TEXT_OR_REF,
    "brand": _TEXT_OR_REF,
    "data": _OBJECT_OR_REF,
    "profile": _OBJECT_OR_REF,
    "override": _OBJECT_OR_REF,
    "idempotency_key": _TEXT,
    "idempotency_expiry": _EXPIRY,
}

_STEPS = [
    _step("send", _SEND),
    _step("send", {"message": {"type": "object", "required": ["to"]}}, ("message",)),
    _step(
        "send-list",
        {
            "list": _TEXT_OR_REF,
            "template": _TEXT_OR_REF,
            "brand": _TEXT_OR_REF,
            "data": _OBJECT_OR_REF,
            "override": _OBJECT_OR_REF,
            "data_source": {
                "type": "object",
                "properties": {"webhook": _WEBHOOK, "merge_strategy": _MERGE},
                "required": ["webhook"],
                "additionalProperties": False,
            },
            "idempotency_key": _TEXT,
            "idempotency_expiry": _EXPIRY,
        },
        ("list",),
    ),
    {
        **_step(
            "delay",
            {"until": {"anyOf": [_UNTIL, _REF]}, "duration": {"anyOf": [_COURIER_DURATION, _REF]}},
        ),
        "oneOf": [{"required": ["until"]}, {"required": ["duration"]}],
    },
    _step("cancel", {"cancelation_token": _TEXT_OR_REF}, ("cancelation_token",)),
    _step(
        "invoke",
        {
            "template": _TEXT_OR_REF,
            "context": {
                "anyOf": [
                    {"type": "object", "properties": _CONTEXT, "additionalProperties": False},
                    _REF,
                ]
            },
        },
        ("template",),
    ),
    _step(
        "update-profile",
        {"profile": _OBJECT_OR_REF, "recipient_id": _TEXT_OR_REF, "merge": _MERGE},
        ("profile",),
    ),
    _step(
        "fetch-data",
        {
            "webhook": _WEBHOOK,
            "merge_strategy": _MERGE,
            "idempotency_key": _TEXT,
            "idempotency_expiry": _EXPIRY,
        },
        ("webhook",),
    ),
    _step(
        "add-to-batch",
        {
            "wait_period": {"anyOf": [_ISO_DURATION, _REF]},
            "max_wait_period": {"anyOf": [_ISO_DURATION, _REF]},
            "retain": {
                "type": "object",
                "properties": {
                    "type": {"enum": ["first", "last", "highest", "lowest"]},
                    "count": {"type": "integer", "minimum": 1, "maximum": 100},
                    "sort_key": _TEXT,
                },
                "required": ["type", "count"],
                "additionalProperties": False,
            },
            "max_items": {"type": "integer", "minimum": 1},
            "scope": _SCOPE,
            "batch_key": _TEXT,
            "batch_id": _TEXT,
            "category_key": _TEXT,
        },
        ("wait_period", "max_wait_period", "retain"),
    ),
    _step("add-to-digest", {"subscription_topic_id": _TEXT}, ("subscription_topic_id",)),
    _step(
        "throttle",
        {
            "max_allowed": {"type": "integer", "minimum": 1},
            "period": {"anyOf": [_ISO_DURATION, _REF]},
            "scope": _SCOPE,
            "on_throttle": {
                "type": "object",
                "properties": {"$node_id": _TEXT},
                "required": ["$node_id"],
                "additionalProperties": False,
            },
            "throttle_key": _TEXT,
            "should_alert": {"type": "boolean"},
        },
        ("max_allowed", "period", "scope", "on_throttle"),
    ),
]

_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Courier ad hoc automation invoke body (automation-dsl)",
    "type": "object",
    "properties": {
        "automation": {
            "type": "object",
            "properties": {
                "cancelation_token": _TEXT_OR_REF,
                "steps": {"type": "array", "items": {"anyOf": _STEPS}},
            },
            "required": ["steps"],
            "additionalProperties": False,
        },
        **_CONTEXT,
    },
    "required": ["automation"],
    "additionalProperties": False,
}


def _embedded(schema: PayloadSchema, root: str, defs: dict[str, Any]) -> dict[str, Any]:
    """A payload schema as the schema of the body's ``root`` property: its ``$defs`` moved
    into ``defs`` under ``<root>.<name>`` and its ``$ref``s rewritten to match."""
    own = schema.schema  # a fresh copy, rewritten in place

    def rewrite(sub: Any) -> None:  # only where schemas are: not in const, enum, default ...
        if not isinstance(sub, dict):
            return
        if isinstance(sub.get("$ref"), str):
            sub["$ref"] = re.sub(r"^#/\$defs/", f"#/$defs/{root}.", sub["$ref"])
        for key in ("properties", "$defs"):
            for item in sub.get(key, {}).values():
                rewrite(item)
        for key in ("additionalProperties", "items"):
            rewrite(sub.get(key))
        for item in sub.get("anyOf", ()):
            rewrite(item)

    rewrite(own)
    for name, sub in own.pop("$defs", {}).items():
        defs[f"{root}.{name}"] = sub
    return own


def invoke_schema(automation: Automation | None = None) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a ``POST /automations/invoke`` body.

    Raw steps (actions this library does not model) are outside the schema by design.
    Given an automation with payload schemas (``data_schema``, ``profile_schema``), the
    body's ``data`` and ``profile`` are those schemas (their ``$defs`` moved to the top as
    ``data.<name>``), and ``data`` is required when an empty one would not do. The result
    is a fresh copy: change it freely.

    Examples:
        >>> sorted(invoke_schema()["properties"])
        ['automation', 'brand', 'data', 'profile', 'recipient', 'template']
        >>> from typing import TypedDict
        >>> from automation_dsl import Automation
        >>> class Order(TypedDict):
        ...     total: float
        >>> schema = invoke_schema(Automation(data_schema=Order))
        >>> schema["properties"]["data"], schema["required"]
        ({'$ref': '#/$defs/data.Order'}, ['automation', 'data'])
    """
    if automation is not None and not isinstance(automation, Automation):
        raise ValidationTypeError(
            "invoke_schema", "automation", "an Automation or None", automation
        )
    schema = copy.deepcopy(_SCHEMA)
    if automation is None:
        return schema
    defs: dict[str, Any] = {}
    for root in ("data", "profile"):
        payload = getattr(automation, f"{root}_schema", None)
        if payload is None:
            continue
        schema["properties"][root] = _embedded(payload, root, defs)
        if not payload.compiled.valid({}):
            schema["required"].append(root)
    if defs:
        schema["$defs"] = defs
    return schema
