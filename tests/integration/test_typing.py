"""Code written the way users write it type-checks and runs.

``make typecheck`` runs mypy --strict and pyright over ``tests/typing/user_flows.py`` and the
docs code; these tests make that check honest: the module runs for real against the sandbox,
the extraction covers every page and notebook, and both checkers do refuse a wrong call.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.typing import docs_code, user_flows

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent

WRONG = """
from automation_dsl import Automation, Send
from automation_dsl.conditions import data

Automation().send("T", if_=42)
Automation().cancel(3.5)
Send(template="T", if_=data.plan == "pro", ref=7)
"""

RIGHT = """
from automation_dsl import Automation, Send
from automation_dsl.conditions import MessageStatus, data, refs

flow = (
    Automation(cancelation_token=data.order.token)
    .send("T", ref="t", if_=(data.plan == "pro") & (data.seats > 3))
    .send("U", if_=refs.t.status < MessageStatus.OPENED)
    .cancel(data.order.token)
)
Send(template=data.template, if_=data.vip)
"""


def test_the_typed_user_module_runs_against_the_sandbox() -> None:
    out = user_flows.main()
    assert out["blank condition"] == "ValidationError"  # refused by the library
    assert int(out["events"]) > 0  # simulated
    assert out["receipt data"] == "{'id': 'o-1', 'total': 120.0, 'tier': 'vip', 'token': 't-1'}"
    assert out["async run"]
    assert out["nine in Tokyo"] == "20260303T000000.000"  # Tuesday 09:00 JST


def test_extraction_covers_every_page_with_python_and_every_notebook(tmp_path: Path) -> None:
    count = docs_code.write(tmp_path)
    written = {path.stem for path in tmp_path.glob("*.py")}
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    with_python = [p for p in pages if docs_code.python_blocks(p.read_text(encoding="utf-8"))]
    assert len(written) == len(with_python) + len(list((ROOT / "notebooks").glob("*.ipynb")))
    assert "docs_readme" in written
    assert count >= 70


@pytest.mark.parametrize(
    ("checker", "args"),
    [("mypy", ["--strict", "--no-incremental"]), ("pyright", [])],
)
def test_the_checkers_refuse_a_wrong_call_and_accept_the_documented_ones(
    tmp_path: Path, checker: str, args: list[str]
) -> None:
    (tmp_path / "wrong.py").write_text(WRONG)
    (tmp_path / "right.py").write_text(RIGHT)
    wrong = subprocess.run(
        [str(BIN / checker), *args, str(tmp_path / "wrong.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert wrong.returncode == 1, wrong.stdout
    for line in (5, 6, 7):  # each wrong call is reported on its line
        assert f"wrong.py:{line}:" in wrong.stdout, wrong.stdout
    right = subprocess.run(
        [str(BIN / checker), *args, str(tmp_path / "right.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert right.returncode == 0, right.stdout
