# cython: language_level=3, embedsignature=True, auto_pickle=False
"""``StreamAccumulator``, compiled twin of ``_accumulate_py``.

Merges the common chunk (one choice, index 0, whose delta holds only text) in C, reading
the chunk dataclasses' slots directly; every other chunk goes to the py twin's ``add``,
whose state (the text pieces among it) this twin shares, so both build the same completion.
"""

cimport cython
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject

from .providers._slots cimport ChunkLayout, chunk_layout, slot

from ._accumulate_py import StreamAccumulator as _PyTwin
from .types import ChatCompletionChunk, Delta, StreamChoice

__all__ = ["StreamAccumulator"]

cdef ChunkLayout _LAYOUT = chunk_layout(Delta, StreamChoice, ChatCompletionChunk)
cdef type _CHUNK = ChatCompletionChunk
cdef type _CHOICE = StreamChoice
cdef type _DELTA = Delta


cdef inline bint _is_none(PyObject* p) noexcept:
    return p != NULL and <object>p is None


cdef inline bint _typed_header(object chunk):
    """The chunk's own fields have the types the py twin's check_chunk asks for (anything
    else goes to the py twin, which raises MalformedChunkError naming the field)."""
    cdef PyObject* p = slot(chunk, _LAYOUT.c_id)
    if p == NULL or type(<object>p) is not str:
        return False
    p = slot(chunk, _LAYOUT.c_model)
    if p == NULL or type(<object>p) is not str:
        return False
    p = slot(chunk, _LAYOUT.c_created)
    if p == NULL or (type(<object>p) is not int and type(<object>p) is not float):
        return False
    p = slot(chunk, _LAYOUT.c_fingerprint)
    return p != NULL and (<object>p is None or type(<object>p) is str)


@cython.final
cdef class StreamAccumulator:
    """Merges ``ChatCompletionChunk``s into the ``ChatCompletion`` they add up to."""

    def __init__(self):
        self._twin = _PyTwin()
        self._twin_add = self._twin.add
        self._content = None
        self._fingerprint = None
        self._fast = 0

    @property
    def chunks(self):
        """How many chunks were added."""
        return self._twin.chunks + self._fast

    def add(self, chunk):
        """Merge one chunk."""
        self.add_chunk(chunk)

    cdef int add_chunk(self, object chunk) except -1:
        # Mirrors _accumulate_py.StreamAccumulator.add for a text-only chunk of choice 0.
        cdef PyObject* p
        cdef PyObject* q
        if self._content is not None and type(chunk) is _CHUNK:
            p = slot(chunk, _LAYOUT.c_choices)
            q = slot(chunk, _LAYOUT.c_usage)
            if (p != NULL and type(<object>p) is list and PyList_GET_SIZE(<object>p) == 1
                    and q != NULL and <object>q is None):
                choice = <object>PyList_GET_ITEM(<object>p, 0)
                if type(choice) is _CHOICE and self._plain(choice) and _typed_header(chunk):
                    delta = <object>slot(choice, _LAYOUT.s_delta)
                    text = <object>slot(delta, _LAYOUT.d_content)
                    p = slot(chunk, _LAYOUT.c_fingerprint)
                    if p != NULL and <object>p is not self._fingerprint and <object>p:
                        self._fingerprint = <object>p
                        self._twin._fingerprint = <object>p
                    if text is not None and len(<str>text):
                        self._content.append(text)
                    self._fast += 1
                    return 0
        self._twin_add(chunk)
        self._fingerprint = self._twin._fingerprint
        if self._content is None:
            state = self._twin._choices.get(0)
            if state is not None:
                self._content = state.content
        return 0

    cdef bint _plain(self, object choice):
        """Index 0, no finish reason or logprobs; a delta with text (or None) only."""
        cdef PyObject* p
        p = slot(choice, _LAYOUT.s_index)
        if p == NULL or type(<object>p) is not int or <object>p != 0:
            return False
        if not _is_none(slot(choice, _LAYOUT.s_finish)) or not _is_none(
            slot(choice, _LAYOUT.s_logprobs)
        ):
            return False
        p = slot(choice, _LAYOUT.s_delta)
        if p == NULL or type(<object>p) is not _DELTA:
            return False
        delta = <object>p
        if not (_is_none(slot(delta, _LAYOUT.d_role)) and _is_none(slot(delta, _LAYOUT.d_tools))
                and _is_none(slot(delta, _LAYOUT.d_refusal))
                and _is_none(slot(delta, _LAYOUT.d_reasoning))):
            return False
        p = slot(delta, _LAYOUT.d_content)
        return p != NULL and (<object>p is None or type(<object>p) is str)

    def completion(self):
        """The reply the chunks so far add up to (``object == "chat.completion"``)."""
        return self._twin.completion()

    @property
    def message(self):
        """The first choice's message so far (``None`` before any choice arrived)."""
        return self._twin.message
