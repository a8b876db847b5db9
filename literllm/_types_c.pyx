# cython: language_level=3, auto_pickle=False
# NOTE: no embedsignature: the class docstrings are the dataclasses' own, signature-free.
# cython: embedsignature=False
"""``Delta``, ``StreamChoice`` and ``ChatCompletionChunk``, compiled twin of ``_types_py``.

Every streamed chunk is one of each. As instances of the py twin's dataclasses (heap types)
they cost about 1,800 instructions a chunk to allocate and free (``PyType_GenericAlloc`` and
``subtype_dealloc``, which walks the class's bases and their slots), a third of what the
compiled adapters spend on a whole text chunk. As extension types with a free list they cost
about 900, and the compiled adapters and the accumulator fill and read their fields as
struct members (``_types_c.pxd``).

At import each takes the dataclass face of its py twin: the same ``__dataclass_fields__``
(so ``dataclasses.fields``, ``asdict`` and ``replace`` work and agree), ``__match_args__``
and annotations, ``to_dict`` and ``extra``, and the public name (``literllm.types.Delta``:
pickles, ``repr(type(x))`` and ``copy`` name the public class, so a pickle loads under
either twin). ``__init__``, ``__repr__`` and ``__eq__`` are written here to behave as the
dataclass's; ``tests/test_types.py`` holds the twins side by side.

A text chunk's four objects are recycled as one (``text_chunk``): when a chunk whose list,
choice and delta nothing else holds is freed, it keeps them and its header (id, object,
created, model), lets go of every other field, and waits in a small pool for the next text
chunk, which then allocates nothing and fills the fields that differ. A consumer that drops each chunk after reading it (the usual ``async for``) then pays
about 230 instructions a chunk for the four objects instead of about 1,200. A chunk that any
part of is still held elsewhere is freed as usual.
"""

cimport cython
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport PyObject, PyTypeObject

import dataclasses
import reprlib

from . import _types_py
from ._types_py import _KeepsUnnamedFields, _Serialisable

__all__ = ["ChatCompletionChunk", "Delta", "StreamChoice"]

cdef extern from "Python.h":
    void PyType_Modified(PyTypeObject*)
    Py_ssize_t references "Py_REFCNT"(PyObject*)
    void release "Py_DECREF"(PyObject*)

cdef extern from *:
    """
    /* ChatCompletionChunk's own deallocator, and what decides whether a chunk goes back to
       the pool instead (see _keep_for_reuse). */
    static destructor literllm_free_chunk = NULL;
    static PyTypeObject *literllm_chunk_type = NULL;
    static int (*literllm_keep_chunk)(PyObject *) = NULL;

    static void literllm_chunk_dealloc(PyObject *self) {
        if (Py_TYPE(self) == literllm_chunk_type) {
            /* Alive again while it is looked at, as for a finaliser; a chunk the pool keeps
               keeps this reference. */
            Py_SET_REFCNT(self, 1);
            if (literllm_keep_chunk(self)) {
                return;
            }
            Py_SET_REFCNT(self, Py_REFCNT(self) - 1);
            if (Py_REFCNT(self) > 0) {
                return;  /* something took a reference meanwhile */
            }
        }
        literllm_free_chunk(self);
    }

    /* Free-threaded builds have no single reference count to bring back: no pool there. */
    static int literllm_recycle_chunks(PyTypeObject *type, int (*keep)(PyObject *)) {
    #ifdef Py_GIL_DISABLED
        return 0;
    #else
        literllm_chunk_type = type;
        literllm_keep_chunk = keep;
        literllm_free_chunk = type->tp_dealloc;
        type->tp_dealloc = literllm_chunk_dealloc;
        return 1;
    #endif
    }
    """
    int literllm_recycle_chunks(PyTypeObject* type, int (*keep)(PyObject*) noexcept)

cdef object _to_dict = _Serialisable.to_dict
cdef object _extra = _KeepsUnnamedFields.extra.fget
cdef list _NAMES = []  # keeps the tp_name strings alive
cdef dict _FIELD_NAMES = {}  # class -> (repr=True, compare=True, init=True) field names

cdef enum:
    REPRESENTED, COMPARED, INITIALISED


cdef tuple _field_names(type cls, int which):
    # From the class's dataclass fields (its py twin's, or a subclass's own), once per class.
    names = _FIELD_NAMES.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)
        names = _FIELD_NAMES[cls] = (
            tuple([field.name for field in fields if field.repr]),
            tuple([field.name for field in fields if field.compare]),
            tuple([field.name for field in fields if field.init]),
        )
    return <tuple>(<tuple>names)[which]


@reprlib.recursive_repr()
def _repr(self):
    # The dataclass __repr__: the class's qualified name and the fields with repr=True.
    parts = [f"{name}={getattr(self, name)!r}"
             for name in _field_names(type(self), REPRESENTED)]
    return f"{type(self).__qualname__}({', '.join(parts)})"


cdef object _eq(object self, object other):
    # The dataclass __eq__: the same class, then the fields with compare=True, as tuples.
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = _field_names(type(self), COMPARED)
    return tuple([getattr(self, name) for name in names]) == tuple(
        [getattr(other, name) for name in names]
    )


cdef object _reduce(object self):
    return (type(self), tuple([getattr(self, name)
                               for name in _field_names(type(self), INITIALISED)]))


# NOTE: no shared cdef base for the methods the three repeat below: Cython keeps free lists
# only for types without one.
@cython.freelist(64)
cdef class Delta:
    """What one chunk adds to a choice's message."""

    __hash__ = None

    def __init__(self, role=None, content=None, tool_calls=None, refusal=None,
                 reasoning_content=None, raw=None):
        self.role = role
        self.content = content
        self.tool_calls = tool_calls
        self.refusal = refusal
        self.reasoning_content = reasoning_content
        self.raw = raw

    def __repr__(self):
        return _repr(self)

    def __eq__(self, other):
        return _eq(self, other)

    def __reduce__(self):
        return _reduce(self)

    def to_dict(self):
        """This object as plain dicts and lists (OpenAI's JSON shape)."""
        return _to_dict(self)

    @property
    def extra(self):
        """Fields the provider sent that this class does not name."""
        return _extra(self)


@cython.freelist(64)
cdef class StreamChoice:
    """One choice of a streamed chunk."""

    __hash__ = None

    def __init__(self, index, delta, finish_reason=None, logprobs=None):
        self.index = index
        self.delta = delta
        self.finish_reason = finish_reason
        self.logprobs = logprobs

    def __repr__(self):
        return _repr(self)

    def __eq__(self, other):
        return _eq(self, other)

    def __reduce__(self):
        return _reduce(self)

    def to_dict(self):
        """This object as plain dicts and lists (OpenAI's JSON shape)."""
        return _to_dict(self)


@cython.freelist(64)
cdef class ChatCompletionChunk:
    """One streamed chunk (``object == "chat.completion.chunk"``)."""

    __hash__ = None

    def __init__(self, id, object, created, model, choices, usage=None,
                 system_fingerprint=None, raw=None):
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
        self.system_fingerprint = system_fingerprint
        self.raw = raw

    def __repr__(self):
        return _repr(self)

    def __eq__(self, other):
        return _eq(self, other)

    def __reduce__(self):
        return _reduce(self)

    def to_dict(self):
        """This object as plain dicts and lists (OpenAI's JSON shape)."""
        return _to_dict(self)

    @property
    def extra(self):
        """Fields the provider sent that this class does not name."""
        return _extra(self)


cdef void _present_as(type compiled, type twin) except *:
    """``compiled`` takes ``twin``'s dataclass attributes and public name."""
    cdef PyTypeObject* t = <PyTypeObject*>compiled
    namespace = <dict>t.tp_dict
    for attribute in ("__dataclass_fields__", "__dataclass_params__", "__match_args__",
                      "__annotations__"):
        namespace[attribute] = twin.__dict__[attribute]
    name = f"{twin.__module__}.{twin.__qualname__}".encode()
    _NAMES.append(name)
    t.tp_name = <bytes>name
    PyType_Modified(t)


def _take_dataclass_face(type compiled, type twin):
    """``compiled`` takes ``twin``'s dataclass attributes and public name; ImportError if it
    lacks one of ``twin``'s fields."""
    fields = list(twin.__dataclass_fields__.values())
    missing = [field.name for field in fields if field.name not in compiled.__dict__]
    if missing:
        raise ImportError(f"the compiled {twin.__name__} lacks the fields {missing}")
    _present_as(compiled, twin)


# Spare text chunks, each holding its list, choice and delta (see _keep_for_reuse). A stream
# frees about one chunk for each it makes, so a few are enough; more would only hold memory.
DEF SPARE_LIMIT = 16
cdef PyObject* _spare[SPARE_LIMIT]
cdef int _spare_count = 0


cdef inline bint _owns_its_parts(PyObject* chunk) noexcept:
    """Whether ``chunk``'s list, choice and delta are held by nothing but it: one choice, of
    the exact classes. (A chunk the garbage collector has cleared holds None instead.)"""
    cdef PyObject* choices = <PyObject*>(<ChatCompletionChunk>chunk).choices
    cdef PyObject* choice
    cdef PyObject* delta
    if type(<object>choices) is not list or references(choices) != 1:
        return False
    if PyList_GET_SIZE(<list>choices) != 1:
        return False
    choice = PyList_GET_ITEM(<list>choices, 0)
    if type(<object>choice) is not StreamChoice or references(choice) != 1:
        return False
    delta = <PyObject*>(<StreamChoice>choice).delta
    return type(<object>delta) is Delta and references(delta) == 1


cdef int _keep_for_reuse(PyObject* chunk) noexcept:
    """Called by a ChatCompletionChunk's deallocator with the chunk's reference count back at
    one: 1 when the pool took that reference, 0 to let the chunk be freed.

    A kept chunk lets go of every field but its parts and its header (``id``, ``object``,
    ``created``, ``model``: the stream's own, and most likely the next chunk's too)."""
    global _spare_count
    cdef PyObject* choice
    cdef PyObject* delta
    if _spare_count >= SPARE_LIMIT or not _owns_its_parts(chunk):
        return 0
    choice = PyList_GET_ITEM((<ChatCompletionChunk>chunk).choices, 0)
    delta = <PyObject*>(<StreamChoice>choice).delta
    # Letting go may run arbitrary code (a field's __del__), which may fill the pool.
    _let_go(chunk, choice, delta)
    if _spare_count >= SPARE_LIMIT:
        return 0
    _spare[_spare_count] = chunk
    _spare_count += 1
    return 1


cdef inline void _let_go(PyObject* chunk, PyObject* choice, PyObject* delta) noexcept:
    if (<Delta>delta).content is not None:
        (<Delta>delta).content = None
    if (<Delta>delta).raw is not None:
        (<Delta>delta).raw = None
    if (<Delta>delta).role is not None:
        (<Delta>delta).role = None
    if (<Delta>delta).tool_calls is not None:
        (<Delta>delta).tool_calls = None
    if (<Delta>delta).refusal is not None:
        (<Delta>delta).refusal = None
    if (<Delta>delta).reasoning_content is not None:
        (<Delta>delta).reasoning_content = None
    if (<StreamChoice>choice).finish_reason is not None:
        (<StreamChoice>choice).finish_reason = None
    if (<StreamChoice>choice).logprobs is not None:
        (<StreamChoice>choice).logprobs = None
    if (<ChatCompletionChunk>chunk).raw is not None:
        (<ChatCompletionChunk>chunk).raw = None
    if (<ChatCompletionChunk>chunk).usage is not None:
        (<ChatCompletionChunk>chunk).usage = None
    if (<ChatCompletionChunk>chunk).system_fingerprint is not None:
        (<ChatCompletionChunk>chunk).system_fingerprint = None


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
):
    """``ChatCompletionChunk(id, object_, created, model, [StreamChoice(index,
    Delta(None, content, None, None, reasoning, delta_raw), finish, logprobs)], None,
    fingerprint, raw)``, a spare one refilled when the pool has one."""
    global _spare_count
    cdef PyObject* spare
    cdef ChatCompletionChunk chunk
    cdef StreamChoice choice
    cdef Delta delta
    while _spare_count:
        _spare_count -= 1
        spare = _spare[_spare_count]
        # The pool's reference is the function's now.
        chunk = <ChatCompletionChunk>spare
        release(spare)
        # Its parts are still its own unless the garbage collector cleared it meanwhile.
        if _owns_its_parts(spare):
            choice = <StreamChoice>PyList_GET_ITEM(chunk.choices, 0)
            delta = <Delta>choice.delta
            break
    else:
        delta = Delta.__new__(Delta)
        choice = StreamChoice.__new__(StreamChoice)
        choice.delta = delta
        chunk = ChatCompletionChunk.__new__(ChatCompletionChunk)
        chunk.choices = [choice]
    delta.content = content
    delta.raw = delta_raw
    if reasoning is not None:
        delta.reasoning_content = reasoning
    if choice.index is not index:
        choice.index = index
    if finish is not None:
        choice.finish_reason = finish
    if logprobs is not None:
        choice.logprobs = logprobs
    if chunk.id is not id:
        chunk.id = id
    if chunk.object is not object_:
        chunk.object = object_
    if chunk.created is not created:
        chunk.created = created
    if chunk.model is not model:
        chunk.model = model
    if fingerprint is not None:
        chunk.system_fingerprint = fingerprint
    chunk.raw = raw
    return chunk


def _spare_chunks():
    """How many text chunks wait in the pool (for the tests)."""
    return _spare_count


literllm_recycle_chunks(<PyTypeObject*>ChatCompletionChunk, _keep_for_reuse)
_take_dataclass_face(Delta, _types_py.Delta)
_take_dataclass_face(StreamChoice, _types_py.StreamChoice)
_take_dataclass_face(ChatCompletionChunk, _types_py.ChatCompletionChunk)
_types_py.add_serialisable(Delta, StreamChoice, ChatCompletionChunk)
