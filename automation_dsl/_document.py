"""The invoke document both ways, at the level of a whole automation.

Reading: an ``automation`` object (``{"steps": [...], "cancelation_token": ...}``), a whole
invoke body (the automation plus its run context) or JSON text, with errors located by path
(``steps[2].until``, ``automation.steps[0]``). Writing: the invoke body and its JSON text.
``Automation.from_dict``/``from_payload``/``from_json`` and ``to_payload``/``to_json`` delegate
here; each step is read by `parse_step`.

Examples:
    >>> from automation_dsl import Automation
    >>> flow, context = from_payload(Automation, {"automation": {"steps": []}, "recipient": "u"},
    ...                              lenient=False)
    >>> to_payload(flow, context, until_format=None)
    {'automation': {'steps': []}, 'recipient': 'u'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import MISSING, ValidationError, ValidationTypeError, path_step
from ._json import loads
from ._parse import parse_step
from ._payload_schema import PayloadSchema
from ._ref import mapping_ref
from ._steps import FetchData
from ._time import NAIVE_HINT, UntilFormat, until_format_of, utc_offset
from ._timing import has_local_time, resolve
from ._types import DataLike
from ._values import RunContext, given_context

if TYPE_CHECKING:
    from ._automation import Automation


SCHEMAS_KEY = "x-payload-schemas"
"""The top-level key of [`Automation.to_json`][automation_dsl.Automation.to_json] that
carries the payload schemas: ``{"data": ..., "profile": ..., "returns": {"<step index>":
...}}``. Courier's invoke body has no place for them:
[`Automation.to_payload`][automation_dsl.Automation.to_payload] and the clients never send
it."""


# -- reading -------------------------------------------------------------------------------


def from_dict(cls: type[Automation], data: Mapping[str, Any], *, lenient: bool) -> Automation:
    """The body of [`Automation.from_dict`][]: ``cls`` built from an ``automation`` object."""
    check_lenient(lenient, "Automation.from_dict")
    if not isinstance(data, Mapping):
        raise ValidationTypeError("automation", "automation", "a JSON object", data)
    check_keys(data, "automation")
    unknown = set(data) - {"steps", "cancelation_token"}
    if unknown:
        key = sorted(unknown)[0]
        raise ValidationError(
            "automation",
            key,
            "only 'steps' and 'cancelation_token'",
            data[key],
            hint="unknown field",
            path=path_step(key),
        )
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list | tuple):
        raise ValidationTypeError("automation", "steps", "a list of steps", raw_steps, path="steps")
    steps = tuple(
        parse_step(item, f"steps[{index}]", lenient=lenient) for index, item in enumerate(raw_steps)
    )
    fmt = UntilFormat.BASIC
    for item in raw_steps:
        if item.get("action") == "delay" and isinstance(item.get("until"), str):
            fmt = until_format_of(item["until"])
            break
    try:
        return cls(data.get("cancelation_token"), steps=steps, until_format=fmt)
    except ValidationError as error:
        raise located(error) from None


def from_payload(
    cls: type[Automation], payload: Mapping[str, Any], *, lenient: bool
) -> tuple[Automation, RunContext]:
    """The body of [`Automation.from_payload`][]: the automation and its run context."""
    check_lenient(lenient, "Automation.from_payload")
    if not isinstance(payload, Mapping):
        raise ValidationTypeError(
            "invoke body", "payload", "a JSON object with an 'automation' key", payload
        )
    if "automation" not in payload:
        hint = (
            "this is an automation object, not an invoke body: wrap it as {'automation': ...}"
            if "steps" in payload
            else None
        )
        raise ValidationError(
            "invoke body",
            "automation",
            "a value (required field: the body is {'automation': {...}, ...})",
            MISSING,
            path="automation",
            hint=hint,
        )
    check_keys(payload, "invoke body")
    try:
        automation = cls.from_dict(payload["automation"], lenient=lenient)
    except ValidationError as error:
        raise (error.at("automation") if error.path else located(error)) from None
    if SCHEMAS_KEY in payload:
        automation = with_schemas(automation, payload[SCHEMAS_KEY])
    return automation, run_context(payload, "", skip=("automation", SCHEMAS_KEY))


def _schema(schema: Any, field: str, where: str) -> PayloadSchema | None:
    """A payload schema of a document, its errors located at ``where`` in it."""
    try:
        return PayloadSchema.of(schema, "invoke body", field)
    except ValidationError as error:
        if error.path:
            raise error.at(where) from None
        raise type(error)(
            error.owner, error.field, error.expected, error.got, hint=error.hint, path=where
        ) from None


def with_schemas(automation: Automation, schemas: Any) -> Automation:
    """``automation`` with the payload schemas of a document's ``SCHEMAS_KEY``."""
    if not isinstance(schemas, Mapping):
        raise ValidationTypeError(
            "invoke body", SCHEMAS_KEY, "a JSON object", schemas, path=SCHEMAS_KEY
        )
    unknown = sorted(set(schemas) - {"data", "profile", "returns"})
    if unknown:
        raise ValidationError(
            "invoke body",
            unknown[0],
            "only 'data', 'profile' and 'returns'",
            schemas[unknown[0]],
            path=f"{SCHEMAS_KEY}.{path_step(unknown[0])}",
        )
    returns = schemas.get("returns", {})
    if not isinstance(returns, Mapping):
        raise ValidationTypeError(
            "invoke body", "returns", "a JSON object", returns, path=f"{SCHEMAS_KEY}.returns"
        )
    steps = list(automation.steps)
    for index, schema in returns.items():
        where = f"{SCHEMAS_KEY}.returns.{path_step(index)}"
        number = isinstance(index, str) and index.isascii() and index.isdigit()
        position = int(index) if number and len(index) < 10 else -1
        if str(position) != index:  # "01" would name step 1 a second time
            position = -1
        step = steps[position] if 0 <= position < len(steps) else None
        if not isinstance(step, FetchData):
            raise ValidationError(
                "invoke body", "returns", "the index of a fetch-data step", index, path=where
            )
        steps[position] = attrs.evolve(step, returns=_schema(schema, "returns", where))
    data = _schema(schemas.get("data"), "data", f"{SCHEMAS_KEY}.data")
    profile = _schema(schemas.get("profile"), "profile", f"{SCHEMAS_KEY}.profile")
    try:
        return attrs.evolve(
            automation, steps=tuple(steps), data_schema=data, profile_schema=profile
        )
    except ValidationError as error:  # a step (or the token) reads what the schemas lack
        raise error.at("automation") from None


def schemas_of(automation: Automation) -> dict[str, Any] | None:
    """The payload schemas of ``automation`` as ``SCHEMAS_KEY`` holds them, if any."""
    out: dict[str, Any] = {}
    for root in ("data", "profile"):
        schema = getattr(automation, f"{root}_schema")
        if schema is not None:
            out[root] = schema.schema
    returns = {
        str(index): step.returns.schema
        for index, step in enumerate(automation.steps)
        if isinstance(step, FetchData) and isinstance(step.returns, PayloadSchema)
    }
    if returns:
        out["returns"] = returns
    return out or None


def from_json(cls: type[Automation], text: str | bytes, *, lenient: bool) -> Automation:
    """The body of [`Automation.from_json`][]: an invoke body or an ``automation`` object."""
    check_lenient(lenient, "Automation.from_json")
    data = load_json(text)
    if isinstance(data, Mapping) and "automation" in data:
        return cls.from_payload(data, lenient=lenient)[0]
    return cls.from_dict(data, lenient=lenient)


def located(error: ValidationError) -> ValidationError:
    """``error`` with a path: its field, if it had none (a top-level key of a document)."""
    if error.path is not None:
        return error
    return type(error)(
        error.owner,
        error.field,
        error.expected,
        error.got,
        hint=error.hint,
        path=path_step(error.field),
    )


def check_keys(document: Mapping[Any, Any], owner: str) -> None:
    """Refuse a key that is not a string (JSON objects have only string keys)."""
    for key in document:
        if key.__class__ is not str:
            raise ValidationTypeError(owner, owner, "a JSON object with string keys", key)


def run_context(fields: Mapping[str, Any], where: str, *, skip: tuple[str, ...] = ()) -> RunContext:
    """Parse a run context; errors are located under ``where`` (``context``), or at the top."""
    try:
        return RunContext.from_wire(fields, skip=skip)
    except ValidationError as error:
        raise (error.at(where) if where else located(error)) from None


def check_lenient(lenient: object, owner: str) -> None:
    """Refuse a ``lenient=`` that is not exactly ``True`` or ``False``."""
    if lenient.__class__ is not bool:
        raise ValidationTypeError(owner, "lenient", "True or False", lenient)


def load_json(text: Any) -> Any:
    """Parse JSON text as Courier would accept it, or raise a [`ValidationError`][]."""
    if not isinstance(text, str | bytes | bytearray):
        raise ValidationTypeError("automation", "text", "JSON text (str or bytes)", text)
    return loads(text, owner="automation", field="text")


# -- writing -------------------------------------------------------------------------------


def to_payload(
    automation: Automation,
    context: RunContext | Mapping[str, Any] | None,
    *,
    until_format: UntilFormat | str | None,
    data: DataLike | None = None,
    profile: DataLike | None = None,
    recipient: str | None = None,
    brand: str | None = None,
    template: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The body of [`Automation.to_payload`][]: the whole ``POST /automations/invoke`` body;
    ``data`` and ``profile`` checked against the automation's payload schemas, local times
    resolved for this run context as invoked at ``now``."""
    body: dict[str, Any] = {"automation": None}
    if now is not None:
        now = invoke_time(now, "Automation.to_payload")
    data_schema, profile_schema = automation.data_schema, automation.profile_schema
    if data_schema is not None:
        data = data_schema.to_json(data, "Automation.to_payload", "data")
    if profile_schema is not None:
        profile = profile_schema.to_json(profile, "Automation.to_payload", "profile")
    overrides = given_context(
        data=data, profile=profile, recipient=recipient, brand=brand, template=template
    )
    if context is not None:
        if isinstance(context, Mapping):
            context = run_context(context, "context")
        if not isinstance(context, RunContext):
            raise ValidationTypeError(
                "Automation.to_payload", "context", "a RunContext or a mapping", context
            )
        if overrides:
            context = attrs.evolve(context, **overrides)
        body.update(context.to_wire())
    elif overrides:
        body.update(RunContext._new(**overrides).to_wire())
    for schema, root in ((data_schema, "data"), (profile_schema, "profile")):
        if schema is not None:
            check_context(schema, body.get(root), root, "Automation.to_payload")
    if has_local_time(automation.steps):
        when = invoke_time(now, "Automation.to_payload")
        automation = automation._with(resolve(automation.steps, body, when))
    body["automation"] = automation.to_dict(until_format=until_format)
    return body


def invoke_time(now: datetime | None, owner: str) -> datetime:
    """``now`` (an aware datetime), or the current time: when the run starts."""
    if now is None:
        return datetime.now(UTC)
    if not isinstance(now, datetime):
        raise ValidationTypeError(owner, "now", "an aware datetime", now)
    if now.tzinfo is None or utc_offset(now, owner, "now") is None:
        raise ValidationError(owner, "now", "an aware datetime", now, hint=NAIVE_HINT)
    return now


def check_context(schema: PayloadSchema, value: Any, root: str, owner: str) -> None:
    """Check a run's ``data`` (or ``profile``) against its schema; an absent value is
    checked as ``{}``, and a ``{"$ref": ...}`` accessor (read when the run starts) not at all."""
    if isinstance(value, Mapping) and mapping_ref(value) is not None:
        return
    schema.check({} if value is None else value, root=root, owner=owner)


def to_json(
    automation: Automation,
    context: RunContext | Mapping[str, Any] | None,
    *,
    indent: int | None,
    until_format: UntilFormat | str | None,
    data: DataLike | None = None,
    profile: DataLike | None = None,
    recipient: str | None = None,
    brand: str | None = None,
    template: str | None = None,
    now: datetime | None = None,
) -> str:
    """The body of [`Automation.to_json`][]: ``indent`` checked first, then the body
    written, with the payload schemas (if any) under ``SCHEMAS_KEY``."""
    if indent is not None and (indent.__class__ is not int or not 0 <= indent <= 16):
        raise ValidationTypeError("Automation.to_json", "indent", "None or 0 to 16", indent)
    body = automation.to_payload(
        context,
        data=data,
        profile=profile,
        recipient=recipient,
        brand=brand,
        template=template,
        until_format=until_format,
        now=now,
    )
    schemas = schemas_of(automation)
    if schemas is not None:
        body[SCHEMAS_KEY] = schemas
    return json.dumps(body, indent=indent, ensure_ascii=False, allow_nan=False)
