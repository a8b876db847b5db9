"""Picks the compiled (c) or pure-Python (py) twin of every parser, once, at import.

``IMPLEMENTATION`` is ``"c"`` only when every compiled twin imports (and the compiled stream
adapters are built); otherwise all parsers and adapters use their py twins, so a process
never mixes the two. ``LITERLLM_NO_EXTENSIONS`` (any non-empty
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
    NDJSONDecoderProtocol,
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
    "NDJSONDecoder",
    "NDJSONDecoderProtocol",
    "SSEDecoder",
    "SSEDecoderProtocol",
    "SSEEventLike",
    "ServerSentEvent",
]

IMPLEMENTATION: Literal["c", "py"]

if TYPE_CHECKING:
    from ._eventstream_py import EventStreamDecoder, EventStreamMessage
    from ._ndjson_py import NDJSONDecoder
    from ._sse_py import ServerSentEvent, SSEDecoder

    IMPLEMENTATION = "py"
else:
    _want_c = not os.environ.get("LITERLLM_NO_EXTENSIONS") and (
        sys.implementation.name == "cpython"
    )
    def _compiled_adapters_built() -> bool:
        # The stream adapters' compiled twins are chosen with these (the provider modules
        # import them whenever IMPLEMENTATION is "c"), so they are part of all-or-nothing
        # too, as are the chunk types, the accumulator and ChatStream's core. A file check,
        # not an import: importing them would load the providers here.
        import importlib.machinery

        package = os.path.dirname(os.path.dirname(__file__))
        modules = [
            os.path.join(package, "providers", name)
            for name in ("_json_c", "_adapter_c", "_openai_stream_c", "_anthropic_stream_c",
                         "_bedrock_stream_c", "_cohere_stream_c", "_gemini_stream_c",
                         "_ollama_stream_c", "_responses_stream_c")
        ] + [os.path.join(package, name)
             for name in ("_types_c", "_accumulate_c", "_stream_core_c")]
        return all(
            any(os.path.exists(module + suffix)
                for suffix in importlib.machinery.EXTENSION_SUFFIXES)
            for module in modules
        )

    try:
        if not _want_c:
            raise ImportError("pure-Python parsers selected")
        if not _compiled_adapters_built():
            raise ImportError("the compiled stream adapters are not built")
        from ._eventstream_c import EventStreamDecoder, EventStreamMessage
        from ._ndjson_c import NDJSONDecoder
        from ._sse_c import ServerSentEvent, SSEDecoder
    except ImportError:
        from ._eventstream_py import EventStreamDecoder, EventStreamMessage
        from ._ndjson_py import NDJSONDecoder
        from ._sse_py import ServerSentEvent, SSEDecoder

        IMPLEMENTATION = "py"
    else:
        IMPLEMENTATION = "c"
