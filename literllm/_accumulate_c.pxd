# cython: language_level=3
# The compiled accumulator (implemented in _accumulate_c.pyx), declared for the stream core,
# which merges each chunk through add_chunk without a Python call.


cdef class StreamAccumulator:
    cdef object _twin
    cdef object _twin_add
    cdef list _content  # the py twin's text pieces of choice 0, once it has that choice
    cdef object _fingerprint  # the last one handed to the py twin
    cdef Py_ssize_t _fast
    cdef int add_chunk(self, object chunk) except -1
