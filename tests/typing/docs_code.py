"""Extract the Python that users copy from the documentation into modules a type checker reads.

Every ```` ```python ```` block of README.md and docs/ (``python notest`` ones included: they
are user code too), and every code cell of the notebooks, in order, one module per page or
notebook, so later blocks see the names earlier ones define, as a reader running them would.

Run ``python -m tests.typing.docs_code OUT_DIR``; ``make typecheck`` then runs mypy --strict
and pyright over ``OUT_DIR``. Each module starts with a comment naming its source, and each
block with the line it came from, so an error points back to the page.

Examples:
    >>> blocks = python_blocks("Intro\\n```python\\nx = 1\\n```\\n")
    >>> blocks
    [(3, 'x = 1\\n')]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
FENCE = re.compile(r"^```python(?: notest)?\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ``python`` blocks of a Markdown text, each with the line its code starts on."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in FENCE.finditer(text)]


def notebook_cells(path: Path) -> list[tuple[int, str]]:
    """The code cells of a notebook, each with its cell number (from 1)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    return [(number, "".join(cell["source"]) + "\n") for number, cell in enumerate(code, 1)]


def sources() -> dict[str, tuple[str, list[tuple[int, str]]]]:
    """Each module name, with the source it came from and its blocks."""
    found: dict[str, tuple[str, list[tuple[int, str]]]] = {}
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        blocks = python_blocks(page.read_text(encoding="utf-8"))
        if blocks:
            parts = page.relative_to(ROOT).with_suffix("").parts
            name = "_".join(parts[1:] if parts[0] == "docs" else parts).replace("-", "_")
            found[f"docs_{name.lower()}"] = (str(page.relative_to(ROOT)), blocks)
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        name = notebook.stem.replace("-", "_")
        found[f"notebook_{name}"] = (str(notebook.relative_to(ROOT)), notebook_cells(notebook))
    return found


def write(out: Path) -> int:
    """Write one module per source into ``out`` (emptied first); return the block count."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.py"):
        old.unlink()
    count = 0
    for name, (source, blocks) in sources().items():
        parts = [f"# Extracted from {source} by tests/typing/docs_code.py: do not edit.\n"]
        if source.endswith(".ipynb"):  # a cell's last expression is what the notebook shows
            parts.insert(0, "# pyright: reportUnusedExpression=false")
        for line, code in blocks:
            parts.append(f"# --- {source}, line {line}\n{code}")
            count += 1
        (out / f"{name}.py").write_text("\n".join(parts), encoding="utf-8")
    return count


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/typing/docs")
    print(f"{write(target)} code blocks written to {target}")
