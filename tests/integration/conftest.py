"""Fixtures the integration tests share: a sandbox on a virtual clock, and an HTTP client to it."""

from __future__ import annotations

from collections.abc import Iterator

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
