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

from ._adapter_c cimport TwinAdapter
from ._json_c cimport (
    ABSENT,
    NULL_VALUE,
    STRING,
    lazy_json,
    Pos,
    Value,
    at_end,
    expect,
    key_is,
    next_member,
    open_object,
    scan_key,
    scan_scalar,
    skip_space,
    skip_value,
    string_after,
    value_text,
)
from .._types_c cimport text_chunk
from ._json_c cimport orjson_keys

from ._base import SSE_CONTENT_TYPE
from ._chunks import CHUNK_OBJECT
from ._gemini_stream_py import GeminiStream as _PyTwin

__all__ = ["GeminiStream"]

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


cdef bint _scanned(bytes data, Value* text, Value* response_id, Value* model) noexcept:
    """Whether ``data`` is the common event, read member by member: ``candidates`` (its
    first a text candidate), ``error`` null if there, ``responseId`` and ``modelVersion``
    strings or null if there, any other member skipped; ``text`` gets the text."""
    cdef Pos p = <Pos>PyBytes_AS_STRING(data)
    cdef Pos end = p + PyBytes_GET_SIZE(data)
    cdef Value key, error
    cdef Value* field
    cdef bint more = True
    cdef bint have_candidates = False
    error.kind = response_id.kind = model.kind = ABSENT
    p = open_object(p, end)
    while more:
        p = scan_key(p, end, &key)
        if p == NULL:
            return False
        if key_is(&key, "candidates", 10):
            if have_candidates:
                return False
            have_candidates = True
            p = _candidates(p, end, text)
        elif key_is(&key, "error", 5):
            if error.kind != ABSENT:
                return False
            p = scan_scalar(p, end, &error)
            if p == NULL or error.kind != NULL_VALUE:
                return False
        elif key_is(&key, "responseId", 10) or key_is(&key, "modelVersion", 12):
            field = response_id if key.size == 10 else model
            if field.kind != ABSENT:
                return False
            p = scan_scalar(p, end, field)
            if p == NULL or (field.kind != STRING and field.kind != NULL_VALUE):
                return False
        else:
            p = skip_value(p, end, 1)
        p = next_member(p, end, &more)
    return have_candidates and at_end(p, end)


# The common event as Gemini writes it, in two spacings: compact (as the local server writes
# it) and with a space after each colon (as Gemini's API does, by the recorded streams).
cdef bytes _HEAD = b'{"candidates":[{"content":{"parts":[{"text":"'
cdef bytes _HEAD_SPACED = b'{"candidates": [{"content": {"parts": [{"text": "'
cdef bytes _ROLE = b'}],"role":"model"}'
cdef bytes _ROLE_SPACED = b'}],"role": "model"}'
cdef bytes _INDEX = b',"index":0'
cdef bytes _INDEX_SPACED = b',"index": 0'
cdef bytes _USAGE = b'}],"usageMetadata":'
cdef bytes _USAGE_SPACED = b'}],"usageMetadata": '
cdef bytes _MODEL = b',"modelVersion":"'
cdef bytes _MODEL_SPACED = b',"modelVersion": "'
cdef bytes _ID = b',"responseId":"'
cdef bytes _ID_SPACED = b',"responseId": "'


cdef bint _laid_out(bytes data, Value* text, Value* response_id, Value* model) noexcept:
    """Whether ``data`` is the common event in Gemini's own layout: one candidate of one
    text part (its ``index`` 0 or absent), then ``usageMetadata``, ``modelVersion`` and
    ``responseId``, in that order. Any other layout goes to the member-by-member scanner."""
    cdef Pos p = <Pos>PyBytes_AS_STRING(data)
    cdef Pos end = p + PyBytes_GET_SIZE(data)
    cdef Pos after
    cdef bint spaced = expect(p, end, _HEAD) == NULL
    p = string_after(p, end, _HEAD_SPACED if spaced else _HEAD, text)
    p = expect(p, end, _ROLE_SPACED if spaced else _ROLE)
    after = expect(p, end, _INDEX_SPACED if spaced else _INDEX)
    if after != NULL:
        p = after
    p = skip_value(expect(p, end, _USAGE_SPACED if spaced else _USAGE), end, 1)
    p = string_after(p, end, _MODEL_SPACED if spaced else _MODEL, model)
    p = string_after(p, end, _ID_SPACED if spaced else _ID, response_id)
    return p != NULL and p < end and p[0] == c'}' and at_end(p + 1, end)


@cython.final
cdef class GeminiStream(TwinAdapter):
    """Chunks from one ``streamGenerateContent?alt=sse`` response (see ``_gemini_stream_py``)."""

    cdef list _parts  # the twin's list of the reply's parts (never replaced)
    cdef bint _finished  # the twin's, re-read after each event it handles

    content_type = SSE_CONTENT_TYPE

    def __init__(self, model):
        twin = _PyTwin(model)
        self._parts = twin._parts
        self._adopt(twin)

    @property
    def done(self):
        """Gemini closes the body after the last candidate; read to its end."""
        return False

    @property
    def message_raw(self):
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
        return self._twin.message_raw

    cdef object chunk_of(self, object event):
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
        cdef Value text, response_id, model
        if not (_laid_out(data, &text, &response_id, &model)
                or _scanned(data, &text, &response_id, &model)):
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
        raw = lazy_json(data)
        return text_chunk(
            self._id, _CHUNK_OBJECT, self._created, self._model,
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
            self._id, _CHUNK_OBJECT, self._created, self._model,
            _ZERO, text, None, None, None, None, obj, obj,
        )

    cdef int _refresh(self) except -1:
        TwinAdapter._refresh(self)
        self._finished = self._twin._finished
        return 0
