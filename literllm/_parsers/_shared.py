"""What both twins of each parser share: limits, wire constants, messages and the Protocols.

Providers and the client depend on the Protocols here, never on a twin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:
    import datetime
    import uuid

# --- SSE ---------------------------------------------------------------------------------

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
# A retry value of more digits is ignored, as one that is not digits is: no reconnection time
# that long means anything, and Python will not convert more than 4,300 (or fewer, if so set).
MAX_RETRY_DIGITS = 64
# Buffers that grew past this for one large line, event or frame are freed once it is done,
# so a long-lived decoder does not keep megabytes for a single outlier.
RETAINED_BUFFER = 64 * 1024

SSE_LINE_TOO_LONG = "SSE line longer than max_event_size ({limit} bytes)"
SSE_EVENT_TOO_LARGE = "SSE event data larger than max_event_size ({limit} bytes)"
SSE_MIXED_MODES = "an SSEDecoder uses either feed() or feed_raw() for its whole life, not both"
SSE_FED_AFTER_CLOSE = "SSEDecoder.feed() after close()"

# Whatever ServerSentEvent classes exist (one per twin); each twin registers its own so that
# events from the two twins compare equal field by field.
SERVER_SENT_EVENT_CLASSES: list[type] = []


class SSEEventLike(Protocol):
    """The fields of a dispatched event (``ServerSentEvent`` of either twin)."""

    @property
    def event(self) -> str: ...
    @property
    def data(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...


class SSEDecoderProtocol(Protocol):
    """An incremental ``text/event-stream`` decoder (either twin of ``SSEDecoder``)."""

    def feed(self, data: bytes | bytearray | memoryview, /) -> list[SSEEventLike]: ...
    def feed_raw(self, data: bytes | bytearray | memoryview, /) -> list[tuple[bytes, bytes]]: ...
    def close(self) -> list[SSEEventLike]: ...
    @property
    def pending(self) -> bool: ...
    @property
    def last_event_id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...


# --- NDJSON (newline-delimited JSON: Ollama's native API) -----------------------------------

DEFAULT_MAX_LINE_SIZE = 16 * 1024 * 1024
NDJSON_LINE_TOO_LONG = "NDJSON line longer than max_line_size ({limit} bytes)"
NDJSON_FED_AFTER_CLOSE = "NDJSONDecoder.feed() after close()"


class NDJSONDecoderProtocol(Protocol):
    """An incremental NDJSON line splitter (either twin of ``NDJSONDecoder``)."""

    def feed(self, data: bytes | bytearray | memoryview, /) -> list[bytes]: ...
    def close(self) -> list[bytes]: ...
    @property
    def pending(self) -> bool: ...
    @property
    def max_line_size(self) -> int: ...


# --- AWS EventStream ------------------------------------------------------------------------
# https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html (event stream
# encoding); botocore/eventstream.py is the reference decoder.

DEFAULT_MAX_MESSAGE_SIZE = 24 * 1024 * 1024
DEFAULT_MAX_HEADERS_SIZE = 128 * 1024
PRELUDE_LENGTH = 12
MESSAGE_CRC_LENGTH = 4
MINIMUM_MESSAGE_LENGTH = PRELUDE_LENGTH + MESSAGE_CRC_LENGTH

HEADER_BOOL_TRUE = 0
HEADER_BOOL_FALSE = 1
HEADER_BYTE = 2
HEADER_SHORT = 3
HEADER_INTEGER = 4
HEADER_LONG = 5
HEADER_BYTE_ARRAY = 6
HEADER_STRING = 7
HEADER_TIMESTAMP = 8
HEADER_UUID = 9

ES_TOTAL_BELOW_MINIMUM = "total_length {total} is below the 16-byte minimum"
ES_HEADERS_EXCEED_MESSAGE = "headers_length {headers} larger than total_length - 16 ({room})"
ES_HEADERS_LENGTH_ONE = "headers_length 1 cannot hold a header"
ES_MESSAGE_TOO_LARGE = "message of {total} bytes exceeds max_message_size ({limit} bytes)"
ES_HEADERS_TOO_LARGE = "headers section of {headers} bytes exceeds max_headers_size ({limit} bytes)"
ES_NAME_LENGTH_ZERO = "header name length 0 at offset {offset}"
ES_HEADER_OVERRUN = "header value extends past headers_length at offset {offset}"
ES_UNKNOWN_HEADER_TYPE = "unknown header value type {type} at offset {offset}"
ES_BAD_UTF8_NAME = "header name is not valid UTF-8 at offset {offset}"
ES_BAD_UTF8_VALUE = "header {name!r}: string value is not valid UTF-8"
ES_DUPLICATE_HEADER = "duplicate header {name!r}"
ES_TIMESTAMP_RANGE = "header {name!r}: timestamp {millis} ms is out of range"
ES_TRUNCATED = "stream ended inside a message ({buffered} bytes of an unfinished frame buffered)"
ES_FED_AFTER_CLOSE = "EventStreamDecoder.feed() after close()"



class _SizedInt(int):
    """An int that remembers the EventStream wire width it was (or is to be) encoded with."""

    __slots__ = ()
    wire_type: int
    minimum: int
    maximum: int

    def __new__(cls, value: int = 0) -> _SizedInt:
        value = int(value)
        if not cls.minimum <= value <= cls.maximum:
            raise OverflowError(f"{cls.__name__} holds {cls.minimum}..{cls.maximum}, not {value}")
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class Int8Header(_SizedInt):
    """A ``byte`` header value (wire type 2)."""

    __slots__ = ()
    wire_type = HEADER_BYTE
    minimum, maximum = -(2**7), 2**7 - 1


class Int16Header(_SizedInt):
    """A ``short`` header value (wire type 3)."""

    __slots__ = ()
    wire_type = HEADER_SHORT
    minimum, maximum = -(2**15), 2**15 - 1


class Int32Header(_SizedInt):
    """An ``integer`` header value (wire type 4)."""

    __slots__ = ()
    wire_type = HEADER_INTEGER
    minimum, maximum = -(2**31), 2**31 - 1


class Int64Header(_SizedInt):
    """A ``long`` header value (wire type 5)."""

    __slots__ = ()
    wire_type = HEADER_LONG
    minimum, maximum = -(2**63), 2**63 - 1


if TYPE_CHECKING:
    HeaderValue: TypeAlias = bool | int | bytes | str | datetime.datetime | uuid.UUID
else:
    HeaderValue = object

EVENT_STREAM_MESSAGE_CLASSES: list[type] = []


def repeat_error(error: BaseException, **reset: object) -> BaseException:
    """A fresh copy of a dead parser's error, to raise again from every later call."""
    again = type(error).__new__(type(error))
    again.__dict__.update(error.__dict__)
    again.__dict__.update(reset)
    again.args = error.args
    return again


class EventStreamMessageLike(Protocol):
    """A decoded frame (``EventStreamMessage`` of either twin)."""

    @property
    def headers(self) -> Mapping[str, HeaderValue]: ...
    @property
    def payload(self) -> bytes: ...


class EventStreamDecoderProtocol(Protocol):
    """An incremental AWS EventStream decoder (either twin of ``EventStreamDecoder``)."""

    def feed(self, data: bytes | bytearray | memoryview, /) -> list[EventStreamMessageLike]: ...
    def close(self) -> None: ...
