# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Anthropic Messages SSE events to chunks, compiled twin of ``_anthropic_stream_py``.

Builds the common event (``content_block_delta`` with a ``text_delta``) in C, filling the
chunk dataclasses' slots directly; every other event goes to the py twin's ``on_event``,
whose state (id, model, tool numbering, usage, text received) this twin shares, so both
give the same chunks and the same errors for every input.

The common event is first read straight from its bytes (``_scan``, with the steps of
``_json_c``), its ``raw`` then decoded only on first use; a document the scanner does not
take in full goes through orjson as before.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

import orjson

from ._adapter_c cimport TwinAdapter
from ._json_c cimport (
    ABSENT,
    STRING,
    Pos,
    Value,
    at_end,
    key_is,
    laid_out_event,
    next_member,
    open_object,
    scan_key,
    scan_scalar,
    scanned_text_chunk,
    skip_value,
    string_is,
)
from .._types_c cimport text_chunk
from ._json_c cimport orjson_keys

from ._anthropic_stream_py import AnthropicStream as _PyTwin
from ._base import SSE_CONTENT_TYPE
from ._chunks import CHUNK_OBJECT

__all__ = ["AnthropicStream"]

cdef object _loads = orjson.loads
cdef dict _KEYS = orjson_keys(_loads, b'{"type":0,"index":0,"delta":{"type":0,"text":0}}')
cdef str _K_TYPE = _KEYS["type"]
cdef str _K_DELTA = _KEYS["delta"]
cdef str _K_TEXT = _KEYS["text"]
cdef str _CHUNK_OBJECT = CHUNK_OBJECT
cdef str _BLOCK_DELTA = "content_block_delta"
cdef str _TEXT_DELTA = "text_delta"
cdef object _ZERO = 0
# The text event as Anthropic writes it (padded with spaces before the last brace).
cdef bytes _HEAD = b'{"type":"content_block_delta","index":'
cdef bytes _MIDDLE = b',"delta":{"type":"text_delta","text":"'


cdef Pos _text_delta(Pos p, Pos end, Value* text) noexcept:
    """``{"type": "text_delta", "text": string, ...scalars}``."""
    cdef Value key, kind
    cdef bint more = True
    kind.kind = ABSENT
    text.kind = ABSENT
    p = open_object(p, end)
    if p == NULL:
        return NULL
    while more:
        p = scan_key(p, end, &key)
        if p == NULL:
            return NULL
        if key_is(&key, "type", 4):
            if kind.kind != ABSENT:
                return NULL
            p = scan_scalar(p, end, &kind)
            if p == NULL or not string_is(&kind, "text_delta", 10):
                return NULL
        elif key_is(&key, "text", 4):
            if text.kind != ABSENT:
                return NULL
            p = scan_scalar(p, end, text)
            if p == NULL or text.kind != STRING:
                return NULL
        else:
            p = skip_value(p, end, 2)
        p = next_member(p, end, &more)
        if p == NULL:
            return NULL
    if kind.kind == ABSENT or text.kind == ABSENT:
        return NULL
    return p


@cython.final
cdef class AnthropicStream(TwinAdapter):
    """Chunks from one Messages API SSE response (see ``_anthropic_stream_py``)."""

    content_type = SSE_CONTENT_TYPE

    def __init__(self, model):
        self._adopt(_PyTwin(model))

    @property
    def message_raw(self):
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
        return self._twin.message_raw

    cdef object chunk_of(self, object event):
        # Mirrors _anthropic_stream_py.AnthropicStream.on_event for text deltas.
        cdef PyObject* p
        cdef tuple pair = <tuple?>event
        data = pair[1]
        if type(data) is bytes:
            chunk = self._scan(<bytes>data)
            if chunk is not None:
                return chunk
        try:
            obj = _loads(data)
        except ValueError:
            return self._delegate(event)  # raises the py twin's error
        if type(obj) is dict:
            p = PyDict_GetItem(<dict>obj, _K_TYPE)
            if p != NULL and type(<object>p) is str and <str><object>p == _BLOCK_DELTA:
                p = PyDict_GetItem(<dict>obj, _K_DELTA)
                if p != NULL and type(<object>p) is dict:
                    delta = <dict><object>p
                    p = PyDict_GetItem(delta, _K_TYPE)
                    if p != NULL and type(<object>p) is str and <str><object>p == _TEXT_DELTA:
                        p = PyDict_GetItem(delta, _K_TEXT)
                        if p != NULL and type(<object>p) is str:
                            text = <object>p
                            self.text_parts.append(text)
                            return text_chunk(
                                self._id, _CHUNK_OBJECT, self._created, self._model,
                                _ZERO, text, None, None, None, None, obj, obj,
                            )
        return self._delegate(event)

    cdef object _scan(self, bytes data):
        """The chunk of a ``content_block_delta`` text event read from its bytes; None to let
        the orjson path read it."""
        cdef Pos p = <Pos>PyBytes_AS_STRING(data)
        cdef Pos end = p + PyBytes_GET_SIZE(data)
        cdef Value key, kind, text
        cdef bint more = True
        cdef bint have_delta = False
        if laid_out_event(data, _HEAD, _MIDDLE, 2, &text):
            return scanned_text_chunk(self.text_parts, &text, data, self._id,
                                      _CHUNK_OBJECT, self._created, self._model)
        kind.kind = ABSENT
        p = open_object(p, end)
        if p == NULL:
            return None
        while more:
            p = scan_key(p, end, &key)
            if p == NULL:
                return None
            if key_is(&key, "type", 4):
                if kind.kind != ABSENT:
                    return None
                p = scan_scalar(p, end, &kind)
                if p == NULL or not string_is(&kind, "content_block_delta", 19):
                    return None
            elif key_is(&key, "delta", 5):
                if have_delta:
                    return None
                have_delta = True
                p = _text_delta(p, end, &text)
            else:
                p = skip_value(p, end, 1)
            if p == NULL:
                return None
            p = next_member(p, end, &more)
            if p == NULL:
                return None
        if not at_end(p, end) or kind.kind == ABSENT or not have_delta:
            return None
        return scanned_text_chunk(self.text_parts, &text, data, self._id,
                                  _CHUNK_OBJECT, self._created, self._model)
