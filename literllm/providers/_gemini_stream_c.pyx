# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Gemini SSE events to chunks, compiled twin of ``_gemini_stream_py``.

Builds the common event in C: one candidate whose content is a single plain text part that
continues the plain text before it, with no finish reason and no error, before the reply
finished. The chunk's slots are filled directly. Every other event goes to the py twin's
``on_event``, whose state (id, model, the reply's parts, tool numbering, text received) this
twin shares, so both give the same chunks and the same errors for every input.

The common event is first read straight from its bytes (``_scan``, with the steps of
``_json_c``), its ``raw`` then decoded only on first use; a document the scanner does not
take in full goes through orjson as before.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_Size
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject, PyObject_IsTrue

import orjson

from ._json_c cimport (
    ABSENT,
    NULL_VALUE,
    STRING,
    LazyJSONObject,
    Pos,
    Value,
    at_end,
    key_is,
    next_member,
    open_object,
    scan_key,
    scan_scalar,
    skip_space,
    skip_value,
    value_text,
)
from ._slots cimport ChunkLayout, chunk_layout, orjson_keys, text_chunk

from ..types import ChatCompletionChunk, Delta, StreamChoice
from ._base import SSE_CONTENT_TYPE
from ._chunks import CHUNK_OBJECT
from ._gemini_stream_py import GeminiStream as _PyTwin

__all__ = ["GeminiStream"]

cdef ChunkLayout _LAYOUT = chunk_layout(Delta, StreamChoice, ChatCompletionChunk)
cdef object _loads = orjson.loads
cdef dict _KEYS = orjson_keys(
    _loads,
    b'{"candidates":[{"content":{"parts":[{"text":0}],"role":0},"finishReason":0,"index":0}],'
    b'"usageMetadata":0,"modelVersion":0,"responseId":0,"error":0}',
)
cdef str _K_CANDIDATES = _KEYS["candidates"]
cdef str _K_CONTENT = _KEYS["content"]
cdef str _K_PARTS = _KEYS["parts"]
cdef str _K_TEXT = _KEYS["text"]
cdef str _K_FINISH = _KEYS["finishReason"]
cdef str _K_MODEL = _KEYS["modelVersion"]
cdef str _K_ID = _KEYS["responseId"]
cdef str _K_ERROR = _KEYS["error"]
cdef str _CHUNK_OBJECT = CHUNK_OBJECT
cdef object _ZERO = 0


cdef inline object _value(dict d, str key):
    cdef PyObject* p = PyDict_GetItem(d, key)
    return None if p == NULL else <object>p


cdef Pos _only_text_part(Pos p, Pos end, Value* text) noexcept:
    """``{"text": string}``, its one member."""
    cdef Value key
    p = scan_key(open_object(p, end), end, &key)
    if p == NULL or not key_is(&key, "text", 4):
        return NULL
    p = scan_scalar(p, end, text)
    if p == NULL or text.kind != STRING:
        return NULL
    p = skip_space(p, end)
    if p >= end or p[0] != c'}':
        return NULL
    return p + 1


cdef Pos _text_content(Pos p, Pos end, Value* text) noexcept:
    """``{"parts": [one text part], ...}``."""
    cdef Value key
    cdef bint more = True
    cdef bint have_parts = False
    p = open_object(p, end)
    while more:
        p = scan_key(p, end, &key)
        if p == NULL:
            return NULL
        if key_is(&key, "parts", 5):
            if have_parts or p >= end or p[0] != c'[':
                return NULL
            have_parts = True
            p = skip_space(_only_text_part(skip_space(p + 1, end), end, text), end)
            if p == NULL or p >= end or p[0] != c']':
                return NULL
            p += 1
        else:
            p = skip_value(p, end, 3)
        p = next_member(p, end, &more)
    return p if have_parts else NULL


cdef Pos _text_candidate(Pos p, Pos end, Value* text) noexcept:
    """``{"content": text content, "finishReason": null if there, ...}``."""
    cdef Value key, finish
    cdef bint more = True
    cdef bint have_content = False
    finish.kind = ABSENT
    p = open_object(p, end)
    while more:
        p = scan_key(p, end, &key)
        if p == NULL:
            return NULL
        if key_is(&key, "content", 7):
            if have_content:
                return NULL
            have_content = True
            p = _text_content(p, end, text)
        elif key_is(&key, "finishReason", 12):
            if finish.kind != ABSENT:
                return NULL
            p = scan_scalar(p, end, &finish)
            if p == NULL or finish.kind != NULL_VALUE:
                return NULL
        else:
            p = skip_value(p, end, 2)
        p = next_member(p, end, &more)
    return p if have_content else NULL


cdef Pos _candidates(Pos p, Pos end, Value* text) noexcept:
    """``[text candidate, ...any]``."""
    if p == NULL or p >= end or p[0] != c'[':
        return NULL
    p = skip_space(_text_candidate(skip_space(p + 1, end), end, text), end)
    while p != NULL and p < end and p[0] == c',':
        p = skip_space(skip_value(skip_space(p + 1, end), end, 2), end)
    if p == NULL or p >= end or p[0] != c']':
        return NULL
    return p + 1


@cython.final
cdef class GeminiStream:
    """Chunks from one ``streamGenerateContent?alt=sse`` response (see ``_gemini_stream_py``)."""

    cdef object _twin
    cdef object _twin_on_event
    cdef object _make
    cdef list _parts  # the twin's list of the reply's parts (never replaced)
    cdef bint _finished  # the twin's, re-read after each event it handles
    cdef object _id, _created, _model
    cdef readonly object feed
    cdef public list text_parts

    content_type = SSE_CONTENT_TYPE

    def __init__(self, model):
        self._twin = _PyTwin(model)
        self._twin_on_event = self._twin.on_event
        self._make = self._twin._make
        self._parts = self._twin._parts
        self._refresh()
        self.feed = self._twin.feed
        self.text_parts = self._twin.text_parts

    @property
    def done(self):
        """Gemini closes the body after the last candidate; read to its end."""
        return False

    @property
    def message_raw(self):
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
        return self._twin.message_raw

    def on_event(self, event):
        """The chunk of one ``(event_type, data)`` pair, or ``None``."""
        # Mirrors _gemini_stream_py.GeminiStream.on_event for plain text continuing plain text.
        cdef tuple pair = <tuple?>event
        data = pair[1]
        if (type(data) is bytes and not self._finished and PyList_GET_SIZE(self._parts)
                and (<list?>self._parts[-1])[2] is True):
            chunk = self._scan(<bytes>data)
            if chunk is not None:
                return chunk
        try:
            obj = _loads(data)
        except ValueError:
            return self._delegate(event)  # the py twin's error
        if type(obj) is dict and not self._finished:
            chunk = self._text_chunk(<dict>obj)
            if chunk is not None:
                return chunk
        return self._delegate(event)

    cdef object _scan(self, bytes data):
        """The chunk of the common event read from its bytes; None to let the orjson path
        read it."""
        cdef Pos p = <Pos>PyBytes_AS_STRING(data)
        cdef Pos end = p + PyBytes_GET_SIZE(data)
        cdef Value key, text, error, response_id, model
        cdef Value* field
        cdef bint more = True
        cdef bint have_candidates = False
        error.kind = response_id.kind = model.kind = ABSENT
        p = open_object(p, end)
        while more:
            p = scan_key(p, end, &key)
            if p == NULL:
                return None
            if key_is(&key, "candidates", 10):
                if have_candidates:
                    return None
                have_candidates = True
                p = _candidates(p, end, &text)
            elif key_is(&key, "error", 5):
                if error.kind != ABSENT:
                    return None
                p = scan_scalar(p, end, &error)
                if p == NULL or error.kind != NULL_VALUE:
                    return None
            elif key_is(&key, "responseId", 10) or key_is(&key, "modelVersion", 12):
                field = &response_id if key.size == 10 else &model
                if field.kind != ABSENT:
                    return None
                p = scan_scalar(p, end, field)
                if p == NULL or (field.kind != STRING and field.kind != NULL_VALUE):
                    return None
            else:
                p = skip_value(p, end, 1)
            p = next_member(p, end, &more)
        if not at_end(p, end) or not have_candidates:
            return None

        # Every text before any side effect, so falling back never double-counts.
        piece = value_text(&text, None)
        if piece is None:
            return None
        new_id = new_model = None
        if response_id.kind == STRING and response_id.size:
            new_id = value_text(&response_id, self._id)
            if new_id is None:
                return None
        if model.kind == STRING and model.size:
            new_model = value_text(&model, self._model)
            if new_model is None:
                return None
        if new_id is not None and new_id != self._id:
            self._id = self._make.id = new_id
        if new_model is not None and new_model != self._model:
            self._model = self._make.model = new_model
        (<list?>(<list?>self._parts[-1])[1]).append(piece)
        if len(<str>piece):
            self.text_parts.append(piece)
        raw = LazyJSONObject(data)
        return text_chunk(
            &_LAYOUT, self._id, _CHUNK_OBJECT, self._created, self._model,
            _ZERO, piece, None, None, None, None, raw, raw,
        )

    cdef object _text_chunk(self, dict obj):
        """The chunk for the common shape, or None to let the py twin handle the event."""
        cdef list last
        # Check everything before any side effect, so falling back never double-counts.
        if _value(obj, _K_ERROR) is not None:
            return None
        response_id = _value(obj, _K_ID)
        if response_id is not None and type(response_id) is not str:
            return None
        model = _value(obj, _K_MODEL)
        if model is not None and type(model) is not str:
            return None
        candidates = _value(obj, _K_CANDIDATES)
        if type(candidates) is not list or PyList_GET_SIZE(candidates) == 0:
            return None
        candidate = <object>PyList_GET_ITEM(candidates, 0)
        if type(candidate) is not dict or _value(<dict>candidate, _K_FINISH) is not None:
            return None
        content = _value(<dict>candidate, _K_CONTENT)
        if type(content) is not dict:
            return None
        parts = _value(<dict>content, _K_PARTS)
        if type(parts) is not list or PyList_GET_SIZE(parts) != 1:
            return None
        part = <object>PyList_GET_ITEM(parts, 0)
        if type(part) is not dict or PyDict_Size(part) != 1:
            return None
        text = _value(<dict>part, _K_TEXT)
        if type(text) is not str:
            return None
        if PyList_GET_SIZE(self._parts) == 0:
            return None
        last = <list?>self._parts[-1]
        if last[2] is not True:
            return None

        if response_id is not None and PyObject_IsTrue(response_id) and response_id != self._id:
            self._id = self._make.id = response_id
        if model is not None and PyObject_IsTrue(model) and model != self._model:
            self._model = self._make.model = model
        (<list?>last[1]).append(text)
        if len(<str>text):
            self.text_parts.append(text)
        return text_chunk(
            &_LAYOUT, self._id, _CHUNK_OBJECT, self._created, self._model,
            _ZERO, text, None, None, None, None, obj, obj,
        )

    cdef object _delegate(self, event):
        try:
            return self._twin_on_event(event)
        finally:
            self._refresh()

    cdef int _refresh(self) except -1:
        make = self._make
        self._id = make.id
        self._created = make.created
        self._model = make.model
        self._finished = self._twin._finished
        return 0

    def finish(self):
        """The body ended: complete once a candidate had its ``finishReason``."""
        self._twin.finish()
