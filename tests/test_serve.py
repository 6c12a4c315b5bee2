"""``icaxes serve`` under load and against hostile clients, on 127.0.0.1 only.

The page served is synthetic: what matters here is that every byte of a known answer comes
back. Every wait is bounded by a client-side socket timeout, so a regression fails instead
of hanging, and every server is stopped at the end.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from icaxes.errors import InputError
from icaxes.explorer import serve

LOOPBACK = "127.0.0.1"
WAIT = 60.0  # the bound on any single wait of a client
PAGE = "<!DOCTYPE html><title>icaxes</title>" + "".join(f"<p>{i}</p>" for i in range(8000))


@pytest.fixture
def server_of():
    """serve(...) on a free loopback port; every server started is stopped afterwards."""
    started = []

    def start(page: str = PAGE, **kw):
        server = serve(page, port=0, block=False, **kw)
        started.append(server)
        return server, server.server_address[1]

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def connect(port: int) -> socket.socket:
    return socket.create_connection((LOOPBACK, port), timeout=WAIT)


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (a reset counts as a close)."""
    chunks = []
    try:
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def get(port: int, host: str | None = None) -> tuple[int, bytes]:
    """(status, body) of ``GET /`` with this Host header (None: no Host header at all)."""
    host_line = "" if host is None else f"Host: {host}\r\n"
    with connect(port) as s:
        s.sendall(f"GET / HTTP/1.1\r\n{host_line}Connection: close\r\n\r\n".encode())
        answer = read_all(s)
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_two_hundred_requests_with_a_hundred_idle_connections_open(server_of):
    _, port = server_of(request_timeout=3.0)
    idle = []
    try:
        # half-open: 50 connections that send nothing, 50 that stop in the middle of a header
        for i in range(100):
            s = connect(port)
            if i % 2:
                s.sendall(f"GET / HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nUser-Ag".encode())
            idle.append(s)
        start = threading.Barrier(200, timeout=WAIT)

        def one(_: int) -> tuple[int, bytes]:
            start.wait()
            return get(port, f"{LOOPBACK}:{port}")

        with ThreadPoolExecutor(max_workers=200) as pool:
            answers = list(pool.map(one, range(200)))
        assert [status for status, _ in answers] == [200] * 200
        assert all(body == PAGE.encode() for _, body in answers)
        # and none of the idle connections is held for ever: the server closes them unanswered
        assert [read_all(s) for s in idle] == [b""] * 100
    finally:
        for s in idle:
            s.close()
    assert get(port, f"localhost:{port}") == (200, PAGE.encode())  # still serving


def test_a_request_trickling_in_is_closed_at_its_deadline(server_of):
    _, port = server_of(request_timeout=1.0)
    with connect(port) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nX-Slow: ".encode())
        sent, closed = 0, False
        # one byte every 0.2 s keeps each single read short: only a deadline on the whole
        # request ends it (well before the 300 bytes, a minute, are sent)
        while sent < 300 and not closed:
            try:
                s.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            sent += 1
            if select.select([s], [], [], 0.2)[0]:
                closed = read_all(s) == b""
        assert closed and sent < 300


def test_only_loopback_host_headers_are_served(server_of):
    """Against DNS rebinding: a page of another domain re-pointed at 127.0.0.1 gets nothing."""
    _, port = server_of()
    for host in ["evil.example", f"evil.example:{port}", f"localhost.evil.example:{port}",
                 "127.0.0.1:1", f"127.0.0.1.nip.io:{port}", f"localhost:{port}.evil.example", "", None]:
        status, body = get(port, host)
        assert status == 421, host
        assert len(body) < 200 and b"127.0.0.1" in body and b"<title>" not in body
    with connect(port) as s:  # two Host headers, one of them allowed
        s.sendall(f"GET / HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nHost: evil.example\r\n\r\n".encode())
        assert read_all(s).startswith(b"HTTP/1.0 421")
    for host in [f"127.0.0.1:{port}", f"localhost:{port}", f"LocalHost:{port}", f"[::1]:{port}",
                 "127.0.0.1", "localhost"]:
        assert get(port, host) == (200, PAGE.encode()), host


def handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def test_clients_leaving_mid_answer_print_nothing(server_of, capfd):
    big = PAGE * 400  # about 35 MB: far more than the socket buffers hold
    _, port = server_of(big)
    for _ in range(5):
        s = connect(port)
        s.sendall(f"GET / HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n\r\n".encode())
        assert s.recv(1024).startswith(b"HTTP/1.0 200")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # a reset in the middle of the answer
    for _ in range(3):  # and a client that hangs up before its request is complete
        with connect(port) as s:
            s.sendall(b"GET / HT")
    deadline = time.monotonic() + WAIT
    while handler_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handler_threads() == []
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_threads_are_bounded_and_queued_connections_are_answered(server_of):
    _, port = server_of(request_timeout=1.0, max_threads=4)
    idle = [connect(port) for _ in range(4)]  # they hold every thread until their deadline
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], len(handler_threads()))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda _: get(port, f"{LOOPBACK}:{port}"), range(20)))
    finally:
        done.set()
        watcher.join()
        for s in idle:
            s.close()
    assert answers == [(200, PAGE.encode())] * 20
    assert 1 <= peak[0] <= 4


def test_bad_settings_are_one_clear_error():
    with pytest.raises(InputError, match="request_timeout"):
        serve(PAGE, port=0, block=False, request_timeout=0)
    with pytest.raises(InputError, match="max_threads"):
        serve(PAGE, port=0, block=False, max_threads=0)
