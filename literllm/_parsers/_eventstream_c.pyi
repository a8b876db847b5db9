"""Stub for the compiled EventStream twin; mirrors ``_eventstream_py`` exactly."""

from typing import Any, ClassVar, final

from ._shared import HeaderValue

__all__ = ["EventStreamDecoder", "EventStreamMessage"]

@final
class EventStreamMessage:
    """One decoded frame: its headers (in wire order) and its payload."""

    headers: dict[str, HeaderValue]
    payload: bytes
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __init__(self, headers: dict[str, HeaderValue], payload: bytes) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class EventStreamDecoder:
    """Incremental AWS EventStream (``application/vnd.amazon.eventstream``) decoder.

    Args:
        max_message_size: the largest frame (``total_length``) accepted.
        max_headers_size: the largest headers section accepted.
    """

    def __init__(
        self, *, max_message_size: int = 25165824, max_headers_size: int = 131072
    ) -> None: ...
    @property
    def buffered(self) -> int: ...
    def feed(self, data: bytes | bytearray | memoryview, /) -> list[EventStreamMessage]:
        """Decode more of the stream; returns every message these bytes completed, in order.

        Raises:
            ChecksumError: a prelude or message CRC does not match.
            EventStreamError: any other malformed frame, or one over a size cap. Messages
                completed earlier in this call are on the exception's ``messages``.
        """
    def feed_raw(self, data: bytes | bytearray | memoryview, /) -> list[tuple[bytes, bytes]]:
        """``feed``, each completed frame as ``(header_block, payload)`` bytes (see the py
        twin)."""
    def close(self) -> None:
        """Signal end of input.

        Raises:
            EventStreamTruncatedError: the input ended inside a frame.
        """
