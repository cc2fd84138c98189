"""The built site's API reference renders: examples as code, links for cross references,
parameters with their types and real defaults (issue 12, part 3).

The site is built once per module into a temporary directory, with ``--strict`` (an
unresolved cross reference fails the build), and its HTML is read with the standard
library's parser.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest

ROOT = Path(__file__).parents[2]
ROLE = re.compile(r":(?:class|meth|func|data|mod|attr|exc|obj):")  # then `name`, or its <code>
CROSSREF_SYNTAX = re.compile(r"\]\[[\w.]*\]")  # [`Ref`][] or [Ref][automation_dsl.Ref], unrendered


@attrs.frozen
class Row:
    """One row of a rendered parameter table."""

    owner: str  # the id of the doc heading the table belongs to
    name: str
    type: str
    default: str


class Page(HTMLParser):
    """What the checks need from one HTML page: text by context, links, parameter rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blockquotes = 0
        self.text_in_blockquote: list[str] = []
        self.text_in_code: list[str] = []
        self.text_outside_code: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.rows: list[Row] = []
        self._stack: list[str] = []
        self._href: str | None = None
        self._link_text: list[str] = []
        self._owner = ""
        self._heading_id: str | None = None
        self._section = ""
        self._in_title = False
        self._cells: list[list[str]] | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs_ = dict(attributes)
        classes = (attrs_.get("class") or "").split()
        if tag in {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}:
            return  # void elements never close
        self._stack.append(tag)
        self.blockquotes += tag == "blockquote"
        if tag.startswith("h") and "doc-heading" in classes:
            self._heading_id = attrs_.get("id")
        if tag == "span" and "doc-section-title" in classes:
            self._in_title = True
            self._section = ""
        if tag == "a":
            self._href = attrs_.get("href")
            self._link_text = []
        if tag == "tr" and "doc-section-item" in classes:
            self._cells = []
        if tag == "td" and self._cells is not None:
            self._cells.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._stack:
            return
        while self._stack and self._stack.pop() != tag:
            pass
        if tag.startswith("h") and self._heading_id is not None:
            self._owner, self._heading_id = self._heading_id, None
        if tag == "span" and self._in_title:
            self._in_title = False
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._link_text).strip()))
            self._href = None
        if tag == "tr" and self._cells is not None:
            cells = [" ".join("".join(cell).split()) for cell in self._cells]
            if self._section == "Parameters:" and len(cells) == 4:
                name, type_, _description, default = cells
                self.rows.append(Row(self._owner, name, type_, default))
            self._cells = None

    def handle_data(self, data: str) -> None:
        if "blockquote" in self._stack:
            self.text_in_blockquote.append(data)
        if "pre" in self._stack or "code" in self._stack:
            self.text_in_code.append(data)
        elif "script" not in self._stack and "style" not in self._stack:
            self.text_outside_code.append(data)
        if self._in_title:
            self._section += data.strip()
        if self._href is not None:
            self._link_text.append(data)
        if self._cells:
            self._cells[-1].append(data)


def read(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built with ``--strict`` into a temporary directory."""
    site_dir = tmp_path_factory.mktemp("site")
    command = ["mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site_dir)]
    build = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return site_dir


@pytest.fixture(scope="module")
def reference(site: Path) -> Page:
    return read(site / "reference" / "index.html")


def test_examples_render_as_code_blocks_not_block_quotes(reference: Page) -> None:
    # An example under an unknown section name (``Example:``) became an admonition whose
    # ``>>>`` lines Markdown read as three nested block quotes, the prompts eaten as markers.
    assert reference.blockquotes == 0
    assert not [text for text in reference.text_in_blockquote if ">>>" in text]
    prompts = sum(text.count(">>>") for text in reference.text_in_code)
    assert prompts > 150  # the reference shows well over a hundred docstring examples
    assert not any(">>>" in text for text in reference.text_outside_code)


def test_no_page_prints_a_sphinx_role_or_raw_crossref_syntax(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        page = read(path)
        text = "".join(page.text_outside_code) + "".join(page.text_in_code)
        role = ROLE.search(text)
        where = path.relative_to(site)
        assert role is None, f"{where}: {text[role.start() - 60 : role.end() + 20]!r}"
        prose = "".join(page.text_outside_code)
        assert CROSSREF_SYNTAX.search(prose) is None, f"{where}: unresolved"
        # a table cell's escaped pipe inside a code span prints the backslash
        assert "\\|" not in text, f"{where}: a literal \\| (write | in code spans)"


def test_cross_references_are_links(reference: Page) -> None:
    assert ("#automation_dsl.Ref", "Ref") in reference.links
    assert ("#automation_dsl.CourierClient", "CourierClient") in reference.links
    assert ("#automation_dsl.CourierClient.invoke", "CourierClient.invoke") in reference.links
    internal = [href for href, _ in reference.links if href.startswith("#automation_dsl")]
    assert len(internal) > 100


def _rows(reference: Page, owner: str) -> dict[str, Row]:
    rows = {row.name: row for row in reference.rows if row.owner == owner}
    assert rows, f"no parameter table under {owner}"
    return rows


def test_parameters_show_types_and_real_defaults(reference: Page) -> None:
    send = _rows(reference, "automation_dsl.Automation.send")
    assert send["recipient"].default == "None"
    assert "str" in send["recipient"].type
    assert "Ref" in send["recipient"].type
    assert send["template"].default == "None"
    delay = _rows(reference, "automation_dsl.Delay")
    assert set(delay) == {"until", "duration", "if_", "ref"}
    assert "datetime" in delay["until"].type
    assert "Ref" in delay["until"].type
    assert "timedelta" in delay["duration"].type
    assert all(row.default == "None" for row in delay.values())
    policy = _rows(reference, "automation_dsl.RetryPolicy")
    assert all(row.default not in {"", "required"} for row in policy.values())


NODES = ("Compare", "And", "Or", "Not", "Var", "Literal", "Status")


def test_conditions_lead_with_paths_and_keep_nodes_for_later(site: Path) -> None:
    html = (site / "reference" / "index.html").read_text(encoding="utf-8")
    paths = [html.index(f'id="automation_dsl.conditions.{name}"') for name in ("data", "refs")]
    nodes = [html.index(f'id="automation_dsl.conditions.{name}"') for name in NODES]
    assert max(paths) < html.index('id="condition-nodes"') < min(nodes)
    page = (ROOT / "docs" / "conditions.md").read_text(encoding="utf-8")
    front = page[: page.index("## Condition nodes")]
    assert "data" in front
    assert "MessageStatus" in front
    assert not [name for name in NODES if re.search(rf"\bimport\b.*\b{name}\b", front)]


def _runtime(owner: str) -> Any:
    parts = owner.split(".")
    value: Any = importlib.import_module(parts[0])
    for index, name in enumerate(parts[1:], 1):
        try:
            value = getattr(value, name)
        except AttributeError:
            value = importlib.import_module(".".join(parts[: index + 1]))
    return value


def test_every_parameter_row_has_a_type_and_the_runtime_default(reference: Page) -> None:
    assert len(reference.rows) > 200
    for row in reference.rows:
        assert row.type, f"{row.owner}({row.name}) shows no type"
        parameters = inspect.signature(_runtime(row.owner)).parameters
        name = row.name.lstrip("*")
        assert name in parameters, f"{row.owner} documents {name}, not in its signature"
        default = parameters[name].default
        if default is inspect.Parameter.empty:
            assert row.default == "required", f"{row.owner}({name}) has no default"
        else:
            assert row.default != "required", f"{row.owner}({name}) has a default: {default!r}"
