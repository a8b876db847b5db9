# cython: language_level=3, embedsignature=True, auto_pickle=False
"""``LazyJSONObject``: the ``raw`` of the chunks a compiled twin reads straight from the bytes.

The scanning steps those twins share are inline functions in ``_json_c.pxd``.
"""

cimport cython

import collections.abc

import orjson

__all__ = ["LazyJSONObject"]

cdef object _loads = orjson.loads


@cython.final
@cython.freelist(64)
cdef class LazyJSONObject:
    """A read-only ``Mapping``: a JSON object decoded with orjson on first use.

    The compiled adapter twins give it as ``chunk.raw`` for the chunks they read without
    decoding them. It equals the dict orjson would give (either way round), and pickles and
    copies as that dict; ``dict(raw)`` is that dict.
    """

    def __init__(self, bytes data not None):
        # The compiled twins make theirs with lazy_json (_json_c.pxd), without this call.
        self._data = data

    cdef dict _decoded(self):
        if self._data is None:
            raise TypeError("LazyJSONObject() was not given its bytes")
        if self._value is None:
            self._value = _loads(self._data)
        return self._value

    def __getitem__(self, key):
        return self._decoded()[key]

    def __iter__(self):
        return iter(self._decoded())

    def __len__(self):
        return len(self._decoded())

    def __contains__(self, key):
        return key in self._decoded()

    def get(self, key, default=None):
        """``D.get(k[, d])``: ``D[k]`` if ``k`` is in ``D``, else ``d``."""
        return self._decoded().get(key, default)

    def keys(self):
        """A view of the keys."""
        return self._decoded().keys()

    def items(self):
        """A view of the ``(key, value)`` pairs."""
        return self._decoded().items()

    def values(self):
        """A view of the values."""
        return self._decoded().values()

    def __eq__(self, other):
        if isinstance(other, LazyJSONObject):
            other = (<LazyJSONObject>other)._decoded()
        elif not isinstance(other, collections.abc.Mapping):
            return NotImplemented
        return self._decoded() == other

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self):
        return repr(self._decoded())

    def __reduce__(self):
        return (dict, (self._decoded(),))


collections.abc.Mapping.register(LazyJSONObject)
