"""Incremental NDJSON line splitter, pure Python: the reference twin of ``_ndjson_c``.

NDJSON (``application/x-ndjson``, Ollama's native API) is one JSON value per line. The
decoder cuts the body into lines in pieces of any size: a line ends at LF (a CR before it is
dropped), blank lines are skipped, and what a line holds is the adapter's to parse. A line
longer than ``max_line_size`` raises ``NDJSONError`` as soon as it is over, so memory stays
bounded however long the line would have been. ``close()`` returns an unterminated last line
(a body that ends without its final LF): parsing it tells whether it was whole.
"""

from __future__ import annotations

from ..errors import NDJSONError
from ._shared import (
    DEFAULT_MAX_LINE_SIZE,
    NDJSON_FED_AFTER_CLOSE,
    NDJSON_LINE_TOO_LONG,
    RETAINED_BUFFER,
)

__all__ = ["NDJSONDecoder"]


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if type(data) is bytes:
        return data
    return memoryview(data).tobytes()


def _line(raw: bytes) -> bytes:
    return raw[:-1] if raw.endswith(b"\r") else raw


class NDJSONDecoder:
    """Incremental NDJSON decoder: ``feed`` bytes, get the lines they completed.

    Args:
        max_line_size: the longest line (in bytes, without its line ending) the decoder
            buffers; exactly this size is accepted. Over it, ``NDJSONError``.
    """

    __slots__ = ("_closed", "_error", "_line", "_max")

    def __init__(self, *, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> None:
        if max_line_size < 1:
            raise ValueError("max_line_size must be at least 1")
        self._max = max_line_size
        self._line = bytearray()  # the unterminated line carried over from earlier feeds
        self._closed = False
        self._error: NDJSONError | None = None

    @property
    def max_line_size(self) -> int:
        return self._max

    @property
    def pending(self) -> bool:
        """Bytes of an unterminated line are buffered."""
        return bool(self._line)

    def _fail(self, message: str, lines: list[bytes]) -> NDJSONError:
        error = NDJSONError(message)
        error.lines = tuple(lines)
        self._error = error
        self._line = bytearray()
        return error

    def feed(self, data: bytes | bytearray | memoryview, /) -> list[bytes]:
        """The lines ``data`` completed (without line endings; blank ones skipped)."""
        if self._error is not None:
            raise self._error
        if self._closed:
            raise self._fail(NDJSON_FED_AFTER_CLOSE, [])
        chunk = _as_bytes(data)
        out: list[bytes] = []
        limit = self._max
        start = 0
        end = len(chunk)
        while start < end:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                self._line += chunk[start:]
                # A CR may still be the line's ending: count it only once more arrives.
                size = len(self._line) - (1 if self._line.endswith(b"\r") else 0)
                if size > limit:
                    raise self._fail(NDJSON_LINE_TOO_LONG.format(limit=limit), out)
                break
            if self._line:
                self._line += chunk[start:newline]
                line = _line(bytes(self._line))
                if len(self._line) > RETAINED_BUFFER:
                    self._line = bytearray()
                else:
                    self._line.clear()
            else:
                line = _line(chunk[start:newline])
            if len(line) > limit:
                raise self._fail(NDJSON_LINE_TOO_LONG.format(limit=limit), out)
            if line:
                out.append(line)
            start = newline + 1
        return out

    def close(self) -> list[bytes]:
        """The end of the body: an unterminated last line, if any (once)."""
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        line = _line(bytes(self._line))
        self._line = bytearray()
        return [line] if line else []
