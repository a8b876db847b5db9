"""Incremental AWS EventStream decoder, pure Python: the reference twin of ``_eventstream_c``.

Wire format (https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html,
botocore/eventstream.py)::

    [total_length u32][headers_length u32][prelude_crc u32] [headers] [payload] [message_crc u32]

Checks run in a fixed order for every frame, so that each fault has exactly one error: the
prelude CRC as soon as 12 bytes are there (before any length is trusted); the lengths and the
size caps (before buffering the frame); the message CRC (before anything is exposed); then the
header structure.
"""

from __future__ import annotations

import datetime
import struct
import zlib
from typing import Any, Final

from ..errors import ChecksumError, EventStreamError, EventStreamTruncatedError
from ._shared import (
    DEFAULT_MAX_HEADERS_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    ES_BAD_UTF8_NAME,
    ES_BAD_UTF8_VALUE,
    ES_DUPLICATE_HEADER,
    ES_FED_AFTER_CLOSE,
    ES_HEADER_OVERRUN,
    ES_HEADERS_EXCEED_MESSAGE,
    ES_HEADERS_LENGTH_ONE,
    ES_HEADERS_TOO_LARGE,
    ES_MESSAGE_TOO_LARGE,
    ES_NAME_LENGTH_ZERO,
    ES_TIMESTAMP_RANGE,
    ES_TOTAL_BELOW_MINIMUM,
    ES_TRUNCATED,
    ES_UNKNOWN_HEADER_TYPE,
    EVENT_STREAM_MESSAGE_CLASSES,
    HEADER_BOOL_FALSE,
    HEADER_BOOL_TRUE,
    HEADER_BYTE,
    HEADER_BYTE_ARRAY,
    HEADER_INTEGER,
    HEADER_LONG,
    HEADER_SHORT,
    HEADER_STRING,
    HEADER_TIMESTAMP,
    HEADER_UUID,
    MINIMUM_MESSAGE_LENGTH,
    PRELUDE_LENGTH,
    HeaderValue,
    Int8Header,
    Int16Header,
    Int32Header,
    Int64Header,
    repeat_error,
)

__all__ = ["EventStreamDecoder", "EventStreamMessage"]

_PRELUDE = struct.Struct(">III")
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

# wire type -> (struct, wrapper) for the fixed-width integers
_INTEGERS: Final[dict[int, tuple[struct.Struct, type[int]]]] = {
    HEADER_BYTE: (struct.Struct(">b"), Int8Header),
    HEADER_SHORT: (struct.Struct(">h"), Int16Header),
    HEADER_INTEGER: (struct.Struct(">i"), Int32Header),
    HEADER_LONG: (struct.Struct(">q"), Int64Header),
}
_TIMESTAMP = struct.Struct(">q")


class EventStreamMessage:
    """One decoded frame: its headers (in wire order) and its payload."""

    __slots__ = ("headers", "payload")

    headers: dict[str, HeaderValue]
    payload: bytes

    def __init__(self, headers: dict[str, HeaderValue], payload: bytes) -> None:
        self.headers = headers
        self.payload = payload

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, tuple(EVENT_STREAM_MESSAGE_CLASSES)):
            return NotImplemented
        o: Any = other
        return bool(self.payload == o.payload and self.headers == o.headers)

    __hash__ = None  # type: ignore[assignment]  # headers is a dict: not hashable

    def __repr__(self) -> str:
        return f"EventStreamMessage(headers={self.headers!r}, payload={self.payload!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (EventStreamMessage, (self.headers, self.payload))


EVENT_STREAM_MESSAGE_CLASSES.append(EventStreamMessage)


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if type(data) is bytes:
        return data
    return memoryview(data).tobytes()


def _parse_headers(raw: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    end = len(raw)
    pos = 0
    while pos < end:
        start = pos
        name_length = raw[pos]
        if name_length == 0:
            raise EventStreamError(ES_NAME_LENGTH_ZERO.format(offset=start))
        pos += 1
        if pos + name_length + 1 > end:
            raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
        try:
            name = raw[pos : pos + name_length].decode("utf-8")
        except UnicodeDecodeError:
            raise EventStreamError(ES_BAD_UTF8_NAME.format(offset=start)) from None
        pos += name_length
        kind = raw[pos]
        pos += 1
        value: HeaderValue
        if kind == HEADER_BOOL_TRUE:
            value = True
        elif kind == HEADER_BOOL_FALSE:
            value = False
        elif kind in _INTEGERS:
            unpacker, wrapper = _INTEGERS[kind]
            if pos + unpacker.size > end:
                raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
            value = wrapper(unpacker.unpack_from(raw, pos)[0])
            pos += unpacker.size
        elif kind in (HEADER_BYTE_ARRAY, HEADER_STRING):
            if pos + 2 > end:
                raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
            length = _U16.unpack_from(raw, pos)[0]
            pos += 2
            if pos + length > end:
                raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
            chunk = raw[pos : pos + length]
            pos += length
            if kind == HEADER_BYTE_ARRAY:
                value = chunk
            else:
                try:
                    value = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    raise EventStreamError(ES_BAD_UTF8_VALUE.format(name=name)) from None
        elif kind == HEADER_TIMESTAMP:
            if pos + 8 > end:
                raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
            millis = _TIMESTAMP.unpack_from(raw, pos)[0]
            pos += 8
            try:
                value = _EPOCH + datetime.timedelta(milliseconds=millis)
            except OverflowError:
                message = ES_TIMESTAMP_RANGE.format(name=name, millis=millis)
                raise EventStreamError(message) from None
        elif kind == HEADER_UUID:
            if pos + 16 > end:
                raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
            import uuid  # here: importing uuid costs more than all of literllm's parsers

            value = uuid.UUID(bytes=raw[pos : pos + 16])
            pos += 16
        else:
            raise EventStreamError(ES_UNKNOWN_HEADER_TYPE.format(type=kind, offset=start))
        if name in headers:
            raise EventStreamError(ES_DUPLICATE_HEADER.format(name=name))
        headers[name] = value
    return headers


class EventStreamDecoder:
    """Incremental AWS EventStream (``application/vnd.amazon.eventstream``) decoder.

    Feed it the body in pieces of any size; each call returns the messages those bytes
    completed. Call ``close()`` at end of input to learn whether a frame was cut off.

    Args:
        max_message_size: the largest frame (``total_length``) accepted.
        max_headers_size: the largest headers section accepted.
    """

    __slots__ = ("_buf", "_closed", "_error", "_max_headers", "_max_message", "_need", "_pos")

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_headers_size: int = DEFAULT_MAX_HEADERS_SIZE,
    ) -> None:
        if max_message_size < MINIMUM_MESSAGE_LENGTH:
            raise ValueError(f"max_message_size must be at least {MINIMUM_MESSAGE_LENGTH}")
        if max_headers_size < 0:
            raise ValueError("max_headers_size must not be negative")
        self._max_message = max_message_size
        self._max_headers = max_headers_size
        self._buf = bytearray()
        self._pos = 0  # start of the unfinished frame in _buf
        self._need = 0  # total_length of that frame once its prelude checked out, else 0
        self._error: EventStreamError | None = None
        self._closed = False

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished frame held by the decoder."""
        return len(self._buf) - self._pos

    def feed(self, data: bytes | bytearray | memoryview, /) -> list[EventStreamMessage]:
        """Decode more of the stream; returns every message these bytes completed, in order.

        Raises:
            ChecksumError: a prelude or message CRC does not match.
            EventStreamError: any other malformed frame, or one over a size cap. Messages
                completed earlier in this call are on the exception's ``messages``.
        """
        return self._feed(data, raw=False)

    def feed_raw(self, data: bytes | bytearray | memoryview, /) -> list[tuple[bytes, bytes]]:
        """``feed`` for callers that read the headers themselves, or only the payloads: each
        completed frame as ``(header_block, payload)`` bytes. The same checks (both CRCs, the
        prelude's lengths, the size caps) and errors as ``feed``; the header block is not
        parsed, so a malformed one is the caller's to find. The pairs completed before an
        error are on its ``messages``.
        """
        return self._feed(data, raw=True)

    def _feed(self, data: bytes | bytearray | memoryview, *, raw: bool) -> list[Any]:
        if self._error is not None:
            raise repeat_error(self._error, messages=[])
        if self._closed:
            raise RuntimeError(ES_FED_AFTER_CLOSE)
        self._buf += _as_bytes(data)
        out: list[Any] = []
        try:
            self._decode_frames(out, raw)
        except EventStreamError as exc:
            exc.messages = out
            self._error = exc
            raise
        return out

    def close(self) -> None:
        """Signal end of input.

        Raises:
            EventStreamTruncatedError: the input ended inside a frame.
        """
        if self._error is not None:
            raise repeat_error(self._error, messages=[])
        self._closed = True
        if self.buffered:
            self._error = EventStreamTruncatedError(ES_TRUNCATED.format(buffered=self.buffered))
            raise self._error

    def _decode_frames(self, out: list[Any], raw: bool) -> None:
        buf = self._buf
        pos = self._pos
        try:
            while True:
                available = len(buf) - pos
                if not self._need:
                    if available < PRELUDE_LENGTH:
                        break
                    self._need = self._check_prelude(buf, pos)
                total = self._need
                if available < total:
                    break
                out.append(self._decode_frame(buf, pos, total, raw))
                pos += total
                self._need = 0
        finally:
            # Drop consumed bytes; a whole-buffer delete per feed keeps this linear because it
            # only happens once the consumed part outweighs what is left.
            if pos == len(buf):
                buf.clear()
                pos = 0
            elif pos > len(buf) - pos:
                del buf[:pos]
                pos = 0
            self._pos = pos

    def _check_prelude(self, buf: bytearray, pos: int) -> int:
        total, headers_length, prelude_crc = _PRELUDE.unpack_from(buf, pos)
        actual = zlib.crc32(memoryview(buf)[pos : pos + 8])
        if actual != prelude_crc:
            raise ChecksumError("prelude", prelude_crc, actual)
        if total < MINIMUM_MESSAGE_LENGTH:
            raise EventStreamError(ES_TOTAL_BELOW_MINIMUM.format(total=total))
        if headers_length > total - MINIMUM_MESSAGE_LENGTH:
            raise EventStreamError(
                ES_HEADERS_EXCEED_MESSAGE.format(
                    headers=headers_length, room=total - MINIMUM_MESSAGE_LENGTH
                )
            )
        if headers_length == 1:
            raise EventStreamError(ES_HEADERS_LENGTH_ONE)
        if total > self._max_message:
            raise EventStreamError(
                ES_MESSAGE_TOO_LARGE.format(total=total, limit=self._max_message)
            )
        if headers_length > self._max_headers:
            raise EventStreamError(
                ES_HEADERS_TOO_LARGE.format(headers=headers_length, limit=self._max_headers)
            )
        return int(total)

    def _decode_frame(
        self, buf: bytearray, pos: int, total: int, raw: bool
    ) -> EventStreamMessage | tuple[bytes, bytes]:
        headers_length, prelude_crc = _PRELUDE.unpack_from(buf, pos)[1:]
        end = pos + total - 4
        with memoryview(buf) as view:
            actual = zlib.crc32(view[pos + 8 : end], prelude_crc)
            expected = _U32.unpack_from(buf, end)[0]
            if actual != expected:
                raise ChecksumError("message", expected, actual)
            headers_start = pos + PRELUDE_LENGTH
            payload_start = headers_start + headers_length
            if raw:
                return bytes(view[headers_start:payload_start]), bytes(view[payload_start:end])
            headers = _parse_headers(bytes(view[headers_start:payload_start]))
            return EventStreamMessage(headers, bytes(view[payload_start:end]))
