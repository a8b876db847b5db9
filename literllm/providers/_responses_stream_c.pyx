# cython: language_level=3, embedsignature=True, auto_pickle=False
"""OpenAI Responses API SSE events to chunks, compiled twin of ``_responses_stream_py``.

Builds the common event (``response.output_text.delta`` with text) in C, filling the chunk's
slots directly; every other event goes to the py twin's ``on_event``, whose state (id,
model, tool calls, reasoning items, text received) this twin shares, so both give the same
chunks and the same errors for every input.

The common event is first read straight from its bytes (``_scan``, with the steps of
``_json_c``), its ``raw`` then decoded only on first use; a document the scanner does not
take in full goes through orjson as before.
"""

cimport cython
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

import orjson

from ._adapter_c cimport TwinAdapter
from ._json_c cimport Value, scan_text_event, scanned_text_chunk
from .._types_c cimport text_chunk
from ._json_c cimport orjson_keys

from ._base import SSE_CONTENT_TYPE
from ._chunks import CHUNK_OBJECT
from ._responses_stream_py import ResponsesStream as _PyTwin

__all__ = ["ResponsesStream"]

cdef object _loads = orjson.loads
cdef dict _KEYS = orjson_keys(
    _loads,
    b'{"type":0,"item_id":0,"output_index":0,"content_index":0,"delta":0,'
    b'"logprobs":0,"sequence_number":0}',
)
cdef str _K_TYPE = _KEYS["type"]
cdef str _K_DELTA = _KEYS["delta"]
cdef str _CHUNK_OBJECT = CHUNK_OBJECT
cdef str _TEXT_DELTA = "response.output_text.delta"
cdef object _ZERO = 0
cdef const char* _TEXT_PATH[1]
_TEXT_PATH[:] = ["delta"]


@cython.final
cdef class ResponsesStream(TwinAdapter):
    """Chunks from one Responses API SSE response (see ``_responses_stream_py``)."""

    content_type = SSE_CONTENT_TYPE

    def __init__(self, model):
        self._adopt(_PyTwin(model))

    @property
    def message_raw(self):
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
        return self._twin.message_raw

    cdef object chunk_of(self, object event):
        # Mirrors _responses_stream_py.ResponsesStream.on_event for text deltas.
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
            return self._delegate(event)  # the py twin's error
        if type(obj) is dict:
            p = PyDict_GetItem(<dict>obj, _K_TYPE)
            if p != NULL and type(<object>p) is str and <str><object>p == _TEXT_DELTA:
                p = PyDict_GetItem(<dict>obj, _K_DELTA)
                if p != NULL and type(<object>p) is str:
                    text = <object>p
                    if not len(<str>text):
                        return None
                    self.text_parts.append(text)
                    return text_chunk(
                        self._id, _CHUNK_OBJECT, self._created, self._model,
                        _ZERO, text, None, None, None, None, obj, obj,
                    )
        return self._delegate(event)

    cdef object _scan(self, bytes data):
        """The chunk of a ``response.output_text.delta`` event with text, read from its bytes;
        None to let the orjson path read it (an empty delta gives no chunk there)."""
        cdef Value text
        if (not scan_text_event(data, "response.output_text.delta", 26, _TEXT_PATH, 1, &text)
                or text.size == 0):
            return None
        return scanned_text_chunk(self.text_parts, &text, data, self._id,
                                  _CHUNK_OBJECT, self._created, self._model)
