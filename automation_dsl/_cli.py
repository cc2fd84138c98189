"""The ``automation-dsl`` command: validate, render, simulate and invoke automations, and
serve the sandbox.

Examples:
    $ automation-dsl validate flows/onboarding.json
    ok: 3 steps
    $ automation-dsl simulate myapp.flows:onboarding --recipient user-1
"""

from __future__ import annotations

import argparse
import codecs
import importlib
import importlib.util
import itertools
import json
import os
import re
import stat
import sys
import traceback
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._automation import Automation
from ._errors import AutomationError, ValidationError, _show
from ._explore import Rule
from ._http import MAX_ID_LENGTH, _check_text
from ._json import loads
from ._ref import Ref, has_surrogate
from ._rules import (
    MaxSends,
    QuietHours,
    ends_or_cancelable,
    max_sends,
    no_send_after_cancel,
    quiet_hours,
    refs_set_before_read,
)
from ._schedule import Schedule
from ._schema import invoke_schema
from ._validate import find_errors
from ._wait import MAX_WAIT

if TYPE_CHECKING:
    from ._client import CourierClient
    from ._runs import AutomationRun, AutomationTemplate, RunStep

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130

EPILOG = """\
sources (SOURCE):
  a JSON file (UTF-8) holding an invoke body or an automation object, - for standard
  input, or module:attribute (or file.py:attribute) naming an Automation (or a function
  returning one) in Python

API key: --api-key-file PATH or --api-key KEY, else the environment: COURIER_API_KEY
  (invoke, invoke-template, runs, templates), COURIER_SANDBOX_API_KEY (sandbox). A key
  given on the command line can be read by other local users: prefer the file or the
  environment.

examples:
  automation-dsl validate flow.json                   check a hand-written body
  automation-dsl validate myapp.flows:orders --data '{"total": 10}'
                                                      check data against the flow's schema
  automation-dsl schema myapp.flows:orders             the invoke body's JSON Schema
  automation-dsl render myapp.flows:onboarding         the steps as a table
  automation-dsl render flow.json --format html > flow.html
  automation-dsl simulate flow.json --recipient user-1 --start 2024-04-08T09:00Z
  automation-dsl schedule flow.py:campaign --contexts rows.jsonl
                                                      when each recipient's steps fire
  automation-dsl check flow.py:onboarding --max-sends 2/24h --quiet-hours 22:00-07:00@Europe/London
                                                      prove rules over every path (exit 1: broken)
  automation-dsl invoke flow.json --sandbox            invoke on a throwaway local sandbox
  automation-dsl invoke flow.json --recipient user-1   invoke on Courier (COURIER_API_KEY)
  automation-dsl invoke-template onboarding --recipient user-1 --data '{"plan": "pro"}'
  automation-dsl runs list --status WAITING --json     the runs, one JSON object a line
  automation-dsl runs get RUN_ID                        a run's status
  automation-dsl runs steps RUN_ID                      what became of each step
  automation-dsl runs wait RUN_ID --timeout 600         wait until the run ends (exit 1: timeout)
  automation-dsl templates                              the saved automation templates
  automation-dsl sandbox --port 8787 --db runs.db     serve the sandbox

--json (on every command, after its name): the output as JSON for scripts: one object,
  or one object a line (JSON Lines) for lists; a failure is one object on stderr,
  {"error": {"type": ..., "message": ..., "exit_code": ...}}.

exit codes: 0 done, 1 invalid automation or failed call, 2 bad usage, 3 internal error,
  130 interrupted (Ctrl-C); a failed call: an error from Courier, a run not found, a
  runs wait that timed out
"""


class CommandError(Exception):
    """A failure to report on stderr in one line; exit code 1 (2 with ``usage=True``)."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.code = EXIT_USAGE if usage else EXIT_FAILED


class ValidationErrors(Exception):
    """Every error found in a source."""

    def __init__(self, source: str, errors: list[ValidationError]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: {len(errors)} errors")


_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _parse_json(text: str | bytes, what: str) -> Any:
    """Strict JSON (`automation_dsl._json.loads`); a failure is a one-line CommandError.

    Bytes may be UTF-8 (with or without a byte order mark), or UTF-16/32 with one.
    """
    if isinstance(text, bytes) and text.startswith(_WIDE_BOMS):  # saved as UTF-16/32
        try:
            text = text.decode("utf-32" if text[:4] in _WIDE_BOMS[:2] else "utf-16")
        except UnicodeDecodeError:
            raise CommandError(f"{what}: not UTF-16/32 text after its byte order mark") from None
    try:
        return loads(text, owner=what, field="JSON")
    except ValidationError as error:
        where = f"; {error.hint}" if error.hint else ""
        got = _show(error.got)
        raise CommandError(
            f"{what}: not JSON: expected {error.expected}, got {got}{where}"
        ) from None


def _read(source: str, what: str) -> bytes:
    """The bytes of a regular file (or standard input for ``-``), refusing anything else."""
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused
        descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
        with open(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise CommandError(f"cannot read {what}: not a regular file")
            return file.read()
    except OSError as error:
        raise CommandError(f"cannot read {what}: {error.strerror or error}") from None
    except ValueError:  # an embedded NUL byte in the name
        raise CommandError(f"cannot read {what}: not a valid file name") from None


def _from_document(
    document: Any, where: str, *, lenient: bool
) -> tuple[Automation, dict[str, Any]]:
    errors = find_errors(document, lenient=lenient)
    if errors:
        raise ValidationErrors(where, errors)
    if isinstance(document, dict) and "automation" in document:
        automation, context = Automation.from_payload(document, lenient=lenient)
        return automation, context.to_wire()
    return Automation.from_dict(document, lenient=lenient), {}


def _is_file(source: str) -> bool:
    try:
        return source == "-" or source.endswith(".json") or os.path.lexists(source)
    except ValueError:  # an embedded NUL byte
        return True


def _load(source: str, *, lenient: bool = False) -> tuple[Automation, dict[str, Any]]:
    """An automation and the run context that came with it."""
    if _is_file(source):
        document = _parse_json(_read(source, source), source)
        return _from_document(document, source, lenient=lenient)
    module_name, _, attribute = source.partition(":")
    if not module_name or not attribute:
        raise CommandError(f"{source}: no such file, and not module:attribute")
    value: Any
    try:
        value = _import(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    except Exception as error:  # importing runs the module's code: anything can happen
        raise CommandError(f"cannot load {source}: {_describe(error)}") from error
    if callable(value) and not isinstance(value, Automation):
        try:
            value = value()
        except Exception as error:
            raise CommandError(f"{source}() raised {_describe(error)}") from error
    if not isinstance(value, Automation):
        raise CommandError(f"{source} is {type(value).__name__}, not an Automation")
    return value, {}


def _import(name: str) -> Any:
    """The module ``name``, or the Python file ``name`` when it ends with ``.py``."""
    if not name.endswith(".py"):
        return importlib.import_module(name)
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {name}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise ImportError(f"cannot import {name}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _describe(error: BaseException) -> str:
    """An exception in one bounded line, for a message."""
    text = " ".join(str(error).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = _parse_json(text, f"--{name}")
    except CommandError as error:
        raise CommandError(str(error), usage=True) from None
    if not isinstance(value, dict):
        raise CommandError(f"--{name}: expected a JSON object, got {text[:40]!r}", usage=True)
    return value


def _context(args: argparse.Namespace, context: dict[str, Any]) -> dict[str, Any]:
    merged = dict(context)
    for name in ("data", "profile"):
        if getattr(args, name) is not None:
            merged[name] = _json_object(getattr(args, name), name)
    for name in ("recipient", "brand", "template"):
        if getattr(args, name) is not None:
            merged[name] = getattr(args, name)
    return merged


def _api_key(args: argparse.Namespace) -> str | None:
    """The key from ``--api-key-file``, else ``--api-key`` (else ``None``: the environment).

    Messages name the file, never the key.
    """
    if args.api_key_file is None:
        return args.api_key  # type: ignore[no-any-return]
    what = f"--api-key-file {args.api_key_file}"
    data = _read(args.api_key_file, what)
    try:
        key = data.decode("utf-8-sig")  # a byte order mark, as some editors write, is dropped
    except UnicodeDecodeError:
        raise CommandError(f"{what}: the key is not UTF-8 text") from None
    key = key.removesuffix("\n").removesuffix("\r")
    if not key.strip():
        raise CommandError(f"{what}: the file holds no key (it is empty)")
    if any(not char.isprintable() or char.isspace() for char in key):
        raise CommandError(
            f"{what}: the key contains whitespace, a line break or a control character; "
            "the file must hold the key alone, on one line"
        )
    return key


def _checked(automation: Automation, context: dict[str, Any], source: str) -> dict[str, Any]:
    """``context`` if its ``data`` and ``profile`` satisfy the automation's payload schemas;
    else every error (up to 20 each), as ``ValidationErrors``."""
    errors: list[ValidationError] = []
    for root in ("data", "profile"):
        schema = getattr(automation, f"{root}_schema")
        value = context.get(root)
        if schema is not None and not (isinstance(value, dict) and "$ref" in value):
            errors += schema.errors(
                {} if value is None else value, root=root, owner=f"{root}_schema"
            )
    if errors:
        raise ValidationErrors(source, errors)
    return context


def _json_line(value: Any) -> str:
    """One JSON document on a line; text with a lone surrogate (a server may send
    ``\\ud800``), which UTF-8 cannot encode, is written in ``\\u`` escapes."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return json.dumps(value, default=str) if has_surrogate(text) else text


def _emit(value: Any) -> None:
    """One JSON document on a line of standard output (``--json``)."""
    print(_json_line(value))


def _validate(args: argparse.Namespace) -> int:
    automation, context = _load(args.source, lenient=args.lenient)
    _checked(automation, _context(args, context), args.source)
    if args.json:
        _emit({"ok": True, "steps": len(automation)})
    else:
        print(f"ok: {len(automation)} step" + ("s" if len(automation) != 1 else ""))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    automation = None if args.source is None else _load(args.source, lenient=args.lenient)[0]
    schema = invoke_schema(automation)
    if args.json:
        _emit(schema)
    else:
        print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    automation, context = _load(args.source, lenient=args.lenient)
    if args.json:
        _emit(json.loads(automation.to_json(context)))
    elif args.format == "json":
        print(automation.to_json(context, indent=2))
    elif args.format == "html":
        print(automation._repr_html_())
    else:
        print(automation.explain())
    return EXIT_OK


def _start(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        start = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise CommandError(
            f"--start: expected an ISO 8601 time with a zone (2024-04-08T09:00Z), got {text!r}",
            usage=True,
        )
    return start


_SPAN = re.compile(r"(\d{1,9})([smhdw])")
_SPAN_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _max_sends(text: str) -> MaxSends:
    """``N/SPAN`` (``2/24h``): at most N sends in any window of SPAN (s, m, h, d, w)."""
    count, _, span = text.partition("/")
    match = _SPAN.fullmatch(span)
    if not count.isdigit() or len(count) > 9 or match is None:
        raise CommandError(
            f"--max-sends: expected N/SPAN such as 2/24h (s, m, h, d, w), got {text[:40]!r}",
            usage=True,
        )
    seconds = int(match[1]) * _SPAN_SECONDS[match[2]]
    try:
        return max_sends(int(count), per=timedelta(seconds=seconds))
    except (ValidationError, OverflowError) as error:
        raise CommandError(f"--max-sends: {' '.join(str(error).split())}", usage=True) from None


def _quiet_hours(text: str) -> QuietHours:
    """``HH:MM-HH:MM@ZONE``; ZONE an IANA name or a path such as profile.timezone."""
    window, _, zone = text.partition("@")
    start, _, end = window.partition("-")
    tz: str | Ref = Ref(zone) if zone.startswith(("profile.", "data.")) else zone
    try:
        if not zone:
            raise ValueError
        return quiet_hours(start, end, tz=tz)
    except (ValidationError, ValueError):
        raise CommandError(
            "--quiet-hours: expected HH:MM-HH:MM@ZONE such as 22:00-07:00@Europe/London "
            f"(ZONE an IANA name or profile.timezone), got {text[:60]!r}",
            usage=True,
        ) from None


def _check(args: argparse.Namespace) -> int:
    """Explore every path and check the rules; print each counterexample; exit 1 if any."""
    rules: list[Rule] = []
    if args.max_sends is not None:
        rules.append(_max_sends(args.max_sends))
    if args.quiet_hours is not None:
        rules.append(_quiet_hours(args.quiet_hours))
    for flag, make in (
        ("ends_or_cancelable", ends_or_cancelable),
        ("no_send_after_cancel", no_send_after_cancel),
        ("refs_set_before_read", refs_set_before_read),
    ):
        if getattr(args, flag):
            rules.append(make())
    if not rules:
        raise CommandError("check: give at least one rule (--max-sends ...)", usage=True)
    if args.max_paths < 1:
        raise CommandError("--max-paths: expected 1 or more", usage=True)
    start = _start(args.start) or datetime(2024, 1, 1, 9, tzinfo=UTC)
    automation, context = _load(args.source, lenient=args.lenient)
    context = _context(args, context)
    exploration = automation.explore(start=start, max_paths=args.max_paths, **context)
    if exploration.truncated:
        raise CommandError(f"more than {args.max_paths} paths: nothing proven (raise --max-paths)")
    violations = exploration.check(*rules)
    if args.json:
        for violation in violations:
            path = violation.path
            record = {
                "rule": violation.rule,
                "message": violation.message,
                "assumptions": list(path.assumptions),
                "opaque": list(path.opaque),
                "taken": list(path.taken),
                "timeline": path.timeline.to_records(),
            }
            print(json.dumps(record, ensure_ascii=False, default=str))
    else:
        for violation in violations:
            print(violation, end="\n\n")
        verdict = "fail" if violations else "ok"
        names = ", ".join(rule.name for rule in rules)
        print(f"{verdict}: {len(violations)} violations of {names} over {len(exploration)} paths")
    return EXIT_FAILED if violations else EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    start = _start(args.start)
    automation, context = _load(args.source, lenient=args.lenient)
    context = _checked(automation, _context(args, context), args.source)
    timeline = automation.simulate(start=start, **context)
    if args.json:
        _emit({"events": timeline.to_records()})
    else:
        print(timeline)
    return EXIT_OK


_LINE_LIMIT = 1 << 20


class _Lines:
    """The JSON objects of a JSON Lines file, one per line, read as they are asked for.

    A bad line (not JSON, not an object, empty, over 1 MiB) ends the iteration; `failure`
    then names it and its line number.
    """

    def __init__(self, file: Any, source: str) -> None:
        self.file = file
        self.source = source
        self.failure: CommandError | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for number in itertools.count(1):
            line = self.file.readline(_LINE_LIMIT + 1)
            if not line:
                return
            where = f"{self.source}: line {number}"
            if len(line) > _LINE_LIMIT:
                self.failure = CommandError(f"{where}: longer than 1 MiB")
                return
            if not line.strip():
                self.failure = CommandError(f"{where}: empty (one JSON object per line)")
                return
            try:
                value = _parse_json(line, where)
            except CommandError as error:
                self.failure = error
                return
            if not isinstance(value, dict):
                self.failure = CommandError(
                    f"{where}: expected a JSON object (a run context), got {type(value).__name__}"
                )
                return
            yield value


def _open(source: str, what: str) -> Any:
    """A binary file to read from: standard input for ``-``, else a regular file."""
    if source == "-":
        return open(sys.stdin.fileno(), "rb", closefd=False)
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise CommandError(f"cannot read {what}: {error.strerror or error}") from None
    except ValueError:  # an embedded NUL byte in the name
        raise CommandError(f"cannot read {what}: not a valid file name") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise CommandError(f"cannot read {what}: not a regular file")
    return open(descriptor, "rb")


def _schedule(args: argparse.Namespace) -> int:
    start = _start(args.start)
    automation, _ = _load(args.source, lenient=args.lenient)
    with _open(args.contexts, f"--contexts {args.contexts}") as file:
        lines = _Lines(file, args.contexts)
        return _preview(args, automation.schedule(lines, start=start), lines)


def _preview(args: argparse.Namespace, preview: Schedule, lines: _Lines) -> int:
    """Print ``preview`` as text or JSON Lines; exit 1 when a row has no schedule."""
    unscheduled = 0
    if args.json:
        rows = iter(preview)
        if args.limit is not None:
            rows = itertools.islice(rows, args.limit)
        total = 0
        for total, row in enumerate(rows, 1):  # noqa: B007  (the count after the loop)
            unscheduled += not row.ok
            print(json.dumps(row.to_record(), ensure_ascii=False))
    else:
        _, total, counts = preview.summary(20 if args.limit is None else args.limit)
        if lines.failure is None:
            print(preview.to_text(20 if args.limit is None else args.limit))
        unscheduled = sum(counts.get(flag, 0) for flag in ("no zone", "invalid", "error"))
    if lines.failure is not None:
        raise lines.failure
    if unscheduled:
        print(
            f"automation-dsl: {unscheduled:,} of {total:,} recipients have no schedule "
            "(no zone, an invalid row or an error: see the flags)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _invoke(args: argparse.Namespace) -> int:
    automation, context = _load(args.source, lenient=args.lenient)
    context = _checked(automation, _context(args, context), args.source)
    if args.sandbox:
        from .sandbox import Sandbox

        with Sandbox() as sandbox, sandbox.client() as client:
            run_id = client.invoke(automation, idempotency_key=args.idempotency_key, **context)
            sandbox.advance()
            timeline = sandbox.timeline(run_id)
            if args.json:
                _emit({"run_id": run_id, "events": timeline.to_records()})
            else:
                print(run_id)
                print(timeline)
        return EXIT_OK
    with _courier(args) as client:
        _print_run_id(
            args, client.invoke(automation, idempotency_key=args.idempotency_key, **context)
        )
    return EXIT_OK


def _courier(args: argparse.Namespace) -> CourierClient:
    """A client for Courier (or ``--base-url``), with the key from ``--api-key-file``,
    ``--api-key`` or the environment; no key at all is a one-line error."""
    from ._client import CourierClient

    key = _api_key(args)
    if key is None and not (
        os.environ.get("COURIER_API_KEY") or os.environ.get("COURIER_AUTH_TOKEN")
    ):
        raise CommandError(
            "no Courier API key: use --api-key-file PATH, set COURIER_API_KEY, or --api-key "
            "(argv is readable by other local users)"
        )
    return CourierClient(key, base_url=args.base_url)


def _print_run_id(args: argparse.Namespace, run_id: str) -> None:
    if args.json:
        _emit({"run_id": run_id})
    else:
        print(run_id)


def _invoke_template(args: argparse.Namespace) -> int:
    context = _context(args, {})
    recipient = context.pop("recipient", None)
    with _courier(args) as client:
        run_id = client.invoke_template(
            args.template_id,
            recipient=recipient,
            idempotency_key=args.idempotency_key,
            **context,
        )
    _print_run_id(args, run_id)
    return EXIT_OK


def _run_record(run: AutomationRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "status": None if run.status is None else str(run.status),
        "created_at": run.created_at,
        "template_id": run.template_id,
    }


def _cells(*cells: str | None) -> str:
    """One line of a table: each cell as text, ``-`` when absent, what a terminal would
    act on (a control character, an escape) shown as ``?``, a long cell cut."""
    shown = []
    for cell in cells:
        text = "".join(c if c.isprintable() else "?" for c in cell or "-")
        shown.append(text if len(text) <= 200 else text[:197] + "...")
    return "  ".join(shown)


def _run_line(run: AutomationRun) -> str:
    return _cells(run.run_id, run.status, run.created_at, run.template_id)


def _step_record(step: RunStep) -> dict[str, Any]:
    return {
        "action": step.action,
        "status": step.status,
        "step_id": step.step_id,
        "message_id": step.message_id,
        "created_at": step.created_at,
        "updated_at": step.updated_at,
    }


def _template_record(template: AutomationTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "version": template.version,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


def _runs_list(args: argparse.Namespace) -> int:
    with _courier(args) as client:
        runs = client.list_runs(template_id=args.template, status=args.status)
        for run in itertools.islice(runs, args.limit or None):
            if args.json:
                _emit(_run_record(run))
            else:
                print(_run_line(run))
    return EXIT_OK


def _runs_get(args: argparse.Namespace) -> int:
    with _courier(args) as client:
        run = client.get_run(args.run_id)
    if args.json:
        _emit(_run_record(run))
    else:
        print(_run_line(run))
    return EXIT_OK


def _runs_steps(args: argparse.Namespace) -> int:
    with _courier(args) as client:
        steps = client.run_steps(args.run_id)
    for step in steps:
        if args.json:
            _emit(_step_record(step))
        else:
            print(_cells(step.action, step.status, step.message_id))
    return EXIT_OK


def _runs_wait(args: argparse.Namespace) -> int:
    with _courier(args) as client:
        run = client.wait_for(args.run_id, until=args.until, timeout=args.timeout, poll=args.poll)
    if args.json:
        _emit(_run_record(run))
    else:
        print(_run_line(run))
    return EXIT_OK


def _templates_list(args: argparse.Namespace) -> int:
    with _courier(args) as client:
        for template in client.list_templates(version=args.version):
            if args.json:
                _emit(_template_record(template))
            else:
                print(_cells(template.id, template.name, template.version))
    return EXIT_OK


def _templates(folder: str | None) -> dict[str, Automation]:
    if folder is None:
        return {}
    if not os.path.isdir(folder):
        raise CommandError(f"--templates {folder}: not a folder", usage=True)
    templates = {}
    for path in sorted(Path(folder).glob("*.json")):
        document = _parse_json(_read(str(path), str(path)), str(path))
        templates[path.stem] = _from_document(document, str(path), lenient=False)[0]
    return templates


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox

    # not COURIER_API_KEY: a real Courier key must not become a plain-HTTP password
    given = _api_key(args) or os.environ.get("COURIER_SANDBOX_API_KEY") or None
    sandbox = Sandbox(
        host=args.host,
        port=args.port,
        db=args.db,
        api_key=given,
        clock="real" if args.real_time else "virtual",
        templates=_templates(args.templates),
    )
    # a key the user gave is never printed (it may be a real one); a random one must be
    key = "as given" if given else sandbox.api_key

    def announce() -> None:
        if args.json:
            print(json.dumps({"url": sandbox.url, "api_key": key}), flush=True)
        else:
            print(f"Courier sandbox on {sandbox.url} (API key {key})", flush=True)

    sandbox.serve_forever(ready=announce)
    return EXIT_OK


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def _rows(text: str) -> int:
    try:
        rows = int(text)
    except ValueError:
        rows = -1
    if not 0 <= rows <= sys.maxsize:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of rows from 0 to {sys.maxsize}, got {text!r}"
        )
    return rows


def _run_id(text: str) -> str:
    try:
        return _check_text("automation-dsl", "RUN_ID", text)
    except ValidationError:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise argparse.ArgumentTypeError(
            f"expected a run id (1 to {MAX_ID_LENGTH} characters, not '.' or '..'), got {shown!r}"
        ) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_WAIT:  # NaN fails too
        raise argparse.ArgumentTypeError(
            f"expected seconds, more than 0 and at most {MAX_WAIT:g}, got {text!r}"
        )
    return value


def _key_options(command: argparse.ArgumentParser) -> None:
    keys = command.add_mutually_exclusive_group()
    keys.add_argument(
        "--api-key-file",
        metavar="PATH",
        help="read the API key from this file (one line; a trailing newline is ignored)",
    )
    keys.add_argument(
        "--api-key",
        help="the API key (visible to other local users: prefer --api-key-file)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automation-dsl",
        description="Courier automations as code, on the command line.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def source_command(name: str, help: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help, description=help)
        command.add_argument(
            "source",
            metavar="SOURCE",
            help="a .json file, - for standard input, or module:attribute",
        )
        command.add_argument(
            "--lenient",
            action="store_true",
            help="keep unknown actions as raw steps instead of failing",
        )
        return command

    def context_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--recipient", help="the run's recipient (user id)")
        command.add_argument("--data", help="the run's data, a JSON object")
        command.add_argument("--profile", help="the run's profile, a JSON object")
        command.add_argument("--brand", help="the run's brand id")
        command.add_argument("--template", help="the run's notification template")

    validate = source_command(
        "validate", "check an automation (and --data against its schema); print each error"
    )
    context_options(validate)
    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of the invoke body (with SOURCE's payload schemas)",
        description="Print the JSON Schema (draft 2020-12) of POST /automations/invoke; "
        "with SOURCE, its data and profile are SOURCE's payload schemas.",
    )
    schema.add_argument("source", metavar="SOURCE", nargs="?", help="as for validate")
    schema.add_argument("--lenient", action="store_true", help="keep unknown actions")
    render = source_command("render", "print an automation as text, JSON or HTML")
    render.add_argument("--format", choices=("text", "json", "html"), default="text")
    simulate = source_command("simulate", "run an automation on a virtual clock, offline")
    simulate.add_argument("--start", help="when the run starts (ISO 8601 with a zone; default now)")
    context_options(simulate)
    schedule = source_command(
        "schedule",
        "preview when each step fires for each run context (UTC and local), offline",
    )
    schedule.add_argument(
        "--contexts",
        required=True,
        metavar="PATH",
        help="run contexts as JSON Lines (one object per line, as invoke_many rows), - for stdin",
    )
    schedule.add_argument("--start", help="when the runs start (ISO 8601 with a zone; default now)")
    schedule.add_argument(
        "--json", action="store_true", help="one JSON record per row (JSON Lines)"
    )
    schedule.add_argument(
        "--limit",
        type=_rows,
        metavar="N",
        help="rows to show (text: default 20, all counted; --json: default all)",
    )
    check = source_command(
        "check",
        "explore every path of an automation and check rules (exit 1 with a counterexample)",
    )
    check.add_argument("--max-sends", metavar="N/SPAN", help="at most N sends in any SPAN (2/24h)")
    check.add_argument(
        "--quiet-hours",
        metavar="HH:MM-HH:MM@ZONE",
        help="no send in these local hours (22:00-07:00@Europe/London, or @profile.timezone)",
    )
    check.add_argument(
        "--ends-or-cancelable", action="store_true", help="every path that waits is cancelable"
    )
    check.add_argument(
        "--no-send-after-cancel", action="store_true", help="no send after a cancel of its token"
    )
    check.add_argument(
        "--refs-set-before-read", action="store_true", help="every refs.x read is set before"
    )
    check.add_argument("--json", action="store_true", help="one JSON record per violation")
    check.add_argument(
        "--start",
        help="when each path's run starts (ISO 8601 with a zone; default 2024-01-01T09:00Z)",
    )
    check.add_argument("--max-paths", type=_rows, default=10_000, metavar="N", help="path bound")
    context_options(check)
    invoke = source_command("invoke", "invoke an automation and print its runId")
    context_options(invoke)
    invoke.add_argument("--idempotency-key", help="pin the key: a repeat is not a new run")
    invoke.add_argument("--base-url", help="the API (default: COURIER_BASE_URL or Courier)")
    _key_options(invoke)
    invoke.add_argument(
        "--sandbox",
        action="store_true",
        help="invoke on a throwaway local sandbox and print the timeline",
    )

    def courier_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--base-url", help="the API (default: COURIER_BASE_URL or Courier)")
        _key_options(command)

    invoke_template = commands.add_parser(
        "invoke-template",
        help="invoke a saved automation template and print its runId",
        description="Invoke a saved automation template (POST /automations/{id}/invoke).",
    )
    invoke_template.add_argument("template_id", metavar="TEMPLATE_ID", help="its id or alias")
    context_options(invoke_template)
    invoke_template.add_argument("--idempotency-key", help="pin the key: a repeat is not a new run")
    courier_options(invoke_template)
    runs = commands.add_parser(
        "runs",
        help="list runs, read one, its steps, or wait for it to end",
        description="Read automation runs on Courier (GET /automations/runs...).",
    )
    runs_commands = runs.add_subparsers(dest="runs_command", required=True, metavar="COMMAND")
    runs_list = runs_commands.add_parser("list", help="the runs, newest first")
    runs_list.add_argument("--template", help="only these templates' runs (comma-separated ids)")
    runs_list.add_argument("--status", help="only runs with these statuses (comma-separated)")
    runs_list.add_argument(
        "--limit", type=_rows, default=20, metavar="N", help="at most N runs (0: all; default 20)"
    )
    runs_get = runs_commands.add_parser("get", help="one run and its status")
    runs_steps = runs_commands.add_parser("steps", help="what became of each step of a run")
    runs_wait = runs_commands.add_parser(
        "wait", help="poll a run until it ends (or --until a status); exit 1 on --timeout"
    )
    for command in (runs_get, runs_steps, runs_wait):
        command.add_argument("run_id", metavar="RUN_ID", type=_run_id, help="as invoke printed it")
    runs_wait.add_argument(
        "--until",
        action="append",
        metavar="STATUS",
        help="a status to wait for (repeatable; default: any status of a run that ended)",
    )
    runs_wait.add_argument(
        "--timeout", type=_seconds, default=300.0, help="seconds to wait (default 300)"
    )
    runs_wait.add_argument(
        "--poll", type=_seconds, default=1.0, help="seconds before the first poll (default 1)"
    )
    for command in (runs_list, runs_get, runs_steps, runs_wait):
        courier_options(command)
    templates = commands.add_parser(
        "templates",
        help="list the saved automation templates",
        description="List the saved automation templates (GET /automations).",
    )
    templates.add_argument("--version", choices=("published", "draft"), help="default: published")
    courier_options(templates)

    sandbox = commands.add_parser(
        "sandbox",
        help="serve a local Courier-compatible automations API",
        description="Serve Courier's automations API on loopback, with a simulator behind it.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=_port, default=8787, help="port (0 picks a free one)")
    sandbox.add_argument("--db", default=":memory:", help="SQLite file that keeps the runs")
    _key_options(sandbox)
    sandbox.add_argument("--templates", help="folder of <template id>.json automations")
    sandbox.add_argument(
        "--real-time", action="store_true", help="delays take real time (default: a virtual clock)"
    )

    for name, run in (
        ("validate", _validate),
        ("schema", _schema),
        ("render", _render),
        ("simulate", _simulate),
        ("schedule", _schedule),
        ("check", _check),
        ("invoke", _invoke),
        ("invoke-template", _invoke_template),
        ("templates", _templates_list),
        ("sandbox", _sandbox),
    ):
        commands.choices[name].set_defaults(run=run)
    for command, run in (
        (runs_list, _runs_list),
        (runs_get, _runs_get),
        (runs_steps, _runs_steps),
        (runs_wait, _runs_wait),
    ):
        command.set_defaults(run=run)
    for command in (*commands.choices.values(), *runs_commands.choices.values()):
        if command is not runs and "--json" not in command._option_string_actions:
            command.add_argument("--json", action="store_true", help="output JSON for scripts")
    return parser


def _fail(
    args: argparse.Namespace, message: str, code: int, kind: str, errors: list[str] | None = None
) -> int:
    """Report on stderr: the traceback only with ``--debug``, then one line (with
    ``--json``: one JSON object, ``{"error": {"type", "message", "exit_code"}}``)."""
    if args.debug:
        traceback.print_exc()
    if getattr(args, "json", False):
        error: dict[str, Any] = {"type": kind, "message": message, "exit_code": code}
        if errors is not None:
            error["errors"] = errors
        print(_json_line({"error": error}), file=sys.stderr)
    elif errors is not None:
        for line in errors:
            print(line, file=sys.stderr)
    else:
        shown = message.encode("utf-8", "backslashreplace").decode("utf-8")
        print(f"automation-dsl: {shown}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Every failure is one line on stderr and an exit code (see ``docs/cli.md``); a
    traceback is printed only with ``--debug``.
    """
    args = _parser().parse_args(argv)  # bad usage: argparse exits with 2
    try:
        code: int = args.run(args)
    except ValidationErrors as failure:
        lines = [f"{failure.source}: {' '.join(str(error).split())}" for error in failure.errors]
        return _fail(args, str(failure), EXIT_FAILED, "ValidationError", lines)
    except CommandError as error:
        return _fail(args, str(error), error.code, "CommandError")
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (Python flushes stdout at exit)
        return EXIT_FAILED
    except (AutomationError, OSError) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        return _fail(args, message, EXIT_FAILED, type(error).__name__)
    except KeyboardInterrupt:
        return _fail(args, "interrupted", EXIT_INTERRUPTED, "KeyboardInterrupt")
    except Exception as error:
        message = f"internal error ({_describe(error)}); rerun with --debug for the traceback"
        return _fail(args, message, EXIT_INTERNAL, "InternalError")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
