# cython: language_level=3
# The message type, declared here so that the compiled Bedrock adapter can tell a message
# whose header block repeats one it has seen (``_shared``) without reading its headers.

cdef class EventStreamMessage:
    # Its own headers: parsed, or a copy of ``_shared`` made when first asked for.
    cdef dict _headers
    # The decoder's dict for a header block it has seen before (None otherwise). Never
    # changed once made and never handed out, so the same object means the same headers.
    cdef dict _shared
    cdef public bytes payload
