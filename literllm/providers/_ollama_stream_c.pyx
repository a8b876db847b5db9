# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Ollama ``/api/chat`` NDJSON lines to chunks, compiled twin of ``_ollama_stream_py``.

Builds the common line in C (``message`` holding only ``role`` and ``content`` text,
``done`` false), filling the chunk's slots directly; every other line goes to the py twin's
``on_event``, whose state (tool numbering, completion, text received) this twin shares, so
both give the same chunks and the same errors for every input.
"""

cimport cython
from cpython.dict cimport PyDict_GetItem, PyDict_Size
from cpython.object cimport PyObject

import orjson

from ._slots cimport ChunkLayout, chunk_layout, orjson_keys, text_chunk

from ..types import ChatCompletionChunk, Delta, StreamChoice
from ._base import NDJSON_CONTENT_TYPE
from ._chunks import CHUNK_OBJECT
from ._ollama_stream_py import OllamaStream as _PyTwin

__all__ = ["OllamaStream"]

cdef ChunkLayout _LAYOUT = chunk_layout(Delta, StreamChoice, ChatCompletionChunk)
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


@cython.final
cdef class OllamaStream:
    """Chunks from one ``/api/chat`` NDJSON response (see ``_ollama_stream_py``)."""

    cdef object _twin
    cdef object _twin_on_event
    cdef object _make
    cdef readonly object feed
    cdef public list text_parts

    content_type = NDJSON_CONTENT_TYPE

    def __init__(self, model):
        self._twin = _PyTwin(model)
        self._twin_on_event = self._twin.on_event
        self._make = self._twin._make
        self.feed = self._twin.feed
        self.text_parts = self._twin.text_parts

    @property
    def done(self):
        """The ``done: true`` line has arrived."""
        return self._twin.done

    def on_event(self, line):
        """The chunk of one NDJSON line, or ``None``."""
        # Mirrors the common-line branch of _ollama_stream_py.OllamaStream.on_event.
        cdef PyObject* p
        try:
            obj = _loads(line)
        except ValueError:
            return self._twin_on_event(line)  # the py twin's error
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
                        make = self._make
                        return text_chunk(
                            &_LAYOUT, make.id, _CHUNK_OBJECT, make.created, make.model,
                            _ZERO, content, None, None, None, None, obj, obj,
                        )
        return self._twin_on_event(line)

    def finish(self):
        """The body ended: complete only after the ``done`` line."""
        self._twin.finish()
