# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Incremental AWS EventStream decoder, compiled twin of ``_eventstream_py`` (the reference).

Same API, same checks in the same order, same errors and messages. CRC32 comes from zlib's C
``crc32``, its 16-byte blocks folded with PCLMULQDQ where the CPU has it; whole frames are decoded straight from the caller's buffer, and only an unfinished
frame is copied into the decoder's own buffer.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.dict cimport PyDict_Copy, PyDict_SetItem
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy, memmove

import datetime

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
    Int8Header,
    Int16Header,
    Int32Header,
    Int64Header,
    RETAINED_BUFFER,
    repeat_error,
)

cdef extern from "zlib.h":
    unsigned long crc32(unsigned long crc, const unsigned char* buf, unsigned int len) nogil

cdef extern from *:
    """
    /* CRC-32 (zlib's, the one EventStream uses) folded with carry-less multiplication, for
       x86-64 CPUs with PCLMULQDQ and SSE4.1 (checked once at run time); zlib does the rest.
       zlib 1.2.13 takes ~140 ns for a 181-byte frame (1.3 GB/s, a third of its rate over a
       large buffer): at Bedrock's frame sizes the CRC was most of the decoder's time.
       The folding follows Intel's "Fast CRC Computation for Generic Polynomials Using
       PCLMULQDQ Instruction" (Gopal et al., 2009), bit-reflected constants for 0xEDB88320,
       as zlib's own SIMD builds (Chromium's crc32_simd.c) do it. */
    #include <stdint.h>
    #include <stddef.h>
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <immintrin.h>
    #define LITERLLM_CRC_FOLDING 1

    __attribute__((target("pclmul,sse4.1")))
    static uint32_t literllm_crc32_fold(uint32_t crc, const unsigned char *buf, size_t len) {
        /* len: a multiple of 16, at least 64; crc: the register (not inverted here). */
        const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
        const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
        const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124LL);
        const __m128i poly = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
        const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
        __m128i x1, x2, x3, x4, x5, x6, x7, x8;

        x1 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
        x2 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
        x3 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
        x4 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
        x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
        buf += 64;
        len -= 64;
        while (len >= 64) {
            x5 = _mm_clmulepi64_si128(x1, k1k2, 0x00);
            x6 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
            x7 = _mm_clmulepi64_si128(x3, k1k2, 0x00);
            x8 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
            x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11);
            x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
            x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11);
            x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
            x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), _mm_loadu_si128((const __m128i *)(buf + 0x00)));
            x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), _mm_loadu_si128((const __m128i *)(buf + 0x10)));
            x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), _mm_loadu_si128((const __m128i *)(buf + 0x20)));
            x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), _mm_loadu_si128((const __m128i *)(buf + 0x30)));
            buf += 64;
            len -= 64;
        }
        /* Four lanes into one. */
        x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
        x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
        x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
        x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
        x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
        x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
        /* The remaining 16-byte blocks. */
        while (len >= 16) {
            x2 = _mm_loadu_si128((const __m128i *)buf);
            x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
            x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
            x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
            buf += 16;
            len -= 16;
        }
        /* 128 bits to 64. */
        x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
        x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
        x2 = _mm_srli_si128(x1, 4);
        x1 = _mm_and_si128(x1, low32);
        x1 = _mm_clmulepi64_si128(x1, k5k0, 0x00);
        x1 = _mm_xor_si128(x1, x2);
        /* Barrett reduction to 32 bits. */
        x2 = _mm_and_si128(x1, low32);
        x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
        x2 = _mm_and_si128(x2, low32);
        x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
        x1 = _mm_xor_si128(x1, x2);
        return (uint32_t)_mm_extract_epi32(x1, 1);
    }

    static int literllm_crc_folding = -1;  /* -1: not checked yet */

    static int literllm_crc_folds(void) {
        if (literllm_crc_folding < 0) {
            __builtin_cpu_init();
            literllm_crc_folding = __builtin_cpu_supports("pclmul")
                                   && __builtin_cpu_supports("sse4.1");
        }
        return literllm_crc_folding;
    }
    #else
    #define LITERLLM_CRC_FOLDING 0
    static uint32_t literllm_crc32_fold(uint32_t crc, const unsigned char *buf, size_t len) {
        (void)buf; (void)len;
        return crc;
    }
    static int literllm_crc_folds(void) { return 0; }
    #endif
    """
    uint32_t _crc32_fold "literllm_crc32_fold"(uint32_t crc, const unsigned char* buf, size_t n) noexcept nogil
    bint _crc_folds "literllm_crc_folds"() noexcept nogil

__all__ = ["EventStreamDecoder", "EventStreamMessage"]

DEF PRELUDE_LENGTH = 12
DEF MINIMUM_MESSAGE_LENGTH = 16
DEF STRING_CACHE_SIZE = 16
DEF STRING_CACHE_KEY = 64
DEF HEADER_CACHE_SIZE = 256

cdef object _EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
cdef Py_ssize_t _RETAINED_BUFFER = RETAINED_BUFFER
cdef object _timedelta = datetime.timedelta


@cython.freelist(64)
@cython.final
cdef class EventStreamMessage:
    """One decoded frame: its headers (in wire order) and its payload."""

    def __init__(self, dict headers, bytes payload):
        self._headers = headers
        self._shared = None
        self.payload = payload

    @property
    def headers(self):
        """The headers, in wire order (a dict of this message's own)."""
        if self._headers is None and self._shared is not None:
            self._headers = PyDict_Copy(self._shared)
        return self._headers

    @headers.setter
    def headers(self, dict value):
        self._headers = value
        self._shared = None

    def __eq__(self, other):
        if not isinstance(other, tuple(EVENT_STREAM_MESSAGE_CLASSES)):
            return NotImplemented
        return bool(self.payload == other.payload and self.headers == other.headers)

    __hash__ = None

    def __repr__(self):
        return f"EventStreamMessage(headers={self.headers!r}, payload={self.payload!r})"

    def __reduce__(self):
        return (EventStreamMessage, (self.headers, self.payload))


EVENT_STREAM_MESSAGE_CLASSES.append(EventStreamMessage)


cdef inline uint32_t _u32(const unsigned char* p) noexcept nogil:
    return (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]


cdef inline uint16_t _u16(const unsigned char* p) noexcept nogil:
    return <uint16_t>((p[0] << 8) | p[1])


cdef inline uint64_t _u64(const unsigned char* p) noexcept nogil:
    return (<uint64_t>_u32(p) << 32) | _u32(p + 4)


cdef bint _FOLDS = _crc_folds()


cdef inline uint32_t _crc(uint32_t seed, const unsigned char* p, Py_ssize_t n) noexcept nogil:
    """zlib's ``crc32(seed, p, n)``; whole 16-byte blocks folded when the CPU can."""
    cdef Py_ssize_t folded
    if _FOLDS and n >= 64:
        folded = n & ~<Py_ssize_t>15
        seed = ~_crc32_fold(~seed, p, <size_t>folded)
        p += folded
        n -= folded
    # zlib takes an unsigned int length; frames are capped far below 4 GiB, but stay exact.
    cdef unsigned long crc = seed
    while n > 0x40000000:
        crc = crc32(crc, p, 0x40000000)
        p += 0x40000000
        n -= 0x40000000
    return <uint32_t>crc32(crc, p, <unsigned int>n)


def _crc32(data, unsigned long seed=0):
    """``zlib.crc32(data, seed)`` by the decoder's own CRC (for the tests)."""
    cdef const unsigned char[::1] view = data
    if view.shape[0] == 0:
        return seed & 0xFFFFFFFF
    return _crc(<uint32_t>seed, &view[0], view.shape[0])


def _crc32_folds():
    """Whether this CPU folds the CRC with PCLMULQDQ (else zlib does all of it)."""
    return _FOLDS


@cython.final
cdef class EventStreamDecoder:
    """Incremental AWS EventStream decoder (see ``_eventstream_py.EventStreamDecoder``)."""

    cdef Py_ssize_t _max_message
    cdef Py_ssize_t _max_headers
    cdef unsigned char* _buf
    cdef Py_ssize_t _len
    cdef Py_ssize_t _cap
    cdef Py_ssize_t _need
    cdef object _error
    cdef bint _closed
    # Recently seen header names and string values: Bedrock repeats the same few in every
    # frame, and a cached str also carries its hash into the dict insert.
    cdef Py_ssize_t _cache_size[STRING_CACHE_SIZE]
    cdef char _cache_key[STRING_CACHE_SIZE][STRING_CACHE_KEY]
    cdef PyObject* _cache_text[STRING_CACHE_SIZE]
    cdef Py_ssize_t _cache_count
    cdef Py_ssize_t _next_slot
    # The last header block and its headers: a stream's messages mostly repeat the same
    # block (Bedrock: the same three headers in every content delta), so their messages
    # share the dict instead of parsing it again. Never handed out: a message copies it
    # when its headers are asked for, and the copy is the caller's to change.
    cdef unsigned char _header_block[HEADER_CACHE_SIZE]
    cdef Py_ssize_t _header_block_length
    cdef dict _block_headers

    def __cinit__(self):
        self._buf = NULL
        self._header_block_length = -1
        self._cache_count = 0
        self._next_slot = 0

    def __init__(
        self,
        *,
        Py_ssize_t max_message_size=DEFAULT_MAX_MESSAGE_SIZE,
        Py_ssize_t max_headers_size=DEFAULT_MAX_HEADERS_SIZE,
    ):
        if max_message_size < MINIMUM_MESSAGE_LENGTH:
            raise ValueError(f"max_message_size must be at least {MINIMUM_MESSAGE_LENGTH}")
        if max_headers_size < 0:
            raise ValueError("max_headers_size must not be negative")
        self._max_message = max_message_size
        self._max_headers = max_headers_size
        self._len = 0
        self._need = 0
        self._error = None
        self._closed = False

    def __dealloc__(self):
        cdef Py_ssize_t i
        PyMem_Free(self._buf)
        for i in range(self._cache_count):
            Py_XDECREF(self._cache_text[i])

    @property
    def buffered(self):
        """Bytes of an unfinished frame held by the decoder."""
        return self._len

    def feed(self, data, /):
        """Decode more of the stream; returns every message these bytes completed, in order."""
        return self._feed_any(data, False)

    def feed_raw(self, data, /):
        """``feed``, each completed frame as ``(header_block, payload)`` bytes (see the py
        twin)."""
        return self._feed_any(data, True)

    cdef list _feed_any(self, data, bint raw):
        cdef list out = []
        cdef Py_buffer view
        if self._error is not None:
            raise repeat_error(self._error, messages=[])
        if self._closed:
            raise RuntimeError(ES_FED_AFTER_CLOSE)
        try:
            if PyBytes_CheckExact(data):
                self._feed(<const unsigned char*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), out, raw)
            else:
                try:
                    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
                except BufferError:
                    data = memoryview(data).tobytes()
                    self._feed(<const unsigned char*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), out, raw)
                else:
                    try:
                        self._feed(<const unsigned char*>view.buf, view.len, out, raw)
                    finally:
                        PyBuffer_Release(&view)
        except EventStreamError as exc:
            exc.messages = out
            self._error = exc
            raise
        return out

    def close(self):
        """Signal end of input; raises ``EventStreamTruncatedError`` inside a frame."""
        if self._error is not None:
            raise repeat_error(self._error, messages=[])
        self._closed = True
        if self._len:
            self._error = EventStreamTruncatedError(ES_TRUNCATED.format(buffered=self._len))
            raise self._error

    cdef int _reserve(self, Py_ssize_t need) except -1:
        cdef Py_ssize_t cap
        cdef unsigned char* grown
        if need > self._cap:
            cap = max(need, 2 * self._cap, 4096)
            grown = <unsigned char*>PyMem_Realloc(self._buf, cap)
            if grown == NULL:
                raise MemoryError()
            self._buf = grown
            self._cap = cap
        return 0

    cdef int _append(self, const unsigned char* p, Py_ssize_t n) except -1:
        self._reserve(self._len + n)
        memcpy(self._buf + self._len, p, n)
        self._len += n
        return 0

    cdef int _feed(self, const unsigned char* p, Py_ssize_t n, list out, bint raw) except -1:
        # Mirrors _eventstream_py.EventStreamDecoder._decode_frames, without copying frames that
        # arrive whole.
        cdef Py_ssize_t take
        if self._len:
            # Finish the buffered frame with just the bytes it still lacks.
            if not self._need:
                take = min(PRELUDE_LENGTH - self._len, n)
                self._append(p, take)
                p += take
                n -= take
                if self._len < PRELUDE_LENGTH:
                    return 0
                self._need = self._check_prelude(self._buf)
            take = min(self._need - self._len, n)
            self._append(p, take)
            p += take
            n -= take
            if self._len < self._need:
                return 0
            out.append(self._raw_frame(self._buf, self._need) if raw
                       else self._decode_frame(self._buf, self._need))
            self._len = 0
            self._need = 0
            if self._cap > _RETAINED_BUFFER:
                # Freed after one large frame, so a long-lived decoder does not keep it.
                PyMem_Free(self._buf)
                self._buf = NULL
                self._cap = 0
        while n >= PRELUDE_LENGTH:
            self._need = self._check_prelude(p)
            if n < self._need:
                break
            out.append(self._raw_frame(p, self._need) if raw else self._decode_frame(p, self._need))
            p += self._need
            n -= self._need
            self._need = 0
        if n:
            self._append(p, n)
        return 0

    cdef Py_ssize_t _check_prelude(self, const unsigned char* p) except -1:
        # Mirrors _eventstream_py.EventStreamDecoder._check_prelude.
        cdef uint32_t total = _u32(p)
        cdef uint32_t headers_length = _u32(p + 4)
        cdef uint32_t expected = _u32(p + 8)
        cdef uint32_t actual = _crc(0, p, 8)
        if actual != expected:
            raise ChecksumError("prelude", expected, actual)
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
            raise EventStreamError(ES_MESSAGE_TOO_LARGE.format(total=total, limit=self._max_message))
        if headers_length > self._max_headers:
            raise EventStreamError(
                ES_HEADERS_TOO_LARGE.format(headers=headers_length, limit=self._max_headers)
            )
        return total

    cdef tuple _raw_frame(self, const unsigned char* p, Py_ssize_t total):
        cdef uint32_t headers_length = _u32(p + 4)
        cdef uint32_t expected = _u32(p + total - 4)
        cdef uint32_t actual = _crc(_u32(p + 8), p + 8, total - 12)
        if actual != expected:
            raise ChecksumError("message", expected, actual)
        return (
            PyBytes_FromStringAndSize(<const char*>p + PRELUDE_LENGTH, headers_length),
            PyBytes_FromStringAndSize(
                <const char*>p + PRELUDE_LENGTH + headers_length,
                total - headers_length - MINIMUM_MESSAGE_LENGTH,
            ),
        )

    cdef EventStreamMessage _decode_frame(self, const unsigned char* p, Py_ssize_t total):
        cdef uint32_t headers_length = _u32(p + 4)
        cdef uint32_t expected = _u32(p + total - 4)
        cdef uint32_t actual = _crc(_u32(p + 8), p + 8, total - 12)
        cdef EventStreamMessage message
        if actual != expected:
            raise ChecksumError("message", expected, actual)
        message = EventStreamMessage.__new__(EventStreamMessage)
        self._set_headers(message, p + PRELUDE_LENGTH, headers_length)
        message.payload = PyBytes_FromStringAndSize(
            <const char*>p + PRELUDE_LENGTH + headers_length,
            total - headers_length - MINIMUM_MESSAGE_LENGTH,
        )
        return message

    cdef int _set_headers(self, EventStreamMessage message, const unsigned char* block,
                          Py_ssize_t length) except -1:
        """A message's headers: the last block's dict, shared (copied when asked for), when
        the bytes are the same."""
        if (length == self._header_block_length
                and memcmp(self._header_block, block, length) == 0):
            message._shared = self._block_headers
            return 0
        headers = self._parse_headers(block, length)
        if length <= HEADER_CACHE_SIZE:
            memcpy(self._header_block, block, length)
            self._header_block_length = length
            self._block_headers = headers
            message._shared = headers
        else:
            message._headers = headers
        return 0

    cdef str _cached_str(self, const unsigned char* p, Py_ssize_t n):
        """Strict UTF-8 decode, reusing a recently decoded equal string; None if invalid."""
        cdef Py_ssize_t i, slot
        cdef str text
        for i in range(self._cache_count):
            if self._cache_size[i] == n and memcmp(self._cache_key[i], p, n) == 0:
                return <str>self._cache_text[i]
        try:
            text = PyUnicode_DecodeUTF8(<const char*>p, n, NULL)
        except UnicodeDecodeError:
            return None
        if n <= STRING_CACHE_KEY:
            if self._cache_count < STRING_CACHE_SIZE:
                slot = self._cache_count
                self._cache_count += 1
            else:
                slot = self._next_slot
                self._next_slot = (slot + 1) % STRING_CACHE_SIZE
                Py_XDECREF(self._cache_text[slot])
            memcpy(self._cache_key[slot], p, n)
            self._cache_size[slot] = n
            Py_INCREF(text)
            self._cache_text[slot] = <PyObject*>text
        return text

    cdef dict _parse_headers(self, const unsigned char* raw, Py_ssize_t end):
        # Mirrors _eventstream_py._parse_headers.
        cdef dict headers = {}
        cdef Py_ssize_t pos = 0
        cdef Py_ssize_t start, length, count
        cdef uint8_t name_length, kind
        cdef str name
        cdef object value
        cdef int64_t millis
        while pos < end:
            start = pos
            name_length = raw[pos]
            if name_length == 0:
                raise EventStreamError(ES_NAME_LENGTH_ZERO.format(offset=start))
            pos += 1
            if pos + name_length + 1 > end:
                raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
            name = self._cached_str(raw + pos, name_length)
            if name is None:
                raise EventStreamError(ES_BAD_UTF8_NAME.format(offset=start))
            pos += name_length
            kind = raw[pos]
            pos += 1
            if kind == 0:
                value = True
            elif kind == 1:
                value = False
            elif kind == 2:
                if pos + 1 > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                value = Int8Header(<int8_t>raw[pos])
                pos += 1
            elif kind == 3:
                if pos + 2 > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                value = Int16Header(<int16_t>_u16(raw + pos))
                pos += 2
            elif kind == 4:
                if pos + 4 > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                value = Int32Header(<int32_t>_u32(raw + pos))
                pos += 4
            elif kind == 5:
                if pos + 8 > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                value = Int64Header(<int64_t>_u64(raw + pos))
                pos += 8
            elif kind == 6 or kind == 7:
                if pos + 2 > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                length = _u16(raw + pos)
                pos += 2
                if pos + length > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                if kind == 6:
                    value = PyBytes_FromStringAndSize(<const char*>raw + pos, length)
                else:
                    value = self._cached_str(raw + pos, length)
                    if value is None:
                        raise EventStreamError(ES_BAD_UTF8_VALUE.format(name=name))
                pos += length
            elif kind == 8:
                if pos + 8 > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                millis = <int64_t>_u64(raw + pos)
                pos += 8
                try:
                    value = _EPOCH + _timedelta(milliseconds=millis)
                except OverflowError:
                    raise EventStreamError(
                        ES_TIMESTAMP_RANGE.format(name=name, millis=millis)
                    ) from None
            elif kind == 9:
                if pos + 16 > end:
                    raise EventStreamError(ES_HEADER_OVERRUN.format(offset=start))
                import uuid  # here: importing uuid costs more than all of literllm's parsers

                value = uuid.UUID(bytes=PyBytes_FromStringAndSize(<const char*>raw + pos, 16))
                pos += 16
            else:
                raise EventStreamError(ES_UNKNOWN_HEADER_TYPE.format(type=kind, offset=start))
            count = len(headers)
            PyDict_SetItem(headers, name, value)
            if len(headers) == count:
                raise EventStreamError(ES_DUPLICATE_HEADER.format(name=name))
        return headers
