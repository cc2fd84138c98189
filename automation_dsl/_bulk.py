"""Bulk invocation: one automation for many run contexts, exactly once, resumable.

The pieces both clients share: `BulkPlan` (the checked options, each row's body
and deterministic ``Idempotency-Key``, a bad row becoming a per-row failure), the rate
limiter, the progress bar, and [`BulkResult`][]. A row's run context comes from
`automation_dsl._bulk_rows`, the journal that makes a batch resumable from
`automation_dsl._journal`. The runners of `automation_dsl._bulk_run` drive a
plan (a thread pool for [`CourierClient`][], tasks for
[`AsyncCourierClient`][]).

Examples:
    >>> from automation_dsl import Automation
    >>> plan = BulkPlan(Automation().send("WELCOME"), [])
    >>> item = plan.item(0, {"recipient": "user-1", "plan": "pro"})
    >>> item.context
    {'data': {'plan': 'pro'}, 'recipient': 'user-1'}
    >>> item.key == plan.item(0, {"recipient": "user-1", "plan": "pro"}).key   # every run
    True
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import threading
import time
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping
from datetime import datetime
from html import escape
from os import PathLike
from typing import Any

import attrs

from ._automation import Automation, check_whole_refs
from ._bulk_rows import row_context, unencodable
from ._document import check_context, invoke_time
from ._errors import (
    CourierAPIError,
    ValidationError,
    ValidationTypeError,
)
from ._http import _check_idempotency_key
from ._journal import Journal
from ._local_bodies import LocalBodies
from ._timing import has_local_time
from ._types import KeyFunction, OnInvalid
from ._values import RunContext

__all__ = ["BulkFailure", "BulkResult"]

MAX_CONCURRENCY = 1000
_OWNER = "invoke_many"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _check_key(key: Any, index: int) -> str:
    """An ``Idempotency-Key`` from ``key(context)``, by the client's own header rule."""
    try:
        return _check_idempotency_key(key, _OWNER, "key")
    except ValidationError as error:
        raise error.at(f"contexts[{index}]") from None


def _check_number(field: str, value: Any, expected: str, *, integer: bool = False) -> None:
    """Refuse a bool, a non-number (or non-integer), NaN, infinity or a value <= 0."""
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ValidationTypeError(_OWNER, field, expected, value)
    if not (0 < value < math.inf):
        raise ValidationError(_OWNER, field, expected, value)


@attrs.frozen(slots=True)
class BulkItem:
    """One row of a batch: its place in the input, run context, invoke body and key."""

    index: int
    context: dict[str, Any]
    key: str
    body: bytes
    fingerprint: str | None = None  # of the body, when a journal or key= needs it


_STORED_NOTE = (
    "Courier may have stored this 5xx for the key and replays it for 24-25 h, so resending "
    "with the same key (resume=True) gets it again; see docs/bulk.md 'Server errors'"
)


@attrs.frozen(slots=True)
class BulkFailure:
    """A row that failed: refused before sending, or failed after its retries.

    Attributes:
        index: its place in the input.
        key: its ``Idempotency-Key`` (resuming sends it again, so no run is doubled), or
            ``None`` for a row refused before it had one.
        context: its run context (the row as given, for a refused row).
        error: the exception: a [`ValidationError`][] naming the row and
            field for a refused row (``error.path == "contexts[3].data"``), else a
            ``CourierAPIError``, ``CourierConnectionError`` ...

    Examples:
        >>> from automation_dsl import ServerError
        >>> failure = BulkFailure(3, "k", {"recipient": "u"}, ServerError(500, "oops"))
        >>> failure.index, failure.invalid, failure.answer_stored, failure.path
        (3, False, True, None)
    """

    index: int
    key: str | None
    context: Any = attrs.field(repr=False)  # rows can be huge, or nested past repr's reach
    error: Exception

    @property
    def invalid(self) -> bool:
        """True for a row refused before sending (nothing was sent for it)."""
        return isinstance(self.error, ValidationError)

    @property
    def path(self) -> str | None:
        """Where a refused row went wrong (``"contexts[2].data.items[2].sku"``), else ``None``."""
        return self.error.path if isinstance(self.error, ValidationError) else None

    @property
    def answer_stored(self) -> bool:
        """True when Courier answered a 5xx: it may store that answer for the key and replay
        it to every resend of the key for 24-25 hours."""
        return isinstance(self.error, CourierAPIError) and self.error.status_code >= 500

    def describe(self) -> str:
        """The error as one line, with what a stored 5xx means for this key."""
        text = f"{type(self.error).__name__}: {self.error}"
        return f"{text} ({_STORED_NOTE})" if self.answer_stored else text


@attrs.define
class BulkResult:
    """What a bulk invocation did (or, for a dry run, would do), row by row, in input order.

    Attributes:
        run_ids: the run id of each row (``None`` where it failed, was not reached, or in
            a dry run, was not sent).
        attempts: the attempts each row took (0 for rows resumed from the journal).
        failures: the rows that failed (refused or after their retries), with errors.
        resumed: how many rows the journal records as done already.
        elapsed: seconds the call took.
        interrupted: True when Ctrl-C (or a cancellation) stopped the batch early.
        dry_run: True when nothing was sent (``invoke_many(..., dry_run=True)``).

    Examples:
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
    dry_run: bool = False

    @property
    def succeeded(self) -> int:
        """Rows with a run id."""
        return sum(run_id is not None for run_id in self.run_ids)

    @property
    def failed(self) -> int:
        """Rows that failed: refused ones and those that failed after their retries."""
        return len(self.failures)

    @property
    def invalid(self) -> int:
        """Rows refused before sending (bad data, a bad key, a key reused for another body)."""
        return sum(failure.invalid for failure in self.failures)

    @property
    def unsent(self) -> int:
        """Rows neither done nor failed: those a dry run would send, or a stop cut short."""
        return len(self.run_ids) - self.succeeded - self.failed

    @property
    def retried(self) -> int:
        """Rows that needed more than one attempt."""
        return sum(count > 1 for count in self.attempts)

    @property
    def ok(self) -> bool:
        """True when every row has a run id (for a dry run: when every row is valid)."""
        if self.dry_run:
            return not self.failures
        return self.succeeded == len(self.run_ids) and not self.interrupted

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row, for ``pandas.DataFrame(result.to_records())``.

        ``status`` is ``ok``, ``invalid`` (refused, not sent), ``failed``, ``would send``
        (a dry run) or ``not run``.
        """
        failures = {failure.index: failure for failure in self.failures}
        unsent = "would send" if self.dry_run else "not run"
        records = []
        for index, (run_id, attempts) in enumerate(zip(self.run_ids, self.attempts, strict=True)):
            failure = failures.get(index)
            if failure is not None:
                status = "invalid" if failure.invalid else "failed"
            else:
                status = "ok" if run_id else unsent
            records.append(
                {
                    "index": index,
                    "run_id": run_id,
                    "status": status,
                    "attempts": attempts,
                    "key": None if failure is None else failure.key,
                    "error": None if failure is None else failure.describe(),
                }
            )
        return records

    def _summary(self) -> list[tuple[str, str]]:
        rate = len(self.run_ids) / self.elapsed if self.elapsed else 0.0
        stored = sum(failure.answer_stored for failure in self.failures)
        rows = [("items", f"{len(self.run_ids):,}")]
        if self.dry_run:
            rows.append(("would send", f"{self.unsent:,} (dry run: nothing was sent)"))
        else:
            rows.append(("succeeded", f"{self.succeeded:,}"))
        rows += [
            ("failed", f"{self.failed:,}"),
            ("invalid (not sent)", f"{self.invalid:,}"),
        ]
        if stored:
            rows.append(("5xx stored per key", f"{stored:,}: see docs/bulk.md 'Server errors'"))
        rows += [
            ("retried", f"{self.retried:,}"),
            ("resumed from journal", f"{self.resumed:,}"),
            ("elapsed", f"{self.elapsed:.2f} s ({rate:,.0f} items/s)"),
        ]
        if self.interrupted:
            rows.append(("interrupted", "yes: resume with resume=True"))
        return rows

    def __str__(self) -> str:
        lines = [f"{name:>21}: {value}" for name, value in self._summary()]
        lines += [f"  #{f.index}: {f.describe()}" for f in self.failures[:5]]
        if len(self.failures) > 5:
            lines.append(f"  ... and {len(self.failures) - 5} more failures")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ._render import html_table as _html_table

        rows = [[escape(name), escape(value)] for name, value in self._summary()]
        rows += [[escape(f"#{f.index}"), escape(f.describe())] for f in self.failures[:10]]
        return _html_table("Bulk invoke", ["", ""], rows)


class RateLimiter:
    """At most ``rate`` starts per second, spread evenly (thread- and task-safe)."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None:
            _check_number("rate_limit", rate, "a finite number of starts per second > 0, or None")
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


def _same_context(kept: bytes, body: bytes) -> bool:
    """Whether two invoke bodies carry the same run context (their automations may differ:
    local times resolved on another day)."""
    try:
        first, second = json.loads(kept), json.loads(body)
        first.pop("automation", None)
        second.pop("automation", None)
    except (ValueError, AttributeError):  # a kept body that is not one: not the same row
        return False
    return bool(first == second)


class BulkPlan:
    """Everything a bulk invocation knows before sending: the options (checked), the body,
    each row's context and key, the journal, and the result as it fills."""

    def __init__(
        self,
        automation: Automation,
        contexts: object,
        *,
        concurrency: int = 16,
        key: KeyFunction | None = None,
        journal: str | PathLike[str] | None = None,
        resume: bool = False,
        progress: bool | None = False,
        on_invalid: OnInvalid = "fail",
        dry_run: bool = False,
        now: datetime | None = None,
        total: int | None = None,
        allow_async: bool = False,
    ) -> None:
        if not isinstance(automation, Automation):
            raise ValidationTypeError(_OWNER, "automation", "an Automation", automation)
        kinds = (Iterable, AsyncIterable) if allow_async else (Iterable,)
        unordered = isinstance(contexts, set | frozenset)
        if (
            not isinstance(contexts, kinds)
            or unordered
            or isinstance(contexts, str | bytes | Mapping)
        ):
            hint = None
            if isinstance(contexts, Mapping):
                hint = "wrap a single context in a list"
            elif unordered:
                hint = "a set has no order, and results are reported by row index: use a list"
            raise ValidationTypeError(
                _OWNER,
                "contexts",
                "an ordered iterable of run contexts (a list, a generator, "
                "df.to_dict('records'))" + (" or an async iterable" if allow_async else ""),
                contexts,
                hint=hint,
            )
        limit = f"an integer from 1 to {MAX_CONCURRENCY}"
        _check_number("concurrency", concurrency, limit, integer=True)
        if concurrency > MAX_CONCURRENCY:
            raise ValidationError(_OWNER, "concurrency", limit, concurrency)
        if key is not None and not callable(key):
            raise ValidationTypeError(_OWNER, "key", "a function key(context) -> str, or None", key)
        if journal is not None and (not isinstance(journal, str | PathLike) or journal == ""):
            expected = "a file path (str or Path), or None"
            raise ValidationTypeError(_OWNER, "journal", expected, journal)
        for name, flag in (("resume", resume), ("dry_run", dry_run)):
            if not isinstance(flag, bool):
                raise ValidationTypeError(_OWNER, name, "True or False", flag)
        if progress is not None and not isinstance(progress, bool):
            raise ValidationTypeError(_OWNER, "progress", "True, False or None", progress)
        if on_invalid not in ("fail", "raise"):
            raise ValidationError(_OWNER, "on_invalid", "'fail' or 'raise'", on_invalid)
        check_whole_refs(automation)
        automation_dict = automation.to_dict()  # local times as {"$local": ...}: the digest
        self.automation_json = json.dumps(
            automation_dict, separators=(",", ":"), ensure_ascii=False
        ).encode()
        self.digest = hashlib.sha256(_canonical(automation_dict)).hexdigest()
        # Local-time delays: resolved per row for its zones, all as invoked when the batch
        # starts, so rows in one zone share one body (cached), and the journal keeps each
        # body as sent, so a resume sends the same instants.
        when = invoke_time(now, _OWNER)  # checked even when no local time needs it
        self.local = LocalBodies(automation, when) if has_local_time(automation.steps) else None
        self.data_schema = automation.data_schema
        self.profile_schema = automation.profile_schema
        self.key = key
        self.on_invalid = on_invalid
        self.dry_run = dry_run
        self.columns: dict[str, None] = {}  # data column names already checked
        # key -> (body fingerprint, row): two rows given one key by key= must be one body
        self.seen: dict[str, tuple[str, int]] | None = {} if key is not None else None
        self.journal = (
            None
            if journal is None
            else Journal(
                journal,
                self.digest,
                resume=resume,
                dry_run=dry_run,
                keep_bodies=self.local is not None,
            )
        )
        self.result = BulkResult(dry_run=dry_run)
        self.progress = Progress(progress, total)
        self.started = time.perf_counter()

    def rows(self, contexts: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """The input rows, numbered; an error of the iterable itself is a library error."""
        iterator = iter(contexts)
        index = 0
        while True:
            try:
                raw = next(iterator)
            except StopIteration:
                return
            except Exception as error:
                raise self.source_failed(index, error) from error
            yield index, raw
            index += 1

    @staticmethod
    def source_failed(index: int, error: Exception) -> ValidationError:
        """The error for ``contexts`` raising instead of yielding row ``index``."""
        return ValidationError(
            _OWNER,
            "contexts",
            "an iterable that yields every row",
            error,
            hint=f"it raised instead of yielding row {index}; the rows before were sent "
            "(and journaled, with journal=...): fix the source, then resume=True",
            path=f"contexts[{index}]",
        )

    def item(self, index: int, raw: Any) -> BulkItem:
        """Validate one row into its run context, invoke body and key, or raise a
        [`ValidationError`][] whose path names the row and field."""
        where = f"contexts[{index}]"
        if not isinstance(raw, Mapping | RunContext):
            expected = "a mapping (a dict, a DataFrame record) or a RunContext"
            raise ValidationTypeError(_OWNER, "row", expected, raw, path=where)
        try:
            if self.data_schema is not None or self.profile_schema is not None:
                raw = self._typed_row(raw)
            context = row_context(raw, self.columns)
            if self.data_schema is not None:
                check_context(self.data_schema, context.get("data"), "data", _OWNER)
            if self.profile_schema is not None:
                check_context(self.profile_schema, context.get("profile"), "profile", _OWNER)
            encoded = json.dumps(
                context, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode()
        except ValidationError as error:
            raise error.at(where) from None
        except (RecursionError, ValueError, TypeError) as error:  # surrogates, nesting, cycles
            row = raw.to_wire() if isinstance(raw, RunContext) else raw
            field, expected, shown = unencodable(row if isinstance(row, Mapping) else {})
            raise ValidationError(_OWNER, field, expected, shown).at(where) from error
        try:
            automation_json = (
                self.automation_json if self.local is None else self.local.body(context)
            )
        except ValidationError as error:  # no usable zone for this recipient
            raise error.at(where) from None
        body = (
            b'{"automation":' + automation_json + (b"," + encoded[1:] if len(encoded) > 2 else b"}")
        )
        if self.key is None:
            digest = hashlib.sha256(self.digest.encode() + _canonical(context)).hexdigest()
            key = f"automation-dsl-bulk-{digest[:40]}"
        else:
            try:
                key = self.key(dict(context))
            except Exception as error:
                raise ValidationError(
                    _OWNER, "key", "key(context) to return the row's key", error
                ).at(where) from error
            key = _check_key(key, index)
        fingerprint = (
            hashlib.sha256(body).hexdigest()[:32]
            if self.seen is not None or self.journal is not None
            else None
        )
        return BulkItem(index, context, key, body, fingerprint)

    def _typed_row(self, raw: Any) -> Any:
        """The row with an instance of a schema's class (``data=Order(...)``) as JSON."""
        if not isinstance(raw, Mapping):
            return raw
        for root, schema in (("data", self.data_schema), ("profile", self.profile_schema)):
            value = raw.get(root)
            if schema is not None and value is not None and not isinstance(value, Mapping):
                raw = {**raw, root: schema.to_json(value, _OWNER, root)}
        return raw

    def _reused(self, item: BulkItem, row: int, where: str) -> ValidationError:
        return ValidationError(
            _OWNER,
            "key",
            "a key given to one body only",
            item.key,
            hint=f"{where} row {row} with another body: Courier would replay that answer "
            "instead of running this row; give each distinct row its own key (or, if the "
            "rows changed on purpose, use a new journal)",
            path=f"contexts[{item.index}]",
        )

    def _previous(self, item: BulkItem) -> str | None:
        """The run id the journal records for this row's key; refuse a key reused for
        another body, in this batch or in the journal."""
        if self.seen is not None:
            earlier = self.seen.setdefault(item.key, (item.fingerprint or "", item.index))
            if earlier[0] != item.fingerprint:
                raise self._reused(item, earlier[1], "this batch gives this key to")
        if self.journal is None or (recorded := self.journal.lookup(item.key)) is None:
            return None
        run_id, fingerprint, row = recorded
        if fingerprint is not None and fingerprint != item.fingerprint:
            raise self._reused(item, row, "the journal records this key for")
        return run_id

    def _as_first_sent(self, item: BulkItem) -> BulkItem:
        """The row with the body the journal kept when it was first sent, if any: a resumed
        local-time row resends its first instants, not ones resolved today."""
        if self.journal is None or self.local is None:
            return item
        body = self.journal.body(item.key)
        if body is None or body == item.body or not _same_context(body, item.body):
            return item  # a changed row under the same key: refused as a reused key
        return attrs.evolve(item, body=body, fingerprint=hashlib.sha256(body).hexdigest()[:32])

    def admit(self, index: int, raw: Any) -> BulkItem | None:
        """The row to send, or ``None`` when it is refused (a per-row failure, unless
        ``on_invalid="raise"``), done already in the journal, or this is a dry run."""
        result = self.result
        result.run_ids.append(None)
        result.attempts.append(0)
        item = None
        try:
            item = self._as_first_sent(self.item(index, raw))
            run_id = self._previous(item)
        except ValidationError as error:
            if self.on_invalid == "raise":
                raise
            failure = (
                BulkFailure(index, None, raw, error)
                if item is None
                else BulkFailure(index, item.key, item.context, error)
            )
            result.failures.append(failure)
            self.progress.update(result)
            return None
        if run_id is not None:
            result.run_ids[index] = run_id
            result.resumed += 1
        elif not self.dry_run:
            if self.journal is not None and self.local is not None:
                self.journal.record(item, None, None, 0)  # its body, before it is sent
            return item
        self.progress.update(result)
        return None

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
