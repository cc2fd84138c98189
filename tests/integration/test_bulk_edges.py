"""invoke_many at its edges: bad rows are per-row failures, options are checked up front,
dry runs send nothing, flat DataFrame rows map to run contexts, journal problems name the
file, a journal in use by another batch is refused, a key is never reused for another body,
and a stored 5xx is said so."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation_dsl import (
    AsyncCourierClient,
    Automation,
    BulkResult,
    ConfigurationError,
    CourierClient,
    JournalError,
    RetryPolicy,
    RunContext,
    ServerError,
    ValidationError,
    ValidationTypeError,
    _journal,
)
from automation_dsl._bulk import BulkPlan
from automation_dsl.sandbox import Faults, Sandbox
from tests.strategies import DEEP, self_containing

FLOW = Automation().send("WELCOME")
RETRY = RetryPolicy(
    max_retries=12, backoff=0.002, max_backoff=0.02, max_retry_after=0.02, budget_ratio=None
)


def bad_key(context: dict[str, Any]) -> str:
    return f"k-{context['recipient']}"  # raises KeyError on a row with no recipient


# row -> the path its error names (None: the row is valid and sent)
ROWS: list[tuple[Any, str | None]] = [
    ({"recipient": "ok-0"}, None),
    ({"recipient": 5}, "contexts[1].recipient"),
    (7, "contexts[2]"),
    (None, "contexts[3]"),
    ({"recipient": "ok-4", "data": {"x": math.nan}}, "contexts[4].data.x"),
    ({"recipient": "a\ud800"}, "contexts[5].recipient"),
    ({"recipient": "ok-6", "data": DEEP}, "contexts[6].data" + ".a" * 64),
    ({"recipient": "ok-7", "data": self_containing()}, "contexts[7].data.self"),
    ({"data": {"no": "recipient"}}, "contexts[8].key"),  # bad_key raises
    ({"recipient": "ok-9", "data": {"blob": "x" * 200_000}}, None),  # huge, valid
    (RunContext(recipient="ok-10"), None),
    ({"recipient": "ok-11", 3: "int column"}, "contexts[11].row"),  # not a string key
    ({"Recipient": "ok-12"}, "contexts[12].Recipient"),
]


def check_failures(result: BulkResult) -> None:
    expected = {i: path for i, (_, path) in enumerate(ROWS) if path is not None}
    assert {f.index: f.error.path for f in result.failures} == expected  # type: ignore[attr-defined]
    for failure in result.failures:
        assert isinstance(failure.error, ValidationError)
        assert failure.invalid
        assert not failure.answer_stored
    assert result.invalid == len(expected)
    assert result.succeeded == len(ROWS) - len(expected)
    records = result.to_records()
    assert {r["index"] for r in records if r["status"] == "invalid"} == set(expected)
    assert "invalid (not sent)" in str(result)


class Counted(httpx.HTTPTransport):
    """The caller's transport, counting the requests it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return super().handle_request(request)


def sync_client(
    sandbox: Sandbox, kind: str, transport: httpx.BaseTransport | None = None
) -> CourierClient:
    if kind == "thread pool":  # the caller's transport: the thread-pool path
        return sandbox.client(transport=transport or httpx.HTTPTransport(), retry=RETRY)
    return sandbox.client(retry=RETRY)


@pytest.mark.parametrize("kind", ["thread pool", "loop in a thread"])
def test_bad_rows_fail_alone_in_the_sync_client(kind: str) -> None:
    counted = Counted()
    with Sandbox() as sandbox, sync_client(sandbox, kind, counted) as client:
        result = client.invoke_many(
            FLOW, iter([row for row, _ in ROWS]), key=bad_key, concurrency=3, progress=False
        )
        check_failures(result)
        assert len(sandbox.runs()) == result.succeeded
        # the thread pool sends through the caller's transport, the other path does not
        assert counted.sent == (len(sandbox.requests()) if kind == "thread pool" else 0)


@pytest.mark.parametrize("transport", [None, "httpx"])
def test_bad_rows_fail_alone_in_the_async_client(transport: str | None) -> None:
    async def main(sandbox: Sandbox) -> BulkResult:
        options = {"transport": httpx.AsyncHTTPTransport()} if transport else {}
        async with sandbox.async_client(**options) as client:
            return await client.invoke_many(
                FLOW, [row for row, _ in ROWS], key=bad_key, concurrency=3, progress=False
            )

    with Sandbox() as sandbox:
        check_failures(asyncio.run(main(sandbox)))


@pytest.mark.parametrize("kind", ["thread pool", "loop in a thread", "async"])
def test_on_invalid_raise_stops_at_that_row_after_the_rows_before(kind: str) -> None:
    rows = [{"recipient": f"u{i}"} for i in range(5)] + [{"recipient": 5}, {"recipient": "z"}]
    with Sandbox() as sandbox:

        def run() -> None:
            if kind == "async":

                async def main() -> None:
                    async with sandbox.async_client() as client:
                        await client.invoke_many(FLOW, rows, on_invalid="raise", concurrency=1)

                asyncio.run(main())
            else:
                with sync_client(sandbox, kind) as client:
                    client.invoke_many(FLOW, rows, on_invalid="raise", concurrency=1)

        with pytest.raises(ValidationError) as caught:
            run()
        assert caught.value.path == "contexts[5].recipient"
        recipients = sorted(run.context["recipient"] for run in sandbox.runs())
        assert recipients == [f"u{i}" for i in range(5)]  # the row after it was not sent


def test_the_thread_pool_path_is_exactly_once_under_faults() -> None:
    # retryable faults only: a 500 is stored for its key and replayed, as Courier does
    faults = Faults(error_503=0.2, drop_after=0.1, drop_before=0.05, seed=3)
    rows = [{"recipient": f"user-{i}"} for i in range(150)]
    with Sandbox(faults=faults) as sandbox, sync_client(sandbox, "thread pool") as client:
        result = client.invoke_many(FLOW, rows, concurrency=8, progress=False)
        again = client.invoke_many(FLOW, rows, concurrency=8, progress=False)
        assert result.succeeded == 150
        assert result.retried > 0
        assert again.run_ids == result.run_ids
        runs = sandbox.runs()
        assert len(runs) == len({run.context["recipient"] for run in runs}) == 150


# -- options -------------------------------------------------------------------------


BAD_OPTIONS: list[tuple[dict[str, Any], str, type[Exception]]] = [
    ({"contexts": None}, "contexts", ValidationTypeError),
    ({"contexts": 5}, "contexts", ValidationTypeError),
    ({"contexts": "recipient"}, "contexts", ValidationTypeError),
    ({"contexts": {"recipient": "a"}}, "contexts", ValidationTypeError),
    ({"concurrency": 0}, "concurrency", ValidationError),
    ({"concurrency": -1}, "concurrency", ValidationError),
    ({"concurrency": "3"}, "concurrency", ValidationTypeError),
    ({"concurrency": True}, "concurrency", ValidationTypeError),
    ({"concurrency": 2.5}, "concurrency", ValidationTypeError),
    ({"concurrency": 10**9}, "concurrency", ValidationError),
    ({"rate_limit": 0}, "rate_limit", ValidationError),
    ({"rate_limit": -1}, "rate_limit", ValidationError),
    ({"rate_limit": math.nan}, "rate_limit", ValidationError),
    ({"rate_limit": math.inf}, "rate_limit", ValidationError),
    ({"rate_limit": "3"}, "rate_limit", ValidationTypeError),
    ({"key": "not callable"}, "key", ValidationTypeError),
    ({"journal": 5}, "journal", ValidationTypeError),
    ({"journal": ""}, "journal", ValidationTypeError),
    ({"resume": "yes"}, "resume", ValidationTypeError),
    ({"dry_run": 1}, "dry_run", ValidationTypeError),
    ({"progress": "yes"}, "progress", ValidationTypeError),
    ({"on_invalid": "ignore"}, "on_invalid", ValidationError),
    ({"timeout": -1}, "timeout", ValidationError),
    ({"timeout": math.nan}, "timeout", ValidationError),
    ({"timeout": "30"}, "timeout", ValidationTypeError),
    ({"automation": {"steps": []}}, "automation", ValidationTypeError),
]


@pytest.mark.parametrize(("options", "field", "error"), BAD_OPTIONS)
def test_bad_options_are_refused_up_front(
    options: dict[str, Any], field: str, error: type[Exception], tmp_path: Path
) -> None:
    arguments: dict[str, Any] = {
        "automation": FLOW,
        "contexts": [{"recipient": "a"}],
        "progress": False,
    }
    arguments.update(options)
    automation, contexts = arguments.pop("automation"), arguments.pop("contexts")
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(500))
    with CourierClient(api_key="k", transport=transport) as client, pytest.raises(error) as caught:
        client.invoke_many(automation, contexts, **arguments)
    assert f"'{field}'" in str(caught.value)

    async def main() -> None:
        async with AsyncCourierClient(api_key="k", transport=httpx.MockTransport(seen.append)) as a:
            await a.invoke_many(automation, contexts, **arguments)

    with pytest.raises(error) as caught:
        asyncio.run(main())
    assert f"'{field}'" in str(caught.value)
    assert seen == []


def test_a_missing_api_key_is_said_before_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("COURIER_API_KEY", "COURIER_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with CourierClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client:
        with pytest.raises(ConfigurationError, match="API key"):
            client.invoke_many(FLOW, [{"recipient": "a"}], journal=tmp_path / "j.db")
        assert not (tmp_path / "j.db").exists()
        # a dry run needs no key
        assert client.invoke_many(FLOW, [{"recipient": "a"}], dry_run=True).unsent == 1


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (5, ValidationTypeError),
        ("", ValidationError),
        ("k" * 256, ValidationError),
        ("a\r\nInjected: 1", ValidationError),
        ("ключ", ValidationError),
        (" padded", ValidationError),
    ],
)
def test_bad_keys_from_the_key_function_are_per_row_failures(value: Any, error: type) -> None:
    def key(context: dict[str, Any]) -> Any:
        return value if context["recipient"] == "b" else f"k-{context['recipient']}"

    with Sandbox() as sandbox, sandbox.client() as client:
        result = client.invoke_many(
            FLOW, [{"recipient": r} for r in "abc"], key=key, progress=False
        )
        (failure,) = result.failures
        assert isinstance(failure.error, error)
        assert failure.error.path == "contexts[1].key"  # type: ignore[attr-defined]
        assert result.succeeded == 2


def test_a_source_that_raises_midway_is_a_library_error_after_the_rows_before(
    tmp_path: Path,
) -> None:
    def rows() -> Iterator[dict[str, Any]]:
        for i in range(10):
            if i == 6:
                raise OSError("the CSV went away")
            yield {"recipient": f"u{i}"}

    journal = tmp_path / "j.db"
    with Sandbox() as sandbox:
        for make in (
            lambda: sync_client(sandbox, "thread pool"),
            lambda: sync_client(sandbox, "loop in a thread"),
        ):
            with make() as client, pytest.raises(ValidationError) as caught:
                client.invoke_many(FLOW, rows(), journal=journal, resume=True, progress=False)
            assert caught.value.path == "contexts[6]"
            assert isinstance(caught.value.__cause__, OSError)

        async def main() -> None:
            async with sandbox.async_client() as client:
                await client.invoke_many(FLOW, rows(), journal=journal, resume=True)

        with pytest.raises(ValidationError, match="contexts"):
            asyncio.run(main())
        assert len(sandbox.runs()) == 6
    with sqlite3.connect(journal) as db:
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 6


# -- dry runs ------------------------------------------------------------------------


def test_a_dry_run_sends_nothing_and_says_what_it_would_do(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    rows = [{"recipient": "a"}, {"recipient": 5}, {"recipient": "c"}]
    with Sandbox() as sandbox, sandbox.client() as client:
        dry = client.invoke_many(FLOW, rows, journal=journal, dry_run=True, progress=False)
        assert sandbox.requests() == []
        assert not journal.exists()
        assert (dry.dry_run, dry.unsent, dry.invalid, dry.ok) == (True, 2, 1, False)
        assert [r["status"] for r in dry.to_records()] == ["would send", "invalid", "would send"]
        assert "would send" in str(dry)
        assert "nothing was sent" in str(dry)

        client.invoke_many(FLOW, rows[:1], journal=journal, progress=False)
        before = journal.read_bytes()
        again = client.invoke_many(
            FLOW, rows, journal=journal, resume=True, dry_run=True, progress=False
        )
        assert (again.resumed, again.unsent, again.invalid) == (1, 1, 1)
        assert journal.read_bytes() == before
        assert len(sandbox.requests()) == 1

        async def main() -> BulkResult:
            async with sandbox.async_client() as a:
                return await a.invoke_many(FLOW, rows, dry_run=True, progress=False)

        assert asyncio.run(main()).unsent == 2
        assert len(sandbox.requests()) == 1
        assert client.invoke_many(FLOW, rows[:1], dry_run=True).ok


# -- flat rows, DataFrames -------------------------------------------------------------


def test_flat_rows_map_to_run_contexts() -> None:
    plan = BulkPlan(FLOW, [])
    context = plan.item(0, {"recipient": "u", "plan": "pro", "data": {"x": 1}, "gone": None})
    assert context.context == {"data": {"x": 1, "plan": "pro"}, "recipient": "u"}
    item = plan.item(0, {"recipient": "u", "when": date(2024, 5, 1), "nan": math.nan})
    assert item.context["data"] == {"when": "2024-05-01"}
    with pytest.raises(ValidationError) as caught:
        plan.item(3, {"recipient": "u", "x": 1, "data": {"x": 2}})
    assert caught.value.path == "contexts[3].x"
    with pytest.raises(ValidationError) as caught:
        plan.item(4, {"recipient": "u", "x": 1, "data": {"$ref": "data.y"}})
    assert caught.value.path == "contexts[4].data"
    with pytest.raises(ValidationError, match="tz_localize") as caught:
        plan.item(5, {"recipient": "u", "at": datetime(2024, 1, 1)})
    assert caught.value.path == "contexts[5].at"


def test_an_ordinary_dataframe_goes_through_to_dict_records() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "recipient": ["u0", "u1", None],
            "name": ["Ann", None, "Cy"],
            "score": [1.5, math.nan, 3.0],
            "count": [1, 2, 3],
            "vip": [True, False, True],
            "signed_up": pd.to_datetime(["2024-01-02", None, "2024-03-04"], utc=True),
        }
    )
    with Sandbox() as sandbox, sandbox.client() as client:
        result = client.invoke_many(FLOW, frame.to_dict("records"), progress=False)
        assert result.ok, str(result)
        contexts = sorted((run.context for run in sandbox.runs()), key=lambda c: c["data"]["count"])
    assert contexts[0] == {
        "recipient": "u0",
        "data": {
            "name": "Ann",
            "score": 1.5,
            "count": 1,
            "vip": True,
            "signed_up": "2024-01-02T00:00:00+00:00",
        },
    }
    assert contexts[1] == {"recipient": "u1", "data": {"count": 2, "vip": False}}
    assert "recipient" not in contexts[2]
    naive = pd.DataFrame({"recipient": ["a", "b"], "at": pd.to_datetime(["2024-01-01", None])})
    dry = BulkPlan(FLOW, [])
    with pytest.raises(ValidationError, match="timezone-aware"):
        dry.item(0, naive.to_dict("records")[0])
    assert dry.item(1, naive.to_dict("records")[1]).context == {"recipient": "b"}  # NaT


# -- the journal ---------------------------------------------------------------------


def journal_error(client: CourierClient, journal: Any, **options: Any) -> JournalError:
    with pytest.raises(JournalError) as caught:
        client.invoke_many(FLOW, [{"recipient": "a"}], journal=journal, progress=False, **options)
    error = caught.value
    assert isinstance(error, OSError)
    assert isinstance(error, ConfigurationError)
    assert str(journal) in str(error)
    return error


def test_journal_problems_name_the_file_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not SQLite" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE items (x)")
    locked = tmp_path / "locked.db"
    with Sandbox() as sandbox, sandbox.client() as client:
        assert "does not exist" in str(journal_error(client, tmp_path / "no" / "j.db"))
        assert "is a directory" in str(journal_error(client, tmp_path))
        assert "not a journal" in str(journal_error(client, corrupt))
        assert "not an invoke_many journal" in str(journal_error(client, other))

        client.invoke_many(FLOW, [{"recipient": "a"}], journal=locked, progress=False)
        holder = sqlite3.connect(locked, isolation_level=None)
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        monkeypatch.setattr(_journal, "_BUSY_TIMEOUT", 0.05)
        assert "locked by another process" in str(journal_error(client, locked, resume=True))
        holder.close()

        connect = sqlite3.connect

        def read_only(path: str, **options: Any) -> sqlite3.Connection:
            options.pop("uri", None)
            return connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True, **options)

        monkeypatch.setattr(_journal.sqlite3, "connect", read_only)
        assert "read-only" in str(journal_error(client, locked, resume=True))
        assert sandbox.requests()[-1].idempotency_key  # only the one good batch was sent
        assert len(sandbox.requests()) == 1


def test_journal_mixups_are_journal_errors_too(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    with Sandbox() as sandbox, sandbox.client() as client:
        client.invoke_many(FLOW, [{"recipient": "a"}], journal=journal, progress=False)
        assert "resume=True" in str(journal_error(client, journal))
        different = FLOW.send("MORE")
        with pytest.raises(JournalError, match="different automation"):
            client.invoke_many(different, [], journal=journal, resume=True, progress=False)


FIRST = [{"recipient": "first-0"}, {"recipient": "first-1"}]


def holding(release: threading.Event, held: threading.Event) -> Iterator[dict[str, str]]:
    """The first batch's rows, with a pause between them: it holds its journal till release."""
    yield FIRST[0]
    held.set()
    release.wait(30)
    yield FIRST[1]


def assert_refused_then_resumable(sandbox: Sandbox, journal: Path) -> None:
    """While another batch holds ``journal``: a second one is refused (sync and async, with
    or without resume) and sends nothing; a dry run, which only reads, is not refused."""
    with sandbox.client() as client:
        for resume in (False, True):
            with pytest.raises(JournalError, match="in use by another invoke_many") as caught:
                client.invoke_many(
                    FLOW, [{"recipient": "second"}], journal=journal, resume=resume, progress=False
                )
            assert caught.value.path == str(journal)
            assert "wait for it, or use another journal" in str(caught.value)
        dry = client.invoke_many(
            FLOW, FIRST, journal=journal, resume=True, dry_run=True, progress=False
        )
        assert dry.dry_run
        assert not dry.failures

    async def second() -> None:
        async with sandbox.async_client() as client:
            rows = [{"recipient": "second"}]
            await client.invoke_many(FLOW, rows, journal=journal, progress=False)

    with pytest.raises(JournalError, match="in use by another invoke_many"):
        asyncio.run(second())


def assert_first_batch_only_then_resume(sandbox: Sandbox, journal: Path) -> None:
    assert len(sandbox.requests()) == 2  # the refused batches sent nothing
    with sandbox.client() as client:
        again = client.invoke_many(
            FLOW, [*FIRST, {"recipient": "second"}], journal=journal, resume=True, progress=False
        )
    assert (again.resumed, again.succeeded, again.ok) == (2, 3, True)
    assert len(sandbox.requests()) == 3


def test_a_journal_in_use_by_another_thread_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    release, held = threading.Event(), threading.Event()
    results: list[BulkResult] = []
    with Sandbox() as sandbox, sandbox.client() as client:

        def first() -> None:
            rows = holding(release, held)
            results.append(client.invoke_many(FLOW, rows, journal=journal, progress=False))

        thread = threading.Thread(target=first)
        thread.start()
        try:
            assert held.wait(30)
            assert_refused_then_resumable(sandbox, journal)
        finally:
            release.set()
            thread.join(30)
        assert results[0].succeeded == 2
        assert_first_batch_only_then_resume(sandbox, journal)


HOLDER = """
import sys
from automation_dsl import Automation, CourierClient

url, api_key, journal = sys.argv[1:]


def rows():
    yield {"recipient": "first-0"}
    print("held", flush=True)
    sys.stdin.readline()
    yield {"recipient": "first-1"}


with CourierClient(api_key=api_key, base_url=url) as client:
    result = client.invoke_many(Automation().send("WELCOME"), rows(), journal=journal,
                                progress=False)
print(result.succeeded, flush=True)
"""


def test_a_journal_in_use_by_another_process_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    with Sandbox() as sandbox:
        process = subprocess.Popen(
            [sys.executable, str(script), sandbox.url, sandbox.api_key, str(journal)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "held"
            assert_refused_then_resumable(sandbox, journal)
            out, _ = process.communicate("go\n", timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(30)
        assert (process.returncode, out.strip()) == (0, "2")
        assert_first_batch_only_then_resume(sandbox, journal)


def test_a_journal_of_version_0_1_gains_fingerprints(tmp_path: Path) -> None:
    journal = tmp_path / "old.db"
    with Sandbox() as sandbox, sandbox.client() as client:
        client.invoke_many(FLOW, [{"recipient": "a"}], journal=journal, progress=False)
        with sqlite3.connect(journal) as db:  # as 0.1 wrote it: no fingerprint column
            db.execute("ALTER TABLE items DROP COLUMN fingerprint")
        rows = [{"recipient": "a"}, {"recipient": "b"}]
        dry = client.invoke_many(FLOW, rows, journal=journal, resume=True, dry_run=True)
        assert (dry.resumed, dry.unsent) == (1, 1)
        result = client.invoke_many(FLOW, rows, journal=journal, resume=True, progress=False)
        assert (result.resumed, result.succeeded) == (1, 2)
        with sqlite3.connect(journal) as db:
            assert db.execute("SELECT count(fingerprint) FROM items").fetchone()[0] == 1


# -- one key, one body ---------------------------------------------------------------


def test_a_key_function_that_collides_across_rows_is_refused() -> None:
    rows = [{"recipient": "a", "data": {"n": 1}}, {"recipient": "a", "data": {"n": 2}}]
    with Sandbox() as sandbox, sandbox.client() as client:
        result = client.invoke_many(
            FLOW, rows + rows[:1], key=lambda c: f"k-{c['recipient']}", progress=False
        )
        (failure,) = result.failures
        assert (failure.index, failure.key) == (1, "k-a")
        assert "row 0" in str(failure.error)
        assert "'k-a'" in str(failure.error)
        assert result.succeeded == 2  # the third row is the first again: same body, same key
        assert len(sandbox.runs()) == 1


def test_a_resumed_batch_whose_rows_changed_is_refused_per_row(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"

    def key(context: dict[str, Any]) -> str:
        return f"welcome-{context['recipient']}"

    with Sandbox() as sandbox, sandbox.client() as client:
        client.invoke_many(
            FLOW, [{"recipient": "a", "plan": "pro"}], key=key, journal=journal, progress=False
        )
        changed = [{"recipient": "a", "plan": "free"}, {"recipient": "b"}]
        result = client.invoke_many(
            FLOW, changed, key=key, journal=journal, resume=True, progress=False
        )
        (failure,) = result.failures
        assert failure.index == 0
        assert failure.invalid
        assert "welcome-a" in str(failure.error)
        assert "journal records" in str(failure.error)
        assert result.succeeded == 1
        assert len(sandbox.runs()) == 2


# -- a 5xx Courier stores for the key ---------------------------------------------------


def test_a_server_error_says_the_answer_may_be_stored_for_its_key() -> None:
    with Sandbox() as sandbox:
        sandbox.faults.script.extend(["ok", "500"])
        with sandbox.client(max_retries=0) as client:
            result = client.invoke_many(
                FLOW, [{"recipient": "a"}, {"recipient": "b"}], concurrency=1, progress=False
            )
    (failure,) = result.failures
    assert isinstance(failure.error, ServerError)
    assert failure.answer_stored
    assert not failure.invalid
    assert failure.key is not None
    assert "24-25 h" in failure.describe()
    assert "5xx stored per key" in str(result)
    assert "Server errors" in result.to_records()[1]["error"]


# -- every row, whatever it holds --------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)
ROW = st.dictionaries(
    st.sampled_from(["recipient", "brand", "template", "profile", "data", "plan", "recipent"])
    | st.text(max_size=4)
    | st.integers(),
    JSONISH,
    max_size=5,
)


@given(rows=st.lists(ROW | JSONISH, max_size=6), key=st.sampled_from([None, bad_key]))
def test_admit_never_raises_on_any_row(
    rows: list[Any], key: Callable[[dict[str, Any]], str] | None
) -> None:
    plan = BulkPlan(FLOW, rows, key=key)
    for index, row in plan.rows(rows):
        item = plan.admit(index, row)
        if item is not None:
            assert item.body.startswith(b'{"automation":')
    for failure in plan.result.failures:
        assert isinstance(failure.error, ValidationError)
        assert failure.error.path.startswith(f"contexts[{failure.index}]")  # type: ignore[union-attr]
