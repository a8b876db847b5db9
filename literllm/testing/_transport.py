"""``ReplayTransport`` and ``Cassette``: the real client, offline.

Both plug into ``LlmClient(transport=...)``: the client builds, signs and retries each request
as usual and reads each answer through the provider's own stream adapter, ``ChatStream``, its
idle timer, accumulation and errors; only the socket is replaced. So a test written against
them behaves as it would against the network.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._record import Recorder, read_sidecar
from .._replay import MAX_REPLAY_SIZE, read_regular_file
from .._version import __version__
from ..errors import ConfigurationError
from ..providers import get_provider
from ..transport import Network, TransportRequest, TransportResponse
from ._builders import ScriptedReply, split_random
from ._server import (
    Fault,
    counted,
    default_reply,
    fault_answer,
    faulted_events,
)
from ._wire import WireFormat, wire_of

__all__ = [
    "Cassette",
    "RecordingFolder",
    "ReplayMismatchError",
    "ReplayTransport",
    "wire_for",
]

# Response headers a recording keeps: what the client reads of a response. Nothing else
# goes to disk (a cookie or a signed URL could).
_KEPT_HEADERS = ("content-type", "retry-after", "retry-after-ms")
_MODES = ("once", "record", "replay")


class ReplayMismatchError(ConfigurationError):
    """The offline transport has no answer for a request: its scripted replies ran out, or no
    recording matches (the message names the nearest)."""


def wire_for(provider: str, model: str = "") -> WireFormat:
    """The wire format a provider's replies for ``model`` are written in: its registry
    entry's wire, or the variant of it for the stream adapter the provider's adapter uses for
    ``model`` (Anthropic's inside Vertex's or Bedrock's for Claude there, the Responses API
    for OpenAI's models that exist only there)."""
    entry = get_provider(provider)
    stream = entry.load_adapter().new_stream(model, None)
    return wire_of(entry, type(stream).__name__)


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower() in _KEPT_HEADERS or "request-id" in name.lower()
        or "requestid" in name.lower()
    }


def _headers(values: Mapping[str, str]) -> Mapping[str, str]:
    from multidict import CIMultiDict, CIMultiDictProxy

    return CIMultiDictProxy(CIMultiDict(values))


class _ReplayBody:
    """A body delivered from memory in pieces: then its end, a reset connection (a cut), or
    silence (a stall, until ``stall_seconds`` pass or the client gives up)."""

    def __init__(
        self,
        pieces: Iterable[bytes],
        *,
        delay: float = 0.0,
        cut: bool = False,
        stall_at: int | None = None,
        stall_seconds: float = 0.0,
    ) -> None:
        self._pieces = collections.deque(pieces)
        self._delay = delay
        self._cut = cut
        self._stall_at = stall_at
        self._stall_seconds = stall_seconds
        self._delivered = 0
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._eof = False
        self._rest = b""  # of a piece longer than the read that took it

    async def _pause(self, seconds: float) -> None:
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), seconds)
        except TimeoutError:
            pass
        finally:
            self._waiter = None
        if self._error is not None:
            raise self._error

    async def readany(self) -> bytes:
        if self._error is not None:
            raise self._error
        if self._rest:
            rest, self._rest = self._rest, b""
            return rest
        if self._stall_at is not None and self._delivered == self._stall_at:
            self._stall_at = None
            await self._pause(self._stall_seconds)
        if self._pieces:
            if self._delay and self._delivered:
                await self._pause(self._delay)
            self._delivered += 1
            return self._pieces.popleft()
        if self._cut:
            self._error = ConnectionResetError("the replayed connection was cut (Fault)")
            raise self._error
        self._eof = True
        return b""

    async def read(self, n: int = -1) -> bytes:
        """At most ``n`` bytes (the whole rest for ``n < 0``), as aiohttp's: waits for
        some; the rest of a longer piece is kept for the next read."""
        if n < 0:
            parts = []
            while piece := await self.readany():
                parts.append(piece)
            return b"".join(parts)
        if self._error is not None:
            raise self._error
        if not n:
            return b""
        piece = await self.readany()  # the rest of the last piece first
        self._rest = piece[n:]
        return piece[:n]

    def set_exception(self, exc: BaseException) -> None:
        self._error = exc
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def exception(self) -> BaseException | None:
        return self._error

    def is_eof(self) -> bool:
        return self._eof


@dataclass(repr=False)
class _ReplayResponse:
    status: int
    headers: Mapping[str, str]
    content: _ReplayBody

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    def release(self) -> None:
        self.content.set_exception(RuntimeError("the response was released"))

    def close(self) -> None:
        self.content.set_exception(RuntimeError("the response was closed"))

    def __repr__(self) -> str:
        return f"<replayed response {self.status} {self.content_type}>"


Answer = str | ScriptedReply | bytes | os.PathLike[str] | Fault | BaseException | None
"""One request's answer: reply text, a ``ScriptedReply`` (both written in the provider's
wire format), a body as it is (bytes), a recorded body (a path, with its sidecar's status
and content type), a ``Fault`` (a status, a cut, a stall, ... on the default reply), an
exception to raise instead of answering (``ConnectionRefusedError``, ``TimeoutError``), or
``None`` (the default reply)."""


class ReplayTransport:
    """Answers the client's requests in process, with no socket.

    ``answers`` is one answer for every request, a sequence of them (one per request, in
    order; a request after the last raises ``ReplayMismatchError``), a callable that picks an
    answer for each ``TransportRequest``, or the path of a recording folder (see ``Cassette``:
    each request gets the recording made of the same request). See ``Answer`` for what an
    answer can be. ``fault`` applies to every reply, as ``LocalProvider(fault=)`` does (a
    ``times`` counts requests). Bodies are delivered in random pieces of ``pieces`` bytes
    (seeded, like the local server's), ``delay`` seconds apart.

    Every request the client sent is in ``requests`` (``TransportRequest``, headers as sent;
    its ``repr`` leaves them out).
    """

    def __init__(
        self,
        answers: Answer | Sequence[Answer] | Callable[[TransportRequest], Answer] = None,
        *,
        fault: Fault | None = None,
        pieces: tuple[int, int] = (1024, 16 * 1024),
        delay: float = 0.0,
        seed: int = 0,
    ) -> None:
        self._folder: RecordingFolder | None = None
        if isinstance(answers, os.PathLike) and os.path.isdir(answers):
            self._folder = RecordingFolder(answers)
        self._answers = answers
        self.fault = fault
        self._faulted = 0
        self.pieces = pieces
        self.delay = delay
        self.seed = seed
        self.requests: list[TransportRequest] = []
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"<ReplayTransport requests={len(self.requests)}>"

    def _answer(self, request: TransportRequest) -> Answer:
        answers = self._answers
        if callable(answers) and not isinstance(answers, ScriptedReply | BaseException):
            return answers(request)
        if isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
            index = len(self.requests) - 1
            if index >= len(answers):
                raise ReplayMismatchError(
                    f"ReplayTransport: {len(answers)} answers given, this is request "
                    f"{index + 1} ({request!r})"
                )
            return answers[index]
        return answers

    async def send(self, request: TransportRequest, network: Network) -> TransportResponse:
        self.requests.append(request)
        if self._folder is not None:
            return self._folder.answer(request, self._split, self.delay)
        answer = self._answer(request)
        if isinstance(answer, BaseException):
            raise answer
        fault = answer if isinstance(answer, Fault) else self._current_fault()
        request_id = f"req_replay_{next(self._ids):06d}"
        ids = {"x-request-id": request_id, "request-id": request_id,
               "x-amzn-requestid": request_id}
        if fault is not None and (fault.status is not None or fault.content_type is not None):
            status, data, content_type, extra = fault_answer(fault)
            return self._response(status, {**ids, "content-type": content_type, **extra}, data)
        if isinstance(answer, os.PathLike):
            return recorded_response(answer, self._split, self.delay)
        wire = wire_for(request.provider, request.model)
        if isinstance(answer, bytes):
            body = answer
        else:
            reply = None if isinstance(answer, Fault) else (
                text_reply_of(answer) if isinstance(answer, str) else answer
            )
            if not request.stream:
                data = json.dumps(wire.completion(reply or default_reply(self.seed))).encode()
                return self._response(200, {**ids, "content-type": "application/json"}, data)
            body = wire.stream_body(reply or default_reply(self.seed))
        content_type = wire.content_type if request.stream else "application/json"
        headers = {**ids, "content-type": content_type}
        if fault is None or not request.stream:
            return self._response(200, headers, body)
        events, cut, stall = faulted_events(wire, body, fault)
        pieces = [piece for event in events for piece in self._split(event)]
        stall_at = None
        if stall is not None:
            stall_at = sum(len(self._split(event)) for event in events[:stall])
        return _ReplayResponse(200, _headers(headers), _ReplayBody(
            pieces, delay=self.delay, cut=cut, stall_at=stall_at,
            stall_seconds=fault.stall_seconds,
        ))

    def _current_fault(self) -> Fault | None:
        if self.fault is None:
            return None
        applies, self._faulted = counted(self.fault, self._faulted)
        return self.fault if applies else None

    def _split(self, data: bytes) -> list[bytes]:
        return split_random(data, *self.pieces, seed=self.seed) if data else []

    def _response(self, status: int, headers: Mapping[str, str], body: bytes) -> _ReplayResponse:
        return _ReplayResponse(
            status, _headers(headers), _ReplayBody(self._split(body), delay=self.delay)
        )


def text_reply_of(text: str) -> ScriptedReply:
    """Reply text as a script: streamed a word (and its space) at a time."""
    words = text.split(" ")
    pieces = [word + " " for word in words[:-1]] + [words[-1]]
    return ScriptedReply(text=[p for p in pieces if p] or [""], model="replay")


def recorded_response(
    path: str | os.PathLike[str], split: Callable[[bytes], list[bytes]], delay: float
) -> _ReplayResponse:
    """A recorded body as a response, with the status, content type and headers its
    sidecar gives (a body without one: 200, guessed from its first bytes)."""
    from ..formats import SSE, sniff_format

    body = read_regular_file(path, MAX_REPLAY_SIZE, what="recording")
    sidecar = read_sidecar(path) or {}
    headers = {str(k): str(v) for k, v in (sidecar.get("headers") or {}).items()}
    content_type = sidecar.get("content_type") or (sniff_format(body) or SSE).content_type
    headers.setdefault("content-type", str(content_type))
    request_id = sidecar.get("request_id")
    if isinstance(request_id, str):
        headers.setdefault("x-request-id", request_id)
    status = sidecar.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int):
        raise ConfigurationError(f"the sidecar of {os.fspath(path)!r}: status must be a number")
    return _ReplayResponse(status, _headers(headers), _ReplayBody(split(body), delay=delay))


def _wire_name(provider: Any, model: Any) -> str | None:
    try:
        return wire_for(provider, str(model or "")).name if isinstance(provider, str) else None
    except ConfigurationError:
        return None


def _pick(candidates: list[tuple[str, dict[str, Any]]], occurrence: int) -> str | None:
    """The recording of the ``occurrence``-th sending, else the last one before it."""
    best: tuple[int, str] | None = None
    for path, sidecar in candidates:
        number = sidecar.get("occurrence", 0)
        number = number if isinstance(number, int) else 0
        if number == occurrence:
            return path
        if number < occurrence and (best is None or number > best[0]):
            best = (number, path)
    return None if best is None else best[1]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _first_difference(recorded: Any, sent: Any, path: str = "") -> str | None:
    """Where two request bodies first differ, as ``messages[0].content: recorded ... sent
    ...``; ``None`` when they are equal."""
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in sorted(set(recorded) | set(sent), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in sent:
                return f"{where}: recorded, not sent"
            if key not in recorded:
                return f"{where}: sent, not recorded"
            found = _first_difference(recorded[key], sent[key], where)
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(sent, list):
        for index, (old, new) in enumerate(zip(recorded, sent, strict=False)):
            found = _first_difference(old, new, f"{path}[{index}]")
            if found:
                return found
        if len(recorded) != len(sent):
            return f"{path or 'the body'}: {len(recorded)} items recorded, {len(sent)} sent"
        return None
    if recorded != sent:
        shown = [repr(v) if len(repr(v)) <= 60 else repr(v)[:57] + "..." for v in (recorded, sent)]
        return f"{path or 'the body'}: recorded {shown[0]}, sent {shown[1]}"
    return None


class RecordingFolder:
    """A folder of recorded answers, each found again by the request that got it.

    A recording is ``{provider}-{fingerprint[:16]}-{n}`` with its format's suffix
    (``.sse``, ``.bin``, ``.ndjson``; ``.json`` for a body in none) and its sidecar
    ``.json``: the ``n``-th time (from 0) that request was sent, its fingerprint
    (``TransportRequest.fingerprint``: provider, model and body) and the request body. The
    same request sent more often than it was recorded gets its last recording again.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._seen: collections.Counter[str] = collections.Counter()

    def recordings(self) -> list[tuple[str, dict[str, Any]]]:
        """Every recording in the folder with its sidecar, by name."""
        if not os.path.isdir(self.path):
            return []
        found = []
        for name in sorted(os.listdir(self.path)):
            if name.endswith(".json") and os.path.exists(os.path.join(self.path, name[:-5])):
                continue  # a sidecar
            full = os.path.join(self.path, name)
            if not os.path.isfile(full):
                continue
            try:
                sidecar = read_sidecar(full)
            except ConfigurationError:
                continue
            if sidecar is not None and isinstance(sidecar.get("request_fingerprint"), str):
                found.append((full, sidecar))
        return found

    def next_occurrence(self, request: TransportRequest) -> int:
        fingerprint = request.fingerprint
        occurrence = self._seen[fingerprint]
        self._seen[fingerprint] += 1
        return occurrence

    def path_for(self, request: TransportRequest, occurrence: int, content_type: str) -> str:
        from ..formats import recording_suffix

        suffix = recording_suffix(content_type)
        name = f"{request.provider}-{request.fingerprint[:16]}-{occurrence}{suffix}"
        return os.path.join(self.path, name)

    def find(self, request: TransportRequest, occurrence: int) -> str | None:
        """The recording of this request's ``occurrence``-th sending (or its last one)."""
        fingerprint = request.fingerprint
        return _pick(
            [(path, sidecar) for path, sidecar in self.recordings()
             if sidecar.get("request_fingerprint") == fingerprint],
            occurrence,
        )

    def find_received(self, wire: str, model: str, payload: Any) -> str | None:
        """For a server, which sees no provider name: the recording of a request received
        in ``wire``'s format for ``model`` with this JSON body (counted as ``find`` counts)."""
        key = f"{wire}\0{model}\0{json.dumps(payload, sort_keys=True)}"
        occurrence = self._seen[key]
        self._seen[key] += 1
        return _pick(
            [(path, sidecar) for path, sidecar in self.recordings()
             if sidecar.get("model") == model and sidecar.get("request") == payload
             and _wire_name(sidecar.get("provider"), sidecar.get("model")) == wire],
            occurrence,
        )

    def answer(
        self, request: TransportRequest, split: Callable[[bytes], list[bytes]], delay: float
    ) -> _ReplayResponse:
        occurrence = self.next_occurrence(request)
        path = self.find(request, occurrence)
        if path is None:
            raise ReplayMismatchError(self.no_match(request, occurrence))
        return recorded_response(path, split, delay)

    def no_match(self, request: TransportRequest, occurrence: int) -> str:
        """Why nothing answers ``request``, naming the nearest recording."""
        what = (
            f"no recording in {self.path!r} answers the {_ordinal(occurrence + 1)} sending of "
            f"{request.provider}/{request.model} (fingerprint {request.fingerprint[:16]})"
        )
        recordings = self.recordings()
        if not recordings:
            return f"{what}: the folder holds no recordings"
        sent = request.json()

        def closeness(item: tuple[str, dict[str, Any]]) -> tuple[int, int]:
            sidecar = item[1]
            same = (sidecar.get("provider") == request.provider) + (
                sidecar.get("model") == request.model
            )
            differs = _first_difference(sidecar.get("request"), sent)
            return same, 1 if differs is None else 0

        path, sidecar = max(recordings, key=closeness)
        differs = _first_difference(sidecar.get("request"), sent)
        if sidecar.get("provider") != request.provider or sidecar.get("model") != request.model:
            how = f"recorded for {sidecar.get('provider')}/{sidecar.get('model')}"
        elif differs is None:
            how = "the same request, recorded fewer times"
        else:
            how = f"the body differs at {differs}"
        return (
            f"{what}; the nearest is {os.path.basename(path)} ({how}). Record it with "
            "Cassette(..., mode='record'), or delete the folder and use mode='once'"
        )


class _TeeBody:
    """aiohttp's body, every byte read also written to a recording."""

    def __init__(self, inner: Any, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def readany(self) -> bytes:
        data: bytes = await self._inner.readany()
        self._recorder.write(data)
        if not data:
            self._recorder.close("complete")
        return data

    async def read(self, n: int = -1) -> bytes:
        data: bytes = await self._inner.read(n)
        self._recorder.write(data)
        if not data and n:
            self._recorder.close("complete")
        return data

    def _read_nowait_chunk(self, n: int) -> bytes:
        data: bytes = self._inner._read_nowait_chunk(n)
        self._recorder.write(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _TeeResponse:
    """A network response whose body is recorded as the client reads it."""

    def __init__(self, inner: Any, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder
        self.content = _TeeBody(inner.content, recorder)

    def release(self) -> None:
        self._recorder.close("complete")
        self._inner.release()

    def close(self) -> None:
        self._recorder.close("closed early")
        self._inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Cassette:
    """Record answers through the network once, replay them after (vcrpy's cassettes).

    ``LlmClient(transport=Cassette("tests/cassettes/greeting"))``. ``mode``:

    - ``"once"`` (the default): a folder with no recordings yet records every answer; a
      folder with recordings replays them, and a request none matches raises
      ``ReplayMismatchError`` (naming the nearest recording);
    - ``"record"``: send everything to the network and record it, replacing the recordings
      of the same requests;
    - ``"replay"``: never touch the network.

    A request is matched by provider, model and its body (``TransportRequest.fingerprint``),
    and by how many times it was sent before (a retry after a recorded 503 gets the
    recorded retry). The recordings hold the response body byte for byte and, in the sidecar,
    the request body and the response's status, content type and request id: no request
    header (the key) and no other response header.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        mode: str = "once",
        *,
        pieces: tuple[int, int] = (1024, 16 * 1024),
        seed: int = 0,
    ) -> None:
        if mode not in _MODES:
            raise ConfigurationError(f"Cassette mode must be one of {_MODES}, not {mode!r}")
        self.folder = RecordingFolder(path)
        self.mode = mode
        self._recording = mode == "record" or (
            mode == "once" and not self.folder.recordings()
        )
        self.pieces = pieces
        self.seed = seed
        self.played = 0
        """Answers served from recordings."""
        self.recorded = 0
        """Answers recorded from the network."""

    @property
    def path(self) -> str:
        return self.folder.path

    def __repr__(self) -> str:
        return f"Cassette({self.path!r}, mode={self.mode!r})"

    async def send(self, request: TransportRequest, network: Network) -> TransportResponse:
        if not self._recording:
            self.played += 1
            return self.folder.answer(request, self._split, 0.0)
        occurrence = self.folder.next_occurrence(request)
        response = await network(request)
        os.makedirs(self.path, exist_ok=True)
        recorder = Recorder(self.folder.path_for(request, occurrence, response.content_type))
        recorder.start({
            "provider": request.provider,
            "model": request.model,
            "stream": request.stream,
            "status": response.status,
            "content_type": response.content_type,
            "headers": _kept_headers(response.headers),
            "request_fingerprint": request.fingerprint,
            "occurrence": occurrence,
            "request": request.json(),
            "literllm": __version__,
        })
        self.recorded += 1
        return _TeeResponse(response, recorder)

    def _split(self, data: bytes) -> list[bytes]:
        return split_random(data, *self.pieces, seed=self.seed) if data else []

