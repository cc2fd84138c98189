"""Generated hot paths: a step's ``__init__`` and its JSON serializer.

attrs writes each class's ``__init__`` as straight-line Python. Ours differs in one way:
a field whose value needs no conversion (``None``, a plain non-empty ``str`` ...), as
told by the ``FAST`` expression in its metadata, skips the converter call. Building
a step is the builder's hot path, and most fields of most steps are unset.

This is an optimisation only, and it changes no answer. Every converter is total
(it accepts or refuses any value by itself), and a ``FAST`` expression is true only
for values its converter returns unchanged, so the compiled ``__init__`` answers
exactly as attrs' own one, kept as ``_attrs_init``:
``tests/test_compiled_equivalence.py`` compares the two over valid and invalid values.
It stays because it pays: without it, ``benchmarks/bench_build.py`` (build and
serialize 20 steps) is about 24% slower.

`fast_init` replaces the ``__init__`` attrs made (type checkers still read the
attrs signature); `compile_wire_items` writes the serializer.

Examples:
    >>> import inspect
    >>> from automation_dsl import Cancel
    >>> _ = Cancel(cancelation_token="t")  # the first call compiles it
    >>> print(inspect.getsource(Cancel.__init__).splitlines()[0])
    def __init__(self, *, if_=default0, ref=default1, cancelation_token):
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from ._fields import FAST, LOCAL, encode_text, encoder, wire_name

T = TypeVar("T", bound=type)


def _define(cls: type, name: str, lines: list[str], env: dict[str, Any]) -> Any:
    """Compile ``lines`` as the function ``name``, with its source visible to ``inspect``."""
    source = "\n".join(lines) + "\n"
    filename = f"<automation_dsl generated {name} {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), env)
    return env[name]


def _slot(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    raise AssertionError(f"{cls.__name__} has no slot {name!r}")  # pragma: no cover


def fast_init(cls: T) -> T:
    """Give an attrs class (all fields keyword-only, converters taking self and field)
    an ``__init__`` that skips converters for values that need none, and ``_new``, the
    same as a plain function that makes the instance (the builder's hot path: it skips
    ``type.__call__``).

    Both are compiled on first use, so importing the package does not pay for step
    classes a program never builds; ``inspect.signature`` reads the attrs ``__init__``,
    annotated with the fields' types.
    """
    target: Any = cls  # the class is patched in place: its attributes are set here
    attrs_init = cls.__dict__["__init__"]
    _annotate_init(cls)
    target._attrs_init = attrs_init  # the reference for tests

    def __init__(self: Any, **fields: Any) -> None:
        _install(cls)
        target.__init__(self, **fields)

    def _new(**fields: Any) -> Any:
        _install(cls)
        return target._new(**fields)

    first: Any = __init__
    first.__wrapped__ = attrs_init
    first.__qualname__ = f"{cls.__qualname__}.__init__"
    target.__init__ = first
    target._new = staticmethod(_new)
    return cls


def _annotations(cls: type) -> dict[str, Any]:
    """The ``__init__`` annotations of an attrs class: where attrs wrote a converter's
    ``Any``, the field's declared type (what it accepts)."""
    annotations = dict(cls.__dict__["__init__"].__annotations__)
    for field in attrs.fields(cls):
        if field.init and annotations.get(field.name, "Any") in ("Any", Any):
            annotations[field.name] = field.type
    return annotations


def _annotate_init(cls: type) -> None:
    """Give an attrs class's ``__init__`` its fields' declared types where attrs wrote
    its converters' ``Any``, so ``inspect.signature`` and ``help()`` tell the truth.

    Examples:
        >>> import inspect
        >>> from automation_dsl import Cancel
        >>> str(inspect.signature(Cancel).parameters["cancelation_token"])
        "cancelation_token: 'str | RefLike'"
    """
    cls.__dict__["__init__"].__annotations__ = _annotations(cls)


def _install(cls: type) -> None:
    params, body, env = _init_source(cls)
    init = _define(cls, "__init__", [f"def __init__(self, *, {params}):", *body], env)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = dict(cls._attrs_init.__annotations__)  # type: ignore[attr-defined]
    env = {**env, "_object_new": object.__new__, "_cls": cls}
    lines = [f"def _new(*, {params}):", "    self = _object_new(_cls)", *body, "    return self"]
    target: Any = cls
    target.__init__ = init
    target._new = staticmethod(_define(cls, "_new", lines, env))


def _init_source(cls: type) -> tuple[str, list[str], dict[str, Any]]:
    """The parameters, body and names of the compiled constructor."""
    params: list[str] = []
    body: list[str] = []
    env: dict[str, Any] = {}
    for index, field in enumerate(attrs.fields(cls)):
        name = field.name
        if field.default is attrs.NOTHING:
            params.append(name)
        else:
            env[f"default{index}"] = field.default
            params.append(f"{name}=default{index}")
        converter = field.converter
        if converter is not None:
            if not isinstance(converter, attrs.Converter):
                raise TypeError(f"{cls.__name__}.{name}: the converter must take self and field")
            env[f"convert{index}"] = converter.converter  # type: ignore[attr-defined]  # not in the attrs stubs
            env[f"field{index}"] = field
            call = f"{name} = convert{index}({name}, self, field{index})"
            fast = field.metadata.get(FAST)
            if fast is None:
                body.append(f"    {call}")
            else:
                expression, names = fast
                prefix = f"f{index}_"
                for key, value in names.items():
                    env[prefix + key] = value
                    expression = expression.replace(key, prefix + key)
                body.append(f"    if not ({expression.format(v=name)}):")
                body.append(f"        {call}")
        if field.validator is not None:
            raise TypeError(f"{cls.__name__}.{name}: validate in the converter, not a validator")
        # the slot's own setter: cheaper than object.__setattr__ on a frozen class
        env[f"set{index}"] = _slot(cls, name).__set__
        body.append(f"    set{index}(self, {name})")
    if hasattr(cls, "__attrs_post_init__"):
        body.append("    self.__attrs_post_init__()")
    return ", ".join(params), body, env


def compile_wire_items(
    cls: type, plan: tuple[tuple[str, str, Callable[[Any], Any] | None], ...]
) -> Callable[..., dict[str, Any]]:
    """Write ``_wire_items(self)`` for ``cls``: one ``if`` per field of ``plan``, in order.

    ``plan`` holds (Python name, JSON name, encoder) triples; a step class's ``action``
    opens the object.
    """
    action = cls.__dict__.get("action")
    first = f"out = {{'action': {action!r}}}" if isinstance(action, str) else "out = {}"
    # ``until_format`` is accepted and unused: the function also serves as ``to_wire``
    lines = ["def _wire_items(self, until_format=None):", f"    {first}"]
    env: dict[str, Any] = {}
    for index, (name, wire, encode) in enumerate(plan):
        if encode is None:
            value = "value"
        elif encode is encode_text:
            value = "value if value.__class__ is str else value.to_wire()"
        elif getattr(encode, "takes_format", False):  # ``until``: written in the call's format
            env[f"encode{index}"] = encode
            value = f"encode{index}(value, until_format)"
        else:
            env[f"encode{index}"] = encode
            value = f"encode{index}(value)"
        lines += [
            f"    value = self.{name}",
            "    if value is not None:",
            f"        out[{wire!r}] = {value}",
        ]
    lines.append("    return out")
    compiled: Callable[..., dict[str, Any]] = _define(cls, "_wire_items", lines, env)
    return compiled


def wire_plan(cls: type) -> tuple[tuple[str, str, Callable[[Any], Any] | None], ...]:
    """The (Python name, JSON name, encoder) of each field, in JSON order: own fields, if, ref."""
    fields = [a for a in attrs.fields(cls) if not a.metadata.get(LOCAL)]
    ordered = [a for a in fields if a.name not in ("if_", "ref")]
    ordered += [a for a in fields if a.name in ("if_", "ref")]
    return tuple((a.name, wire_name(a), encoder(a)) for a in ordered)
