"""The path explorer: enumeration, satisfiability pruning, witnesses, opaque parts, dedup,
and hostile inputs."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation_dsl import Automation, Exploration, ValidationError, ValidationTypeError
from automation_dsl._explore import _Atom, _witness
from automation_dsl._js import UNDEFINED
from automation_dsl.conditions import MessageStatus, data, evaluate, profile, refs

START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def explore(flow: Automation, **options: Any) -> Exploration:
    return flow.explore(start=START, recipient="u1", **options)


def test_contradictions_are_pruned() -> None:
    flow = Automation().send("A", if_=data.tier == "vip").send("B", if_=data.tier == "free")
    assert sorted(path.taken for path in explore(flow)) == [(), (0,), (1,)]


def test_disjoint_ranges_never_hold_together() -> None:
    flow = Automation().send("A", if_=(data.x > 5) & (data.x < 3))
    assert all(path.taken == () for path in explore(flow))


def test_each_path_is_simulated_with_a_witness_that_takes_its_steps() -> None:
    flow = (
        Automation()
        .send("A", ref="a", if_=(data.n >= 10) | profile.vip)
        .delay(days=1)
        .send("B", if_=(refs.a.status < MessageStatus.OPENED) & (data.plan != "free"))
    )
    exploration = explore(flow)
    assert len(exploration) >= 4
    for path in exploration:
        assert path.simulated == path.taken, path


def test_ref_status_gets_its_status_from_the_witness() -> None:
    flow = Automation().send("A", ref="a").send("B", if_=refs.a.status >= MessageStatus.OPENED)
    paths = {path.taken: path for path in explore(flow)}
    assert set(paths) == {(0,), (0, 1)}
    assert not paths[(0, 1)].witness.statuses["a"] < MessageStatus.OPENED
    assert paths[(0, 1)].assumptions == ("refs.a.status >= MessageStatus.Opened",)


def test_an_unset_ref_is_not_evaluated_and_recorded_as_an_unset_read() -> None:
    flow = Automation().send("A", ref="a", if_=data.vip).send("B", if_=refs.a.status < 5)
    unset = [path for path in explore(flow) if 0 not in path.taken]
    assert [path.taken for path in unset] == [()]
    assert unset[0].reads == ((1, "a", False),)
    assert any(e.outcome == "not-evaluated" for e in unset[0].timeline)


def test_a_ref_to_a_step_that_does_not_send_reads_processed() -> None:
    flow = Automation().delay(hours=1, ref="d").send("B", if_=refs.d.status == "PROCESSED")
    assert [path.taken for path in explore(flow)] == [(0, 1)]


def test_opaque_conditions_are_explored_both_ways_and_flagged() -> None:
    flow = Automation().send("A", if_="data.items.some(x => x)")
    exploration = explore(flow)
    assert sorted(path.taken for path in exploration) == [(), (0,)]
    for path in exploration:
        assert path.opaque == ("data.items.some(x => x)",)
    taken = next(path for path in exploration if path.taken == (0,))
    assert taken.simulated == ()  # the simulator does not evaluate it: flagged, not guessed


def test_loose_equality_and_path_comparisons_are_opaque() -> None:
    flow = Automation().send("A", if_="data.a == 1").send("B", if_="data.a === data.b")
    exploration = explore(flow)
    assert len(exploration) == 4
    assert set(exploration[0].opaque) == {"data.a == 1", "data.a === data.b"}


def test_repeated_atoms_are_decided_once_and_paths_deduplicated() -> None:
    flow = Automation().send("A", if_=data.vip).send("B", if_=data.vip).send("C", if_=data.vip)
    assert sorted(path.taken for path in explore(flow)) == [(), (0, 1, 2)]
    flow = Automation().send("A", if_="data.x === 1 || data.x === 1")
    assert sorted(path.assumptions for path in explore(flow)) == [
        ("data.x === 1",),
        ("not (data.x === 1)",),
    ]


def test_a_path_read_deeper_becomes_an_object() -> None:
    flow = Automation().send("A", if_=data.user).send("B", if_=data.user.plan == "pro")
    for path in explore(flow):
        if 1 in path.taken:
            assert path.witness.data["user"] == {"plan": "pro"}
            assert path.simulated == path.taken


def test_an_atom_that_cannot_be_compared_is_not_evaluated() -> None:
    flow = Automation().send("A", if_=data.age == None).send("B", if_=data.age < 18)  # noqa: E711
    paths = {path.taken: path for path in explore(flow)}
    assert (0,) in paths
    assert (0, 1) not in paths
    assert paths[(0,)].simulated == (0,)


def test_max_paths_truncates_and_check_refuses_to_prove() -> None:
    flow = Automation()
    for index in range(5):
        flow = flow.send("T", if_=data[f"x{index}"])
    exploration = explore(flow, max_paths=3)
    assert exploration.truncated
    assert len(exploration) == 3
    with pytest.raises(ValidationError, match="max_paths"):
        exploration.check()
    assert len(explore(flow)) == 32


def test_text_and_html_views() -> None:
    flow = Automation().send("A", if_=data.tier == "<vip>")
    exploration = explore(flow)
    assert "2 paths through 1 steps" in str(exploration)
    assert "&lt;vip&gt;" in exploration._repr_html_()
    assert "<vip>" not in exploration._repr_html_()
    assert "taken: 0 send" in str(exploration[0])


# -- the satisfiability model against brute force ------------------------------------------

_LITERALS = st.one_of(
    st.integers(-3, 3), st.sampled_from([0.5, -1.5]), st.sampled_from(["", "a", "b", "ab"]),
    st.booleans(), st.none(),
)  # fmt: skip
_ATOMS = st.builds(
    lambda op, literal: _Atom(("data", "x"), op, literal, f"x {op} {literal!r}"),
    st.sampled_from(["===", "<", "<=", "truthy"]),
    _LITERALS,
)
_DOMAIN = [
    UNDEFINED, None, True, False, "", "\x00", "a", "aa", "ab", "aba", "b", "ba", "c", "a\x00",
    *(n / 4 for n in range(-20, 21)),
]  # fmt: skip


def _js(atom: _Atom, value: Any) -> bool | None:
    scope = {"data": {} if value is UNDEFINED else {"x": value}}
    text = "data.x" if atom.op == "truthy" else f"data.x {atom.op} {_literal(atom.literal)}"
    try:
        return evaluate(text, scope)
    except Exception:
        return None


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return repr(value)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_ATOMS, st.booleans()), min_size=1, max_size=5))
def test_witness_exists_exactly_when_brute_force_finds_a_value(
    constraints: list[tuple[_Atom, bool]],
) -> None:
    found = _witness(("data", "x"), constraints, False)
    brute = [
        value
        for value in _DOMAIN
        if all(_js(atom, value) is outcome for atom, outcome in constraints)
    ]
    assert (repr(found) != "not-evaluated") == bool(brute), (constraints, brute, found)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_ATOMS, st.booleans()), min_size=1, max_size=4))
def test_every_witness_satisfies_its_constraints(constraints: list[tuple[_Atom, bool]]) -> None:
    found = _witness(("data", "x"), constraints, False)
    if repr(found) != "not-evaluated":
        assert all(_js(atom, found) is outcome for atom, outcome in constraints), (found,)


def test_status_constraints_against_every_status() -> None:
    ops = ["===", "<", "<="]
    for op, status, outcome in itertools.product(ops, MessageStatus, (True, False)):
        atom = _Atom(("refs", "a", "status"), op, status, "s")
        found = _witness(("refs", "a", "status"), [(atom, outcome)], False)
        expected = [value for value in MessageStatus if _status(op, value, status) is outcome]
        assert (repr(found) != "not-evaluated") == bool(expected), (op, status, outcome)


def _status(op: str, left: MessageStatus, right: MessageStatus) -> bool | None:
    try:
        return (
            evaluate(f"refs.a.status {op} x", {})
            if False
            else {
                "===": lambda: left is right,
                "<": lambda: left < right,
                "<=": lambda: not right < left,
            }[op]()
        )
    except Exception:
        return None


# -- hostile inputs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_paths": 0}, ValidationError),
        ({"max_paths": True}, ValidationError),
        ({"max_paths": "9"}, ValidationError),
        ({"data": [1]}, ValidationTypeError),
        ({"profile": "x"}, ValidationTypeError),
        ({"brand": 3}, ValidationTypeError),
        ({"start": datetime(2024, 1, 1)}, ValidationTypeError),
        ({"start": "2024-01-01"}, ValidationTypeError),
    ],
)
def test_wrong_options_name_the_field(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        Automation().send("A").explore(**options)


def test_not_an_automation() -> None:
    from automation_dsl._explore import explore as raw

    with pytest.raises(ValidationTypeError, match="flow"):
        raw("not a flow")  # type: ignore[arg-type]


def test_check_refuses_what_is_not_a_rule() -> None:
    with pytest.raises(ValidationTypeError, match=r"rules\[0\]"):
        explore(Automation().send("A")).check("max_sends")  # type: ignore[arg-type]


def test_nan_and_huge_literals_are_opaque_or_unsatisfiable() -> None:
    flow = Automation().send("A", if_="data.x === NaN").send("B", if_="data.y >= 1e999")
    exploration = explore(flow)
    assert all(1 not in path.taken or path.opaque for path in exploration)
    assert "data.x === NaN" in exploration[0].opaque
    assert not any(
        isinstance(v, float) and not math.isfinite(v) for v in exploration[0].witness.data.values()
    )


def test_deep_conditions_are_opaque_not_a_crash() -> None:
    text = "(" * 40 + "data.x" + ")" * 40
    exploration = explore(Automation().send("A", if_=text))
    assert exploration[0].opaque == (text,)
    condition = data.x0 == 0
    for index in range(1, 200):
        condition = condition & (data[f"x{index}"] == index)
    exploration = explore(Automation().send("A", if_=condition))
    assert len(exploration) >= 1


def test_lone_surrogates_and_control_characters_in_literals() -> None:
    flow = Automation().send("A", if_="data.x === '\\ud800' || data.y === '\\n'")
    exploration = explore(flow)
    assert {path.taken for path in exploration} == {(), (0,)}


def test_a_huge_flow_stays_bounded() -> None:
    flow = Automation()
    for index in range(400):
        flow = flow.send("T", if_=data.vip if index % 2 else None)
    exploration = explore(flow)
    assert len(exploration) == 2


@pytest.mark.parametrize("templates", [5, "x", [1, 2], {"t": 1}, {1: Automation()}])
def test_templates_are_checked_before_anything_runs(templates: Any) -> None:
    flow = Automation().send("A")
    with pytest.raises(ValidationTypeError, match="templates"):
        flow.explore(templates=templates)
    with pytest.raises(ValidationTypeError, match="templates"):
        flow.simulate(templates=templates)


def test_a_context_nested_past_the_limit_is_refused_not_walked() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    flow = Automation().send("A", if_=data.a.exists())
    with pytest.raises(ValidationError, match="levels of nesting"):
        flow.explore(data=deep)
    with pytest.raises(ValidationError, match="levels of nesting"):
        flow.explore(profile=deep)
