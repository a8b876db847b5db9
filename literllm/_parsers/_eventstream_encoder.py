"""AWS EventStream frame encoder (one implementation, used by tests, the local server, replay)."""

from __future__ import annotations

import datetime
import struct
import zlib
from collections.abc import Mapping

from ._shared import (
    HEADER_BOOL_FALSE,
    HEADER_BOOL_TRUE,
    HEADER_BYTE_ARRAY,
    HEADER_STRING,
    HEADER_TIMESTAMP,
    HEADER_UUID,
    MINIMUM_MESSAGE_LENGTH,
    HeaderValue,
    Int32Header,
    Int64Header,
    _SizedInt,
)

__all__ = ["encode_event_message"]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MILLISECOND = datetime.timedelta(milliseconds=1)
_WIDTH_FORMATS = {1: ">b", 2: ">h", 4: ">i", 8: ">q"}
_TYPE_WIDTHS = {2: 1, 3: 2, 4: 4, 5: 8}


def _encode_header(name: str, value: HeaderValue) -> bytes:
    raw_name = name.encode("utf-8")
    if not 1 <= len(raw_name) <= 255:
        raise ValueError(f"header name must be 1-255 UTF-8 bytes, got {len(raw_name)}")
    head = bytes([len(raw_name)]) + raw_name
    if isinstance(value, bool):
        return head + bytes([HEADER_BOOL_TRUE if value else HEADER_BOOL_FALSE])
    if isinstance(value, int):
        sized = value if isinstance(value, _SizedInt) else _default_width(value)
        width = _TYPE_WIDTHS[sized.wire_type]
        return head + bytes([sized.wire_type]) + struct.pack(_WIDTH_FORMATS[width], int(sized))
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return head + bytes([HEADER_BYTE_ARRAY]) + _length_prefixed(raw)
    if isinstance(value, str):
        return head + bytes([HEADER_STRING]) + _length_prefixed(value.encode("utf-8"))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError(f"header {name!r}: timestamps must be timezone-aware")
        millis = (value - _EPOCH) // _MILLISECOND
        return head + bytes([HEADER_TIMESTAMP]) + struct.pack(">q", millis)
    import uuid

    if isinstance(value, uuid.UUID):
        return head + bytes([HEADER_UUID]) + value.bytes
    raise TypeError(f"header {name!r}: cannot encode a {type(value).__name__}")


def _default_width(value: int) -> _SizedInt:
    # A plain int is an ``integer`` (int32) when it fits, else a ``long``.
    if Int32Header.minimum <= value <= Int32Header.maximum:
        return Int32Header(value)
    return Int64Header(value)


def _length_prefixed(raw: bytes) -> bytes:
    if len(raw) > 0xFFFF:
        raise ValueError(f"header value of {len(raw)} bytes exceeds the 65535-byte limit")
    return struct.pack(">H", len(raw)) + raw


def encode_event_message(
    headers: Mapping[str, HeaderValue], payload: bytes | bytearray | memoryview = b""
) -> bytes:
    """Encode one EventStream frame with both CRCs.

    Integer headers keep the width of their wrapper (``Int8Header`` ... ``Int64Header``, which
    decoding also returns); a plain ``int`` is encoded as int32, or int64 when it does not fit.
    """
    header_bytes = b"".join(_encode_header(name, value) for name, value in headers.items())
    body = bytes(payload)
    total = MINIMUM_MESSAGE_LENGTH + len(header_bytes) + len(body)
    prelude = struct.pack(">II", total, len(header_bytes))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + header_bytes + body
    return message + struct.pack(">I", zlib.crc32(message))
