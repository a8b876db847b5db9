# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Incremental NDJSON line splitter, compiled twin of ``_ndjson_py`` (the reference).

Same API, same lines, same errors and messages. Lines are found with memchr over the
caller's buffer; only an unterminated line is copied.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.string cimport memchr

from ..errors import NDJSONError
from ._shared import (
    DEFAULT_MAX_LINE_SIZE,
    NDJSON_FED_AFTER_CLOSE,
    NDJSON_LINE_TOO_LONG,
    RETAINED_BUFFER,
)

__all__ = ["NDJSONDecoder"]


@cython.final
cdef class NDJSONDecoder:
    """Incremental NDJSON decoder: ``feed`` bytes, get the lines they completed.

    Args:
        max_line_size: the longest line (in bytes, without its line ending) the decoder
            buffers; exactly this size is accepted. Over it, ``NDJSONError``.
    """

    cdef Py_ssize_t _max
    cdef bytearray _line
    cdef bint _closed
    cdef object _error

    def __init__(self, *, Py_ssize_t max_line_size=DEFAULT_MAX_LINE_SIZE):
        if max_line_size < 1:
            raise ValueError("max_line_size must be at least 1")
        self._max = max_line_size
        self._line = bytearray()
        self._closed = False
        self._error = None

    @property
    def max_line_size(self):
        return self._max

    @property
    def pending(self):
        """Bytes of an unterminated line are buffered."""
        return len(self._line) > 0

    cdef object _fail(self, str message, list lines):
        error = NDJSONError(message)
        error.lines = tuple(lines)
        self._error = error
        self._line = bytearray()
        return error

    def feed(self, data, /):
        """The lines ``data`` completed (without line endings; blank ones skipped)."""
        cdef Py_buffer view
        cdef const char* base
        cdef const char* newline
        cdef Py_ssize_t start, end, length, size
        cdef list out = []
        cdef bytes line
        if self._error is not None:
            raise self._error
        if self._closed:
            raise self._fail(NDJSON_FED_AFTER_CLOSE, [])
        if isinstance(data, (str, int)):
            raise TypeError(f"a bytes-like object is required, not {type(data).__name__!r}")
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
        try:
            base = <const char*>view.buf
            end = view.len
            start = 0
            while start < end:
                newline = <const char*>memchr(base + start, 10, <size_t>(end - start))
                if newline == NULL:
                    self._line += PyBytes_FromStringAndSize(base + start, end - start)
                    size = len(self._line)
                    if size and self._line[size - 1] == 13:
                        size -= 1
                    if size > self._max:
                        raise self._fail(NDJSON_LINE_TOO_LONG.format(limit=self._max), out)
                    break
                length = newline - (base + start)
                if len(self._line):
                    self._line += PyBytes_FromStringAndSize(base + start, length)
                    line = bytes(self._line)
                    if len(self._line) > RETAINED_BUFFER:
                        self._line = bytearray()
                    else:
                        del self._line[:]
                    if len(line) and line[len(line) - 1] == 13:
                        line = line[:len(line) - 1]
                else:
                    if length and base[start + length - 1] == 13:
                        length -= 1
                    line = PyBytes_FromStringAndSize(base + start, length)
                if len(line) > self._max:
                    raise self._fail(NDJSON_LINE_TOO_LONG.format(limit=self._max), out)
                if len(line):
                    out.append(line)
                start = (newline - base) + 1
        finally:
            PyBuffer_Release(&view)
        return out

    def close(self):
        """The end of the body: an unterminated last line, if any (once)."""
        cdef bytes line
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        line = bytes(self._line)
        self._line = bytearray()
        if len(line) and line[len(line) - 1] == 13:
            line = line[:len(line) - 1]
        return [line] if len(line) else []
