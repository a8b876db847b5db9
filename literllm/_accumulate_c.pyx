# cython: language_level=3, embedsignature=True, auto_pickle=False
"""``StreamAccumulator``, compiled twin of ``_accumulate_py``.

Merges the common chunk (one choice, index 0, whose delta holds only text) in C, reading
the fields of the compiled chunk types (``_types_c``) as struct members; every other chunk
goes to the py twin's ``add``, whose state (the text pieces among it) this twin shares, so
both build the same completion.
"""

cimport cython
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE

from ._types_c cimport ChatCompletionChunk, Delta, StreamChoice

from ._accumulate_py import StreamAccumulator as _PyTwin

__all__ = ["StreamAccumulator"]


cdef inline bint _typed_header(ChatCompletionChunk chunk):
    """The chunk's own fields have the types the py twin's check_chunk asks for (anything
    else goes to the py twin, which raises MalformedChunkError naming the field)."""
    if type(chunk.id) is not str or type(chunk.model) is not str:
        return False
    created = chunk.created
    if type(created) is not int and type(created) is not float:
        return False
    return chunk.system_fingerprint is None or type(chunk.system_fingerprint) is str


cdef inline bint _plain(StreamChoice choice):
    """Index 0, no finish reason or logprobs; a delta with text (or None) only."""
    if type(choice.index) is not int or choice.index != 0:
        return False
    if choice.finish_reason is not None or choice.logprobs is not None:
        return False
    if type(choice.delta) is not Delta:
        return False
    cdef Delta delta = <Delta>choice.delta
    if not (delta.role is None and delta.tool_calls is None and delta.refusal is None
            and delta.reasoning_content is None):
        return False
    return delta.content is None or type(delta.content) is str


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
        cdef ChatCompletionChunk typed
        if self._content is not None and type(chunk) is ChatCompletionChunk:
            typed = <ChatCompletionChunk>chunk
            choices = typed.choices
            if (type(choices) is list and PyList_GET_SIZE(choices) == 1
                    and typed.usage is None):
                choice = <object>PyList_GET_ITEM(choices, 0)
                if type(choice) is StreamChoice and _plain(choice) and _typed_header(typed):
                    text = (<Delta>(<StreamChoice>choice).delta).content
                    fingerprint = typed.system_fingerprint
                    if fingerprint is not self._fingerprint and fingerprint:
                        self._fingerprint = fingerprint
                        self._twin._fingerprint = fingerprint
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

    def completion(self):
        """The reply the chunks so far add up to (``object == "chat.completion"``)."""
        return self._twin.completion()

    @property
    def message(self):
        """The first choice's message so far (``None`` before any choice arrived)."""
        return self._twin.message
