# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Incremental ``text/event-stream`` decoder, compiled twin of ``_sse_py`` (the reference).

Same API, same events, same errors and messages. Lines are scanned with memchr over the
caller's buffer; only an unterminated line and the current event's data are copied.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport memchr, memcmp, memcpy

from ..errors import SSEError
from ._shared import (
    DEFAULT_MAX_EVENT_SIZE,
    MAX_RETRY_DIGITS,
    RETAINED_BUFFER,
    SERVER_SENT_EVENT_CLASSES,
    SSE_EVENT_TOO_LARGE,
    SSE_FED_AFTER_CLOSE,
    SSE_LINE_TOO_LONG,
    SSE_MIXED_MODES,
    UTF8_BOM,
)

__all__ = ["SSEDecoder", "ServerSentEvent"]

DEF MODE_UNSET = 0
DEF MODE_TEXT = 1
DEF MODE_RAW = 2

cdef bytes _MESSAGE_B = b"message"
cdef str _MESSAGE_S = "message"
cdef bytes _EMPTY_B = b""
cdef str _EMPTY_S = ""


@cython.freelist(128)
@cython.final
cdef class ServerSentEvent:
    """One dispatched event. Immutable; equal to the other twin's event with the same fields."""

    cdef readonly str event
    cdef readonly str data
    cdef readonly str id
    cdef readonly object retry

    def __init__(self, str event="message", str data="", str id="", retry=None):
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def __eq__(self, other):
        if not isinstance(other, tuple(SERVER_SENT_EVENT_CLASSES)):
            return NotImplemented
        return (
            self.event == other.event
            and self.data == other.data
            and self.id == other.id
            and self.retry == other.retry
        )

    def __hash__(self):
        return hash((self.event, self.data, self.id, self.retry))

    def __repr__(self):
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, id={self.id!r}, "
            f"retry={self.retry!r})"
        )

    def __reduce__(self):
        return (ServerSentEvent, (self.event, self.data, self.id, self.retry))


SERVER_SENT_EVENT_CLASSES.append(ServerSentEvent)


cdef inline str _decode(const char* p, Py_ssize_t n):
    return PyUnicode_DecodeUTF8(p, n, "replace")


cdef object _parse_retry(const char* p, Py_ssize_t n):
    """The value as an int when it is one or more ASCII digits, else None."""
    cdef Py_ssize_t i
    cdef long long v = 0
    if n == 0 or n > _MAX_RETRY_DIGITS:
        return None
    for i in range(n):
        if p[i] < 48 or p[i] > 57:
            return None
    if n <= 18:
        for i in range(n):
            v = v * 10 + (p[i] - 48)
        return v
    return int(PyBytes_FromStringAndSize(p, n))


cdef Py_ssize_t _MAX_RETRY_DIGITS = MAX_RETRY_DIGITS
cdef Py_ssize_t _RETAINED_BUFFER = RETAINED_BUFFER


@cython.final
cdef class SSEDecoder:
    """Incremental Server-Sent Events decoder (see ``_sse_py.SSEDecoder``)."""

    cdef Py_ssize_t _max
    cdef char* _line
    cdef Py_ssize_t _line_len
    cdef Py_ssize_t _line_cap
    cdef char* _data
    cdef Py_ssize_t _data_len
    cdef Py_ssize_t _data_cap
    cdef bint _has_data
    cdef bint _skip_lf
    cdef bint _bom_checked
    cdef bint _block_started
    cdef bint _closed
    cdef int _mode
    cdef bytes _head
    cdef bytes _event_type
    cdef bytes _last_type
    cdef bytes _id_buffer
    cdef bytes _last_event_id
    cdef bytes _id_text_key
    cdef str _id_text
    cdef bytes _type_text_key
    cdef str _type_text
    cdef object _retry
    cdef object _block_retry
    cdef str _error

    def __cinit__(self):
        self._line = NULL
        self._data = NULL

    def __init__(self, *, Py_ssize_t max_event_size=DEFAULT_MAX_EVENT_SIZE):
        if max_event_size < 1:
            raise ValueError("max_event_size must be at least 1")
        self._max = max_event_size
        self._line_len = 0
        self._data_len = 0
        self._has_data = False
        self._skip_lf = False
        self._bom_checked = False
        self._block_started = False
        self._closed = False
        self._mode = MODE_UNSET
        self._head = _EMPTY_B
        self._event_type = _EMPTY_B
        self._last_type = _EMPTY_B
        self._id_buffer = _EMPTY_B
        self._last_event_id = _EMPTY_B
        self._id_text_key = _EMPTY_B
        self._id_text = _EMPTY_S
        self._type_text_key = _MESSAGE_B
        self._type_text = _MESSAGE_S
        self._retry = None
        self._block_retry = None
        self._error = None

    def __dealloc__(self):
        PyMem_Free(self._line)
        PyMem_Free(self._data)

    @property
    def max_event_size(self):
        """The limit given to the constructor."""
        return self._max

    @property
    def last_event_id(self):
        """The stream's last event ID (committed at each blank line)."""
        return _decode(PyBytes_AS_STRING(self._last_event_id), PyBytes_GET_SIZE(self._last_event_id))

    @property
    def retry(self):
        """The latest valid ``retry`` value seen anywhere in the stream, else ``None``."""
        return self._retry

    @property
    def pending(self):
        """Whether anything after the last dispatched event is buffered (an unfinished block)."""
        return self._line_len > 0 or PyBytes_GET_SIZE(self._head) > 0 or self._block_started

    def feed(self, data, /):
        """Decode more of the stream; returns every event these bytes completed, in order."""
        return self._feed(data, MODE_TEXT)

    def feed_raw(self, data, /):
        """Like ``feed``, but returns ``(event_type, data)`` as undecoded UTF-8 bytes."""
        return self._feed(data, MODE_RAW)

    def close(self):
        """Signal end of input. Always ``[]``: the spec discards an unterminated block."""
        if self._error is not None:
            raise SSEError(self._error)
        self._closed = True
        return []

    cdef list _feed(self, object data, int mode):
        cdef list out = []
        cdef Py_buffer view
        if self._error is not None:
            raise SSEError(self._error)
        if self._mode != mode:
            if self._mode != MODE_UNSET:
                raise RuntimeError(SSE_MIXED_MODES)
            self._mode = mode
        if self._closed:
            raise RuntimeError(SSE_FED_AFTER_CLOSE)
        if not PyBytes_CheckExact(data):
            try:
                PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            except BufferError:
                # e.g. a non-contiguous memoryview; the py twin copies it the same way.
                data = memoryview(data).tobytes()
            else:
                try:
                    if not self._bom_checked:
                        data = self._strip_bom(PyBytes_FromStringAndSize(<char*>view.buf, view.len))
                        self._split_guarded(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), out)
                    else:
                        self._split_guarded(<const char*>view.buf, view.len, out)
                finally:
                    PyBuffer_Release(&view)
                return out
        if not self._bom_checked:
            data = self._strip_bom(data)
        self._split_guarded(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), out)
        return out

    cdef bytes _strip_bom(self, bytes chunk):
        # Mirrors _sse_py.SSEDecoder._strip_bom.
        cdef bytes head = self._head + chunk
        if len(head) < 3 and UTF8_BOM.startswith(head):
            self._head = head
            return _EMPTY_B
        self._bom_checked = True
        self._head = _EMPTY_B
        return head[3:] if head.startswith(UTF8_BOM) else head

    cdef int _split_guarded(self, const char* p, Py_ssize_t n, list out) except -1:
        try:
            self._split_lines(p, n, out)
        except SSEError as exc:
            self._error = exc.message
            exc.events = out
            self._release_buffers()  # a dead decoder never reads them again
            raise
        return 0

    cdef void _release_buffers(self) noexcept:
        PyMem_Free(self._line)
        PyMem_Free(self._data)
        self._line = NULL
        self._data = NULL
        self._line_cap = self._data_cap = self._line_len = self._data_len = 0

    cdef int _append_line(self, const char* p, Py_ssize_t n) except -1:
        cdef Py_ssize_t need = self._line_len + n
        cdef Py_ssize_t cap
        cdef char* grown
        if need > self._max:
            raise SSEError(SSE_LINE_TOO_LONG.format(limit=self._max))
        if need > self._line_cap:
            cap = max(need, 2 * self._line_cap, 256)
            grown = <char*>PyMem_Realloc(self._line, cap)
            if grown == NULL:
                raise MemoryError()
            self._line = grown
            self._line_cap = cap
        memcpy(self._line + self._line_len, p, n)
        self._line_len = need
        return 0

    cdef int _split_lines(self, const char* p, Py_ssize_t n, list out) except -1:
        # Mirrors _sse_py.SSEDecoder._split_lines; pointers replace indices.
        cdef const char* end = p + n
        cdef const char* lf = NULL
        cdef const char* cr = NULL
        cdef const char* stop
        cdef Py_ssize_t line_len
        if self._skip_lf and n:
            self._skip_lf = False
            if p[0] == b'\n':
                p += 1
        lf = p - 1
        cr = p - 1
        while True:
            if lf < p:
                lf = <const char*>memchr(p, b'\n', end - p)
                if lf == NULL:
                    lf = end
            if cr < p:
                cr = <const char*>memchr(p, b'\r', end - p)
                if cr == NULL:
                    cr = end
            stop = lf if lf < cr else cr
            if stop == end:
                if p < end:
                    self._append_line(p, end - p)
                return 0
            if self._line_len:
                self._append_line(p, stop - p)
                line_len = self._line_len
                self._line_len = 0
                # NOTE: _process_line never touches _line, so reading it after the reset is safe.
                self._process_line(self._line, line_len, out)
                if self._line_cap > _RETAINED_BUFFER:
                    PyMem_Free(self._line)
                    self._line = NULL
                    self._line_cap = 0
            else:
                if stop - p > self._max:
                    raise SSEError(SSE_LINE_TOO_LONG.format(limit=self._max))
                self._process_line(p, stop - p, out)
            if stop == cr:
                if stop + 1 < end:
                    if stop[1] == b'\n':
                        stop += 1
                else:
                    self._skip_lf = True
            p = stop + 1

    cdef int _process_line(self, const char* line, Py_ssize_t n, list out) except -1:
        cdef const char* colon
        cdef const char* value
        cdef Py_ssize_t name_len, value_len, size
        cdef object retry
        if n == 0:
            return self._dispatch(out)
        if line[0] == b':':
            return 0
        # The field names a stream repeats on every event end at the first colon: no search.
        if n >= 5 and memcmp(line, b"data:", 5) == 0:
            colon = line + 4
        elif n >= 6 and memcmp(line, b"event:", 6) == 0:
            colon = line + 5
        else:
            colon = <const char*>memchr(line, b':', n)
        if colon == NULL:
            name_len = n
            value = line + n
            value_len = 0
        else:
            name_len = colon - line
            value = colon + 1
            if value < line + n and value[0] == b' ':
                value += 1
            value_len = line + n - value
        self._block_started = True
        if name_len == 4 and memcmp(line, b"data", 4) == 0:
            size = self._data_len + value_len + (1 if self._has_data else 0)
            if size > self._max:
                raise SSEError(SSE_EVENT_TOO_LARGE.format(limit=self._max))
            self._append_data(value, value_len)
        elif name_len == 5 and memcmp(line, b"event", 5) == 0:
            if (PyBytes_GET_SIZE(self._event_type) != value_len
                    or memcmp(PyBytes_AS_STRING(self._event_type), value, value_len) != 0):
                # Reuse the previous type object when a stream repeats its event names.
                if (PyBytes_GET_SIZE(self._last_type) == value_len
                        and memcmp(PyBytes_AS_STRING(self._last_type), value, value_len) == 0):
                    self._event_type = self._last_type
                else:
                    self._event_type = PyBytes_FromStringAndSize(value, value_len)
                    self._last_type = self._event_type
        elif name_len == 2 and line[0] == b'i' and line[1] == b'd':
            if memchr(value, 0, value_len) == NULL:
                if (PyBytes_GET_SIZE(self._id_buffer) != value_len
                        or memcmp(PyBytes_AS_STRING(self._id_buffer), value, value_len) != 0):
                    self._id_buffer = PyBytes_FromStringAndSize(value, value_len)
        elif name_len == 5 and memcmp(line, b"retry", 5) == 0:
            retry = _parse_retry(value, value_len)
            if retry is not None:
                self._retry = retry
                self._block_retry = retry
        return 0

    cdef int _append_data(self, const char* value, Py_ssize_t value_len) except -1:
        cdef Py_ssize_t need = self._data_len + value_len + 1
        cdef Py_ssize_t cap
        cdef char* grown
        if need > self._data_cap:
            cap = max(need, 2 * self._data_cap, 1024)
            grown = <char*>PyMem_Realloc(self._data, cap)
            if grown == NULL:
                raise MemoryError()
            self._data = grown
            self._data_cap = cap
        if self._has_data:
            self._data[self._data_len] = b'\n'
            self._data_len += 1
        memcpy(self._data + self._data_len, value, value_len)
        self._data_len += value_len
        self._has_data = True
        return 0

    cdef int _dispatch(self, list out) except -1:
        cdef bytes event_type
        cdef ServerSentEvent event
        self._last_event_id = self._id_buffer
        if self._has_data:
            event_type = self._event_type if PyBytes_GET_SIZE(self._event_type) else _MESSAGE_B
            if self._mode == MODE_RAW:
                out.append((event_type, PyBytes_FromStringAndSize(self._data, self._data_len)))
            else:
                event = ServerSentEvent.__new__(ServerSentEvent)
                if event_type is not self._type_text_key:
                    self._type_text = _decode(PyBytes_AS_STRING(event_type), PyBytes_GET_SIZE(event_type))
                    self._type_text_key = event_type
                event.event = self._type_text
                event.data = _decode(self._data, self._data_len)
                if self._id_buffer is not self._id_text_key:
                    self._id_text = _decode(PyBytes_AS_STRING(self._id_buffer), PyBytes_GET_SIZE(self._id_buffer))
                    self._id_text_key = self._id_buffer
                event.id = self._id_text
                event.retry = self._block_retry
                out.append(event)
            self._data_len = 0
            self._has_data = False
            if self._data_cap > _RETAINED_BUFFER:
                PyMem_Free(self._data)
                self._data = NULL
                self._data_cap = 0
        self._event_type = _EMPTY_B
        self._block_retry = None
        self._block_started = False
        return 0
