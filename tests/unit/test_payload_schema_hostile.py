"""Hostile inputs to payload schemas: each test is a bug once found (a raw exception, a
hang, a silent acceptance), kept so that it stays fixed."""

from __future__ import annotations

import pytest

from automation_dsl import PayloadSchema, ValidationError


def test_a_non_string_key_is_named_not_a_type_error() -> None:
    closed = PayloadSchema({"type": "object", "additionalProperties": False})
    for value in ({1: 2}, {None: 2}, {("a",): 2}):
        [error] = closed.errors(value)
        assert error.path == "data"
        assert "string keys" in error.expected
    with pytest.raises(ValidationError, match="string keys"):
        closed.check({1: 2})
