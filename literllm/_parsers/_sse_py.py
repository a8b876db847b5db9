"""Incremental ``text/event-stream`` decoder, pure Python: the reference twin of ``_sse_c``.

Implements the WHATWG HTML Standard, "Server-sent events", sections "Parsing an event stream"
and "Interpreting an event stream":
https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream

Lines are split on bytes (CR, LF and CRLF are ASCII, so splitting before UTF-8 decoding gives
the same lines as decoding first); field values are decoded one by one with U+FFFD for invalid
sequences, which yields the same text as decoding the whole stream because every invalid
sequence ends at the ASCII byte that ends its line or field name.
"""

from __future__ import annotations

from typing import Any, Final

from ..errors import SSEError
from ._shared import (
    DEFAULT_MAX_EVENT_SIZE,
    MAX_RETRY_DIGITS,
    SERVER_SENT_EVENT_CLASSES,
    SSE_EVENT_TOO_LARGE,
    SSE_FED_AFTER_CLOSE,
    SSE_LINE_TOO_LONG,
    SSE_MIXED_MODES,
    UTF8_BOM,
)

__all__ = ["SSEDecoder", "ServerSentEvent"]

_MODE_UNSET: Final = 0
_MODE_TEXT: Final = 1
_MODE_RAW: Final = 2
_LF: Final = 0x0A
_SPACE: Final = 0x20
_COLON: Final = 0x3A


class ServerSentEvent:
    """One dispatched event. Immutable; equal to the other twin's event with the same fields."""

    __slots__ = ("data", "event", "id", "retry")

    event: str
    """The event type: the block's ``event`` field, or ``"message"`` when it had none."""
    data: str
    """The block's ``data`` lines joined with LF."""
    id: str
    """The stream's last event ID when this event was dispatched (``""`` if none)."""
    retry: int | None
    """A valid ``retry`` value from this event's own block, else ``None``."""

    def __init__(
        self, event: str = "message", data: str = "", id: str = "", retry: int | None = None
    ) -> None:
        _set = object.__setattr__
        _set(self, "event", event)
        _set(self, "data", data)
        _set(self, "id", id)
        _set(self, "retry", retry)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ServerSentEvent is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ServerSentEvent is immutable (cannot delete {name!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, tuple(SERVER_SENT_EVENT_CLASSES)):
            return NotImplemented
        o: Any = other
        return bool(
            self.event == o.event
            and self.data == o.data
            and self.id == o.id
            and self.retry == o.retry
        )

    def __hash__(self) -> int:
        return hash((self.event, self.data, self.id, self.retry))

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, id={self.id!r}, "
            f"retry={self.retry!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (ServerSentEvent, (self.event, self.data, self.id, self.retry))


SERVER_SENT_EVENT_CLASSES.append(ServerSentEvent)
_new_event = ServerSentEvent.__new__
_set_attr = object.__setattr__


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if type(data) is bytes:
        return data
    # memoryview() refuses int and str, which bytes() would silently turn into something else.
    return memoryview(data).tobytes()


class SSEDecoder:
    """Incremental Server-Sent Events decoder.

    Feed it the response body in pieces of any size; each call returns the events those bytes
    completed. Use either ``feed`` (``ServerSentEvent`` objects) or ``feed_raw`` (``(type,
    data)`` byte pairs, for JSON consumers) for the decoder's whole life.

    Args:
        max_event_size: the longest line and the largest event data (in bytes) the decoder
            buffers; exactly this size is accepted. Over it, ``SSEError``.
    """

    __slots__ = (
        "_block_retry",
        "_block_started",
        "_bom_checked",
        "_closed",
        "_data",
        "_data_size",
        "_error",
        "_event_type",
        "_head",
        "_id_buffer",
        "_id_text",
        "_id_text_key",
        "_last_event_id",
        "_line",
        "_max",
        "_mode",
        "_retry",
        "_skip_lf",
    )

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size < 1:
            raise ValueError("max_event_size must be at least 1")
        self._max = max_event_size
        self._line = bytearray()  # the unterminated line carried over from earlier feeds
        self._skip_lf = False  # the previous feed ended in CR: a leading LF completes CRLF
        self._bom_checked = False
        self._head = b""  # first bytes of the stream, held until the BOM question is settled
        self._data: list[bytes] = []
        self._data_size = 0
        self._event_type = b""
        self._id_buffer = b""
        self._last_event_id = b""
        self._id_text_key = b""
        self._id_text = ""
        self._retry: int | None = None
        self._block_retry: int | None = None
        self._block_started = False
        self._mode = _MODE_UNSET
        self._error: str | None = None
        self._closed = False

    @property
    def max_event_size(self) -> int:
        """The limit given to the constructor."""
        return self._max

    @property
    def last_event_id(self) -> str:
        """The stream's last event ID (committed at each blank line)."""
        return _decode(self._last_event_id)

    @property
    def retry(self) -> int | None:
        """The latest valid ``retry`` value seen anywhere in the stream, else ``None``."""
        return self._retry

    @property
    def pending(self) -> bool:
        """Whether anything after the last dispatched event is buffered (an unfinished block)."""
        return bool(self._line or self._head or self._block_started)

    def feed(self, data: bytes | bytearray | memoryview, /) -> list[ServerSentEvent]:
        """Decode more of the stream; returns every event these bytes completed, in order.

        Raises:
            SSEError: a line or an event's data is over ``max_event_size``. Events completed
                earlier in this call are on the exception's ``events``.
        """
        out: list[Any] = []
        self._feed(data, _MODE_TEXT, out)
        return out

    def feed_raw(self, data: bytes | bytearray | memoryview, /) -> list[tuple[bytes, bytes]]:
        """Like ``feed``, but returns ``(event_type, data)`` as undecoded UTF-8 bytes.

        The event type is ``b"message"`` when the block had none. Invalid UTF-8 is passed
        through untouched.
        """
        out: list[Any] = []
        self._feed(data, _MODE_RAW, out)
        return out

    def close(self) -> list[ServerSentEvent]:
        """Signal end of input. Always ``[]``: the spec discards an unterminated block."""
        if self._error is not None:
            raise SSEError(self._error)
        self._closed = True
        return []

    def _feed(self, data: bytes | bytearray | memoryview, mode: int, out: list[Any]) -> None:
        if self._error is not None:
            raise SSEError(self._error)
        if self._mode != mode:
            if self._mode != _MODE_UNSET:
                raise RuntimeError(SSE_MIXED_MODES)
            self._mode = mode
        if self._closed:
            raise RuntimeError(SSE_FED_AFTER_CLOSE)
        chunk = _as_bytes(data)
        if not self._bom_checked:
            chunk = self._strip_bom(chunk)
        try:
            self._split_lines(chunk, out)
        except SSEError as exc:
            self._error = exc.message
            exc.events = out
            raise

    def _strip_bom(self, chunk: bytes) -> bytes:
        # Only one BOM, and only at the very start of the stream; it may arrive split.
        head = self._head + chunk
        if len(head) < len(UTF8_BOM) and UTF8_BOM.startswith(head):
            self._head = head
            return b""
        self._bom_checked = True
        self._head = b""
        return head[3:] if head.startswith(UTF8_BOM) else head

    def _split_lines(self, chunk: bytes, out: list[Any]) -> None:
        n = len(chunk)
        pos = 0
        if self._skip_lf and n:
            self._skip_lf = False
            if chunk[0] == _LF:
                pos = 1
        find = chunk.find
        limit = self._max
        # NOTE: the next LF and CR positions are cached so each byte is searched at most once
        # per terminator kind; n means "none in this chunk".
        lf = cr = -1
        while True:
            if lf < pos:
                lf = find(b"\n", pos)
                if lf < 0:
                    lf = n
            if cr < pos:
                cr = find(b"\r", pos)
                if cr < 0:
                    cr = n
            end = min(lf, cr)
            if end == n:
                if pos < n:
                    if len(self._line) + (n - pos) > limit:
                        raise SSEError(SSE_LINE_TOO_LONG.format(limit=limit))
                    self._line += chunk[pos:]
                return
            if self._line:
                if len(self._line) + (end - pos) > limit:
                    raise SSEError(SSE_LINE_TOO_LONG.format(limit=limit))
                self._line += chunk[pos:end]
                line = bytes(self._line)
                self._line.clear()
            else:
                if end - pos > limit:
                    raise SSEError(SSE_LINE_TOO_LONG.format(limit=limit))
                line = chunk[pos:end]
            self._process_line(line, out)
            if end == cr:
                if end + 1 < n:
                    if chunk[end + 1] == _LF:
                        end += 1
                else:
                    # A CR ending this read is a complete line end; an LF opening the next
                    # read belongs to it.
                    self._skip_lf = True
            pos = end + 1

    def _process_line(self, line: bytes, out: list[Any]) -> None:
        if not line:
            self._dispatch(out)
            return
        if line[0] == _COLON:
            return
        colon = line.find(b":")
        if colon < 0:
            name = line
            value = b""
        else:
            name = line[:colon]
            start = colon + 1
            if start < len(line) and line[start] == _SPACE:
                start += 1
            value = line[start:]
        self._block_started = True
        if name == b"data":
            size = self._data_size + len(value) + (1 if self._data else 0)
            if size > self._max:
                raise SSEError(SSE_EVENT_TOO_LARGE.format(limit=self._max))
            self._data.append(value)
            self._data_size = size
        elif name == b"event":
            self._event_type = value
        elif name == b"id":
            if b"\x00" not in value:
                self._id_buffer = value
        elif name == b"retry" and value.isdigit() and len(value) <= MAX_RETRY_DIGITS:
            # bytes.isdigit() is true only for one or more ASCII digits, as the spec requires.
            self._retry = self._block_retry = int(value)

    def _dispatch(self, out: list[Any]) -> None:
        self._last_event_id = self._id_buffer
        if self._data:
            data = b"\n".join(self._data)
            event_type = self._event_type or b"message"
            if self._mode == _MODE_RAW:
                out.append((event_type, data))
            else:
                event = _new_event(ServerSentEvent)
                _set_attr(event, "event", _decode(event_type))
                _set_attr(event, "data", _decode(data))
                _set_attr(event, "id", self._id_str())
                _set_attr(event, "retry", self._block_retry)
                out.append(event)
            self._data = []
            self._data_size = 0
        self._event_type = b""
        self._block_retry = None
        self._block_started = False

    def _id_str(self) -> str:
        if self._id_text_key is not self._id_buffer:
            self._id_text_key = self._id_buffer
            self._id_text = _decode(self._id_buffer)
        return self._id_text
