# cython: language_level=3, embedsignature=True, auto_pickle=False
"""Bedrock ConverseStream messages to chunks, compiled twin of ``_bedrock_stream_py``.

Builds the common message (a ``contentBlockDelta`` event with ``delta.text``) in C, filling
the chunk dataclasses' slots directly; every other message goes to the py twin's
``on_event``, whose state this twin shares, so both give the same chunks and errors.

The common message's payload is first read straight from its bytes (``_scan``, with the
steps of ``_json_c``), its ``raw`` then decoded only on first use; a payload the scanner
does not take in full goes through orjson as before.
"""

cimport cython
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject

import orjson

from .._parsers._eventstream_c cimport EventStreamMessage
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.string cimport memcmp

from ._adapter_c cimport TwinAdapter
from ._json_c cimport (
    Pos,
    Value,
    at_end,
    closing_braces,
    laid_out_text,
    scan_string,
    scan_text_event,
    scanned_text_chunk,
)
from .._types_c cimport text_chunk
from ._json_c cimport orjson_keys

from ._base import EVENTSTREAM_CONTENT_TYPE
from ._bedrock_stream_py import BedrockStream as _PyTwin
from ._chunks import CHUNK_OBJECT

__all__ = ["BedrockStream"]

cdef object _loads = orjson.loads
cdef dict _KEYS = orjson_keys(_loads, b'{"contentBlockIndex":0,"delta":{"text":0}}')
cdef str _K_DELTA = _KEYS["delta"]
cdef str _K_TEXT = _KEYS["text"]
cdef str _CHUNK_OBJECT = CHUNK_OBJECT
cdef str _EVENT = "event"
cdef str _BLOCK_DELTA = "contentBlockDelta"
cdef object _ZERO = 0
# The text event as Bedrock writes it: its "p" pads the frame to hide the text's length.
cdef bytes _HEAD = b'{"contentBlockIndex":'
cdef bytes _MIDDLE = b',"delta":{"text":"'
cdef const char* _PADDING = b',"p":"'
cdef const char* _TEXT_PATH[2]
_TEXT_PATH[:] = ["delta", "text"]


cdef bint _laid_out(bytes data, Value* text) noexcept:
    """Whether ``data`` is a text event in Bedrock's own layout, padding (plain ASCII, as
    Bedrock sends it) or not; ``text`` gets the text."""
    cdef Pos p = <Pos>PyBytes_AS_STRING(data)
    cdef Pos end = p + PyBytes_GET_SIZE(data)
    cdef Value padding
    p = closing_braces(laid_out_text(p, end, _HEAD, _MIDDLE, text), end, 1)
    if p != NULL and end - p >= 6 and memcmp(p, _PADDING, 6) == 0:
        p = scan_string(p + 6, end, &padding)
        if p == NULL or padding.escaped or not padding.ascii:
            return False
    return at_end(closing_braces(p, end, 1), end)


@cython.final
cdef class BedrockStream(TwinAdapter):
    """Chunks from one ConverseStream response (see ``_bedrock_stream_py``)."""

    # The decoder's shared headers of a text delta's block, once one came: a message that
    # shares the same dict has the same headers, read no more.
    cdef dict _delta_headers

    content_type = EVENTSTREAM_CONTENT_TYPE

    def __init__(self, model, request_id=None):
        self._adopt(_PyTwin(model, request_id))

    @property
    def message_raw(self):
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
        return self._twin.message_raw

    cdef object chunk_of(self, object message):
        # Mirrors _bedrock_stream_py.BedrockStream.on_event for text deltas.
        cdef PyObject* p
        cdef dict shared = None
        if type(message) is EventStreamMessage:
            shared = (<EventStreamMessage>message)._shared
            if shared is not None and shared is self._delta_headers:
                chunk = self._text_chunk((<EventStreamMessage>message).payload)
                if chunk is not None:
                    return chunk
                return self._delegate(message)
        headers = message.headers
        if type(headers) is dict:
            p = PyDict_GetItem(<dict>headers, ":message-type")
            if p != NULL and type(<object>p) is str and <str><object>p == _EVENT:
                p = PyDict_GetItem(<dict>headers, ":event-type")
                if p != NULL and type(<object>p) is str and <str><object>p == _BLOCK_DELTA:
                    if shared is not None:
                        self._delta_headers = shared
                    chunk = self._text_chunk(message.payload)
                    if chunk is not None:
                        return chunk
        return self._delegate(message)

    cdef object _text_chunk(self, object payload):
        cdef PyObject* p
        if type(payload) is bytes:
            chunk = self._scan(<bytes>payload)
            if chunk is not None:
                return chunk
        try:
            obj = _loads(payload)
        except ValueError:
            return None  # the py twin raises its error
        if type(obj) is not dict:
            return None
        p = PyDict_GetItem(<dict>obj, _K_DELTA)
        if p == NULL or type(<object>p) is not dict:
            return None
        p = PyDict_GetItem(<dict><object>p, _K_TEXT)
        if p == NULL or type(<object>p) is not str:
            return None
        text = <object>p
        self.text_parts.append(text)
        return text_chunk(
            self._id, _CHUNK_OBJECT, self._created, self._model,
            _ZERO, text, None, None, None, None, obj, obj,
        )

    cdef object _scan(self, bytes data):
        """The chunk of a ``{"delta": {"text": ...}, ...}`` payload read from its bytes; None
        to let the orjson path read it."""
        cdef Value text
        if not _laid_out(data, &text) and not scan_text_event(data, NULL, 0, _TEXT_PATH, 2,
                                                                &text):
            return None
        return scanned_text_chunk(self.text_parts, &text, data, self._id,
                                  _CHUNK_OBJECT, self._created, self._model)
