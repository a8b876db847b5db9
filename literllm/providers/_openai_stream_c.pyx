# cython: language_level=3, embedsignature=True, auto_pickle=False
"""OpenAI chat-completion chunks from SSE events, compiled twin of ``_openai_stream_py``.

Builds the common chunk shape (one choice whose delta holds only ``content``, no usage) in C:
the chunk dataclasses are allocated and their slots filled directly, without running their
Python ``__init__``. Every other event goes through the py twin's ``decode_event`` and
``build_chunk``, so both twins give the same chunks and the same errors for every input.

The common shape is read straight from the event's bytes by a scanner that knows only that
shape (``_scan``), without building orjson's dict tree: decoding and freeing the tree cost
more than half of each chunk. The chunk's ``raw`` is then a ``LazyJSONObject``, which decodes
the bytes with orjson on first use. The scanner accepts only documents it has checked in full
(strict JSON: escapes, UTF-8, control characters, number grammar); anything else, or any
field outside the shape, sends the event down the orjson path, so the chunk, the error and
``raw`` are those of the py twin.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_Size
from cpython.exc cimport PyErr_Clear
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_FromLongLong
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject, PyObject_IsTrue
from cpython.ref cimport Py_DECREF
from cpython.set cimport PySet_Add, PySet_Contains, PySet_Discard
from libc.stdint cimport uint64_t
from libc.string cimport memcmp, memcpy

import collections.abc

import orjson

from ._slots cimport ChunkLayout, chunk_layout, orjson_keys, text_chunk

from ..types import ChatCompletionChunk, Delta, StreamChoice
from ._base import SSE_CONTENT_TYPE, SSETransport
from ._events import DONE
from ._openai_stream_py import build_chunk, check_complete, decode_event

__all__ = ["LazyJSONObject", "OpenAIChatStream"]

cdef object _loads = orjson.loads
cdef object _JSONDecodeError = orjson.JSONDecodeError
cdef bytes _DONE = DONE
cdef bytes _ERROR_EVENT = b"error"
cdef str _EMPTY = ""
cdef str _CHUNK_OBJECT = "chat.completion.chunk"
cdef object _ZERO = 0


cdef ChunkLayout _LAYOUT = chunk_layout(Delta, StreamChoice, ChatCompletionChunk)


cdef dict _KEYS = orjson_keys(_loads, 
    b'{"id":0,"object":0,"created":0,"model":0,"system_fingerprint":0,"usage":0,"error":0,"x_groq":0,'
    b'"choices":[{"index":0,"delta":{"content":0},"logprobs":0,"finish_reason":0}]}'
)
cdef str _K_ID = _KEYS["id"]
cdef str _K_OBJECT = _KEYS["object"]
cdef str _K_CREATED = _KEYS["created"]
cdef str _K_MODEL = _KEYS["model"]
cdef str _K_FINGERPRINT = _KEYS["system_fingerprint"]
cdef str _K_USAGE = _KEYS["usage"]
cdef str _K_ERROR = _KEYS["error"]
cdef str _K_GROQ = _KEYS["x_groq"]
cdef str _K_CHOICES = _KEYS["choices"]
cdef str _K_INDEX = _KEYS["index"]
cdef str _K_DELTA = _KEYS["delta"]
cdef str _K_CONTENT = _KEYS["content"]
cdef str _K_LOGPROBS = _KEYS["logprobs"]
cdef str _K_FINISH = _KEYS["finish_reason"]


cdef inline object _get(dict d, str key, object default):
    """``d.get(key, default)``."""
    cdef PyObject* value = PyDict_GetItem(d, key)
    return default if value == NULL else <object>value


cdef inline object _get_or(dict d, str key, object default):
    """``d.get(key) or default``."""
    cdef PyObject* value = PyDict_GetItem(d, key)
    if value == NULL or not PyObject_IsTrue(<object>value):
        return default
    return <object>value


cdef extern from "Python.h":
    PyObject* _new_text "PyUnicode_New"(Py_ssize_t size, Py_UCS4 maxchar)
    PyObject* _decode_utf8 "PyUnicode_DecodeUTF8"(const char* data, Py_ssize_t size,
                                                  const char* errors)
    void* _text_data "PyUnicode_DATA"(object text)
    bint _is_compact_ascii "PyUnicode_IS_COMPACT_ASCII"(object text)
    Py_ssize_t _text_length "PyUnicode_GET_LENGTH"(object text)


@cython.final
cdef class LazyJSONObject:
    """A read-only ``Mapping``: a JSON object decoded with orjson on first use.

    The compiled OpenAI twin gives it as ``chunk.raw`` for the chunks it reads without
    decoding them. It equals the dict orjson would give (either way round), and pickles and
    copies as that dict; ``dict(raw)`` is that dict.
    """

    cdef bytes _data
    cdef dict _value

    def __cinit__(self, bytes data):
        self._data = data

    cdef dict _decoded(self):
        if self._value is None:
            self._value = _loads(self._data)
        return self._value

    def __getitem__(self, key):
        return self._decoded()[key]

    def __iter__(self):
        return iter(self._decoded())

    def __len__(self):
        return len(self._decoded())

    def __contains__(self, key):
        return key in self._decoded()

    def get(self, key, default=None):
        """``D.get(k[, d])``: ``D[k]`` if ``k`` is in ``D``, else ``d``."""
        return self._decoded().get(key, default)

    def keys(self):
        """A view of the keys."""
        return self._decoded().keys()

    def items(self):
        """A view of the ``(key, value)`` pairs."""
        return self._decoded().items()

    def values(self):
        """A view of the values."""
        return self._decoded().values()

    def __eq__(self, other):
        if isinstance(other, LazyJSONObject):
            other = (<LazyJSONObject>other)._decoded()
        elif not isinstance(other, collections.abc.Mapping):
            return NotImplemented
        return self._decoded() == other

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self):
        return repr(self._decoded())

    def __reduce__(self):
        return (dict, (self._decoded(),))


collections.abc.Mapping.register(LazyJSONObject)


# The scanner for the common chunk shape. Each step takes the position of the next byte and
# returns the position after what it read, or NULL when the document is not one it can read
# (not the shape, or not JSON it checks): the caller then falls back to orjson. It never
# raises, and never decides a document is bad JSON; orjson does that on the fallback.

ctypedef const unsigned char* Pos

cdef enum ValueKind:
    ABSENT, NULL_VALUE, STRING, INTEGER, OTHER

ctypedef struct Value:
    ValueKind kind
    Pos start  # a string's bytes, between its quotes, escapes undone by _text
    Py_ssize_t size
    bint escaped
    bint ascii
    long long number


cdef inline Pos _space(Pos p, Pos end) noexcept:
    while p < end and (p[0] == c' ' or p[0] == c'\n' or p[0] == c'\r' or p[0] == c'\t'):
        p += 1
    return p


cdef inline int _hex_digit(unsigned char c) noexcept:
    if c'0' <= c <= c'9':
        return c - c'0'
    if c'a' <= c <= c'f':
        return c - c'a' + 10
    if c'A' <= c <= c'F':
        return c - c'A' + 10
    return -1


cdef inline int _hex4(Pos p) noexcept:
    """The code unit of four hex digits, or -1."""
    cdef int value = 0, digit, i
    for i in range(4):
        digit = _hex_digit(p[i])
        if digit < 0:
            return -1
        value = value * 16 + digit
    return value


cdef extern from *:
    """
    /* Reading eight bytes at a time needs a little-endian word and a count of trailing
       zeros; elsewhere the scanner reads byte by byte. */
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) \
        && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    #define LITERLLM_WORDS 1
    #define literllm_lowest_bit(word) __builtin_ctzll(word)
    #else
    #define LITERLLM_WORDS 0
    #define literllm_lowest_bit(word) 0
    #endif
    """
    const bint _WORDS "LITERLLM_WORDS"
    int _lowest_bit "literllm_lowest_bit"(uint64_t word) noexcept


cdef uint64_t _ONES = 0x0101010101010101ULL
cdef uint64_t _HIGHS = 0x8080808080808080ULL
cdef uint64_t _QUOTES = 0x2222222222222222ULL
cdef uint64_t _BACKSLASHES = 0x5C5C5C5C5C5C5C5CULL
cdef uint64_t _SPACES = 0x2020202020202020ULL


cdef inline Pos _plain(Pos p, Pos end, Value* value) noexcept:
    """Past the bytes of a string that need no look, eight at a time: up to the first quote,
    backslash or control byte (noting any non-ASCII byte on the way)."""
    cdef uint64_t word, quote, backslash, hits, high = 0
    cdef int first
    if not _WORDS:
        return p
    while end - p >= 8:
        memcpy(&word, p, 8)
        quote = word ^ _QUOTES
        backslash = word ^ _BACKSLASHES
        # The high bit of each byte that is a quote, a backslash or below 0x20 (a borrow
        # can set one only above a byte that is one of those, so the lowest is exact).
        hits = (((quote - _ONES) & ~quote) | ((backslash - _ONES) & ~backslash)
                | ((word - _SPACES) & ~word)) & _HIGHS
        if hits:
            first = _lowest_bit(hits)  # little-endian: the first byte is the lowest
            high |= word & ((<uint64_t>1 << first) - 1)
            p += first >> 3
            break
        high |= word
        p += 8
    if high & _HIGHS:
        value.ascii = False
    return p


cdef Pos _string(Pos p, Pos end, Value* value) noexcept:
    """A string's body, ``p`` just past its opening quote."""
    cdef unsigned char c
    cdef int unit
    value.kind = STRING
    value.start = p
    value.escaped = False
    value.ascii = True
    while True:
        p = _plain(p, end, value)
        if p >= end:
            return NULL
        c = p[0]
        if c == c'"':
            value.size = p - value.start
            return p + 1
        if c == c'\\':
            value.escaped = True
            if end - p < 2:
                return NULL
            c = p[1]
            if c == c'u':
                if end - p < 6:
                    return NULL
                unit = _hex4(p + 2)
                # Surrogates (paired or lone) are left to orjson.
                if unit < 0 or 0xD800 <= unit <= 0xDFFF:
                    return NULL
                p += 6
                continue
            if not (c == c'"' or c == c'\\' or c == c'/' or c == c'b' or c == c'f'
                    or c == c'n' or c == c'r' or c == c't'):
                return NULL
            p += 2
            continue
        if c < 0x20:
            return NULL
        if c >= 0x80:
            value.ascii = False
        p += 1


cdef Pos _integer(Pos p, Pos end, Value* value) noexcept:
    """An integer of at most 18 digits; fractions, exponents and longer numbers are left to
    orjson."""
    cdef bint negative = False
    cdef long long number = 0
    cdef int digits = 0
    if p < end and p[0] == c'-':
        negative = True
        p += 1
    if p >= end:
        return NULL
    if p[0] == c'0':
        p += 1
    else:
        while p < end and c'0' <= p[0] <= c'9':
            number = number * 10 + (p[0] - c'0')
            digits += 1
            p += 1
        if digits == 0 or digits > 18:
            return NULL
    if p < end and (c'0' <= p[0] <= c'9' or p[0] == c'.' or p[0] == c'e' or p[0] == c'E'):
        return NULL
    value.kind = INTEGER
    value.number = -number if negative else number
    return p


cdef Pos _scalar(Pos p, Pos end, Value* value) noexcept:
    """A string, null, true, false or integer; objects and arrays are left to orjson."""
    if p >= end:
        return NULL
    cdef unsigned char c = p[0]
    if c == c'"':
        return _string(p + 1, end, value)
    if c == c'n' and end - p >= 4 and memcmp(p, b"null", 4) == 0:
        value.kind = NULL_VALUE
        return p + 4
    if c == c't' and end - p >= 4 and memcmp(p, b"true", 4) == 0:
        value.kind = OTHER
        return p + 4
    if c == c'f' and end - p >= 5 and memcmp(p, b"false", 5) == 0:
        value.kind = OTHER
        return p + 5
    if c == c'-' or c'0' <= c <= c'9':
        return _integer(p, end, value)
    return NULL


cdef inline bint _valid_utf8(const Value* value) noexcept:
    """Whether a string's bytes are UTF-8 (escapes are ASCII, so they need no undoing)."""
    if value.kind != STRING or value.ascii:
        return True
    cdef PyObject* text = _decode_utf8(<const char*>value.start, value.size, NULL)
    if text == NULL:
        PyErr_Clear()
        return False
    Py_DECREF(<object>text)
    return True


cdef inline Pos _key(Pos p, Pos end, Value* key) noexcept:
    """A member's key and its colon, ``p`` at the key's opening quote; keys with escapes or
    non-ASCII bytes are not ours, and are left to orjson."""
    if p >= end or p[0] != c'"':
        return NULL
    p = _string(p + 1, end, key)
    if p == NULL or key.escaped or not key.ascii:
        return NULL
    p = _space(p, end)
    if p >= end or p[0] != c':':
        return NULL
    return _space(p + 1, end)


cdef inline Pos _next_member(Pos p, Pos end, bint* more) noexcept:
    """Past the ``,`` or ``}`` after a member's value."""
    p = _space(p, end)
    if p >= end:
        return NULL
    if p[0] == c',':
        more[0] = True
        return _space(p + 1, end)
    if p[0] == c'}':
        more[0] = False
        return p + 1
    return NULL


cdef inline bint _is(const Value* key, const char* name, Py_ssize_t size) noexcept:
    return key.size == size and memcmp(key.start, name, size) == 0


cdef object _unescaped_text(const Value* value):
    """The text of a string with escapes (checked by ``_string``), or None if not UTF-8."""
    cdef unsigned char small[256]
    cdef unsigned char* out = small
    cdef unsigned char* o
    cdef Pos p = value.start
    cdef Pos end = value.start + value.size
    cdef unsigned char c
    cdef int unit
    cdef PyObject* text
    if value.size > 256:
        out = <unsigned char*>PyMem_Malloc(value.size)
        if out == NULL:
            raise MemoryError()
    o = out
    try:
        while p < end:
            c = p[0]
            if c != c'\\':
                o[0] = c
                o += 1
                p += 1
                continue
            c = p[1]
            p += 2
            if c == c'u':
                unit = _hex4(p)
                p += 4
                if unit < 0x80:
                    o[0] = unit
                    o += 1
                elif unit < 0x800:
                    o[0] = 0xC0 | (unit >> 6)
                    o[1] = 0x80 | (unit & 0x3F)
                    o += 2
                else:
                    o[0] = 0xE0 | (unit >> 12)
                    o[1] = 0x80 | ((unit >> 6) & 0x3F)
                    o[2] = 0x80 | (unit & 0x3F)
                    o += 3
                continue
            if c == c'n':
                c = c'\n'
            elif c == c't':
                c = c'\t'
            elif c == c'r':
                c = c'\r'
            elif c == c'b':
                c = 8
            elif c == c'f':
                c = 12
            o[0] = c  # '"', '\\' and '/' stand for themselves
            o += 1
        text = _decode_utf8(<const char*>out, o - out, NULL)
    finally:
        if out != small:
            PyMem_Free(out)
    if text == NULL:
        PyErr_Clear()
        return None
    result = <object>text
    Py_DECREF(result)
    return result


cdef object _text(const Value* value, object previous):
    """The text of a string ``Value``, or None if its bytes are not UTF-8; ``previous`` when
    it holds the same ASCII text (ids and model names repeat in every chunk)."""
    cdef PyObject* text
    if value.escaped:
        return _unescaped_text(value)
    if value.ascii:
        if (previous is not None and _is_compact_ascii(previous)
                and _text_length(previous) == value.size
                and memcmp(_text_data(previous), value.start, value.size) == 0):
            return previous
        text = _new_text(value.size, 127)
        if text == NULL:
            raise MemoryError()
        memcpy(_text_data(<object>text), value.start, value.size)
    else:
        text = _decode_utf8(<const char*>value.start, value.size, NULL)
        if text == NULL:
            PyErr_Clear()
            return None
    result = <object>text
    Py_DECREF(result)
    return result


cdef Pos _content_delta(Pos p, Pos end, Value* content) noexcept:
    """``{"content": string-or-null}``, the only delta the scanner reads."""
    cdef Value key
    if p >= end or p[0] != c'{':
        return NULL
    p = _key(_space(p + 1, end), end, &key)
    if p == NULL or not _is(&key, "content", 7):
        return NULL
    p = _scalar(p, end, content)
    if p == NULL or (content.kind != STRING and content.kind != NULL_VALUE):
        return NULL
    p = _space(p, end)
    if p >= end or p[0] != c'}':
        return NULL
    return p + 1


cdef Pos _choice_list(Pos p, Pos end, Value* index, Value* content, Value* finish) noexcept:
    """``[choice]``: one choice with a content-only delta, an integer index if any, a
    string-or-null finish_reason and null logprobs."""
    cdef Value key, other
    cdef bint more = True
    cdef bint have_delta = False
    if p >= end or p[0] != c'[':
        return NULL
    p = _space(p + 1, end)
    if p >= end or p[0] != c'{':
        return NULL
    p = _space(p + 1, end)
    while more:
        p = _key(p, end, &key)
        if p == NULL:
            return NULL
        if _is(&key, "delta", 5):
            if have_delta:
                return NULL
            have_delta = True
            p = _content_delta(p, end, content)
        elif _is(&key, "index", 5):
            if index.kind != ABSENT:
                return NULL
            p = _scalar(p, end, index)
            if p == NULL or index.kind != INTEGER:
                return NULL
        elif _is(&key, "finish_reason", 13):
            if finish.kind != ABSENT:
                return NULL
            p = _scalar(p, end, finish)
            if p == NULL or (finish.kind != STRING and finish.kind != NULL_VALUE):
                return NULL
        else:
            p = _scalar(p, end, &other)
            if p == NULL or not _valid_utf8(&other):
                return NULL
            if _is(&key, "logprobs", 8) and other.kind != NULL_VALUE:
                return NULL
        if p == NULL:
            return NULL
        p = _next_member(p, end, &more)
        if p == NULL:
            return NULL
    if not have_delta:
        return NULL
    p = _space(p, end)
    if p >= end or p[0] != c']':
        return NULL
    return p + 1


@cython.final
cdef class OpenAIChatStream:
    """Chunks from one chat-completions SSE response (see ``_openai_stream_py``)."""

    cdef public list text_parts
    cdef readonly object feed
    cdef object _transport
    cdef set _seen
    cdef set _open
    cdef bint _done
    # The last of each repeated field, to give the same object again (see _text).
    cdef object _last_id, _last_object, _last_model, _last_fingerprint, _last_created
    cdef long long _last_created_number

    content_type = SSE_CONTENT_TYPE

    def __init__(self):
        self._done = False
        self._seen = set()
        self._open = set()
        self._transport = SSETransport()
        self.feed = self._transport.feed
        self.text_parts = []

    @property
    def done(self):
        """``data: [DONE]`` has arrived."""
        return self._done

    def on_event(self, event):
        """The chunk of one ``(event_type, data)`` pair; ``None`` for ``data: [DONE]``."""
        # Mirrors _openai_stream_py.OpenAIChatStream.on_event.
        cdef tuple pair = <tuple?>event
        event_type = pair[0]
        data = pair[1]
        if data == _DONE:
            self._done = True
            return None
        if type(data) is bytes and event_type != _ERROR_EVENT:
            chunk = self._scan(<bytes>data)
            if chunk is not None:
                return chunk
        try:
            obj = _loads(data)
        except _JSONDecodeError:
            obj = None
        if (type(obj) is not dict or event_type == _ERROR_EVENT
                or _get(<dict>obj, _K_ERROR, None) is not None):
            obj = decode_event(event_type, data)  # raises the py twin's error
        chunk = self._fast_chunk(<dict>obj)
        if chunk is None:
            chunk = build_chunk(obj, data, self.text_parts, self._seen, self._open)
        return chunk

    cdef object _scan(self, bytes data):
        """The chunk of a document in the common shape, read from its bytes; None to let
        the orjson path read it."""
        cdef Pos p = <Pos>PyBytes_AS_STRING(data)
        cdef Pos end = p + PyBytes_GET_SIZE(data)
        cdef Value key, other
        cdef Value id_, object_, created, model, fingerprint, index, content, finish
        cdef Value* field
        cdef bint more = True
        cdef bint have_choices = False
        id_.kind = object_.kind = created.kind = model.kind = fingerprint.kind = ABSENT
        index.kind = content.kind = finish.kind = ABSENT
        p = _space(p, end)
        if p >= end or p[0] != c'{':
            return None
        p = _space(p + 1, end)
        while more:
            p = _key(p, end, &key)
            if p == NULL:
                return None
            if _is(&key, "choices", 7):
                if have_choices:
                    return None
                have_choices = True
                p = _choice_list(p, end, &index, &content, &finish)
            elif _is(&key, "error", 5) or _is(&key, "x_groq", 6):
                return None  # an error event, or Groq's usage: the orjson path reads them
            else:
                field = &other
                if _is(&key, "id", 2):
                    field = &id_
                elif _is(&key, "model", 5):
                    field = &model
                elif _is(&key, "object", 6):
                    field = &object_
                elif _is(&key, "created", 7):
                    field = &created
                elif _is(&key, "system_fingerprint", 18):
                    field = &fingerprint
                if field.kind != ABSENT and field != &other:
                    return None  # a repeated key: orjson keeps the last, left to it
                p = _scalar(p, end, field)
                if p == NULL:
                    return None
                if field == &other:
                    if _is(&key, "usage", 5) and other.kind != NULL_VALUE:
                        return None
                    if not _valid_utf8(&other):
                        return None
                elif field == &created:
                    if created.kind != INTEGER and created.kind != NULL_VALUE:
                        return None
                elif field.kind != STRING and field.kind != NULL_VALUE:
                    return None
            if p == NULL:
                return None
            p = _next_member(p, end, &more)
            if p == NULL:
                return None
        if _space(p, end) != end or not have_choices:
            return None

        # Every text before any side effect, so falling back never double-counts.
        cdef object text = None
        cdef object finish_reason = None
        cdef object fingerprint_text = None
        cdef object chunk_id = _EMPTY
        cdef object chunk_object = _CHUNK_OBJECT
        cdef object chunk_model = _EMPTY
        cdef object chunk_created = _ZERO
        cdef object choice_index = _ZERO
        if content.kind == STRING:
            text = _text(&content, None)
            if text is None:
                return None
        if finish.kind == STRING:
            finish_reason = _text(&finish, None)
            if finish_reason is None:
                return None
        if id_.kind == STRING and id_.size:
            chunk_id = self._last_id = _text(&id_, self._last_id)
            if chunk_id is None:
                return None
        if object_.kind == STRING and object_.size:
            chunk_object = self._last_object = _text(&object_, self._last_object)
            if chunk_object is None:
                return None
        if model.kind == STRING and model.size:
            chunk_model = self._last_model = _text(&model, self._last_model)
            if chunk_model is None:
                return None
        if fingerprint.kind == STRING:
            fingerprint_text = self._last_fingerprint = _text(&fingerprint, self._last_fingerprint)
            if fingerprint_text is None:
                return None
        if created.kind == INTEGER and created.number != 0:
            if self._last_created is None or created.number != self._last_created_number:
                self._last_created = PyLong_FromLongLong(created.number)
                self._last_created_number = created.number
            chunk_created = self._last_created
        if index.kind == INTEGER:
            choice_index = PyLong_FromLongLong(index.number)

        if text is not None and len(<str>text):
            self.text_parts.append(text)
        if not PySet_Contains(self._seen, choice_index):
            PySet_Add(self._seen, choice_index)
            PySet_Add(self._open, choice_index)
        if finish_reason is not None:
            PySet_Discard(self._open, choice_index)
        return text_chunk(
            &_LAYOUT,
            chunk_id,
            chunk_object,
            chunk_created,
            chunk_model,
            choice_index,
            text,
            None,
            finish_reason,
            None,
            fingerprint_text,
            LazyJSONObject(data),
            {_K_CONTENT: text},
        )

    cdef object _fast_chunk(self, dict obj):
        """The chunk for the common shape, or None to let ``build_chunk`` handle it."""
        cdef PyObject* p
        cdef object choices, raw_choice, delta_raw, content, index, finish, usage
        # Check everything before any side effect, so falling back never double-counts.
        p = PyDict_GetItem(obj, _K_CHOICES)
        if p == NULL or type(<object>p) is not list or PyList_GET_SIZE(<object>p) != 1:
            return None
        choices = <object>p
        raw_choice = <object>PyList_GET_ITEM(choices, 0)
        if type(raw_choice) is not dict:
            return None
        p = PyDict_GetItem(<dict>raw_choice, _K_DELTA)
        if p == NULL or type(<object>p) is not dict or PyDict_Size(<object>p) != 1:
            return None
        delta_raw = <object>p
        p = PyDict_GetItem(<dict>delta_raw, _K_CONTENT)
        if p == NULL:
            return None
        content = <object>p
        if content is not None and type(content) is not str:
            return None
        index = _get(<dict>raw_choice, _K_INDEX, _ZERO)
        if type(index) is not int:
            return None
        usage = _get(obj, _K_USAGE, None)
        if usage is not None and PyObject_IsTrue(usage):
            return None
        if PyDict_GetItem(obj, _K_GROQ) != NULL:
            return None  # build_chunk may take the usage from here

        if content is not None and len(<str>content):
            self.text_parts.append(content)
        finish = _get(<dict>raw_choice, _K_FINISH, None)
        if not PySet_Contains(self._seen, index):
            PySet_Add(self._seen, index)
            PySet_Add(self._open, index)
        if finish is not None:
            PySet_Discard(self._open, index)

        return text_chunk(
            &_LAYOUT,
            _get_or(obj, _K_ID, _EMPTY),
            _get_or(obj, _K_OBJECT, _CHUNK_OBJECT),
            _get_or(obj, _K_CREATED, _ZERO),
            _get_or(obj, _K_MODEL, _EMPTY),
            index,
            content,
            None,
            finish,
            _get(<dict>raw_choice, _K_LOGPROBS, None),
            _get(obj, _K_FINGERPRINT, None),
            obj,
            delta_raw,
        )

    def finish(self):
        """The body ended: complete after ``[DONE]`` or once every choice has finished."""
        self._transport.check_end(self._done)
        check_complete(self._done, self._seen, self._open)
