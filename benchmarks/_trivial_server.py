"""A trivial HTTP/1.1 server for client benchmarks: every request gets the same runId.

It runs in its own process, so its CPU is not counted as the client's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket

ANSWER = b'{"runId":"1-65f240a0-47a6a120c8374de9bcf9f22c"}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(ANSWER)).encode()
    + b"\r\n\r\n"
    + ANSWER
)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            writer.write(RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(sock: socket.socket) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_handle, sock=sock)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start() -> tuple[str, multiprocessing.Process]:
    """Start the server in a child process; returns its URL and the process."""
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    port = sock.getsockname()[1]
    process = multiprocessing.Process(target=_serve, args=(sock,), daemon=True)
    process.start()
    sock.close()
    return f"http://127.0.0.1:{port}", process
