"""HTTP server for the dashboard: stdlib ``ThreadingHTTPServer``, one JSON/text log line
per request (``log_format``), 127.0.0.1 by default."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agents.dashboard.app import Dashboard, Response
from agents.dashboard.logs import event_logger, log_event

__all__ = ["DashboardServer", "make_server"]


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    protocol_version = "HTTP/1.1"
    server_version = "rbi-dashboard"

    def _serve(self, method: str) -> None:
        rid = uuid.uuid4().hex[:12]
        t0 = time.perf_counter()
        try:
            resp = self.server.app.handle(method, self.path)
        except Exception as e:  # a bug in a view: log it with the request id, answer 500
            log_event(self.server.log, "request_failed", logging.ERROR, exc_info=True,
                      request_id=rid, method=method, path=self.path)
            resp = Response(500, f"internal error {type(e).__name__} (request {rid})\n".encode(),
                            "text/plain; charset=utf-8")
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self.send_header("X-Request-Id", rid)
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(resp.body)
        log_event(self.server.log, "request", request_id=rid, method=method, path=self.path,
                  status=resp.status, bytes=len(resp.body),
                  ms=round((time.perf_counter() - t0) * 1000, 2), client=self.client_address[0],
                  **resp.info)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # silenced: we log in _serve
        return


class DashboardServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], app: Dashboard, log: logging.Logger) -> None:
        super().__init__(addr, _Handler)
        self.app = app
        self.log = log

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def start_background(self) -> threading.Thread:
        t = threading.Thread(target=self.serve_forever, name="rbi-dashboard", daemon=True)
        t.start()
        return t


def make_server(app: Dashboard, host: str = "127.0.0.1", port: int = 8000, *,
                log_format: str = "text", log: logging.Logger | None = None) -> DashboardServer:
    return DashboardServer((host, port), app, log or event_logger(log_format))
