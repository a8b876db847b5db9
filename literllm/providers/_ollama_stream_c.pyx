# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Ollama ``/api/chat`` NDJSON lines to chunks, compiled twin of ``_ollama_stream_py``.

Builds the common line in C (``message`` holding only ``role`` and ``content`` text,
``done`` false), filling the chunk's slots directly; every other line goes to the py twin's
``on_event``, whose state (tool numbering, completion, text received) this twin shares, so
both give the same chunks and the same errors for every input.

The common line is first read straight from its bytes (``_scan``, with the steps of
``_json_c``), its ``raw`` then decoded only on first use; a line the scanner does not take
in full goes through orjson as before.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_Size
from cpython.object cimport PyObject

from libc.string cimport memcmp

import orjson

from ._adapter_c cimport TwinAdapter
from ._json_c cimport (
    ABSENT,
    STRING,
    Pos,
    Value,
    at_end,
    closing_braces,
    expect,
    key_is,
    next_member,
    open_object,
    scan_key,
    scan_scalar,
    scanned_text_chunk,
    skip_space,
    skip_value,
    string_after,
    valid_utf8,
)
from .._types_c cimport text_chunk
from ._json_c cimport orjson_keys

from ._base import NDJSON_CONTENT_TYPE
from ._chunks import CHUNK_OBJECT
from ._ollama_stream_py import OllamaStream as _PyTwin

__all__ = ["OllamaStream"]

cdef object _loads = orjson.loads
cdef dict _KEYS = orjson_keys(
    _loads,
    b'{"model":0,"created_at":0,"message":{"role":0,"content":0},"done":0}',
)
cdef str _K_MESSAGE = _KEYS["message"]
cdef str _K_CONTENT = _KEYS["content"]
cdef str _K_DONE = _KEYS["done"]
cdef str _CHUNK_OBJECT = CHUNK_OBJECT
cdef object _ZERO = 0


# A line as Ollama writes it (Go's encoding/json, the fields in their declared order).
cdef bytes _MODEL = b'{"model":"'
cdef bytes _CREATED_AT = b',"created_at":"'
cdef bytes _CONTENT = b',"message":{"role":"assistant","content":"'
cdef bytes _NOT_DONE = b',"done":false'


cdef bint _laid_out(bytes data, Value* text) noexcept:
    """Whether ``data`` is a text line in Ollama's own layout, its text (not empty) in
    ``text``; anything else is left to the member-by-member scanner."""
    cdef Pos p = <Pos>PyBytes_AS_STRING(data)
    cdef Pos end = p + PyBytes_GET_SIZE(data)
    cdef Value model, created_at
    p = string_after(p, end, _MODEL, &model)
    p = string_after(p, end, _CREATED_AT, &created_at)
    p = string_after(p, end, _CONTENT, text)
    p = expect(closing_braces(p, end, 1), end, _NOT_DONE)
    return (at_end(closing_braces(p, end, 1), end) and text.size > 0
            and valid_utf8(&model) and valid_utf8(&created_at))


cdef Pos _text_message(Pos p, Pos end, Value* text) noexcept:
    """``{"content": non-empty string, other: any}``: exactly two members, as the orjson path
    asks (``role`` beside the text)."""
    cdef Value key
    cdef bint more = True
    cdef int members = 0
    text.kind = ABSENT
    p = open_object(p, end)
    while more:
        p = scan_key(p, end, &key)
        if p == NULL:
            return NULL
        members += 1
        if key_is(&key, "content", 7):
            if text.kind != ABSENT:
                return NULL
            p = scan_scalar(p, end, text)
            if p == NULL or text.kind != STRING or text.size == 0:
                return NULL
        else:
            p = skip_value(p, end, 2)
        p = next_member(p, end, &more)
    if members != 2 or text.kind == ABSENT:
        return NULL
    return p


@cython.final
cdef class OllamaStream(TwinAdapter):
    """Chunks from one ``/api/chat`` NDJSON response (see ``_ollama_stream_py``)."""

    content_type = NDJSON_CONTENT_TYPE

    def __init__(self, model):
        self._adopt(_PyTwin(model))

    cdef object chunk_of(self, object line):
        # Mirrors the common-line branch of _ollama_stream_py.OllamaStream.on_event.
        cdef PyObject* p
        if type(line) is bytes:
            chunk = self._scan(<bytes>line)
            if chunk is not None:
                return chunk
        try:
            obj = _loads(line)
        except ValueError:
            return self._delegate(line)  # the py twin's error
        if type(obj) is dict:
            p = PyDict_GetItem(<dict>obj, _K_MESSAGE)
            if p != NULL and type(<object>p) is dict and PyDict_Size(<object>p) == 2:
                message = <object>p
                p = PyDict_GetItem(<dict>obj, _K_DONE)
                if p != NULL and <object>p is False:
                    p = PyDict_GetItem(<dict>message, _K_CONTENT)
                    if p != NULL and type(<object>p) is str:
                        content = <object>p
                        if not len(<str>content):
                            return None
                        self.text_parts.append(content)
                        return text_chunk(
                            self._id, _CHUNK_OBJECT, self._created, self._model,
                            _ZERO, content, None, None, None, None, obj, obj,
                        )
        return self._delegate(line)

    cdef object _scan(self, bytes data):
        """The chunk of a line whose message holds text (and one other member) and is not
        done, read from its bytes; None to let the orjson path read it (an empty text gives
        no chunk there)."""
        cdef Pos p = <Pos>PyBytes_AS_STRING(data)
        cdef Pos end = p + PyBytes_GET_SIZE(data)
        cdef Value key, done, text
        cdef bint more = True
        cdef bint have_message = False
        cdef bint have_done = False
        if _laid_out(data, &text):
            return scanned_text_chunk(self.text_parts, &text, data, self._id,
                                      _CHUNK_OBJECT, self._created, self._model)
        p = open_object(p, end)
        while more:
            p = scan_key(p, end, &key)
            if p == NULL:
                return None
            if key_is(&key, "message", 7):
                if have_message:
                    return None
                have_message = True
                p = _text_message(p, end, &text)
            elif key_is(&key, "done", 4):
                if have_done:
                    return None
                have_done = True
                p = skip_space(p, end)
                if p == NULL or end - p < 5 or memcmp(p, b"false", 5) != 0:
                    return None
                p += 5
            else:
                p = skip_value(p, end, 1)
            p = next_member(p, end, &more)
        if not at_end(p, end) or not have_message or not have_done:
            return None
        return scanned_text_chunk(self.text_parts, &text, data, self._id,
                                  _CHUNK_OBJECT, self._created, self._model)
