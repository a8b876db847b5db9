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

A stream's documents mostly begin with the same bytes, up to the text (``{"id":...,"object":
...,"created":...,"model":...,"system_fingerprint":...,"choices":[{"index":0,"delta":
{"content":"``, about two thirds of a text chunk's bytes). The scanner keeps the last such
head it read in full, with the fields it held; a document that begins with the same bytes
leaves the scanner in the same place, so it is read from its text on, with those fields.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_Size
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_FromLongLong
from cpython.object cimport PyObject, PyObject_IsTrue
from cpython.set cimport PySet_Add, PySet_Contains, PySet_Discard
from libc.string cimport memcmp

import orjson

from ._adapter_c cimport CompiledAdapter
from ._json_c cimport (
    ABSENT,
    INTEGER,
    NULL_VALUE,
    OTHER,
    STRING,
    lazy_json,
    Pos,
    Value,
    at_end,
    key_is,
    next_member,
    open_object,
    scan_key,
    scan_scalar,
    scan_string,
    skip_space,
    skip_value,
    value_text,
)
from .._types_c cimport text_chunk
from ._json_c cimport orjson_keys

from ._base import SSE_CONTENT_TYPE, SSETransport
from ._events import DONE
from ._openai_stream_py import build_chunk, check_complete, decode_event

__all__ = ["OpenAIChatStream"]

cdef object _loads = orjson.loads
cdef object _JSONDecodeError = orjson.JSONDecodeError
cdef bytes _DONE = DONE
cdef bytes _ERROR_EVENT = b"error"
cdef str _EMPTY = ""
cdef str _CHUNK_OBJECT = "chat.completion.chunk"
cdef object _ZERO = 0
# A stream whose documents stop sharing their first bytes stops keeping them after this many.
cdef Py_ssize_t _MAX_HEAD_MISSES = 16


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


# The fields of the common shape a document may hold before its text, one bit each.
cdef enum:
    ID = 1
    OBJECT = 2
    CREATED = 4
    MODEL = 8
    FINGERPRINT = 16
    INDEX = 32
    FINISH = 64


cdef struct Shape:
    # What the scanner has read of a document so far.
    Value id_, object_, created, model, fingerprint, index, content, finish
    bint have_choices, have_delta
    # Just past the opening quote of the delta's content, once reached, and which fields
    # had been read by then.
    Pos text_start
    int read_before_text


cdef int _fields_read(const Shape* shape) noexcept:
    return ((ID if shape.id_.kind != ABSENT else 0)
            | (OBJECT if shape.object_.kind != ABSENT else 0)
            | (CREATED if shape.created.kind != ABSENT else 0)
            | (MODEL if shape.model.kind != ABSENT else 0)
            | (FINGERPRINT if shape.fingerprint.kind != ABSENT else 0)
            | (INDEX if shape.index.kind != ABSENT else 0)
            | (FINISH if shape.finish.kind != ABSENT else 0))


cdef Pos _content_delta(Pos p, Pos end, Shape* shape) noexcept:
    """``{"content": string-or-null}``, the only delta the scanner reads."""
    cdef Value key
    if p >= end or p[0] != c'{':
        return NULL
    p = scan_key(skip_space(p + 1, end), end, &key)
    if p == NULL or not key_is(&key, "content", 7):
        return NULL
    if p < end and p[0] == c'"':
        shape.text_start = p + 1
        shape.read_before_text = _fields_read(shape)
    p = scan_scalar(p, end, &shape.content)
    if p == NULL or (shape.content.kind != STRING and shape.content.kind != NULL_VALUE):
        return NULL
    return _delta_end(p, end)


cdef inline Pos _delta_end(Pos p, Pos end) noexcept:
    p = skip_space(p, end)
    if p >= end or p[0] != c'}':
        return NULL
    return p + 1


cdef Pos _choice_member(Pos p, Pos end, Shape* shape) noexcept:
    """One member of the choice: a content-only delta, an integer index, a string-or-null
    finish_reason, null logprobs, or anything else (skipped)."""
    cdef Value key, other
    p = scan_key(p, end, &key)
    if p == NULL:
        return NULL
    if key_is(&key, "delta", 5):
        if shape.have_delta:
            return NULL
        shape.have_delta = True
        return _content_delta(p, end, shape)
    if key_is(&key, "index", 5):
        if shape.index.kind != ABSENT:
            return NULL
        p = scan_scalar(p, end, &shape.index)
        if p == NULL or shape.index.kind != INTEGER:
            return NULL
        return p
    if key_is(&key, "finish_reason", 13):
        if shape.finish.kind != ABSENT:
            return NULL
        p = scan_scalar(p, end, &shape.finish)
        if p == NULL or (shape.finish.kind != STRING and shape.finish.kind != NULL_VALUE):
            return NULL
        return p
    if key_is(&key, "logprobs", 8):
        p = scan_scalar(p, end, &other)
        if p == NULL or other.kind != NULL_VALUE:
            return NULL  # logprobs come with the orjson path
        return p
    return skip_value(p, end, 2)


ctypedef Pos (*MemberReader)(Pos, Pos, Shape*) noexcept


cdef Pos _members_after(Pos p, Pos end, Shape* shape, MemberReader read_member) noexcept:
    """An object's members after one just read, each by ``read_member``; past its ``}``."""
    cdef bint more
    while True:
        p = next_member(p, end, &more)
        if p == NULL or not more:
            return p
        p = read_member(p, end, shape)
        if p == NULL:
            return NULL


cdef Pos _choice_rest(Pos p, Pos end, Shape* shape) noexcept:
    """The choice's members after one just read, and the end of the one-choice list."""
    p = _members_after(p, end, shape, _choice_member)
    if p == NULL or not shape.have_delta:
        return NULL
    p = skip_space(p, end)
    if p >= end or p[0] != c']':
        return NULL
    return p + 1


cdef Pos _choice_list(Pos p, Pos end, Shape* shape) noexcept:
    """``[choice]``: exactly one choice (see ``_choice_member``)."""
    if p >= end or p[0] != c'[':
        return NULL
    p = skip_space(p + 1, end)
    if p >= end or p[0] != c'{':
        return NULL
    p = _choice_member(skip_space(p + 1, end), end, shape)
    if p == NULL:
        return NULL
    return _choice_rest(p, end, shape)


cdef Pos _member(Pos p, Pos end, Shape* shape) noexcept:
    """One member of the document."""
    cdef Value key, other
    cdef Value* field = NULL
    p = scan_key(p, end, &key)
    if p == NULL:
        return NULL
    if key_is(&key, "choices", 7):
        if shape.have_choices:
            return NULL
        shape.have_choices = True
        return _choice_list(p, end, shape)
    if key_is(&key, "error", 5) or key_is(&key, "x_groq", 6):
        return NULL  # an error event, or Groq's usage: the orjson path reads them
    if key_is(&key, "usage", 5):
        p = scan_scalar(p, end, &other)
        if p == NULL or other.kind != NULL_VALUE:
            return NULL  # usage comes with the orjson path
        return p
    if key_is(&key, "id", 2):
        field = &shape.id_
    elif key_is(&key, "model", 5):
        field = &shape.model
    elif key_is(&key, "object", 6):
        field = &shape.object_
    elif key_is(&key, "created", 7):
        field = &shape.created
    elif key_is(&key, "system_fingerprint", 18):
        field = &shape.fingerprint
    if field == NULL:
        return skip_value(p, end, 1)
    if field.kind != ABSENT:
        return NULL  # a repeated key: orjson keeps the last, left to it
    p = scan_scalar(p, end, field)
    if p == NULL:
        return NULL
    if field == &shape.created:
        if shape.created.kind != INTEGER and shape.created.kind != NULL_VALUE:
            return NULL
    elif field.kind != STRING and field.kind != NULL_VALUE:
        return NULL
    return p


cdef Pos _document_rest(Pos p, Pos end, Shape* shape) noexcept:
    """The document's members after one just read, and its end."""
    p = _members_after(p, end, shape, _member)
    if p == NULL or not at_end(p, end) or not shape.have_choices:
        return NULL
    return p


cdef inline void _mark_read(Shape* shape, int fields) noexcept:
    """The fields read before the text, as read (a repeat of one then falls back)."""
    if fields & ID:
        shape.id_.kind = OTHER
    if fields & OBJECT:
        shape.object_.kind = OTHER
    if fields & CREATED:
        shape.created.kind = OTHER
    if fields & MODEL:
        shape.model.kind = OTHER
    if fields & FINGERPRINT:
        shape.fingerprint.kind = OTHER
    if fields & INDEX:
        shape.index.kind = OTHER
    if fields & FINISH:
        shape.finish.kind = OTHER


cdef inline void _clear(Shape* shape) noexcept:
    shape.id_.kind = shape.object_.kind = shape.created.kind = shape.model.kind = ABSENT
    shape.fingerprint.kind = shape.index.kind = shape.content.kind = shape.finish.kind = ABSENT
    shape.have_choices = shape.have_delta = False
    shape.text_start = NULL
    shape.read_before_text = 0


@cython.final
cdef class OpenAIChatStream(CompiledAdapter):
    """Chunks from one chat-completions SSE response (see ``_openai_stream_py``)."""

    cdef object _transport
    cdef set _seen
    cdef set _open
    cdef bint _done
    # The last of each repeated field, to give the same object again (see _text).
    cdef object _last_id, _last_object, _last_model, _last_fingerprint, _last_created
    cdef long long _last_created_number
    # The bytes of the last scanned document up to its text, the fields read in them and
    # their values (see _scan).
    cdef bytes _head
    cdef int _head_fields
    cdef object _head_id, _head_object, _head_created, _head_model, _head_fingerprint
    cdef object _head_index, _head_finish
    cdef Py_ssize_t _head_misses

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

    cdef object chunk_of(self, object event):
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
        cdef Pos start = <Pos>PyBytes_AS_STRING(data)
        cdef Pos end = start + PyBytes_GET_SIZE(data)
        cdef Pos p
        cdef Shape shape
        cdef Py_ssize_t head_size
        cdef bint resumed = False
        cdef int known = 0
        _clear(&shape)
        if self._head is not None:
            head_size = PyBytes_GET_SIZE(self._head)
            if (end - start > head_size
                    and memcmp(start, PyBytes_AS_STRING(self._head), head_size) == 0):
                # The same bytes leave the scanner where they left it last time: inside the
                # text of the one choice's content-only delta, the same fields read before it.
                resumed = True
                self._head_misses = 0
                known = self._head_fields
                _mark_read(&shape, known)
                shape.have_choices = shape.have_delta = True
                p = scan_string(start + head_size, end, &shape.content)
                if p != NULL:
                    p = _delta_end(p, end)
                if p != NULL:
                    p = _choice_rest(p, end, &shape)
                if p != NULL:
                    p = _document_rest(p, end, &shape)
                if p == NULL:
                    return None
            else:
                self._head_misses += 1
        if not resumed:
            p = open_object(start, end)
            if p != NULL:
                p = _member(p, end, &shape)
            if p != NULL:
                p = _document_rest(p, end, &shape)
            if p == NULL:
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
        if shape.content.kind == STRING:
            text = value_text(&shape.content, None)
            if text is None:
                return None
        if known & FINISH:
            finish_reason = self._head_finish
        elif shape.finish.kind == STRING:
            finish_reason = value_text(&shape.finish, None)
            if finish_reason is None:
                return None
        if known & ID:
            chunk_id = self._head_id
        elif shape.id_.kind == STRING and shape.id_.size:
            chunk_id = self._last_id = value_text(&shape.id_, self._last_id)
            if chunk_id is None:
                return None
        if known & OBJECT:
            chunk_object = self._head_object
        elif shape.object_.kind == STRING and shape.object_.size:
            chunk_object = self._last_object = value_text(&shape.object_, self._last_object)
            if chunk_object is None:
                return None
        if known & MODEL:
            chunk_model = self._head_model
        elif shape.model.kind == STRING and shape.model.size:
            chunk_model = self._last_model = value_text(&shape.model, self._last_model)
            if chunk_model is None:
                return None
        if known & FINGERPRINT:
            fingerprint_text = self._head_fingerprint
        elif shape.fingerprint.kind == STRING:
            fingerprint_text = self._last_fingerprint = value_text(
                &shape.fingerprint, self._last_fingerprint)
            if fingerprint_text is None:
                return None
        if known & CREATED:
            chunk_created = self._head_created
        elif shape.created.kind == INTEGER and shape.created.number != 0:
            if self._last_created is None or shape.created.number != self._last_created_number:
                self._last_created = PyLong_FromLongLong(shape.created.number)
                self._last_created_number = shape.created.number
            chunk_created = self._last_created
        if known & INDEX:
            choice_index = self._head_index
        elif shape.index.kind == INTEGER:
            choice_index = PyLong_FromLongLong(shape.index.number)

        if not resumed and shape.text_start != NULL and self._head_misses <= _MAX_HEAD_MISSES:
            # The next document likely begins with the same bytes (the same id, model and so
            # on): keep them, and what they held.
            self._head = PyBytes_FromStringAndSize(<char*>start, shape.text_start - start)
            self._head_fields = shape.read_before_text
            self._head_id = chunk_id
            self._head_object = chunk_object
            self._head_created = chunk_created
            self._head_model = chunk_model
            self._head_fingerprint = fingerprint_text
            self._head_index = choice_index
            self._head_finish = finish_reason

        if text is not None and len(<str>text):
            self.text_parts.append(text)
        if not PySet_Contains(self._seen, choice_index):
            PySet_Add(self._seen, choice_index)
            PySet_Add(self._open, choice_index)
        if finish_reason is not None:
            PySet_Discard(self._open, choice_index)
        return text_chunk(
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
            lazy_json(data),
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
