"""What the integration tests share: a sandbox on a virtual clock and an HTTP client to it
(fixtures), the command line run as a user runs it, and a journal's row count."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from automation_dsl.sandbox import Sandbox
from tests._flows import START


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox whose virtual clock starts at ``START``."""
    with Sandbox(start=START) as sb:
        yield sb


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A plain httpx client to ``sandbox``, with its API key."""
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    with httpx.Client(base_url=sandbox.url, headers=headers, timeout=30) as client:
        yield client


COMMAND = str(Path(sys.executable).parent / "automation-dsl")


def run_cli(
    *args: str, cwd: Path | None = None, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """``automation-dsl *args`` as a subprocess, with ``env`` added to the environment."""
    return subprocess.run(
        [COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        input=stdin,
        env={**os.environ, **env},
        check=False,
    )


def with_path(folder: Path) -> dict[str, str]:
    """The environment that imports from ``folder`` as well as from this tree."""
    return {"PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])}


def journaled(path: Path) -> int:
    """The rows a bulk journal records (0 before it exists)."""
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT count(*) FROM items").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
