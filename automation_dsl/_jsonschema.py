"""A JSON Schema subset (draft 2020-12): checked once, compiled, then applied to values.

The subset is what payload schemas need and nothing else (docs/payload-schemas.md has the
table): ``type`` (a name or a list of names), ``properties``, ``required``,
``additionalProperties`` (a boolean or a schema), ``items`` (one schema), ``enum``,
``const``, ``anyOf``, ``minimum``/``maximum``, ``minLength``/``maxLength``,
``minItems``/``maxItems``, ``$ref`` to ``#/$defs/<name>`` with ``$defs`` at the root, and
the annotations ``$schema``, ``$id``, ``title``, ``description``, ``$comment``,
``default``, ``examples``, ``format`` and ``deprecated`` (which, as in the standard, check
nothing). Any other keyword is refused by ``compile_schema``, by name: a schema is
never half applied.

As in the standard, ``"integer"`` is a number with no fraction (``1.0`` is one) and never
a boolean; ``enum`` and ``const`` compare as JSON does (``true`` is not ``1``).

Examples:
    >>> check = compile_schema({"type": "object", "required": ["sku"],
    ...                         "properties": {"sku": {"type": "string"}}}, "schema")
    >>> check.errors({"sku": 1}, "data")
    [('data.sku', 'a string', 1)]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ._errors import MISSING, ValidationError, ValidationTypeError, _cut
from ._json import _json_equal

__all__: list[str] = []  # private: see PayloadSchema

MAX_ERRORS = 20
"""The most errors one check reports (the first of them is the one raised)."""
MAX_SCHEMA_DEPTH = 64
"""The deepest a schema may nest."""
MAX_VALUE_DEPTH = 200
"""The deepest a value is followed into (a recursive schema would follow it further)."""
_PLAIN_DEPTH = 256
"""The deepest a schema's JSON may nest (a ``const`` value nests below the schema)."""

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "title",
        "description",
        "$comment",
        "default",
        "examples",
        "format",
        "deprecated",
    }
)
KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "$ref",
        "$defs",
    }
)
TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
_NAMES = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_DEF_REF = re.compile(r"#/\$defs/([^/~%]+)")  # no escapes: a def named "%25" is read as "%"

Problem = tuple[str, str, Any]  # (path, expected, got)
Check = Callable[[Any, str, list[Problem], int], None]


def key_path(path: str, key: str) -> str:
    """``path`` followed by an object key: ``data.sku``, or ``data['plan-id']``.

    Examples:
        >>> key_path("data", "sku"), key_path("data", "plan-id")
        ('data.sku', "data['plan-id']")
    """
    return f"{path}.{key}" if _IDENTIFIER.fullmatch(key) else f"{path}[{_cut(repr(key))}]"


def type_of(value: Any) -> str | None:
    """The JSON type name of a Python value (``"integer"`` for ints and whole floats)."""
    kind = value.__class__
    if kind is str:
        return "string"
    if kind is bool:
        return "boolean"
    if kind is int:
        return "integer"
    if kind is float:
        return "integer" if value.is_integer() else "number"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return None


def has_type(value: Any, name: str) -> bool:
    """Whether ``value`` is of the JSON type ``name`` (an integer is a number too)."""
    actual = type_of(value)
    return actual == name or (name == "number" and actual == "integer")


# -- checking a schema ----------------------------------------------------------------------


class _SchemaChecker:
    """Walks a schema once, refusing what is outside the subset, with the path of it."""

    def __init__(self, owner: str, field: str, defs: Mapping[str, Any]) -> None:
        self.owner = owner
        self.field = field
        self.defs = defs

    def fail(self, where: str, expected: str, got: Any, *, hint: str | None = None) -> NoReturn:
        raise ValidationError(self.owner, self.field, expected, got, hint=hint, path=where or None)

    def check(self, schema: Any, where: str, depth: int, unguarded: dict[str, int] | None) -> None:
        """Check ``schema`` at ``where``; ``unguarded`` collects the ``$defs`` it refers to
        before reading into the value, each with the deepest nesting it is referred at."""
        if depth > MAX_SCHEMA_DEPTH:
            self.fail(where, f"a schema nested at most {MAX_SCHEMA_DEPTH} deep", "deeper")
        if schema is True or schema is False:
            return
        if not isinstance(schema, Mapping):
            self.fail(where, "a schema (a JSON object or true/false)", schema)
        for keyword in schema:
            if keyword not in KEYWORDS and keyword not in ANNOTATIONS:
                self.fail(
                    f"{where}.{keyword}" if where else keyword,
                    "a keyword of the supported subset (" + ", ".join(sorted(KEYWORDS)) + ")",
                    keyword,
                    hint="see docs/payload-schemas.md, 'The subset'; nothing is silently ignored",
                )
            if keyword == "$defs" and where:
                self.fail(f"{where}.$defs", "$defs at the root of the schema only", keyword)

        def at(key: str) -> str:
            return f"{where}.{key}" if where else key

        if "type" in schema:
            names = schema["type"]
            listed = names if isinstance(names, list) else [names]
            if not listed or any(name not in TYPES for name in listed):
                self.fail(
                    at("type"),
                    "a type name or a non-empty list of them: " + ", ".join(TYPES),
                    names,
                )
            if len(set(listed)) != len(listed):
                self.fail(at("type"), "type names without repeats", names)
        for keyword in ("minimum", "maximum"):
            if keyword in schema and type_of(schema[keyword]) not in ("integer", "number"):
                self.fail(at(keyword), "a number", schema[keyword])
        for keyword in ("minLength", "maxLength", "minItems", "maxItems"):
            value: Any = schema.get(keyword)
            if keyword in schema and (type_of(value) != "integer" or value < 0):
                self.fail(at(keyword), "a non-negative integer", value)
        if "enum" in schema and not isinstance(schema["enum"], list):
            self.fail(at("enum"), "a list of values", schema["enum"])
        if "required" in schema:
            required = schema["required"]
            if not isinstance(required, list) or any(not isinstance(n, str) for n in required):
                self.fail(at("required"), "a list of property names", required)
            if len(set(required)) != len(required):
                self.fail(at("required"), "property names without repeats", required)
        if "properties" in schema:
            properties = schema["properties"]
            if not isinstance(properties, Mapping):
                self.fail(at("properties"), "an object of schemas", properties)
            for name, sub in properties.items():
                self.check(sub, f"{at('properties')}.{name}", depth + 1, None)
        for keyword in ("additionalProperties", "items"):
            if keyword in schema:
                if isinstance(schema[keyword], list):
                    self.fail(
                        at(keyword),
                        "one schema (prefixItems is outside the subset)",
                        schema[keyword],
                    )
                self.check(schema[keyword], at(keyword), depth + 1, None)
        if "anyOf" in schema:
            branches = schema["anyOf"]
            if not isinstance(branches, list) or not branches:
                self.fail(at("anyOf"), "a non-empty list of schemas", branches)
            for index, sub in enumerate(branches):
                self.check(sub, f"{at('anyOf')}[{index}]", depth + 1, unguarded)
        if "$ref" in schema:
            ref = schema["$ref"]
            match = _DEF_REF.fullmatch(ref) if isinstance(ref, str) else None
            if match is None:
                self.fail(
                    at("$ref"), "a local reference '#/$defs/<name>' (a name without /, ~ or %)", ref
                )
            name = match.group(1)
            if name not in self.defs:
                known = ", ".join(sorted(self.defs)) or "none"
                self.fail(at("$ref"), f"the name of a schema in $defs ({known})", ref)
            if unguarded is not None:
                unguarded[name] = max(unguarded.get(name, 0), depth)


def _ref_cycle(graph: Mapping[str, Mapping[str, int]]) -> list[str] | None:
    """A cycle of $defs that refer to each other without reading into the value, if any."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        trail = [start]
        state[start] = 1
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                trail.pop()
                state[node] = 2
                continue
            nxt = pending.pop()
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                trail.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


def _ref_depths(graph: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """How deep each node of an acyclic ``graph`` (a def: the defs it refers to, at what
    nesting) nests schemas through its references, before any reads into the value."""
    depths: dict[str, int] = {}
    for start in graph:
        stack = [start]
        while stack:
            node = stack[-1]
            waiting = [name for name in graph.get(node, {}) if name not in depths]
            if waiting:
                stack += waiting
                continue
            stack.pop()
            edges = graph.get(node, {}).items()
            depths[node] = max((at + depths[name] for name, at in edges), default=0)
    return depths


def plain(schema: Any, owner: str, field: str) -> Any:
    """A plain JSON copy of ``schema`` (mappings become dicts, tuples lists), or an error
    that names where it is not JSON (``properties.a.maximum``: NaN)."""

    def fail(where: str, expected: str, got: Any, error: type[ValidationError]) -> NoReturn:
        raise error(owner, field, f"a JSON Schema {expected}", got, path=where or None)

    def text(value: str, where: str) -> str:
        try:
            value.encode()
        except UnicodeEncodeError:
            fail(where, "without lone surrogates", value, ValidationError)
        return str.__str__(value)  # a str subclass (an enum's member) as its text

    out: dict[str, Any] = {}
    # (value, where, the copy to write it into, under what key, the containers above it)
    pending: list[tuple[Any, str, Any, Any, frozenset[int]]] = [(schema, "", out, "", frozenset())]
    while pending:
        item, where, parent, key, above = pending.pop()
        if isinstance(item, Mapping | list | tuple):
            if id(item) in above:
                fail(where, "without cycles", "a cycle", ValidationTypeError)
            if len(above) >= _PLAIN_DEPTH:
                fail(where, f"nested at most {_PLAIN_DEPTH} deep", "deeper", ValidationTypeError)
            inner = above | {id(item)}
            if isinstance(item, Mapping):
                for name in item:
                    if not isinstance(name, str):  # json.dumps would write 1 as "1"
                        fail(where, "with string keys", name, ValidationTypeError)
                copy: Any = {text(name, where): None for name in item}
                pending += [
                    (sub, f"{where}.{name}" if where else name, copy, name, inner)
                    for name, sub in item.items()
                ]
            else:
                copy = [None] * len(item)
                pending += [(sub, f"{where}[{i}]", copy, i, inner) for i, sub in enumerate(item)]
            parent[key] = copy
        elif isinstance(item, str):
            parent[key] = text(item, where)
        elif item is None or isinstance(item, bool):
            parent[key] = item
        elif isinstance(item, int):
            parent[key] = int(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                fail(
                    where,
                    "of finite numbers (JSON has no NaN or Infinity)",
                    item,
                    ValidationTypeError,
                )
            parent[key] = float(item)
        else:
            fail(
                where,
                "of JSON values (str, int, float, bool, None, list or dict)",
                item,
                ValidationTypeError,
            )
    return out[""]


# -- compiling ------------------------------------------------------------------------------


class CompiledSchema:
    """A checked schema, compiled to one function per subschema; see ``compile_schema``."""

    __slots__ = ("_defs", "_root", "schema")

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._defs: dict[str, Check] = {}
        defs = schema.get("$defs", {}) if isinstance(schema, Mapping) else {}
        for name, sub in defs.items():
            self._defs[name] = self._compile(sub)
        self._root = self._compile(schema)

    def errors(self, value: Any, root: str) -> list[tuple[str, str, Any]]:
        """The problems of ``value``, as (path, expected, got), at most ``MAX_ERRORS``."""
        problems: list[Problem] = []
        self._root(value, root, problems, 0)
        return problems[:MAX_ERRORS]

    def valid(self, value: Any) -> bool:
        """Whether ``value`` satisfies the schema."""
        problems: list[Problem] = []
        self._root(value, "", problems, 0)
        return not problems

    def _compile(self, schema: Any) -> Check:
        if schema is True:
            return _accept
        if schema is False:
            return _refuse
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self._reference(_DEF_REF.fullmatch(schema["$ref"]).group(1)))  # type: ignore[union-attr]
        if "type" in schema:
            checks.append(_types(schema["type"]))
        if "enum" in schema:
            checks.append(_enum(schema["enum"]))
        if "const" in schema:
            checks.append(_const(schema["const"]))
        for keyword, test, expected in _BOUNDS:
            if keyword in schema:
                checks.append(_bound(schema[keyword], test, expected))
        if "properties" in schema or "additionalProperties" in schema:
            properties = {
                name: self._compile(sub) for name, sub in schema.get("properties", {}).items()
            }
            extra = schema.get("additionalProperties", True)
            checks.append(_properties(properties, None if extra is True else self._compile(extra)))
        if "required" in schema:
            checks.append(_required(schema["required"]))
        if "items" in schema:
            checks.append(_items(self._compile(schema["items"])))
        if "anyOf" in schema:
            checks.append(_any_of([self._compile(sub) for sub in schema["anyOf"]]))
        if not checks:
            return _accept
        if len(checks) == 1:
            return checks[0]

        def check_all(value: Any, path: str, problems: list[Problem], depth: int) -> None:
            for check in checks:
                check(value, path, problems, depth)

        return check_all

    def _reference(self, name: str) -> Check:
        defs = self._defs

        def reference(value: Any, path: str, problems: list[Problem], depth: int) -> None:
            defs[name](value, path, problems, depth)

        return reference


def compile_schema(schema: Any, owner: str, field: str = "schema") -> CompiledSchema:
    """Check that ``schema`` is in the subset and compile it; errors name the keyword and
    where it is (``properties.sku.pattern``).

    Examples:
        >>> compile_schema({"type": "string", "pattern": "^a"}, "data_schema")
        Traceback (most recent call last):
        ...
        automation_dsl.ValidationError: pattern: data_schema: 'schema' expected a keyword \
of the supported subset ($defs, $ref, additionalProperties, anyOf, const, enum, items, \
maxItems, maxLength, maximum, minItems, minLength, minimum, properties, required, type), \
got 'pattern' (str); see docs/payload-schemas.md, 'The subset'; nothing is silently ignored
    """
    schema = plain(schema, owner, field)
    if not isinstance(schema, Mapping | bool):
        raise ValidationTypeError(owner, field, "a JSON Schema (a JSON object)", schema)
    defs = schema.get("$defs", {}) if isinstance(schema, Mapping) else {}
    checker = _SchemaChecker(owner, field, defs if isinstance(defs, Mapping) else {})
    if not isinstance(defs, Mapping):
        checker.fail("$defs", "an object of named schemas", defs)
    graph: dict[str, dict[str, int]] = {}
    for name, sub in defs.items():
        graph[name] = {}
        checker.check(sub, f"$defs.{name}", 1, graph[name])
    root: dict[str, int] = {}
    checker.check(schema, "", 0, root)
    cycle = _ref_cycle(graph)
    if cycle is not None:
        checker.fail(
            "$defs",
            "references that read into the value before they recur",
            " -> ".join(cycle),
            hint="a $ref cycle outside properties/items would never end",
        )
    depths = _ref_depths(graph)
    deepest = max((at + depths[name] for name, at in root.items()), default=0)
    if deepest > MAX_SCHEMA_DEPTH:
        checker.fail(
            "$defs",
            f"references nested at most {MAX_SCHEMA_DEPTH} deep before they read into the value",
            "deeper",
            hint="each $ref that reads nothing of the value nests its schema in the last one",
        )
    return CompiledSchema(schema)


# -- the checks -----------------------------------------------------------------------------


def _accept(value: Any, path: str, problems: list[Problem], depth: int) -> None:
    return None


def _refuse(value: Any, path: str, problems: list[Problem], depth: int) -> None:
    problems.append((path, "nothing (the schema is false)", value))


def _describe(names: list[str]) -> str:
    return " or ".join(_NAMES[name] for name in names)


def _types(names: str | list[str]) -> Check:
    listed = [names] if isinstance(names, str) else list(names)
    expected = _describe(listed)
    wanted = frozenset(listed) | ({"integer"} if "number" in listed else set())

    def types(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        if value.__class__ is float and not math.isfinite(value):
            problems.append((path, expected + " (JSON has no NaN or Infinity)", value))
        elif type_of(value) not in wanted:
            problems.append((path, expected, value))

    return types


def _scalar_key(value: Any) -> tuple[Any, Any] | None:
    """A set key for a JSON scalar, equal as JSON equals (``1`` is ``1.0``, not ``True``)."""
    kind = value.__class__
    if kind is int or kind is float:
        return (float, value)
    if kind is str or kind is bool or value is None:
        return (kind, value)
    return None


def _enum(values: list[Any]) -> Check:
    shown = ", ".join(json.dumps(item, ensure_ascii=False) for item in values[:10])
    expected = f"one of {shown}" + (" ..." if len(values) > 10 else "")
    if not values:
        expected = "nothing (the enum is empty)"
    scalars = {key for key in map(_scalar_key, values) if key is not None}

    def enum(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        key = _scalar_key(value)
        if key is not None:  # a scalar equals only a scalar
            if key in scalars:
                return
        elif any(_json_equal(value, item) for item in values):
            return
        problems.append((path, expected, value))

    return enum


def _const(constant: Any) -> Check:
    expected = f"exactly {_cut(json.dumps(constant, ensure_ascii=False))}"

    def const(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        if not _json_equal(value, constant):
            problems.append((path, expected, value))

    return const


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


_BOUNDS: tuple[tuple[str, Callable[[Any, Any], bool | None], str], ...] = (
    (
        "minimum",
        lambda v, n: None if type_of(v) not in ("integer", "number") else v >= n,
        "at least {}",
    ),
    (
        "maximum",
        lambda v, n: None if type_of(v) not in ("integer", "number") else v <= n,
        "at most {}",
    ),
    (
        "minLength",
        lambda v, n: None if not isinstance(v, str) else len(v) >= n,
        "at least {} characters",
    ),
    (
        "maxLength",
        lambda v, n: None if not isinstance(v, str) else len(v) <= n,
        "at most {} characters",
    ),
    (
        "minItems",
        lambda v, n: None if not isinstance(v, list | tuple) else len(v) >= n,
        "at least {} items",
    ),
    (
        "maxItems",
        lambda v, n: None if not isinstance(v, list | tuple) else len(v) <= n,
        "at most {} items",
    ),
)


def _bound(limit: Any, test: Callable[[Any, Any], bool | None], expected: str) -> Check:
    text = expected.format(limit)

    def bound(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        if test(value, limit) is False:
            problems.append((path, text, value))

    return bound


def _required(names: list[str]) -> Check:
    def required(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        if isinstance(value, Mapping):
            for name in names:
                if name not in value:
                    problems.append(
                        (key_path(path, name), "a value (a required property)", MISSING)
                    )

    return required


def _properties(properties: dict[str, Check], extra: Check | None) -> Check:
    names = ", ".join(sorted(properties)[:10]) or "none"
    declared = f"only the declared properties ({_cut(names)}; additionalProperties is false)"

    def check_properties(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        if not isinstance(value, Mapping):
            return
        if depth >= MAX_VALUE_DEPTH:
            problems.append((path, f"a value nested at most {MAX_VALUE_DEPTH} deep", "deeper"))
            return
        for key, item in value.items():
            if len(problems) >= MAX_ERRORS:
                return
            check = properties.get(key, extra)
            if check is None:
                continue
            if not isinstance(key, str):
                problems.append((path, "an object with string keys", key))
                continue
            if check is _refuse:
                problems.append((key_path(path, key), declared, item))
                continue
            check(item, key_path(path, key), problems, depth + 1)

    return check_properties


def _items(check: Check) -> Check:
    def items(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        if not isinstance(value, list | tuple):
            return
        if depth >= MAX_VALUE_DEPTH:
            problems.append((path, f"a value nested at most {MAX_VALUE_DEPTH} deep", "deeper"))
            return
        for index, item in enumerate(value):
            if len(problems) >= MAX_ERRORS:
                return
            check(item, f"{path}[{index}]", problems, depth + 1)

    return items


def _any_of(branches: list[Check]) -> Check:
    def any_of(value: Any, path: str, problems: list[Problem], depth: int) -> None:
        failures: list[list[Problem]] = []
        for branch in branches:
            found: list[Problem] = []
            branch(value, path, found, depth)
            if not found:
                return
            failures.append(found)
        best = failures[0]
        if len(branches) == 1 or best[0][0] != path:
            problems.extend(best)  # a deeper problem of the first branch reads best
            return
        expected = [
            found[0][1] if len(found) == 1 and found[0][0] == path else "?" for found in failures
        ]
        if "?" in expected:
            problems.append(
                (path, f"a value matching one of {len(branches)} schemas (anyOf)", value)
            )
        else:
            alternatives = (part for text in expected for part in text.split(" or "))
            problems.append((path, " or ".join(dict.fromkeys(alternatives)), value))

    return any_of


# -- reading a schema at a path (the build-time checks) -----------------------------------

Node = tuple[Any, Mapping[str, Any]]
"""A subschema and the ``$defs`` its ``$ref`` names resolve in."""


def expand(nodes: list[Node]) -> list[Node]:
    """The schemas ``nodes`` stand for: each ``$ref`` followed and each ``anyOf`` flattened
    (the schema itself kept too, for its other keywords)."""
    out: list[Node] = []
    pending = list(reversed(nodes))
    seen: set[int] = set()
    while pending:
        schema, defs = pending.pop()
        if id(schema) in seen:  # a $ref cycle was refused, but a shared def may recur
            continue
        seen.add(id(schema))
        out.append((schema, defs))
        if isinstance(schema, Mapping):
            if "anyOf" in schema:
                pending.extend((sub, defs) for sub in reversed(schema["anyOf"]))
            if "$ref" in schema:
                name = _DEF_REF.fullmatch(schema["$ref"]).group(1)  # type: ignore[union-attr]
                pending.append((defs[name], defs))
    return out


def _own_types(schema: Any) -> set[str] | None:
    """The JSON types the keywords of ``schema`` itself allow (``None``: any)."""
    if schema is False:
        return set()
    if not isinstance(schema, Mapping):
        return None
    allowed: set[str] | None = None
    if "type" in schema:
        names = schema["type"]
        allowed = {names} if isinstance(names, str) else set(names)
        if "number" in allowed:
            allowed.add("integer")
    listed = [schema["const"]] if "const" in schema else schema.get("enum")
    if listed is not None:
        kinds = {type_of(value) or "?" for value in listed}
        if "integer" in kinds:
            kinds.add("number")  # a whole number also compares with a fraction
        allowed = kinds if allowed is None else allowed & kinds
    return allowed


def _holder(schema: Any) -> bool:
    """Whether ``schema`` only stands for its alternatives (``$ref``/``anyOf`` and
    annotations): ``expand`` lists those beside it."""
    return isinstance(schema, Mapping) and (
        ("$ref" in schema or "anyOf" in schema) and not (set(schema) & (KEYWORDS - _HOLDERS))
    )


_HOLDERS = frozenset({"$ref", "anyOf", "$defs"})


def types_at(nodes: list[Node]) -> set[str] | None:
    """The JSON types a value at ``nodes`` may have (``None``: any); an alternative that
    allows a ``"number"`` allows ``"integer"`` too. Alternatives are joined, never
    intersected: a check that reads this may accept too much, never too little.

    Examples:
        >>> sorted(types_at([({"anyOf": [{"type": "string"}, {"type": "null"}]}, {})]))
        ['null', 'string']
    """
    found: set[str] = set()
    for schema, _ in expand(nodes):
        if _holder(schema):
            continue
        allowed = _own_types(schema)
        if allowed is None:
            return None
        found |= allowed
    return found


def constants_at(nodes: list[Node]) -> list[Any] | None:
    """Every value allowed at ``nodes`` when each alternative lists them (``enum``/``const``),
    else ``None``."""
    values: list[Any] = []
    for schema, _ in expand(nodes):
        if _holder(schema) or schema is False:
            continue
        if not isinstance(schema, Mapping):
            return None
        if "const" in schema:
            values.append(schema["const"])
        elif "enum" in schema:
            values += schema["enum"]
        else:
            return None
    return values


def step_into(nodes: list[Node], part: str) -> tuple[list[Node], bool, list[str]]:
    """The schemas one path step ``part`` reaches from ``nodes``: (reached, open, known).

    ``open`` is true when some alternative accepts any name there (a free-form object,
    ``additionalProperties: true``, a schema with no type); ``known`` lists the declared
    property names when nothing is reached, for a did-you-mean.
    """
    reached: list[Node] = []
    declared: list[Mapping[str, Any]] = []
    opened = False
    for schema, defs in expand(nodes):
        if schema is True:
            opened = True
            continue
        if not isinstance(schema, Mapping):
            continue
        if _holder(schema):
            continue  # it stands for its alternatives, expanded beside it
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        types = _own_types(schema)
        if part in properties:
            reached.append((properties[part], defs))
        elif isinstance(extra, Mapping):
            reached.append((extra, defs))
        elif extra is True:
            opened = True
        elif "items" in schema and part.isdigit():
            reached.append((schema["items"], defs))
        elif part == "length" and (types is None or types & {"array", "string"}):
            reached.append(({"type": "integer", "minimum": 0}, defs))
        elif (
            "properties" not in schema
            and extra is None
            and "items" not in schema
            and (types is None or "object" in types or "array" in types)
            and "enum" not in schema
            and "const" not in schema
        ):
            opened = True  # nothing declared: any name may be there
        declared.append(properties)
    known = [] if reached or opened else list(dict.fromkeys(n for d in declared for n in d))
    return reached, opened, known
