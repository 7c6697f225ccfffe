"""A scripted HTTP server on 127.0.0.1 that speaks the Anthropic Messages API
(``POST /v1/messages``) and the OpenAI Chat Completions API (``POST /v1/chat/completions``).

Tests queue responses with :meth:`LoopbackLLM.push` and point the real SDK at
``server.url``; every request the SDK made is kept in ``server.requests``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int = 200
    body: Any = None  # dict -> JSON; str/bytes sent verbatim
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def anthropic_message(text: str, *, tokens_in: int = 11, tokens_out: int = 7,
                      stop_reason: str = "end_turn", model: str = "claude-test") -> dict:
    return {
        "id": "msg_loopback_1", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


def anthropic_error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


def openai_completion(text: str, *, tokens_in: int = 13, tokens_out: int = 5,
                      finish_reason: str = "stop", model: str = "gpt-test") -> dict:
    return {
        "id": "chatcmpl-loopback-1", "object": "chat.completion", "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                  "total_tokens": tokens_in + tokens_out},
    }


def openai_error(message: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class LoopbackLLM:
    """``with LoopbackLLM() as srv: srv.push(Scripted(...)); ... srv.requests``."""

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                owner._seen(SeenRequest("POST", self.path, dict(self.headers), body))
                reply = owner._next()
                payload = reply.body
                if isinstance(payload, dict | list):
                    data = json.dumps(payload).encode()
                    ctype = "application/json"
                elif isinstance(payload, str):
                    data, ctype = payload.encode(), "application/json"
                else:
                    data, ctype = payload or b"", "application/json"
                self.send_response(reply.status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *replies: Scripted) -> LoopbackLLM:
        with self._lock:
            self._script.extend(replies)
        return self

    def _seen(self, req: SeenRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _next(self) -> Scripted:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return Scripted(599, {"error": "loopback script exhausted"})

    def __enter__(self) -> LoopbackLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
