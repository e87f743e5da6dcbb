"""A loopback OpenAI-compatible chat server that answers from a script (the one test double).

The server speaks real HTTP on 127.0.0.1 (an ephemeral port) in a background thread, so the
code under test goes through the real ``openai`` client. It implements
``POST /v1/chat/completions`` and ``POST /v1/completions`` (a raw ``prompt``, for base
models; both non-streaming) and ``GET /v1/models``.

A script is a callable ``(request_json) -> Reply`` where a reply is the answer text, a
``ScriptedError`` (an HTTP error status), ``DROP`` (close the connection without answering)
or a ``Delay`` wrapping one of those. Every request is recorded for assertions.

As a context manager::

    with ScriptedServer(replies("wrong", "fixed")) as server:
        provider = OpenAIProvider("scripted", base_url=server.base_url)

As a pytest fixture (import ``scripted_server`` into a test module or conftest)::

    def test_x(scripted_server):
        server = scripted_server(lambda request: "```python\\ndef f(): ...\\n```")
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_MODEL = "scripted-model"


@dataclass(frozen=True)
class ScriptedError:
    """Answer with an HTTP error; ``body`` defaults to an OpenAI-style error object."""

    status: int
    message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()
"""Close the connection without sending a response (a dropped connection)."""


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before giving ``reply``."""

    seconds: float
    reply: Reply


@dataclass(frozen=True)
class RawBody:
    """Answer 200 with this exact body (e.g. JSON that is not a chat completion)."""

    text: str


Reply = str | ScriptedError | _Drop | Delay | RawBody
Script = Callable[[dict[str, Any]], Reply]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    """Lower-cased header names."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def last_user_message(self) -> str:
        users = [m["content"] for m in self.messages if m.get("role") == "user"]
        return str(users[-1]) if users else ""

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))


def replies(*items: Reply) -> Script:
    """A script giving ``items`` in order, one per chat request; the last one repeats."""
    if not items:
        raise ValueError("replies() needs at least one reply")
    lock = threading.Lock()
    position = [0]

    def script(_request: dict[str, Any]) -> Reply:
        with lock:
            index = min(position[0], len(items) - 1)
            position[0] += 1
        return items[index]

    return script


def failing_first(times: int, failure: Reply, then: Script | str) -> Script:
    """A script that answers ``failure`` to the first ``times`` requests, then ``then``."""
    lock = threading.Lock()
    seen = [0]
    follow: Script = then if callable(then) else (lambda _request: then)

    def script(request: dict[str, Any]) -> Reply:
        with lock:
            seen[0] += 1
            fail = seen[0] <= times
        return failure if fail else follow(request)

    return script


def count_tokens(text: str) -> int:
    """The server's usage numbers: whitespace-separated words (deterministic, easy to check)."""
    return len(text.split())


class ScriptedServer:
    """The loopback server; start with ``with`` or ``start()``/``stop()``."""

    def __init__(
        self,
        script: Script,
        *,
        latency_s: float = 0.0,
        models: tuple[str, ...] = (DEFAULT_MODEL,),
        finish_reason: str = "stop",
        models_error: ScriptedError | None = None,
    ) -> None:
        self.script = script
        self.models_error = models_error
        """When set, `GET /models` answers this error (a server that is up but unhealthy)."""
        self.latency_s = latency_s
        self.models = models
        self.finish_reason = finish_reason
        self.requests: list[RecordedRequest] = []
        self.script_errors: list[BaseException] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> ScriptedServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # what tests look at ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the scripted server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # called by the handler threads -----------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_state: ScriptedServer
    timeout = 30  # idle keep-alive connections close after this

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr logging
        return

    def do_GET(self) -> None:
        state = self.server_state
        state._record(
            RecordedRequest(self.path, {}, {k.lower(): v for k, v in self.headers.items()})
        )
        if self.path.rstrip("/").endswith("/models") and state.models_error is not None:
            self._send_error(state.models_error)
        elif self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "scripted"} for m in state.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_error(ScriptedError(404, f"no route {self.path}"))

    def do_POST(self) -> None:
        state = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send_error(ScriptedError(400, "request body is not JSON"))
            return
        state._record(
            RecordedRequest(self.path, body, {k.lower(): v for k, v in self.headers.items()})
        )
        if not self.path.rstrip("/").endswith("/completions"):
            self._send_error(ScriptedError(404, f"no route {self.path}"))
            return
        state._enter()
        try:
            self._answer_chat(state, body)
        finally:
            state._leave()

    def _answer_chat(self, state: ScriptedServer, body: dict[str, Any]) -> None:
        if state.latency_s:
            time.sleep(state.latency_s)
        model = str(body.get("model", ""))
        if model not in state.models:
            self._send_error(
                ScriptedError(404, f"The model `{model}` does not exist."), code="model_not_found"
            )
            return
        try:
            reply = state.script(body)
        except Exception as exc:  # a broken script is the test's bug: make it visible
            state.script_errors.append(exc)
            self._send_error(ScriptedError(500, f"script raised {exc!r}"))
            return
        while isinstance(reply, Delay):
            time.sleep(reply.seconds)
            reply = reply.reply
        if isinstance(reply, _Drop):
            self.close_connection = True
            return
        if isinstance(reply, ScriptedError):
            self._send_error(reply)
            return
        if isinstance(reply, RawBody):
            self._send_bytes(200, reply.text.encode())
            return
        prompt_text = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        if "prompt" in body:
            prompt_text = str(body["prompt"])
        prompt_tokens, completion_tokens = count_tokens(prompt_text), count_tokens(reply)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if "prompt" in body:  # legacy completions endpoint
            choice = {"index": 0, "text": reply, "logprobs": None, "finish_reason": state.finish_reason}
            self._send_json(
                200,
                {
                    "id": f"cmpl-scripted-{len(state.requests)}",
                    "object": "text_completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [choice],
                    "usage": usage,
                },
            )
            return
        self._send_json(
            200,
            {
                "id": f"chatcmpl-scripted-{len(state.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply},
                        "finish_reason": state.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _send_error(self, error: ScriptedError, code: str | None = None) -> None:
        payload = {"error": {"message": error.message, "type": "scripted_error", "code": code}}
        self._send_json(error.status, payload, error.headers)

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), headers)

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout): fine


@pytest.fixture
def scripted_server() -> Iterator[Callable[..., ScriptedServer]]:
    """Factory fixture: ``scripted_server(script, latency_s=..., models=...)`` -> a running server."""
    started: list[ScriptedServer] = []

    def start(script: Script, **options: Any) -> ScriptedServer:
        server = ScriptedServer(script, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
