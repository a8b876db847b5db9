"""The local provider server: routes every wire format, records requests, injects faults."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp import web

from ..errors import UnknownProviderError
from ..formats import format_for_content_type
from ..providers import get_provider
from ._builders import (
    ScriptedReply,
    openai_chat_stream,
    openai_chunk_objects,
    split_random,
    text_reply,
)
from ._wire import WireFormat, wire_of, wires_of_registry
from .openai import completion_from_stream, sse_body

__all__ = ["WIRE_FORMATS", "Fault", "LocalProvider", "RecordedRequest", "default_reply"]

DEFAULT_PIECES = (1024, 16 * 1024)
_CHUNKS_MODEL = re.compile(r"(?:^|/)chunks-(\d+)(?::\w+)?$")
WIRE_FORMATS: dict[str, WireFormat] = wires_of_registry()
"""Every wire the provider registry names (and their variants), by name."""


def default_reply(seed: int = 0) -> ScriptedReply:
    """The reply every format streams by default: the text of the default OpenAI script."""
    objects = list(openai_chunk_objects(50, seed=seed))
    text = [o["choices"][0]["delta"].get("content") for o in objects if o["choices"]]  # type: ignore[index]
    return ScriptedReply(
        text=[t for t in text if t], prompt_tokens=78, completion_tokens=47,
        id="msg_local_default", model="local-model",
    )


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
    """While stalled, send the wire format's keep-alive bytes (an SSE ``: ping`` comment, an
    NDJSON blank line; EventStream has none) every this many seconds."""
    malformed_at: int | None = None
    """Replace this event with one whose JSON is cut short."""
    error_at: int | None = None
    """Replace this event with the provider's mid-stream error form carrying
    ``error_object`` (OpenAI: ``data: {"error": error_object}``; Anthropic: an ``error``
    event; Bedrock: an exception frame whose ``:exception-type`` is its ``type``; ...)."""
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


def counted(fault: Fault, used: int) -> tuple[bool, int]:
    """Whether ``fault`` applies to one more request after ``used`` uses (its ``times``),
    and the uses then."""
    if fault.times is None:
        return True, used
    return (True, used + 1) if used < fault.times else (False, used)


def fault_answer(fault: Fault) -> tuple[int, bytes, str, dict[str, str]]:
    """What a fault with a ``status`` or ``content_type`` answers instead of the stream:
    status, body, content type and headers."""
    headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
    body = fault.body
    if isinstance(body, dict | list):
        data = json.dumps(body).encode()
        content_type = fault.content_type or "application/json"
    else:
        data = body.encode() if isinstance(body, str) else (body or b"")
        content_type = fault.content_type or "text/plain"
    return fault.status or 200, data, content_type, headers


def faulted_events(
    wire: WireFormat, body: bytes, fault: Fault
) -> tuple[list[bytes], bool, int | None]:
    """A stream body's events changed as ``fault`` says; whether the connection is then cut
    (instead of the body ending), and after how many events it stalls (if it does)."""
    events = wire.split_events(body)
    cut = False
    if fault.no_done:
        events = [e for e in events if not wire.is_terminal(e)]
    if fault.malformed_at is not None and fault.malformed_at < len(events):
        events[fault.malformed_at] = wire.malformed_event()
    if fault.error_at is not None and fault.error_at < len(events):
        events[fault.error_at] = wire.error_event(fault.error_object)
    if fault.cut_after_events is not None:
        events = events[: fault.cut_after_events]
        cut = True
    if fault.cut_mid_event is not None:
        half = events[fault.cut_mid_event]
        events = [*events[: fault.cut_mid_event], half[: len(half) // 2]]
        cut = True
    return events, cut, fault.stall_after_events


_CREDENTIAL_HEADERS = frozenset({
    "authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key",
    "x-amz-security-token", "cookie",
})
_CREDENTIAL_QUERY = re.compile(r"(?i)([?&](?:key|api[-_]?key|sig|signature|token)=)[^&]*")


def _redact_header(name: str, value: str) -> str:
    if name.lower() not in _CREDENTIAL_HEADERS:
        return value
    scheme, space, _rest = value.partition(" ")
    # Keep the scheme (Bearer, AWS4-HMAC-SHA256) so a log still says how it authenticated.
    return f"{scheme} [redacted]" if space and scheme.isascii() and len(scheme) < 24 else (
        "[redacted]")


@dataclass(repr=False)
class RecordedRequest:
    """A request the server received, as it came (``headers`` hold the credentials, for
    asserting what was sent); ``repr()`` and ``redacted()`` hide them, so a failing
    assertion or a saved log never shows a key."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any

    def redacted(self) -> dict[str, Any]:
        """This request as plain data with credentials (auth headers, ``key=`` query
        parameters) replaced by ``[redacted]``: safe to print, log or save."""
        return {
            "method": self.method,
            "path": _CREDENTIAL_QUERY.sub(r"\1[redacted]", self.path),
            "headers": {name: _redact_header(name, value)
                        for name, value in self.headers.items()},
            "json": self.json,
        }

    def __repr__(self) -> str:
        shown = self.redacted()
        return (f"RecordedRequest(method={shown['method']!r}, path={shown['path']!r}, "
                f"headers={shown['headers']!r}, json={shown['json']!r})")


class LocalProvider:
    """A local server speaking every supported provider's wire format (see the module docs).

    Args:
        api_key: the key clients must send, each format in its own header (``None``: no auth
            check). For Bedrock, a well-formed SigV4 ``Authorization`` whose credential is
            this key as the access key id, or ``Bearer <key>`` (a Bedrock API key).
        chunks: OpenAI chunk objects to stream on the OpenAI endpoints (default: 50 generated).
        reply: a ``ScriptedReply`` every format streams in its own shape (default: the text
            of the default OpenAI script); also the non-streaming answer. Or a sequence of
            them, one per answered chat request in the order they arrive (a multi-turn test's
            script; a request a fault answers with its status takes none): a request after
            the last gets a 500 whose error says the script ran out. Either
            may be replaced between requests (``server.reply = ...``); assigning restarts a
            sequence.
        body: a recorded body to stream as it is on every endpoint (wins over the others).
        pieces: (low, high) sizes of the random writes the body is cut into.
        fault: what to do wrong (see ``Fault``), or a sequence of them, one per chat request
            in order (``None`` in it: answer that one normally; after the sequence, all are
            answered normally); may be replaced between requests.
        delay: seconds to wait between two writes (0: none).

    ``requests`` lists what was received (``RecordedRequest``; ``request_log()`` gives the
    same with credentials redacted); ``completed`` counts streams sent to their end,
    ``disconnects`` streams the client left before that.
        ssl_context: an ``ssl.SSLContext`` to serve HTTPS with (``base_url`` is then https).
        recordings: a folder of recordings (``Cassette``'s) to answer from: each request
            gets the recording of the same request (format, model and body); one none
            matches gets a 404 naming the nearest. Replies and faults are then unused.
    """

    def __init__(
        self,
        *,
        api_key: str | None = "sk-local-test",
        chunks: Sequence[Any] | None = None,
        reply: ScriptedReply | Sequence[ScriptedReply] | None = None,
        body: bytes | None = None,
        pieces: tuple[int, int] = DEFAULT_PIECES,
        fault: Fault | Sequence[Fault | None] | None = None,
        delay: float = 0.0,
        seed: int = 0,
        ssl_context: Any = None,
        recordings: str | os.PathLike[str] | None = None,
    ) -> None:
        self.api_key = api_key
        self.recordings = None
        if recordings is not None:
            from ._transport import RecordingFolder

            self.recordings = RecordingFolder(recordings)
        self.ssl_context = ssl_context
        self.body = body
        self._chat_requests = 0
        self._replies_served = 0
        self.reply = reply
        self.chunks = list(chunks) if chunks is not None else None
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
        self._rendered: dict[tuple[str, str, int], bytes] = {}
        self._split_cache: dict[int, tuple[bytes, list[bytes]]] = {}
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)
        self.port = 0

    @property
    def reply(self) -> ScriptedReply | Sequence[ScriptedReply] | None:
        """The scripted reply, or the sequence of them (see the class)."""
        return self._reply

    @reply.setter
    def reply(self, value: ScriptedReply | Sequence[ScriptedReply] | None) -> None:
        self._reply = value
        self._reply_base = self._replies_served  # a new sequence starts at the next reply

    @property
    def fault(self) -> Fault | Sequence[Fault | None] | None:
        """The fault, or the sequence of them (see the class)."""
        return self._fault

    @fault.setter
    def fault(self, value: Fault | Sequence[Fault | None] | None) -> None:
        self._fault = value
        self._fault_base = self._chat_requests
        self._faulted = 0

    def request_log(self) -> list[dict[str, Any]]:
        """The requests received so far with credentials redacted (``RecordedRequest
        .redacted()``), oldest first: safe to print or save."""
        return [request.redacted() for request in self.requests]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: an OpenAI-style ``base_url``."""
        return f"{self.root_url}/v1"

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``: the ``base_url`` for every other provider (their SDKs
        append ``/v1/messages``, ``/v1beta/models/...``, ``/model/...``, ``/v2/chat``)."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url_for(self, provider: str) -> str:
        """The ``base_url`` a client uses for ``provider`` here."""
        wire = wires_of_registry().get(provider)
        if wire is None:
            try:
                wire = wire_of(get_provider(provider), "")
            except UnknownProviderError:
                return self.base_url
        return self.root_url + getattr(wire, "base_path", "")

    async def start(self, *, port: int = 0) -> str:
        """Listen on 127.0.0.1 (``port`` 0: any free port); returns ``base_url``."""
        app = web.Application()
        for wire in wires_of_registry().values():  # providers registered since, too
            for route in wire.routes():
                app.router.add_post(route, partial(self._chat, wire))
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, "127.0.0.1", port, backlog=1024, ssl_context=self.ssl_context
        )
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

    def _current_fault(self, number: int) -> Fault | None:
        fault: Fault | Sequence[Fault | None] | None = self._fault
        if fault is None:
            return None
        if not isinstance(fault, Fault):
            index = number - self._fault_base
            fault = fault[index] if index < len(fault) else None
            if fault is None:
                return None
        applies, self._faulted = counted(fault, self._faulted)
        return fault if applies else None

    def _scripted(self) -> ScriptedReply | _ScriptEnded | None:
        # Requests answered with a fault's status take no reply: the script is what the
        # requests that are answered get, in order.
        reply = self._reply
        if reply is None or isinstance(reply, ScriptedReply):
            return reply
        index = self._replies_served - self._reply_base
        self._replies_served += 1
        return reply[index] if index < len(reply) else _ScriptEnded(len(reply), index + 1)

    def _reply_for(self, model: str, reply: ScriptedReply | None) -> ScriptedReply:
        match = _CHUNKS_MODEL.search(model)
        if match:
            return text_reply(int(match.group(1)), seed=self.seed)
        return reply or default_reply(self.seed)

    def _body_for(self, wire: WireFormat, model: str, reply: ScriptedReply | None) -> bytes:
        if self.body is not None:
            return self.body
        match = _CHUNKS_MODEL.search(model)
        n = int(match.group(1)) if match else -1
        key = (wire.name, "" if match else model, n)
        if wire.name == "openai" and reply is None:
            if match:
                key = (wire.name, "", n)
                if key not in self._rendered:
                    self._rendered[key] = openai_chat_stream(n, seed=self.seed)
                return self._rendered[key]
            return sse_body(self.chunks or openai_chunk_objects(50, seed=self.seed))
        if reply is not None:
            return wire.stream_body(self._reply_for(model, reply))
        if key not in self._rendered:
            self._rendered[key] = wire.stream_body(self._reply_for(model, None))
        return self._rendered[key]

    async def _chat(self, wire: WireFormat, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        self.requests.append(
            RecordedRequest(request.method, request.raw_path, dict(request.headers), payload)
        )
        request_id = f"req_{next(self._ids):06d}"
        ids = {"x-request-id": request_id, "request-id": request_id,
               "x-amzn-RequestId": request_id}
        if self.api_key is not None and not wire.authorized(request.headers, self.api_key):
            status, error = wire.auth_error()
            return web.json_response(error, status=status, headers=ids)
        problem = wire.problem(request.query, payload)
        if problem is not None:
            return web.json_response(wire.request_error(problem), status=400, headers=ids)
        if self.recordings is not None:
            return await self._recorded(wire, request, raw, payload, ids)
        number = self._chat_requests
        self._chat_requests += 1
        fault = self._current_fault(number)
        if fault is not None and (fault.status is not None or fault.content_type is not None):
            return self._fault_response(fault, request_id)
        reply = self._scripted()
        if isinstance(reply, _ScriptEnded):
            return web.json_response({"error": {
                "message": f"the local server's scripted replies ran out: {reply.given} given, "
                           f"this request would take reply {reply.wanted}",
                "type": "server_error"}}, status=500, headers=ids)
        model = wire.model(request.match_info, payload)
        if not wire.wants_stream(request.path, request.query, payload):
            if wire.name in ("openai", "azure") and reply is None:
                answer = completion_from_stream(
                    self._body_for(WIRE_FORMATS["openai"], model, None))
            else:
                answer = wire.completion(self._reply_for(model, reply))
            return web.json_response(answer, headers=ids)
        body = self._body_for(wire, model, reply)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            return await self._stream(request, wire, body, fault, ids)
        finally:
            self.active -= 1

    async def _recorded(
        self, wire: WireFormat, request: web.Request, raw: bytes, payload: Any,
        ids: dict[str, str],
    ) -> web.StreamResponse:
        from ..transport import TransportRequest
        from ._transport import recorded_response

        assert self.recordings is not None
        model = wire.model(request.match_info, payload)
        stream = wire.wants_stream(request.path, request.query, payload)
        path = self.recordings.find_received(wire.name, model, payload)
        if path is None:
            sent = TransportRequest(wire.name, model, request.method, request.path, {}, raw,
                                    stream)
            return web.json_response({"error": {
                "message": self.recordings.no_match(sent, 0), "type": "not_found_error",
            }}, status=404, headers=ids)
        recorded = recorded_response(path, lambda data: [data], 0.0)
        body = await recorded.content.read()
        headers = {**ids, **recorded.headers}
        if not 200 <= recorded.status < 300 or not stream:
            return web.Response(status=recorded.status, body=body, headers=headers)
        response = web.StreamResponse(status=recorded.status, headers=headers)
        return await self._send_whole(request, response, self._split(body))

    def _fault_response(self, fault: Fault, request_id: str) -> web.Response:
        status, data, content_type, headers = fault_answer(fault)
        return web.Response(
            status=status, body=data, content_type=content_type,
            headers={"x-request-id": request_id, **headers},
        )

    async def _stream(
        self,
        request: web.Request,
        wire: WireFormat,
        body: bytes,
        fault: Fault | None,
        ids: dict[str, str],
    ) -> web.StreamResponse:
        # Without a fault the cached pieces are written as they are; with one, the body is
        # re-cut into its events and changed as the fault says.
        response = web.StreamResponse(
            status=200,
            headers={"Content-Type": wire.content_type, "Cache-Control": "no-cache", **ids},
        )
        if fault is None:
            # The common case (and the benchmark's): the same pieces every time.
            return await self._send_whole(request, response, self._pieces(body))
        events, cut, stall = faulted_events(wire, body, fault)
        await response.prepare(request)
        sent = False
        try:
            head = events if stall is None else events[:stall]
            await self._write(response, self._split(b"".join(head)))
            if stall is not None:
                await self._stall(response, fault, wire)
                await self._write(response, self._split(b"".join(events[stall:])))
            if cut:
                assert request.transport is not None
                request.transport.close()
                return response
            sent = True
            await response.write_eof()
            self.completed += 1
        except (asyncio.CancelledError, ConnectionError):
            self._stream_ended(sent)
            raise
        return response

    async def _send_whole(
        self, request: web.Request, response: web.StreamResponse, pieces: list[bytes]
    ) -> web.StreamResponse:
        """Write a body to its end, counted as completed (or as a disconnect)."""
        await response.prepare(request)
        sent = False
        try:
            await self._write(response, pieces)
            sent = True
            await response.write_eof()
        except (asyncio.CancelledError, ConnectionError):
            self._stream_ended(sent)
            raise
        self.completed += 1
        return response

    def _stream_ended(self, whole_body_sent: bool) -> None:
        # A client that read the terminal event may close before the server's end of body:
        # that stream was delivered, not abandoned.
        if whole_body_sent:
            self.completed += 1
            return
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
        last = len(pieces) - 1
        for index, piece in enumerate(pieces):
            await response.write(piece)
            if self.delay and index != last:  # between writes, not after the body's end
                await asyncio.sleep(self.delay)

    async def _stall(self, response: web.StreamResponse, fault: Fault, wire: WireFormat) -> None:
        if fault.ping_while_stalled is None:
            await asyncio.sleep(fault.stall_seconds)
            return
        loop = asyncio.get_running_loop()
        until = loop.time() + fault.stall_seconds
        while loop.time() < until:
            await asyncio.sleep(fault.ping_while_stalled)
            # The format's own keep-alive (an SSE comment is a malformed line in NDJSON).
            await response.write(format_for_content_type(wire.content_type).keepalive)


@dataclass(frozen=True)
class _ScriptEnded:
    given: int
    wanted: int


def _replies_from(path: str) -> list[ScriptedReply]:
    """A JSON file of replies: one object or a list, each with ``ScriptedReply``'s fields
    (``text``/``reasoning`` as a string or a list of pieces, ``tool_calls`` as objects with
    ``id``, ``name`` and ``arguments``)."""
    from dataclasses import fields

    from ._builders import ScriptedToolCall

    with open(path, encoding="utf-8") as file:
        loaded = json.load(file)
    known = {f.name for f in fields(ScriptedReply)}
    replies = []
    for item in loaded if isinstance(loaded, list) else [loaded]:
        if not isinstance(item, dict) or item.keys() - known:
            raise SystemExit(f"--replies {path}: each reply is an object with fields of "
                             f"{sorted(known)}; got {item!r:.80}")
        values = dict(item)
        for name in ("text", "reasoning"):
            if isinstance(values.get(name), str):
                values[name] = [values[name]]
        values["tool_calls"] = [
            ScriptedToolCall(call["id"], call["name"],
                             [call["arguments"]] if isinstance(call.get("arguments"), str)
                             else list(call.get("arguments", [])))
            for call in values.get("tool_calls", [])
        ]
        replies.append(ScriptedReply(**values))
    return replies


def _fault_from(text: str) -> Fault:
    from dataclasses import fields

    try:
        values = json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"--fault: not JSON ({exc}); e.g. '{{\"status\": 429}}'") from None
    known = {f.name for f in fields(Fault)}
    if not isinstance(values, dict) or values.keys() - known:
        raise SystemExit(f"--fault: an object with fields of {sorted(known)}")
    return Fault(**values)


async def _serve(args: argparse.Namespace) -> None:
    body = None
    if args.body:
        with open(args.body, "rb") as file:
            body = file.read()
    server = LocalProvider(
        api_key=args.api_key or None,
        chunks=list(openai_chunk_objects(args.chunks)),
        reply=_replies_from(args.replies) if args.replies else None,
        body=body,
        pieces=(args.low, args.high),
        fault=_fault_from(args.fault) if args.fault else None,
        delay=args.delay,
        recordings=args.recordings,
    )
    await server.start(port=args.port)
    print(f"READY {server.url_for(args.wire)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m literllm.testing",
        description="Serve every supported wire format on 127.0.0.1 until interrupted; prints "
        "READY <base_url> once listening.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="sk-local-test",
                        help="the key clients must send ('' : none checked)")
    parser.add_argument("--wire", default="openai", choices=sorted(WIRE_FORMATS),
                        help="whose base_url READY prints (every format is served)")
    parser.add_argument("--replies", metavar="FILE", help="a JSON file of scripted replies "
                        "(one object, or a list served one per request)")
    parser.add_argument("--body", metavar="FILE",
                        help="a recorded response body to stream as it is on every endpoint")
    parser.add_argument("--recordings", metavar="DIR", help="a folder of recordings "
                        "(literllm.testing.Cassette's) to answer each request from")
    parser.add_argument("--fault", metavar="JSON", help="what to do wrong, as Fault's fields: "
                        "'{\"status\": 429, \"times\": 1}', '{\"cut_after_events\": 5}'")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds between two writes of a stream")
    parser.add_argument("--chunks", type=int, default=50, help="chunks of the default script")
    parser.add_argument("--low", type=int, default=DEFAULT_PIECES[0], help="smallest write")
    parser.add_argument("--high", type=int, default=DEFAULT_PIECES[1], help="largest write")
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0
