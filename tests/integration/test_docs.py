"""The code in README.md and docs/ runs as written, so the documentation stays true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(page: Path) -> None:
    """Each page's ``python`` blocks run in order in one namespace (``python notest`` ones,
    which need a real Courier account, are skipped by their fence)."""
    blocks = BLOCK.findall(page.read_text())
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, code in enumerate(blocks, 1):
        try:
            # dont_inherit: a block runs as a user's module would, without this file's
            # ``from __future__ import annotations`` (payload schemas read class annotations)
            exec(compile(code, f"{page.name} block {number}", "exec", dont_inherit=True), namespace)
        except Exception as error:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{page.name}, python block {number} failed: {error!r}\n{code}")


def test_readme_promises_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme
    assert "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == "make test"
