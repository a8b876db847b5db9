# cython: language_level=3
# Building the chunk dataclasses without their __init__, shared by every compiled adapter
# twin: allocate an instance with every slot NULL, then fill each slot once, at the offsets
# read (and checked) from the classes' member descriptors at import.

from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_DECREF, Py_INCREF

cdef extern from "Python.h":
    ctypedef struct _AllocatingType "PyTypeObject":
        PyObject* (*tp_alloc)(PyTypeObject*, Py_ssize_t)

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
        int flags
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member
    int T_OBJECT_EX
    int READONLY


cdef inline Py_ssize_t slot_offset(type cls, str name) except -1:
    descriptor = cls.__dict__[name]
    cdef PyMemberDef* member
    if type(descriptor).__name__ != "member_descriptor":
        raise ImportError(f"{cls.__name__}.{name} is not a slot")
    member = (<PyMemberDescrObject*>descriptor).d_member
    if member.type != T_OBJECT_EX or member.flags & READONLY:
        raise ImportError(f"{cls.__name__}.{name} is not a writable object slot")
    return member.offset


cdef inline list slot_offsets(type cls, tuple names):
    # The fast paths fill every field; a class that grew a field must be filled there too.
    fields = tuple(cls.__dataclass_fields__)
    if fields != names:
        raise ImportError(f"{cls.__name__} fields changed: {fields} != {names}")
    return [slot_offset(cls, name) for name in names]


cdef inline object alloc(type cls):
    """A new instance with every slot NULL; its ``__init__`` is not run."""
    cdef PyTypeObject* t = <PyTypeObject*>cls
    cdef PyObject* p = (<_AllocatingType*>t).tp_alloc(t, 0)
    if p == NULL:
        raise MemoryError()
    instance = <object>p
    Py_DECREF(instance)  # <object> took a second reference
    return instance


cdef inline void put(object instance, Py_ssize_t offset, object value) noexcept:
    # NOTE: only for freshly allocated instances, whose slots are all NULL.
    Py_INCREF(value)
    (<PyObject**>(<char*><PyObject*>instance + offset))[0] = <PyObject*>value


# The layout of one streamed chunk: ChatCompletionChunk -> [StreamChoice] -> Delta. Each
# compiled twin reads it once at import (chunk_layout) and builds its common chunk shape with
# text_chunk, so the slot-filling code exists once.
ctypedef struct ChunkLayout:
    PyObject* delta_class
    PyObject* choice_class
    PyObject* chunk_class
    Py_ssize_t d_role, d_content, d_tools, d_refusal, d_reasoning, d_raw
    Py_ssize_t s_index, s_delta, s_finish, s_logprobs
    Py_ssize_t c_id, c_object, c_created, c_model, c_choices, c_usage, c_fingerprint, c_raw


cdef inline ChunkLayout chunk_layout(type delta, type choice, type chunk) except *:
    cdef ChunkLayout layout
    d = slot_offsets(delta, ("role", "content", "tool_calls", "refusal", "reasoning_content",
                             "raw"))
    s = slot_offsets(choice, ("index", "delta", "finish_reason", "logprobs"))
    c = slot_offsets(chunk, ("id", "object", "created", "model", "choices", "usage",
                             "system_fingerprint", "raw"))
    # Borrowed: the importing module keeps the classes alive for as long as it lives.
    layout.delta_class = <PyObject*>delta
    layout.choice_class = <PyObject*>choice
    layout.chunk_class = <PyObject*>chunk
    layout.d_role, layout.d_content, layout.d_tools = d[0], d[1], d[2]
    layout.d_refusal, layout.d_reasoning, layout.d_raw = d[3], d[4], d[5]
    layout.s_index, layout.s_delta, layout.s_finish, layout.s_logprobs = s[0], s[1], s[2], s[3]
    layout.c_id, layout.c_object, layout.c_created, layout.c_model = c[0], c[1], c[2], c[3]
    layout.c_choices, layout.c_usage, layout.c_fingerprint, layout.c_raw = c[4], c[5], c[6], c[7]
    return layout


cdef inline object text_chunk(
    const ChunkLayout* layout,
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
    fingerprint, raw)``, without running any ``__init__``."""
    delta = alloc(<type>layout.delta_class)
    put(delta, layout.d_role, None)
    put(delta, layout.d_content, content)
    put(delta, layout.d_tools, None)
    put(delta, layout.d_refusal, None)
    put(delta, layout.d_reasoning, reasoning)
    put(delta, layout.d_raw, delta_raw)
    choice = alloc(<type>layout.choice_class)
    put(choice, layout.s_index, index)
    put(choice, layout.s_delta, delta)
    put(choice, layout.s_finish, finish)
    put(choice, layout.s_logprobs, logprobs)
    chunk = alloc(<type>layout.chunk_class)
    put(chunk, layout.c_id, id)
    put(chunk, layout.c_object, object_)
    put(chunk, layout.c_created, created)
    put(chunk, layout.c_model, model)
    put(chunk, layout.c_choices, [choice])
    put(chunk, layout.c_usage, None)
    put(chunk, layout.c_fingerprint, fingerprint)
    put(chunk, layout.c_raw, raw)
    return chunk


cdef inline PyObject* slot(object instance, Py_ssize_t offset) noexcept:
    """The object in a slot, borrowed (NULL when unset)."""
    return (<PyObject**>(<char*><PyObject*>instance + offset))[0]


cdef inline dict orjson_keys(object loads, bytes template):
    """Every key of a JSON document, as the key objects orjson hands out for it (a dict
    mapping each to itself).

    orjson caches the key strings it builds and gives the same object for the same key in
    later documents; a lookup with that object matches by identity, where an interned
    literal of ours matches only after a full string compare. Were the cache to drop one,
    lookups stay right, only slower.
    """
    keys = {}
    pending = [loads(template)]
    while pending:
        value = pending.pop()
        if type(value) is dict:
            for key, inner in (<dict>value).items():
                keys[key] = key
                pending.append(inner)
        elif type(value) is list:
            pending.extend(value)
    return keys
