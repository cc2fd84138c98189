"""Bulk invocation: one automation for many run contexts, exactly once, resumable.

The pieces both clients share: each item's run context and its deterministic
``Idempotency-Key``, the SQLite journal that makes a batch resumable, the rate limiter,
the progress bar, and :class:`BulkResult`. The clients' ``invoke_many`` drive them (a
thread pool for :class:`~automation_dsl.CourierClient`, tasks for
:class:`~automation_dsl.AsyncCourierClient`).

Example:
    >>> from automation_dsl import Automation
    >>> plan = BulkPlan(Automation().send("WELCOME"), key=None, journal=None, resume=False)
    >>> item = plan.item(0, {"recipient": "user-1"})
    >>> item.key == plan.item(0, {"recipient": "user-1"}).key   # the same on every run
    True
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import Any

import attrs

from ._automation import Automation
from ._errors import ConfigurationError, ValidationError, ValidationTypeError
from ._steps import RunContext

__all__ = ["BulkFailure", "BulkResult"]

KeyFunction = Callable[[dict[str, Any]], str]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@attrs.frozen(slots=True)
class BulkItem:
    """One item of a batch: its place in the input, its run context and its key."""

    index: int
    context: dict[str, Any]
    key: str


@attrs.frozen(slots=True)
class BulkFailure:
    """An item that failed after its retries.

    Attributes:
        index: its place in the input.
        key: its ``Idempotency-Key``: resuming sends it again, so no run is doubled.
        context: its run context.
        error: the exception (a ``CourierAPIError``, ``CourierConnectionError`` ...).

    Example:
        >>> BulkFailure(3, "k", {"recipient": "u"}, ValueError("x")).index
        3
    """

    index: int
    key: str
    context: Mapping[str, Any]
    error: Exception


@attrs.define
class BulkResult:
    """What a bulk invocation did, item by item, in input order.

    Attributes:
        run_ids: the run id of each item (``None`` where it failed or was not reached).
        attempts: the attempts each item took (0 for items resumed from the journal).
        failures: the items that failed, with their errors.
        resumed: how many items were already done in the journal.
        elapsed: seconds the call took.
        interrupted: True when Ctrl-C (or a cancellation) stopped the batch early.

    Example:
        >>> result = BulkResult(run_ids=["1-a", None], attempts=[1, 4])
        >>> result.succeeded, result.retried
        (1, 1)
    """

    run_ids: list[str | None] = attrs.field(factory=list)
    attempts: list[int] = attrs.field(factory=list)
    failures: list[BulkFailure] = attrs.field(factory=list)
    resumed: int = 0
    elapsed: float = 0.0
    interrupted: bool = False

    @property
    def succeeded(self) -> int:
        """Items with a run id."""
        return sum(run_id is not None for run_id in self.run_ids)

    @property
    def failed(self) -> int:
        """Items that failed after their retries."""
        return len(self.failures)

    @property
    def retried(self) -> int:
        """Items that needed more than one attempt."""
        return sum(count > 1 for count in self.attempts)

    @property
    def ok(self) -> bool:
        """True when every item has a run id."""
        return self.succeeded == len(self.run_ids) and not self.interrupted

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per item, for ``pandas.DataFrame(result.to_records())``."""
        errors = {failure.index: failure.error for failure in self.failures}
        return [
            {
                "index": index,
                "run_id": run_id,
                "status": "ok" if run_id else ("failed" if index in errors else "not run"),
                "attempts": attempts,
                "error": str(errors[index]) if index in errors else None,
            }
            for index, (run_id, attempts) in enumerate(
                zip(self.run_ids, self.attempts, strict=True)
            )
        ]

    def _summary(self) -> list[tuple[str, str]]:
        rate = len(self.run_ids) / self.elapsed if self.elapsed else 0.0
        rows = [
            ("items", f"{len(self.run_ids):,}"),
            ("succeeded", f"{self.succeeded:,}"),
            ("failed", f"{self.failed:,}"),
            ("retried", f"{self.retried:,}"),
            ("resumed from journal", f"{self.resumed:,}"),
            ("elapsed", f"{self.elapsed:.2f} s ({rate:,.0f} items/s)"),
        ]
        if self.interrupted:
            rows.append(("interrupted", "yes: resume with resume=True"))
        return rows

    def __str__(self) -> str:
        lines = [f"{name:>21}: {value}" for name, value in self._summary()]
        lines += [f"  #{f.index}: {type(f.error).__name__}: {f.error}" for f in self.failures[:5]]
        if len(self.failures) > 5:
            lines.append(f"  ... and {len(self.failures) - 5} more failures")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ._render import _html_table

        rows = [[escape(name), escape(value)] for name, value in self._summary()]
        rows += [
            [escape(f"#{f.index}"), escape(f"{type(f.error).__name__}: {f.error}")]
            for f in self.failures[:10]
        ]
        return _html_table("Bulk invoke", ["", ""], rows)


class Journal:
    """A SQLite file that records each item's outcome as it lands.

    It also records the automation's digest, so a batch is never resumed with another
    automation.
    """

    def __init__(self, path: str | Path, digest: str, *, resume: bool) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, item INTEGER NOT NULL, "
            "run_id TEXT, error TEXT, attempts INTEGER NOT NULL);"
        )
        row = self.db.execute("SELECT value FROM meta WHERE key = 'automation'").fetchone()
        count = self.db.execute("SELECT count(*) FROM items").fetchone()[0]
        if row is not None and row[0] != digest:
            raise ConfigurationError(
                f"journal {path}: it records a different automation; use another file"
            )
        if count and not resume:
            raise ConfigurationError(
                f"journal {path} already records {count} items: pass resume=True to skip the "
                "done ones, or use another file"
            )
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('automation', ?)", (digest,))
        self.lock = threading.Lock()

    def done(self, key: str) -> str | None:
        """The run id recorded for a key, if the item succeeded before."""
        with self.lock:
            row = self.db.execute("SELECT run_id FROM items WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def record(self, item: BulkItem, run_id: str | None, error: str | None, attempts: int) -> None:
        """Record an outcome (each write is its own transaction)."""
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?)",
                (item.key, item.index, run_id, error, attempts),
            )

    def close(self) -> None:
        """Close the file."""
        self.db.close()


class RateLimiter:
    """At most ``rate`` starts per second, spread evenly (thread- and task-safe)."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            raise ValidationError("invoke_many", "rate_limit", "a positive rate per second", rate)
        self.interval = 0.0 if rate is None else 1.0 / rate
        self.next = 0.0
        self.lock = threading.Lock()

    def reserve(self) -> float:
        """Seconds to wait before the next start."""
        if not self.interval:
            return 0.0
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now)
            self.next = slot + self.interval
            return slot - now


class Progress:
    """A tqdm bar (terminal or notebook) with done, failed and retried counts, if wanted."""

    def __init__(self, wanted: bool | None, total: int | None) -> None:
        if wanted is None:
            wanted = sys.stderr.isatty() or "ipykernel" in sys.modules
        self.bar: Any = None
        if wanted:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # the progress extra is not installed
                return
            self.bar = tqdm(total=total, unit="run", desc="invoke_many")

    def update(self, result: BulkResult) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(
                done=result.succeeded, failed=result.failed, retried=result.retried, refresh=False
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class BulkPlan:
    """Everything a bulk invocation knows before sending: the body, the keys, the journal."""

    def __init__(
        self,
        automation: Automation,
        *,
        key: KeyFunction | None,
        journal: str | Path | None,
        resume: bool,
        progress: bool | None = False,
        total: int | None = None,
    ) -> None:
        if not isinstance(automation, Automation):
            raise ValidationTypeError("invoke_many", "automation", "an Automation", automation)
        automation_dict = automation.to_dict()
        self.automation_json = json.dumps(
            automation_dict, separators=(",", ":"), ensure_ascii=False
        ).encode()
        self.digest = hashlib.sha256(_canonical(automation_dict)).hexdigest()
        self.key = key
        self.journal = Journal(journal, self.digest, resume=resume) if journal else None
        self.result = BulkResult()
        self.progress = Progress(progress, total)
        self.started = time.perf_counter()

    def item(self, index: int, raw: Any) -> BulkItem:
        """Validate one input into a run context and give it its key."""
        if isinstance(raw, RunContext):
            context = raw.to_wire()
        elif isinstance(raw, Mapping):
            try:
                context = RunContext.from_wire(raw).to_wire()
            except ValidationError as error:
                raise error.at(f"contexts[{index}]") from None
        else:
            raise ValidationTypeError(
                "invoke_many", f"contexts[{index}]", "a mapping or a RunContext", raw
            )
        if self.key is not None:
            key = self.key(context)
            if not isinstance(key, str) or not key:
                raise ValidationTypeError(
                    "invoke_many", f"key(contexts[{index}])", "a non-empty string", key
                )
        else:
            digest = hashlib.sha256(self.digest.encode() + _canonical(context)).hexdigest()
            key = f"automation-dsl-bulk-{digest[:40]}"
        return BulkItem(index, context, key)

    def admit(self, index: int, raw: Any) -> BulkItem | None:
        """The item to send, or ``None`` when the journal says it is done already."""
        item = self.item(index, raw)
        self.result.run_ids.append(None)
        self.result.attempts.append(0)
        if self.journal is not None and (run_id := self.journal.done(item.key)) is not None:
            self.result.run_ids[index] = run_id
            self.result.resumed += 1
            self.progress.update(self.result)
            return None
        return item

    def body(self, item: BulkItem) -> bytes:
        """The invoke body: the automation, serialized once, and this item's context."""
        context = json.dumps(item.context, separators=(",", ":"), ensure_ascii=False).encode()
        return (
            b'{"automation":'
            + self.automation_json
            + (b"," + context[1:] if len(context) > 2 else b"}")
        )

    def succeeded(self, item: BulkItem, run_id: str, attempts: int) -> None:
        self.result.run_ids[item.index] = run_id
        self.result.attempts[item.index] = attempts
        if self.journal is not None:
            self.journal.record(item, run_id, None, attempts)
        self.progress.update(self.result)

    def failed(self, item: BulkItem, error: Exception) -> None:
        attempts = int(getattr(error, "attempts", 1))
        self.result.attempts[item.index] = attempts
        self.result.failures.append(BulkFailure(item.index, item.key, item.context, error))
        if self.journal is not None:
            self.journal.record(item, None, f"{type(error).__name__}: {error}", attempts)
        self.progress.update(self.result)

    def finish(self, *, interrupted: bool = False) -> BulkResult:
        self.result.elapsed = time.perf_counter() - self.started
        self.result.interrupted = interrupted
        self.result.failures.sort(key=lambda failure: failure.index)
        self.progress.close()
        if self.journal is not None:
            self.journal.close()
        return self.result
