# cython: language_level=3
# The three classes a streamed chunk is made of, as extension types, so the compiled adapters
# and the accumulator fill and read their fields as C struct members.

cdef class Delta:
    cdef public object role, content, tool_calls, refusal, reasoning_content, raw


cdef class StreamChoice:
    cdef public object index, delta, finish_reason, logprobs


cdef class ChatCompletionChunk:
    cdef public object id, object, created, model, choices, usage, system_fingerprint, raw


cdef ChatCompletionChunk text_chunk(
    object id,
    object object_,
    object created,
    object model,
    object index,
    object content,
    object reasoning,
    object finish,
    object logprobs,
    object fingerprint,
    object raw,
    object delta_raw,
)
