"""Serve the explorer page from 127.0.0.1 with the standard library's HTTP server.

Only ``GET /`` (and ``/index.html``) is answered, with the same self-contained page that
:func:`~icaxes.explorer.write_explorer` writes; everything else is 404. The server binds to
the loopback interface only, and is built to stay up whatever a client does:

- **Host allow-list.** A request is answered only when its one ``Host`` header names this
  server: ``127.0.0.1``, ``localhost`` or ``[::1]``, with the bound port (or no port). Any
  other host, none or two get ``421 Misdirected Request``, so a web page whose domain was re-pointed at
  127.0.0.1 (DNS rebinding) cannot read the page.
- **Request deadline.** A connection has ``request_timeout`` seconds in all to send its
  request line and headers (a half-sent request, or one that trickles a byte at a time, is
  closed then), and as long again to take the answer.
- **Bounded threads.** One thread per connection, at most ``max_threads`` at a time; further
  connections wait in the accept queue (``request_queue_size``), which is large enough for
  hundreds of simultaneous connections.
- **Quiet.** A client that goes away mid-answer (closed tab, reload) is not an error: nothing
  is printed.
"""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from icaxes.errors import InputError

#: the only address served
HOST = "127.0.0.1"
#: the host names a request may give (with this server's port, or none)
ALLOWED_HOSTS = ("127.0.0.1", "localhost", "[::1]")
#: errors that only mean the client went away or was too slow
_CLIENT_GONE = (ConnectionError, TimeoutError)


class _DeadlineReader(io.RawIOBase):
    """Reads from a socket until a deadline: each read waits at most for the time left."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request deadline passed")
        self._sock.settimeout(left)
        return self._sock.recv_into(buffer)


def _handler(page: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "icaxes"
        server: _Server

        def setup(self) -> None:
            super().setup()
            # the request line and headers must arrive before the deadline, however slowly
            deadline = time.monotonic() + self.server.request_timeout
            self.rfile.close()  # the plain reader of StreamRequestHandler (the socket stays open)
            self.rfile = io.BufferedReader(_DeadlineReader(self.connection, deadline))

        def _host_allowed(self) -> bool:
            hosts = self.headers.get_all("Host") or []
            if len(hosts) != 1:  # none, or two that could be read differently
                return False
            host = hosts[0].strip().lower()
            port = str(self.server.server_address[1])
            return any(host in (name, f"{name}:{port}") for name in ALLOWED_HOSTS)

        def _reply(self, status: HTTPStatus, text: str, *, head: bool = False) -> None:
            body = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _refuse_host(self, *, head: bool = False) -> None:
            port = self.server.server_address[1]
            self._reply(HTTPStatus.MISDIRECTED_REQUEST,
                        f"this server answers only for http://127.0.0.1:{port}/ or "
                        f"http://localhost:{port}/\n", head=head)

        def do_GET(self) -> None:
            # answering takes as long again as the request had; sendall's timeout is a total
            self.connection.settimeout(self.server.request_timeout)
            if not self._host_allowed():
                self._refuse_host()
                return
            path = self.path.split("?", 1)[0]
            if path not in ("/", "/index.html"):
                self.send_error(HTTPStatus.NOT_FOUND, "only / is served")
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.send_header("Cache-Control", "no-store")
            # the page needs nothing from any other origin
            self.send_header("Content-Security-Policy",
                             "default-src 'none'; script-src 'unsafe-inline'; "
                             "style-src 'unsafe-inline'; img-src data:")
            self.end_headers()
            self.wfile.write(page)

        def do_HEAD(self) -> None:
            self.connection.settimeout(self.server.request_timeout)
            if not self._host_allowed():
                self._refuse_host(head=True)
                return
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

        def log_message(self, format: str, *args: Any) -> None:  # quiet by default
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    """A threading HTTP server with a deadline per request, bounded threads and no noise."""

    daemon_threads = True
    #: the accept backlog (the kernel may cap it, e.g. at net.core.somaxconn)
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *,
                 request_timeout: float, max_threads: int) -> None:
        self.request_timeout = request_timeout
        self._slots = threading.BoundedSemaphore(max_threads)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # a slot frees within two request deadlines at most: wait for it in the accept loop,
        # so that further connections queue in the kernel's backlog meanwhile
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], _CLIENT_GONE):
            return  # the client went away or was too slow: nothing to report
        super().handle_error(request, client_address)


def serve(page: str, *, port: int = 8765, block: bool = True, request_timeout: float = 10.0,
          max_threads: int = 256) -> ThreadingHTTPServer:
    """Serve ``page`` (HTML text, e.g. from :func:`~icaxes.explorer.build_page`) on 127.0.0.1.

    Parameters
    ----------
    page : str
        The page to serve.
    port : int, default 8765
        TCP port; 0 picks a free one (read it from ``server.server_address``).
    block : bool, default True
        Serve until interrupted; with False, serve from a daemon thread and return at once
        (call ``server.shutdown()`` then ``server.server_close()`` to stop).
    request_timeout : float, default 10
        Seconds a connection has to send its whole request (and again to take the answer);
        slower or half-sent requests are closed.
    max_threads : int, default 256
        Connections handled at the same time; more wait in the accept queue.

    Returns
    -------
    ThreadingHTTPServer
        The running server (see the module docstring for what it accepts).
    """
    if not 0 <= port <= 65535:
        raise InputError(f"port {port} is out of range; use 1-65535 (or 0 for any free port)")
    if not request_timeout > 0:
        raise InputError(f"request_timeout must be a positive number of seconds, got {request_timeout}")
    if max_threads < 1:
        raise InputError(f"max_threads must be at least 1, got {max_threads}")
    try:
        server = _Server((HOST, port), _handler(page.encode("utf-8")),
                         request_timeout=float(request_timeout), max_threads=int(max_threads))
    except OSError as exc:
        raise InputError(f"cannot listen on {HOST}:{port} ({exc.strerror or exc}); "
                         "choose another --port") from exc
    if block:
        try:
            server.serve_forever()
        finally:
            server.server_close()
    else:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
