"""The sandbox's transport limits, measured: slow sockets closed, memory under large heads,
a connection flood.

Run: ``.venv/bin/python benchmarks/bench_sandbox_limits.py [request_timeout]``. A sandbox
runs in its own process (1024 open files, as a default shell gives) with
``request_timeout`` (2 s here, 30 s by default) and its other limits at their defaults;
this process, the client, prints:

* the seconds until each of 200 slow-header sockets was closed (and how many were);
* the server's RSS (``VmRSS`` of its ``/proc/<pid>/status``) before and after 300
  unauthenticated requests with a 1 MB header (refused at 16 KiB), and after 300 more
  with an 8 KiB header (read, answered 401);
* 1,500 connections opened at once: how many were refused (503) and how long after they
  closed a normal request was answered.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

SERVER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
from automation_dsl.sandbox import Sandbox
sandbox = Sandbox(request_timeout=float(sys.argv[1]))
sandbox.serve_forever(ready=lambda: print(sandbox.url, sandbox.api_key, flush=True))
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def slow_headers(port: int, count: int, patience: float) -> list[float]:
    """Seconds from sending part of a head until the server closed, per closed socket."""
    selector = selectors.DefaultSelector()
    start = time.monotonic()
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /automations/runs HTTP/1.1\r\nHost: x\r\n")
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    closed = []
    while len(closed) < count and time.monotonic() - start < patience:
        for key, _ in selector.select(0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                closed.append(time.monotonic() - start)
                selector.unregister(sock)
                sock.close()
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    return closed


def heads(port: int, count: int, header: bytes) -> set[str]:
    """Send ``count`` unauthenticated requests with ``header``; the statuses answered."""
    statuses = set()
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            try:
                sock.sendall(b"GET /automations/runs HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n")
                answer = sock.recv(65536)
                statuses.add(answer.split(b" ")[1].decode() if answer else "closed")
            except (BrokenPipeError, ConnectionResetError):
                statuses.add("reset")
    return statuses


def flood(url: str, api_key: str, count: int) -> tuple[int, float]:
    port = int(url.rsplit(":", 1)[1])
    socks = []
    for _ in range(count):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:
            break
    time.sleep(1)
    refused = 0
    for sock in socks:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            refused += sock.recv(65536).startswith(b"HTTP/1.1 503")
        sock.close()
    start = time.monotonic()
    while True:
        try:
            headers = {"Authorization": f"Bearer {api_key}"}
            if httpx.get(f"{url}/automations/runs", headers=headers).status_code == 200:
                return refused, time.monotonic() - start
        except httpx.TransportError:
            time.sleep(0.01)


def main() -> None:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(timeout)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    url, api_key = server.stdout.readline().split()
    port = int(url.rsplit(":", 1)[1])
    try:
        closed = slow_headers(port, 200, patience=5 * timeout + 5)
        print(
            f"slow-header sockets: {len(closed)} of 200 closed (request_timeout {timeout:g} s); "
            f"seconds to close: min {min(closed):.2f}, median {statistics.median(closed):.2f}, "
            f"max {max(closed):.2f}"
        )
        heads(port, 30, b"X-Warm: up\r\n")
        before = rss_mib(server.pid)
        big = heads(port, 300, b"X-Big: " + b"a" * 1_000_000 + b"\r\n")
        after_big = rss_mib(server.pid)
        small = heads(port, 300, b"X-Pad: " + b"a" * 8192 + b"\r\n")
        after_small = rss_mib(server.pid)
        print(
            f"RSS: {before:.1f} MiB before; {after_big:.1f} MiB after 300 x 1 MB heads "
            f"(answers {sorted(big)}); {after_small:.1f} MiB after 300 x 8 KiB heads "
            f"(answers {sorted(small)})"
        )
        refused, recovery = flood(url, api_key, 1500)
        print(
            f"flood of 1500 connections: {refused} refused with 503; a normal request "
            f"answered {recovery * 1000:.0f} ms after they closed"
        )
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
    print(f"server log: {len(errors.splitlines())} lines, {errors.count('Traceback')} tracebacks")
    for line in errors.splitlines():
        print("   ", line)


if __name__ == "__main__":
    main()
