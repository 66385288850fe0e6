"""Misbehaving loopback servers for the probe's robustness tests: one that never answers, one that resets
every connection, two that answer megabytes of garbage (with and without an HTTP status line), one that
trickles its headers a byte at a time, and one that redirects elsewhere."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator


def _hang(conn: socket.socket) -> None:
    conn.recv(65536)
    time.sleep(30)


def _reset(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _garbage_body(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8000000\r\n\r\n")
    chunk = b"\x00\xffgarbage" * 8192
    for _ in range(120):
        conn.sendall(chunk)


def _garbage_raw(conn: socket.socket) -> None:
    conn.recv(65536)
    chunk = b"A" * 65536
    for _ in range(64):
        conn.sendall(chunk)


def _trickle(conn: socket.socket) -> None:
    conn.recv(65536)
    for b in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
        conn.sendall(bytes([b]))
        time.sleep(0.2)


def _redirect(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://example.com/steal\r\nContent-Length: 0\r\n\r\n")


BEHAVIOURS = {
    "hang": _hang,
    "reset": _reset,
    "garbage_body": _garbage_body,
    "garbage_raw": _garbage_raw,
    "trickle": _trickle,
    "redirect": _redirect,
}


@contextlib.contextmanager
def serve(behaviour: str, host: str = "127.0.0.1") -> Iterator[str]:
    """Run the misbehaving server; yields its /mcp URL."""
    handler = BEHAVIOURS[behaviour]
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((host, 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def one(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(35)
            handler(conn)

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{listener.getsockname()[1]}/mcp"
    finally:
        stop.set()
        thread.join(2)
        listener.close()
