"""A local provider server for tests and benchmarks, and stream builders.

``LocalProvider`` is an aiohttp app on 127.0.0.1 that speaks OpenAI's chat-completions wire
format byte for byte: it checks ``Authorization``, streams SSE in realistic network pieces
(random 1-16 KiB writes by default), answers non-streaming requests with the JSON
``chat.completion`` the same script adds up to (content, reasoning, tool calls, usage), and
injects faults (``Fault``). It can play a script of chunk objects or a recorded body as it is.

    async with LocalProvider(api_key="sk-test") as server:
        async with LlmClient(api_key="sk-test", base_url=server.base_url) as client:
            async with await client.chat_stream("openai/gpt-4o", messages) as stream:
                async for chunk in stream:
                    ...
        assert server.completed == 1

What the server saw and did, for assertions:

- ``requests``: every request (``RecordedRequest``: method, path, headers, parsed JSON body);
- ``completed``: streams sent to their end; ``disconnects``: streams the client closed first
  (``disconnected``, an ``asyncio.Event``, is set at the first one);
- ``active`` / ``max_active``: streams being sent now / the most at the same time.

The server runs with aiohttp's ``handler_cancellation=True``, so a client that leaves shows
at once in ``disconnects``; aiohttp's own default is off (a handler then runs to its end).

``python -m literllm.testing --port 8011`` runs it from the command line (the benchmark starts
it that way, in its own process). A model named ``chunks-N`` streams N generated chunks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import signal
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._parsers._eventstream_encoder import encode_event_message
from .bench.workloads import openai_chat_stream, openai_chunk_objects, split_random

__all__ = [
    "Fault",
    "LocalProvider",
    "RecordedRequest",
    "encode_event_message",
    "openai_chat_stream",
    "openai_chunk_objects",
    "split_random",
    "sse_body",
]

DEFAULT_PIECES = (1024, 16 * 1024)
_CHUNKS_MODEL = re.compile(r"(?:^|/)chunks-(\d+)$")
_AUTH_ERROR = {
    "error": {
        "message": "Incorrect API key provided.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}


def sse_body(objects: Iterable[Any], *, done: bool = True) -> bytes:
    """An SSE body of ``data:`` events, one per JSON object, then ``data: [DONE]``."""
    parts = [
        b"data: " + json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
        for o in objects
    ]
    if done:
        parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def _events(body: bytes) -> list[bytes]:
    """Split an SSE body into its events (each keeping its blank-line terminator)."""
    events = re.split(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)", body)
    return [e for e in events if e]


@dataclass
class Fault:
    """What the server does wrong, for the first ``times`` requests (all when ``None``).

    Event numbers count from 0 over the body's SSE events (``[DONE]`` included).
    """

    status: int | None = None
    """Answer with this HTTP status and ``body`` instead of a stream."""
    body: Any = None
    """The error body: a dict/list is sent as JSON, bytes/str as they are."""
    retry_after: str | None = None
    """A ``Retry-After`` header for the error answer."""
    content_type: str | None = None
    """Answer 200 with ``body`` under this content type instead of ``text/event-stream``."""
    cut_after_events: int | None = None
    """Close the connection (no end of body) after this many events."""
    cut_mid_event: int | None = None
    """Send the first half of this event, then close the connection."""
    stall_after_events: int | None = None
    """After this many events, send nothing more for ``stall_seconds``."""
    stall_seconds: float = 3600.0
    ping_while_stalled: float | None = None
    """While stalled, send an SSE comment (``: ping``) every this many seconds."""
    malformed_at: int | None = None
    """Replace this event's data with invalid JSON."""
    error_at: int | None = None
    """Replace this event with ``data: {"error": error_object}``."""
    error_object: dict[str, Any] = field(
        default_factory=lambda: {"message": "The server had an error.", "type": "server_error"}
    )
    """The error sent by ``error_at``, shaped as OpenAI's: ``{"message": str, "type": str}``,
    optionally ``"code"`` (a string, or an HTTP status as an int) and ``"param"``. The
    client types it by status: ``{"type": "rate_limit_exceeded"}`` or ``{"code": 429}``
    raises ``StreamRateLimitError``, ``server_error`` ``StreamServerError``, ..."""
    no_done: bool = False
    """Leave out ``data: [DONE]``."""
    times: int | None = None
    """Apply the fault to this many requests, then answer normally (``None``: to all)."""


@dataclass
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


class LocalProvider:
    """An OpenAI-compatible chat-completions server on 127.0.0.1 (see the module docstring).

    Args:
        api_key: the key clients must send (``None``: no auth check).
        chunks: chunk objects to stream (default: 50 generated ones).
        body: a recorded SSE body to stream as it is (wins over ``chunks``).
        pieces: (low, high) sizes of the random writes the body is cut into.
        fault: what to do wrong (see ``Fault``); may be changed between requests.
        delay: seconds to wait between two writes (0: none).
    """

    def __init__(
        self,
        *,
        api_key: str | None = "sk-local-test",
        chunks: Sequence[Any] | None = None,
        body: bytes | None = None,
        pieces: tuple[int, int] = DEFAULT_PIECES,
        fault: Fault | None = None,
        delay: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.api_key = api_key
        self.body = body if body is not None else sse_body(
            chunks if chunks is not None else openai_chunk_objects(50, seed=seed)
        )
        self.pieces = pieces
        self.fault = fault
        self.delay = delay
        self.seed = seed
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        """Streams the client closed before the server had finished them."""
        self.disconnected = asyncio.Event()
        self.completed = 0
        """Streams sent to the end."""
        self.active = 0
        """Streams being sent right now."""
        self.max_active = 0
        """The most streams that were being sent at the same time."""
        self._faulted = 0
        self._generated: dict[int, bytes] = {}
        self._split_cache: dict[int, tuple[bytes, list[bytes]]] = {}
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)
        self.port = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, as a client's ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self, *, port: int = 0) -> str:
        """Listen on 127.0.0.1 (``port`` 0: any free port); returns ``base_url``."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.base_url

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalProvider:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _current_fault(self) -> Fault | None:
        fault = self.fault
        if fault is None:
            return None
        if fault.times is not None:
            if self._faulted >= fault.times:
                return None
            self._faulted += 1
        return fault

    def _body_for(self, model: str) -> bytes:
        match = _CHUNKS_MODEL.search(model)
        if not match:
            return self.body
        n = int(match.group(1))
        if n not in self._generated:
            self._generated[n] = openai_chat_stream(n, seed=self.seed)
        return self._generated[n]

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.headers), payload)
        )
        request_id = f"req_{next(self._ids):06d}"
        if self.api_key is not None and request.headers.get("Authorization") != (
            f"Bearer {self.api_key}"
        ):
            return web.json_response(_AUTH_ERROR, status=401, headers={"x-request-id": request_id})
        if not isinstance(payload, dict) or "messages" not in payload:
            return web.json_response(
                {"error": {"message": "messages is required", "type": "invalid_request_error"}},
                status=400,
            )
        fault = self._current_fault()
        if fault is not None and (fault.status is not None or fault.content_type is not None):
            return self._fault_response(fault, request_id)
        body = self._body_for(str(payload.get("model", "")))
        if not payload.get("stream"):
            return web.json_response(_completion(body), headers={"x-request-id": request_id})
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            return await self._stream(request, body, fault, request_id)
        finally:
            self.active -= 1

    def _fault_response(self, fault: Fault, request_id: str) -> web.Response:
        headers = {"x-request-id": request_id}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        body = fault.body
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
            content_type = fault.content_type or "application/json"
        else:
            data = body.encode() if isinstance(body, str) else (body or b"")
            content_type = fault.content_type or "text/plain"
        return web.Response(
            status=fault.status or 200, body=data, content_type=content_type, headers=headers
        )

    async def _stream(
        self, request: web.Request, body: bytes, fault: Fault | None, request_id: str
    ) -> web.StreamResponse:
        # Without a fault the cached pieces are written as they are; with one, the body is
        # re-cut into its events and changed as the fault says.
        response = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "x-request-id": request_id,
            },
        )
        if fault is None:
            # The common case (and the benchmark's): the same pieces every time.
            await response.prepare(request)
            try:
                await self._write(response, self._pieces(body))
                await response.write_eof()
            except (asyncio.CancelledError, ConnectionError):
                self._client_left()
                raise
            self.completed += 1
            return response
        events = _events(body)
        cut = False
        stall: int | None = None
        if fault.no_done:
            events = [e for e in events if not e.startswith(b"data: [DONE]")]
        if fault.malformed_at is not None and fault.malformed_at < len(events):
            events[fault.malformed_at] = b'data: {"id": "broken", "choices": [\n\n'
        if fault.error_at is not None and fault.error_at < len(events):
            error = json.dumps({"error": fault.error_object}).encode()
            events[fault.error_at] = b"data: " + error + b"\n\n"
        if fault.cut_after_events is not None:
            events = events[: fault.cut_after_events]
            cut = True
        if fault.cut_mid_event is not None:
            half = events[fault.cut_mid_event]
            events = [*events[: fault.cut_mid_event], half[: len(half) // 2]]
            cut = True
        if fault.stall_after_events is not None:
            stall = fault.stall_after_events
        await response.prepare(request)
        try:
            head = events if stall is None else events[:stall]
            await self._write(response, self._split(b"".join(head)))
            if stall is not None:
                await self._stall(response, fault)
                await self._write(response, self._split(b"".join(events[stall:])))
            if cut:
                assert request.transport is not None
                request.transport.close()
                return response
            await response.write_eof()
            self.completed += 1
        except (asyncio.CancelledError, ConnectionError):
            self._client_left()
            raise
        return response

    def _client_left(self) -> None:
        self.disconnects += 1
        self.disconnected.set()

    def _pieces(self, body: bytes) -> list[bytes]:
        key = id(body)
        cached = self._split_cache.get(key)
        if cached is None or cached[0] is not body:
            cached = (body, self._split(body))
            self._split_cache[key] = cached
        return cached[1]

    def _split(self, data: bytes) -> list[bytes]:
        return split_random(data, *self.pieces, seed=self.seed)

    async def _write(self, response: web.StreamResponse, pieces: list[bytes]) -> None:
        for piece in pieces:
            await response.write(piece)
            if self.delay:
                await asyncio.sleep(self.delay)

    async def _stall(self, response: web.StreamResponse, fault: Fault) -> None:
        if fault.ping_while_stalled is None:
            await asyncio.sleep(fault.stall_seconds)
            return
        loop = asyncio.get_running_loop()
        until = loop.time() + fault.stall_seconds
        while loop.time() < until:
            await asyncio.sleep(fault.ping_while_stalled)
            await response.write(b": ping\n\n")


def _completion(body: bytes) -> dict[str, Any]:
    """The non-streaming reply equivalent to a streamed body: content, reasoning, tool calls
    (merged by index, arguments joined), finish reason and usage of choice 0."""
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    first: dict[str, Any] = {}
    finish = None
    usage = None
    for event in _events(body):
        data = event.strip()[len(b"data: ") :]
        if data == b"[DONE]":
            continue
        obj = json.loads(data)
        first = first or obj
        usage = obj.get("usage") or usage
        for choice in obj.get("choices", ()):
            delta = choice.get("delta") or {}
            content.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            for call in delta.get("tool_calls") or ():
                entry = calls.setdefault(
                    call.get("index", 0),
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                entry["id"] = entry["id"] or call.get("id") or ""
                function = call.get("function") or {}
                entry["function"]["name"] += function.get("name") or ""
                entry["function"]["arguments"] += function.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content) or None}
    if any(reasoning):
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = [calls[index] for index in sorted(calls)]
    message["refusal"] = None
    return {
        "id": first.get("id", "chatcmpl-local"),
        "object": "chat.completion",
        "created": first.get("created", 0),
        "model": first.get("model", "local"),
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish or "stop"}
        ],
        "usage": usage,
        "system_fingerprint": first.get("system_fingerprint"),
    }


async def _serve(args: argparse.Namespace) -> None:
    server = LocalProvider(
        api_key=args.api_key or None,
        chunks=list(openai_chunk_objects(args.chunks)),
        pieces=(args.low, args.high),
    )
    await server.start(port=args.port)
    print(f"READY {server.base_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m literllm.testing", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="sk-local-test")
    parser.add_argument("--chunks", type=int, default=50, help="chunks of the default script")
    parser.add_argument("--low", type=int, default=DEFAULT_PIECES[0], help="smallest write")
    parser.add_argument("--high", type=int, default=DEFAULT_PIECES[1], help="largest write")
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
