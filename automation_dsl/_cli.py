"""The ``automation-dsl`` command: validate, render, simulate and invoke automations, and
serve the sandbox.

Example:
    $ automation-dsl validate flows/onboarding.json
    ok: 3 steps
    $ automation-dsl simulate myapp.flows:onboarding --recipient user-1
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ._automation import Automation
from ._errors import AutomationError, ValidationError
from ._parse import find_errors

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

EPILOG = """\
sources (SOURCE):
  a JSON file holding an invoke body or an automation object, or
  module:attribute naming an Automation (or a function returning one) in Python

examples:
  automation-dsl validate flow.json                   check a hand-written body
  automation-dsl render myapp.flows:onboarding         the steps as a table
  automation-dsl render flow.json --format html > flow.html
  automation-dsl simulate flow.json --recipient user-1 --start 2024-04-08T09:00Z
  automation-dsl invoke flow.json --sandbox            invoke on a throwaway local sandbox
  automation-dsl invoke flow.json --recipient user-1   invoke on Courier (COURIER_API_KEY)
  automation-dsl sandbox --port 8787 --db runs.db     serve the sandbox

exit codes: 0 done, 1 invalid automation or failed call, 2 bad usage
"""


class CommandError(Exception):
    """A failure to report on stderr in one line, with exit code 1."""


def _load(source: str, *, lenient: bool = False) -> tuple[Automation, dict[str, Any]]:
    """An automation and the run context that came with it."""
    path = Path(source)
    if path.suffix == ".json" or path.exists():
        try:
            document = json.loads(path.read_text())
        except OSError as error:
            raise CommandError(f"cannot read {source}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise CommandError(f"{source}: not JSON ({error.msg}, line {error.lineno})") from None
        errors = find_errors(document, lenient=lenient)
        if errors:
            raise ValidationErrors(source, errors)
        if isinstance(document, dict) and "automation" in document:
            automation, context = Automation.from_payload(document, lenient=lenient)
            return automation, context.to_wire()
        return Automation.from_dict(document, lenient=lenient), {}
    module_name, _, attribute = source.partition(":")
    if not attribute:
        raise CommandError(f"{source}: no such file, and not module:attribute")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError) as error:
        raise CommandError(f"cannot load {source}: {error}") from None
    if callable(value) and not isinstance(value, Automation):
        value = value()
    if not isinstance(value, Automation):
        raise CommandError(f"{source} is a {type(value).__name__}, not an Automation")
    return value, {}


class ValidationErrors(Exception):
    """Every error found in a source."""

    def __init__(self, source: str, errors: list[ValidationError]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: {len(errors)} errors")


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"--{name}: not JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise CommandError(f"--{name}: expected a JSON object, got {text!r}")
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


def _validate(args: argparse.Namespace) -> int:
    automation, _ = _load(args.source, lenient=args.lenient)
    print(f"ok: {len(automation)} step" + ("s" if len(automation) != 1 else ""))
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    automation, context = _load(args.source, lenient=args.lenient)
    if args.format == "json":
        print(automation.to_json(context, indent=2))
    elif args.format == "html":
        print(automation._repr_html_())
    else:
        print(automation.explain())
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    automation, context = _load(args.source, lenient=args.lenient)
    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        except ValueError:
            raise CommandError(f"--start: expected an ISO 8601 time, got {args.start!r}") from None
    timeline = automation.simulate(start=start, **_context(args, context))
    print(timeline)
    return EXIT_OK


def _invoke(args: argparse.Namespace) -> int:
    automation, context = _load(args.source, lenient=args.lenient)
    context = _context(args, context)
    if args.sandbox:
        from .sandbox import Sandbox

        with Sandbox() as sandbox, sandbox.client() as client:
            run_id = client.invoke(automation, idempotency_key=args.idempotency_key, **context)
            sandbox.advance()
            print(run_id)
            print(sandbox.timeline(run_id))
        return EXIT_OK
    from ._client import CourierClient

    with CourierClient(base_url=args.base_url) as client:
        print(client.invoke(automation, idempotency_key=args.idempotency_key, **context))
    return EXIT_OK


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox

    sandbox = Sandbox(
        host=args.host,
        port=args.port,
        db=args.db,
        api_key=args.api_key,
        clock="real" if args.real_time else "virtual",
        templates_dir=args.templates,
    )

    def announce() -> None:
        print(f"Courier sandbox on {sandbox.url} (API key {sandbox.api_key})", flush=True)

    sandbox.serve_forever(ready=announce)
    return EXIT_OK


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
        command.add_argument("source", metavar="SOURCE", help="a .json file or module:attribute")
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

    source_command("validate", "check an automation; print each error with its path")
    render = source_command("render", "print an automation as text, JSON or HTML")
    render.add_argument("--format", choices=("text", "json", "html"), default="text")
    simulate = source_command("simulate", "run an automation on a virtual clock, offline")
    simulate.add_argument("--start", help="when the run starts (ISO 8601; default now)")
    context_options(simulate)
    invoke = source_command("invoke", "invoke an automation and print its runId")
    context_options(invoke)
    invoke.add_argument("--idempotency-key", help="pin the key: a repeat is not a new run")
    invoke.add_argument("--base-url", help="the API (default: COURIER_BASE_URL or Courier)")
    invoke.add_argument(
        "--sandbox",
        action="store_true",
        help="invoke on a throwaway local sandbox and print the timeline",
    )

    sandbox = commands.add_parser(
        "sandbox",
        help="serve a local Courier-compatible automations API",
        description="Serve Courier's automations API on loopback, with a simulator behind it.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=int, default=8787, help="port (0 picks a free one)")
    sandbox.add_argument("--db", default=":memory:", help="SQLite file that keeps the runs")
    sandbox.add_argument("--api-key", help="the key clients must send (default: random)")
    sandbox.add_argument("--templates", help="folder of <template id>.json automations")
    sandbox.add_argument(
        "--real-time", action="store_true", help="delays take real time (default: a virtual clock)"
    )

    for name, run in (
        ("validate", _validate),
        ("render", _render),
        ("simulate", _simulate),
        ("invoke", _invoke),
        ("sandbox", _sandbox),
    ):
        commands.choices[name].set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ValidationErrors as failure:
        for error in failure.errors:
            print(f"{failure.source}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (CommandError, AutomationError, OSError) as error:
        if args.debug:
            traceback.print_exc()
        print(f"automation-dsl: {error}", file=sys.stderr)
        return EXIT_FAILED
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
