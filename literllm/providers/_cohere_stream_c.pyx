# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Cohere v2 chat SSE events to chunks, compiled twin of ``_cohere_stream_py``.

Builds the common event (``content-delta`` whose content has ``text``) in C, filling the
chunk dataclasses' slots directly; every other event goes to the py twin's ``on_event``,
whose state (id, model, tool numbering, text received) this twin shares, so both give the
same chunks and the same errors for every input.

The common event is first read straight from its bytes (``_scan``, with the steps of
``_json_c``), its ``raw`` then decoded only on first use; a document the scanner does not
take in full goes through orjson as before.
"""

cimport cython
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

import orjson

from ._adapter_c cimport TwinAdapter
from ._json_c cimport Value, laid_out_event, scan_text_event, scanned_text_chunk
from .._types_c cimport text_chunk
from ._json_c cimport orjson_keys

from ._base import SSE_CONTENT_TYPE
from ._chunks import CHUNK_OBJECT
from ._cohere_stream_py import CohereStream as _PyTwin

__all__ = ["CohereStream"]

cdef object _loads = orjson.loads
cdef dict _KEYS = orjson_keys(
    _loads, b'{"type":0,"index":0,"delta":{"message":{"content":{"text":0}}}}'
)
cdef str _K_TYPE = _KEYS["type"]
cdef str _K_DELTA = _KEYS["delta"]
cdef str _K_MESSAGE = _KEYS["message"]
cdef str _K_CONTENT = _KEYS["content"]
cdef str _K_TEXT = _KEYS["text"]
cdef str _CHUNK_OBJECT = CHUNK_OBJECT
cdef str _CONTENT_DELTA = "content-delta"
cdef object _ZERO = 0
# The text event as Cohere writes it.
cdef bytes _HEAD = b'{"type":"content-delta","index":'
cdef bytes _MIDDLE = b',"delta":{"message":{"content":{"text":"'
cdef const char* _TEXT_PATH[4]
_TEXT_PATH[:] = ["delta", "message", "content", "text"]


cdef inline object _dict_at(object d, str key):
    """``d[key]`` when it is a dict, else ``None`` (the py twin then decides)."""
    cdef PyObject* p = PyDict_GetItem(<dict>d, key)
    if p == NULL or type(<object>p) is not dict:
        return None
    return <object>p


@cython.final
cdef class CohereStream(TwinAdapter):
    """Chunks from one v2 chat SSE response (see ``_cohere_stream_py``)."""

    content_type = SSE_CONTENT_TYPE

    def __init__(self, model):
        self._adopt(_PyTwin(model))

    cdef object chunk_of(self, object event):
        # Mirrors _cohere_stream_py.CohereStream.on_event for text deltas.
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
            return self._delegate(event)  # [DONE], or the py twin's error
        if type(obj) is dict:
            p = PyDict_GetItem(<dict>obj, _K_TYPE)
            if p != NULL and type(<object>p) is str and <str><object>p == _CONTENT_DELTA:
                content = _dict_at(obj, _K_DELTA)
                if content is not None:
                    content = _dict_at(content, _K_MESSAGE)
                if content is not None:
                    content = _dict_at(content, _K_CONTENT)
                if content is not None:
                    p = PyDict_GetItem(<dict>content, _K_TEXT)
                    if p != NULL and type(<object>p) is str:
                        text = <object>p
                        self.text_parts.append(text)
                        return text_chunk(
                            self._id, _CHUNK_OBJECT, self._created, self._model,
                            _ZERO, text, None, None, None, None, obj, obj,
                        )
        return self._delegate(event)

    cdef object _scan(self, bytes data):
        """The chunk of a ``content-delta`` text event read from its bytes; None to let the
        orjson path read it."""
        cdef Value text
        if (not laid_out_event(data, _HEAD, _MIDDLE, 4, &text)
                and not scan_text_event(data, "content-delta", 13, _TEXT_PATH, 4, &text)):
            return None
        return scanned_text_chunk(self.text_parts, &text, data, self._id,
                                  _CHUNK_OBJECT, self._created, self._model)
