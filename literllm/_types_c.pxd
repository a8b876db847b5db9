# cython: language_level=3
# The three classes a streamed chunk is made of, as extension types, so the compiled adapters
# and the accumulator fill and read their fields as C struct members.

cdef class Delta:
    cdef public object role, content, tool_calls, refusal, reasoning_content, raw


cdef class StreamChoice:
    cdef public object index, delta, finish_reason, logprobs


cdef class ChatCompletionChunk:
    cdef public object id, object, created, model, choices, usage, system_fingerprint, raw


cdef inline ChatCompletionChunk text_chunk(
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
):
    """``ChatCompletionChunk(id, object_, created, model, [StreamChoice(index,
    Delta(None, content, None, None, reasoning, delta_raw), finish, logprobs)], None,
    fingerprint, raw)``, without the Python-level ``__init__`` calls."""
    cdef Delta delta = Delta.__new__(Delta)
    delta.content = content
    delta.reasoning_content = reasoning
    delta.raw = delta_raw
    cdef StreamChoice choice = StreamChoice.__new__(StreamChoice)
    choice.index = index
    choice.delta = delta
    choice.finish_reason = finish
    choice.logprobs = logprobs
    cdef ChatCompletionChunk chunk = ChatCompletionChunk.__new__(ChatCompletionChunk)
    chunk.id = id
    chunk.object = object_
    chunk.created = created
    chunk.model = model
    chunk.choices = [choice]
    chunk.system_fingerprint = fingerprint
    chunk.raw = raw
    return chunk
