"""The ``automation-dsl`` command.

Example:
    $ automation-dsl sandbox --port 8787 --db runs.db
    Courier sandbox on http://127.0.0.1:8787 (API key sk_sandbox_...)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EPILOG = """\
examples:
  automation-dsl sandbox                         a sandbox on 127.0.0.1:8787, runs in memory
  automation-dsl sandbox --db runs.db --real-time  keep runs in a file; delays take real time

  then, in Python:
    CourierClient(api_key="<the key it printed>", base_url="http://127.0.0.1:8787")

exit codes: 0 done, 1 failed, 2 bad usage
"""


def _sandbox(args: argparse.Namespace) -> int:
    try:
        from .sandbox import Sandbox
    except ImportError as error:  # pragma: no cover - the extra is installed by make
        print(
            f"automation-dsl: the sandbox needs its extra: pip install "
            f"'automation-dsl[sandbox]' ({error})",
            file=sys.stderr,
        )
        return 1
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
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automation-dsl",
        description="Courier automations as code: tools for the command line.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
    sandbox.set_defaults(run=_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
