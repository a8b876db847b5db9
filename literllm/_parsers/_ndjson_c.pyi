"""Stub for the compiled NDJSON twin; mirrors ``_ndjson_py`` exactly."""

from typing import final

__all__ = ["NDJSONDecoder"]

@final
class NDJSONDecoder:
    """Incremental NDJSON decoder: ``feed`` bytes, get the lines they completed.

    Args:
        max_line_size: the longest line (in bytes, without its line ending) the decoder
            buffers; exactly this size is accepted. Over it, ``NDJSONError``.
    """

    def __init__(self, *, max_line_size: int = 16777216) -> None: ...
    @property
    def max_line_size(self) -> int: ...
    @property
    def pending(self) -> bool: ...
    def feed(self, data: bytes | bytearray | memoryview, /) -> list[bytes]: ...
    def close(self) -> list[bytes]: ...
