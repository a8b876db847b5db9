"""Wire formats as objects: how a streamed body is framed, whatever provider sends it.

A provider's stream adapter speaks one of these (``SSE``, ``EVENTSTREAM``, ``NDJSON``, or one
registered with ``register_format``); everything outside the adapters that must know a
format asks its object rather than naming it: the client and ``Cassette`` (the recording
suffix), ``replay()`` (which format a body without a sidecar is in), ``literllm replay
--events`` (how one event is shown), the local test server (the keep-alive bytes) and the
benchmark's raw-aiohttp floor (how events are counted without decoding them).

Each format's decoder twins live in ``literllm._parsers``; ``transport()`` wraps a fresh
decoder in the small object a stream adapter feeds (``feed``, and a check of the end).
Nothing here knows a provider.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from ._parsers import EventStreamDecoder, NDJSONDecoder, SSEDecoder
from .errors import (
    ConfigurationError,
    EventStreamError,
    MalformedChunkError,
    NDJSONError,
    SSEError,
    StreamTruncatedError,
)

__all__ = [
    "EVENTSTREAM",
    "NDJSON",
    "SSE",
    "EventStreamTransport",
    "NDJSONTransport",
    "SSETransport",
    "StreamFormat",
    "format_for_content_type",
    "formats",
    "recording_suffix",
    "register_format",
    "sniff_format",
]


def undecodable(error: Exception, events: Sequence[Any]) -> MalformedChunkError:
    """The stream error for bytes the transport decoder refused; ``events`` came before."""
    failure = MalformedChunkError(f"undecodable stream: {error}", events=list(events))
    failure.__cause__ = error
    return failure


# --- the transports: a decoder as a stream adapter feeds it -----------------------------------


class SSETransport:
    """The SSE half of a stream adapter: owns the decoder, yields ``(event, data)`` pairs."""

    __slots__ = ("_decoder", "_feed_raw")
    content_type = "text/event-stream"

    def __init__(self) -> None:
        self._decoder = SSEDecoder()
        self._feed_raw = self._decoder.feed_raw

    def feed(self, data: bytes, /) -> list[tuple[bytes, bytes]]:
        """``(event type, data)`` pairs completed by ``data``."""
        try:
            return self._feed_raw(data)
        except SSEError as exc:
            raise undecodable(exc, exc.events) from exc

    def check_end(self, done: bool) -> None:
        """Raise if the body ended inside an event that the terminal event did not follow."""
        if self._decoder.pending and not done:
            raise StreamTruncatedError("the stream ended inside an unfinished event")


class EventStreamTransport:
    """The AWS EventStream half of a stream adapter: owns the decoder, yields messages."""

    __slots__ = ("_decoder", "_feed")
    content_type = "application/vnd.amazon.eventstream"

    def __init__(self) -> None:
        self._decoder = EventStreamDecoder()
        self._feed = self._decoder.feed

    def feed(self, data: bytes, /) -> Sequence[Any]:
        """The EventStream messages completed by ``data``."""
        try:
            return self._feed(data)
        except EventStreamError as exc:
            raise undecodable(exc, exc.messages) from exc

    def check_end(self, done: bool) -> None:
        """Raise if the body ended inside a frame."""
        try:
            self._decoder.close()
        except EventStreamError as exc:
            if not done:
                raise StreamTruncatedError(
                    f"the stream ended inside an unfinished frame ({exc})"
                ) from exc


class NDJSONTransport:
    """The NDJSON half of a stream adapter: owns the decoder, yields one line per event."""

    __slots__ = ("_decoder", "_feed")
    content_type = "application/x-ndjson"

    def __init__(self) -> None:
        self._decoder = NDJSONDecoder()
        self._feed = self._decoder.feed

    def feed(self, data: bytes, /) -> list[bytes]:
        try:
            return self._feed(data)
        except NDJSONError as exc:
            raise undecodable(exc, exc.lines) from exc

    def rest(self) -> list[bytes]:
        """An unterminated last line, at the end of the body (never delivered: a line is
        whole only with its LF)."""
        try:
            return self._decoder.close()
        except NDJSONError:
            return []

    def check_end(self, done: bool) -> None:
        if self.rest() and not done:
            raise StreamTruncatedError("the stream ended inside an unfinished line")


# --- the formats ------------------------------------------------------------------------------


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _json_or_text(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def _show_sse(event: Any) -> Any:
    return {"event": _text(event[0]), "data": _text(event[1])}


def _show_eventstream(message: Any) -> Any:
    headers = {
        name: value if isinstance(value, str | int | bool) else str(value)
        for name, value in message.headers.items()
    }
    return {"headers": headers, "payload": _json_or_text(message.payload)}


def _show_ndjson(line: Any) -> Any:
    return _json_or_text(line)


def _looks_like_sse(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf")[:64].lstrip(b"\r\n")
    return head.startswith((b"data:", b"event:", b"id:", b"retry:", b":"))


def _looks_like_eventstream(data: bytes) -> bool:
    """A prelude whose CRC checks."""
    if len(data) < 12:
        return False
    total = int.from_bytes(data[0:4], "big")
    headers = int.from_bytes(data[4:8], "big")
    return (total >= 16 and headers <= total - 16
            and zlib.crc32(data[:8]) == int.from_bytes(data[8:12], "big"))


def _looks_like_ndjson(data: bytes) -> bool:
    line = data.lstrip()[:1]
    return line in (b"{", b"[")


class StreamFormat:
    """One framing of a streamed body.

    ``content_type`` is what a response in it carries (``content_types``: others it is
    also sent as), ``suffix`` the extension its recordings get, ``keepalive`` the bytes a
    server may send while idle that the decoder skips, ``event_marker`` a byte string that
    occurs once per event (so a raw reader can count events without decoding them).
    ``transport`` builds a fresh decoder for one response; ``show_event`` turns one decoded
    event into JSON-able data (``literllm replay --events``); ``looks_like`` says whether a
    body's first bytes are in this format (``replay()`` of a body without a sidecar).
    """

    # A plain class: a dataclass would cost its exec at import, on every client's first use.
    __slots__ = ("content_type", "content_types", "event_marker", "keepalive", "looks_like",
                 "name", "show_event", "suffix", "transport")

    def __init__(  # noqa: PLR0917  (the fields, in the order the docs give them)
        self,
        name: str,
        content_type: str,
        suffix: str,
        keepalive: bytes,
        event_marker: bytes,
        transport: Callable[[], Any],
        show_event: Callable[[Any], Any],
        looks_like: Callable[[bytes], bool],
        content_types: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.content_type = content_type
        self.suffix = suffix
        self.keepalive = keepalive
        self.event_marker = event_marker
        self.transport = transport
        self.show_event = show_event
        self.looks_like = looks_like
        self.content_types = content_types

    def __repr__(self) -> str:
        return f"StreamFormat({self.name!r}, {self.content_type!r})"

    def accepts(self, content_type: str) -> bool:
        """Whether a response's content type (parameters ignored) is this format's."""
        kind = content_type.partition(";")[0].strip().lower()
        return kind == self.content_type or kind in self.content_types


SSE = StreamFormat(
    "sse", SSETransport.content_type, ".sse", b": ping\n\n", b"data:", SSETransport,
    _show_sse, _looks_like_sse,
)
EVENTSTREAM = StreamFormat(
    "eventstream", EventStreamTransport.content_type, ".bin", b"", b":event-type",
    EventStreamTransport, _show_eventstream, _looks_like_eventstream,
)
NDJSON = StreamFormat(
    "ndjson", NDJSONTransport.content_type, ".ndjson", b"\n", b"\n", NDJSONTransport,
    _show_ndjson, _looks_like_ndjson, content_types=("application/jsonl",),
)

# EventStream first: its prelude CRC is the strictest test of the three.
_FORMATS: dict[str, StreamFormat] = {f.name: f for f in (EVENTSTREAM, SSE, NDJSON)}


def register_format(stream_format: StreamFormat, *, replace: bool = False) -> StreamFormat:
    """Add a wire format (its stream adapters name it by ``content_type``)."""
    if stream_format.name in _FORMATS and not replace:
        raise ConfigurationError(
            f"wire format {stream_format.name!r} exists; pass replace=True to redefine it"
        )
    _FORMATS[stream_format.name] = stream_format
    return stream_format


def formats() -> list[StreamFormat]:
    """Every registered wire format."""
    return list(_FORMATS.values())


def format_for_content_type(content_type: str) -> StreamFormat:
    """The wire format of a stream adapter's (or a response's) content type."""
    for stream_format in _FORMATS.values():
        if stream_format.accepts(content_type):
            return stream_format
    raise ConfigurationError(f"no wire format is registered for {content_type!r}")


def recording_suffix(content_type: str, default: str = ".json") -> str:
    """The file suffix a body of this content type is recorded under (``default``: a body
    in no stream format, such as a JSON error)."""
    for stream_format in _FORMATS.values():
        if stream_format.accepts(content_type):
            return stream_format.suffix
    return default


def sniff_format(data: bytes) -> StreamFormat | None:
    """The wire format a body's first bytes are in, if any says so."""
    for stream_format in _FORMATS.values():
        if stream_format.looks_like(data):
            return stream_format
    return None
