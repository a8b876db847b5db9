"""literllm: a fast, strict LLM streaming client.

Compiled SSE and AWS EventStream parsers (with pure-Python twins) under an aiohttp client that
turns every provider's stream into OpenAI-shaped chunks.
"""

from ._parsers import (
    IMPLEMENTATION,
    EventStreamDecoder,
    EventStreamMessage,
    ServerSentEvent,
    SSEDecoder,
)
from ._parsers._eventstream_encoder import encode_event_message
from ._parsers._shared import HeaderValue, Int8Header, Int16Header, Int32Header, Int64Header
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChecksumError,
    ConflictError,
    EventStreamError,
    EventStreamTruncatedError,
    LiterLlmError,
    MalformedChunkError,
    NotFoundError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    SSEError,
    StreamError,
    StreamTruncatedError,
)

__all__ = [
    "IMPLEMENTATION",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChecksumError",
    "ConflictError",
    "EventStreamDecoder",
    "EventStreamError",
    "EventStreamMessage",
    "EventStreamTruncatedError",
    "HeaderValue",
    "Int8Header",
    "Int16Header",
    "Int32Header",
    "Int64Header",
    "LiterLlmError",
    "MalformedChunkError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderStreamError",
    "RateLimitError",
    "SSEDecoder",
    "SSEError",
    "ServerError",
    "ServerSentEvent",
    "ServiceUnavailableError",
    "StreamError",
    "StreamTruncatedError",
    "__version__",
    "encode_event_message",
]
