"""The exceptions automation-dsl raises.

Every exception derives from :class:`AutomationError`, so one ``except`` clause
catches anything the library raises. Validation errors also derive from the
builtin they resemble, so code that already catches ``ValueError`` or
``TypeError`` keeps working::

    AutomationError
    └── ValidationError (+ ValueError)      bad input: names the field, what was
        │                                   expected and what was given
        └── ValidationTypeError (+ TypeError)  the value has the wrong type

Example:
    >>> from automation_dsl import Automation, ValidationError
    >>> try:
    ...     Automation().delay(duration="5 fortnights")
    ... except ValidationError as exc:
    ...     print(exc.field)
    duration
"""

from __future__ import annotations

from typing import Any

__all__ = ["AutomationError", "ValidationError", "ValidationTypeError"]


class AutomationError(Exception):
    """The root of every exception raised by automation-dsl.

    Example:
        >>> from automation_dsl import Automation, AutomationError
        >>> try:
        ...     Automation().send("")
        ... except AutomationError as exc:
        ...     print(type(exc).__name__)
        ValidationError
    """


def _show(value: Any) -> str:
    """Render a given value for an error message, bounded in length."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


class ValidationError(AutomationError, ValueError):
    """A value was refused: the message names where, what was expected and what was given.

    Attributes:
        owner: the step or builder the value was given to (``"delay step"``).
        field: the field name as Courier spells it (``"until"``).
        expected: what would have been accepted.
        got: the value that was given.
        path: where in a parsed document the value was (``"steps[2].until"``),
            or ``None`` for values given in Python.

    Example:
        >>> from automation_dsl import Automation, ValidationError
        >>> try:
        ...     Automation.from_dict({"steps": [{"action": "dealy"}]})
        ... except ValidationError as exc:
        ...     print(exc.path)
        steps[0].action
    """

    owner: str
    field: str
    expected: str
    got: Any
    path: str | None
    hint: str | None

    def __init__(
        self,
        owner: str,
        field: str,
        expected: str,
        got: Any,
        *,
        hint: str | None = None,
        path: str | None = None,
    ) -> None:
        self.owner = owner
        self.field = field
        self.expected = expected
        self.got = got
        self.hint = hint
        self.path = path
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.path}: " if self.path else ""
        text = (
            f"{where}{self.owner}: {self.field!r} expected {self.expected}, got {_show(self.got)}"
        )
        if self.hint:
            text += f"; {self.hint}"
        return text

    def at(self, prefix: str) -> ValidationError:
        """Return a copy of this error located under ``prefix`` in a parsed document."""
        inner = self.path if self.path is not None else self.field
        return type(self)(
            self.owner,
            self.field,
            self.expected,
            self.got,
            hint=self.hint,
            path=f"{prefix}.{inner}",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.owner, self.field, self.expected, self.got, self.hint, self.path)
        return (_rebuild, (type(self), *args))


def _rebuild(
    cls: type[ValidationError],
    owner: str,
    field: str,
    expected: str,
    got: Any,
    hint: str | None,
    path: str | None,
) -> ValidationError:
    return cls(owner, field, expected, got, hint=hint, path=path)


class ValidationTypeError(ValidationError, TypeError):
    """A value of the wrong type was given (also a ``TypeError``).

    Example:
        >>> from automation_dsl import Automation
        >>> try:
        ...     Automation().send(42)
        ... except TypeError as exc:
        ...     print("send step" in str(exc))
        True
    """
