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
"""

cimport cython
from cpython.object cimport PyTypeObject

import dataclasses
import reprlib

from . import _types_py
from ._types_py import _KeepsUnnamedFields, _Serialisable

__all__ = ["ChatCompletionChunk", "Delta", "StreamChoice"]

cdef extern from "Python.h":
    void PyType_Modified(PyTypeObject*)

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


_take_dataclass_face(Delta, _types_py.Delta)
_take_dataclass_face(StreamChoice, _types_py.StreamChoice)
_take_dataclass_face(ChatCompletionChunk, _types_py.ChatCompletionChunk)
_types_py.add_serialisable(Delta, StreamChoice, ChatCompletionChunk)
