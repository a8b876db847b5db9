"""Picks the compiled (c) or pure-Python (py) twin of every parser, once, at import.

``IMPLEMENTATION`` is ``"c"`` only when every compiled twin imports; otherwise all parsers use
their py twins, so a process never mixes the two. ``LITERLLM_NO_EXTENSIONS`` (any non-empty
value) and non-CPython interpreters select py. Everything else in literllm imports parsers
from here, never from a twin.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Literal

from ._shared import (
    EventStreamDecoderProtocol,
    EventStreamMessageLike,
    HeaderValue,
    SSEDecoderProtocol,
    SSEEventLike,
)

__all__ = [
    "IMPLEMENTATION",
    "EventStreamDecoder",
    "EventStreamDecoderProtocol",
    "EventStreamMessage",
    "EventStreamMessageLike",
    "HeaderValue",
    "SSEDecoder",
    "SSEDecoderProtocol",
    "SSEEventLike",
    "ServerSentEvent",
]

IMPLEMENTATION: Literal["c", "py"]

if TYPE_CHECKING:
    from ._eventstream_py import EventStreamDecoder, EventStreamMessage
    from ._sse_py import ServerSentEvent, SSEDecoder

    IMPLEMENTATION = "py"
else:
    _want_c = not os.environ.get("LITERLLM_NO_EXTENSIONS") and (
        sys.implementation.name == "cpython"
    )
    try:
        if not _want_c:
            raise ImportError("pure-Python parsers selected")
        from ._eventstream_c import EventStreamDecoder, EventStreamMessage
        from ._sse_c import ServerSentEvent, SSEDecoder
    except ImportError:
        from ._eventstream_py import EventStreamDecoder, EventStreamMessage
        from ._sse_py import ServerSentEvent, SSEDecoder

        IMPLEMENTATION = "py"
    else:
        IMPLEMENTATION = "c"
