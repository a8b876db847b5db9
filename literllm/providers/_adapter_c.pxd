# cython: language_level=3
# The base types of the compiled adapter twins (implemented in _adapter_c.pyx). The stream
# core calls chunk_of through the vtable, with no Python call, and the twins that build
# their common event in C and hand every other event to their py twin share TwinAdapter.


cdef class CompiledAdapter:
    cdef readonly object feed
    cdef public list text_parts
    cdef object chunk_of(self, object event)


cdef class TwinAdapter(CompiledAdapter):
    cdef object _twin
    cdef object _twin_on_event
    cdef object _make
    cdef object _id, _created, _model  # the twin's, re-read after each event it handles
    cdef int _adopt(self, object twin) except -1
    cdef object _delegate(self, object event)
    cdef int _refresh(self) except -1
