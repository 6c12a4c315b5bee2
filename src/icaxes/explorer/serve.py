"""Serve the explorer page from 127.0.0.1 with the standard library's HTTP server.

Only ``GET /`` (and ``/index.html``) is answered, with the same self-contained page that
:func:`~icaxes.explorer.write_explorer` writes; everything else is 404. The server binds to
the loopback interface only.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from icaxes.errors import InputError


def _handler(page: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "icaxes"

        def do_GET(self) -> None:
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
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

        def log_message(self, format: str, *args: Any) -> None:  # quiet by default
            pass

    return Handler


def serve(page: str, *, port: int = 8765, block: bool = True) -> ThreadingHTTPServer:
    """Serve ``page`` (HTML text, e.g. from :func:`~icaxes.explorer.build_page`) on 127.0.0.1.

    Parameters
    ----------
    page : str
        The page to serve.
    port : int, default 8765
        TCP port; 0 picks a free one (read it from ``server.server_address``).
    block : bool, default True
        Serve until interrupted; with False, serve from a daemon thread and return at once
        (call ``server.shutdown()`` to stop).
    """
    if not 0 <= port <= 65535:
        raise InputError(f"port {port} is out of range; use 1-65535 (or 0 for any free port)")
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(page.encode("utf-8")))
    except OSError as exc:
        raise InputError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}); "
                         "choose another --port") from exc
    server.daemon_threads = True
    if block:
        try:
            server.serve_forever()
        finally:
            server.server_close()
    else:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
