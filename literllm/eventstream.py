"""AWS EventStream (Bedrock's streaming body): the decoder, the encoder and header values.

``EventStreamDecoder`` and ``EventStreamMessage`` are also at the top level of ``literllm``.
Integer header values decode as ``Int8Header`` ... ``Int64Header`` (``int`` subclasses that
remember their wire width), so a decoded message re-encodes to the same bytes::

    from literllm.eventstream import Int32Header, encode_event_message

    frame = encode_event_message({":event-type": "chunk", "n": Int32Header(7)}, b"{}")
"""

from ._parsers import EventStreamDecoder, EventStreamMessage
from ._parsers._eventstream_encoder import encode_event_message
from ._parsers._shared import HeaderValue, Int8Header, Int16Header, Int32Header, Int64Header

__all__ = [
    "EventStreamDecoder",
    "EventStreamMessage",
    "HeaderValue",
    "Int8Header",
    "Int16Header",
    "Int32Header",
    "Int64Header",
    "encode_event_message",
]
