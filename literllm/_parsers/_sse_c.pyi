"""Stub for the compiled SSE twin; mirrors ``_sse_py`` exactly."""

from typing import Any, final

__all__ = ["SSEDecoder", "ServerSentEvent"]

@final
class ServerSentEvent:
    """One dispatched event. Immutable; equal to the other twin's event with the same fields."""

    @property
    def event(self) -> str: ...
    @property
    def data(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...
    def __init__(
        self, event: str = "message", data: str = "", id: str = "", retry: int | None = None
    ) -> None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> tuple[Any, ...]: ...

@final
class SSEDecoder:
    """Incremental Server-Sent Events decoder.

    Args:
        max_event_size: the longest line and the largest event data (in bytes) the decoder
            buffers; exactly this size is accepted. Over it, ``SSEError``.
    """

    def __init__(self, *, max_event_size: int = 16777216) -> None: ...
    @property
    def max_event_size(self) -> int: ...
    @property
    def last_event_id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...
    @property
    def pending(self) -> bool: ...
    def feed(self, data: bytes | bytearray | memoryview, /) -> list[ServerSentEvent]:
        """Decode more of the stream; returns every event these bytes completed, in order.

        Raises:
            SSEError: a line or an event's data is over ``max_event_size``. Events completed
                earlier in this call are on the exception's ``events``.
        """
    def feed_raw(self, data: bytes | bytearray | memoryview, /) -> list[tuple[bytes, bytes]]:
        """Like ``feed``, but returns ``(event_type, data)`` as undecoded UTF-8 bytes."""
    def close(self) -> list[ServerSentEvent]:
        """Signal end of input. Always ``[]``: the spec discards an unterminated block."""
