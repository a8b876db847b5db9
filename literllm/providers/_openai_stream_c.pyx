# cython: language_level=3, embedsignature=True, auto_pickle=False
"""OpenAI chat-completion chunks from SSE events, compiled twin of ``_openai_stream_py``.

Builds the common chunk shape (one choice whose delta holds only ``content``, no usage) in C:
the chunk dataclasses are allocated and their slots filled directly, without running their
Python ``__init__``. Every other event goes through the py twin's ``decode_event`` and
``build_chunk``, so both twins give the same chunks and the same errors for every input.
"""

cimport cython
from cpython.dict cimport PyDict_GetItem, PyDict_Size
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject, PyObject_IsTrue
from cpython.set cimport PySet_Add, PySet_Contains, PySet_Discard

import orjson

from ._slots cimport ChunkLayout, chunk_layout, orjson_keys, text_chunk

from ..types import ChatCompletionChunk, Delta, StreamChoice
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


cdef ChunkLayout _LAYOUT = chunk_layout(Delta, StreamChoice, ChatCompletionChunk)


cdef dict _KEYS = orjson_keys(_loads, 
    b'{"id":0,"object":0,"created":0,"model":0,"system_fingerprint":0,"usage":0,"error":0,'
    b'"choices":[{"index":0,"delta":{"content":0},"logprobs":0,"finish_reason":0}]}'
)
cdef str _K_ID = _KEYS["id"]
cdef str _K_OBJECT = _KEYS["object"]
cdef str _K_CREATED = _KEYS["created"]
cdef str _K_MODEL = _KEYS["model"]
cdef str _K_FINGERPRINT = _KEYS["system_fingerprint"]
cdef str _K_USAGE = _KEYS["usage"]
cdef str _K_ERROR = _KEYS["error"]
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


@cython.final
cdef class OpenAIChatStream:
    """Chunks from one chat-completions SSE response (see ``_openai_stream_py``)."""

    cdef public list text_parts
    cdef readonly object feed
    cdef object _transport
    cdef set _seen
    cdef set _open
    cdef bint _done

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
