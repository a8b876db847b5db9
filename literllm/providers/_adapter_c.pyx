# cython: language_level=3, embedsignature=True, auto_pickle=False
"""The base types of the compiled adapter twins (declared in ``_adapter_c.pxd``).

``CompiledAdapter.chunk_of`` is what ``on_event`` does, as a C method: the compiled stream
core calls it for each event without a Python call. ``TwinAdapter`` is the part of the
twins that read their common event in C and hand every other one to their py twin, whose
state they share: the py twin's ``feed``, text pieces, ``done`` and ``finish``, and the
chunk fields it keeps (re-read after each event it handles).
"""

__all__ = ["CompiledAdapter", "TwinAdapter"]


cdef class CompiledAdapter:
    """A compiled stream adapter: ``on_event`` turns one decoded event into a chunk."""

    def on_event(self, event):
        """The chunk of one decoded event, or ``None``."""
        return self.chunk_of(event)

    cdef object chunk_of(self, object event):
        raise NotImplementedError(f"{type(self).__name__} does not build chunks")


cdef class TwinAdapter(CompiledAdapter):
    """A compiled twin that hands every event it does not build in C to its py twin."""

    @property
    def done(self):
        """The stream's last event has arrived (the py twin's)."""
        return self._twin.done

    def finish(self):
        """The body ended: the py twin's check that the stream is complete."""
        self._twin.finish()

    cdef int _adopt(self, object twin) except -1:
        self._twin = twin
        self._twin_on_event = twin.on_event
        self._make = twin._make
        self._refresh()
        self.feed = twin.feed
        self.text_parts = twin.text_parts
        return 0

    cdef object _delegate(self, object event):
        try:
            return self._twin_on_event(event)
        finally:
            self._refresh()

    cdef int _refresh(self) except -1:
        make = self._make
        self._id = make.id
        self._created = make.created
        self._model = make.model
        return 0
