"""literllm: a fast, strict LLM streaming client.

Compiled SSE and AWS EventStream parsers (with pure-Python twins) under an aiohttp client that
turns every provider's stream into OpenAI-shaped chunks::

    async with LlmClient() as client:                       # keys from OPENAI_API_KEY, ...
        async with await client.chat_stream("openai/gpt-4o", messages) as stream:
            async for chunk in stream:
                print(chunk.choices[0].delta.content or "", end="")

Where things are:

- ``LlmClient``: ``chat_stream()`` (a ``ChatStream`` of ``ChatCompletionChunk``) and
  ``chat()`` (a ``ChatCompletion``); ``Timeout``; ``register_provider()``.
- ``literllm.types``: the response dataclasses and the request ``TypedDict``s
  (``MessageParam``, ``ToolParam``, ``ChatParams``, ...).
- ``literllm.errors``: the exception tree (every class is also here at the top level).
- ``SyncLlmClient``: the same calls for synchronous code (a plain iterator of chunks).
- ``StreamAccumulator``: chunks in, the whole ``ChatCompletion`` out; ``replay()``: a
  recorded body through the same adapters, offline (``python -m literllm replay``);
  ``replay_completion()``: the ``ChatCompletion`` it adds up to, as ``stream.final()``.
- ``SSEDecoder``, ``EventStreamDecoder`` and ``NDJSONDecoder``: the parsers, for recorded
  bodies;
  ``literllm.eventstream`` has the EventStream encoder and its integer header types.
- ``literllm.testing``: ``LocalProvider``, a local server speaking every provider's wire
  format, with faults.
- ``IMPLEMENTATION``: ``"c"`` when the compiled parsers are in use, else ``"py"``.

``import literllm`` loads the parsers and the error tree only; the client, the providers and
the chunk types load on first use of one of their names (PEP 562), so tools that only parse
do not pay for them, and nothing imports aiohttp before the first request.
"""

import typing as _typing

from ._parsers import (
    IMPLEMENTATION,
    EventStreamDecoder,
    EventStreamMessage,
    NDJSONDecoder,
    ServerSentEvent,
    SSEDecoder,
)
from ._parsers._eventstream_encoder import encode_event_message
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BudgetExceededError,
    ChecksumError,
    ConfigurationError,
    ConflictError,
    CooldownError,
    EventStreamError,
    EventStreamTruncatedError,
    LiterLlmError,
    MalformedChunkError,
    MissingApiKeyError,
    NDJSONError,
    NotFoundError,
    PermissionDeniedError,
    ProviderNotSupportedError,
    ProviderStreamError,
    ProxyError,
    RateLimitError,
    RecordingWarning,
    ResponseTooLargeError,
    ServerError,
    ServiceUnavailableError,
    SSEError,
    StreamError,
    StreamRateLimitError,
    StreamServerError,
    StreamServiceUnavailableError,
    StreamTimeoutError,
    StreamTruncatedError,
    StructuredOutputError,
    UnknownProviderError,
    UnroutableModelError,
)

__all__ = [
    "IMPLEMENTATION",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "Attempt",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatStream",
    "ChecksumError",
    "Choice",
    "ConfigurationError",
    "ConflictError",
    "Cooldown",
    "CooldownError",
    "Delta",
    "EventStreamDecoder",
    "EventStreamError",
    "EventStreamMessage",
    "EventStreamTruncatedError",
    "FunctionCall",
    "FunctionDelta",
    "LiterLlmError",
    "LlmClient",
    "MalformedChunkError",
    "Message",
    "MissingApiKeyError",
    "NDJSONDecoder",
    "NDJSONError",
    "NotFoundError",
    "PermissionDeniedError",
    "Provider",
    "ProviderNotSupportedError",
    "ProviderStreamError",
    "ProxyError",
    "RateLimitError",
    "RecordingWarning",
    "RequestInfo",
    "ResponseTooLargeError",
    "SSEDecoder",
    "SSEError",
    "ServerError",
    "ServerSentEvent",
    "ServiceUnavailableError",
    "StreamAccumulator",
    "StreamChoice",
    "StreamError",
    "StreamRateLimitError",
    "StreamServerError",
    "StreamServiceUnavailableError",
    "StreamStats",
    "StreamTimeoutError",
    "StreamTruncatedError",
    "StructuredOutputError",
    "SyncChatStream",
    "SyncLlmClient",
    "Timeout",
    "ToolCall",
    "ToolCallDelta",
    "UnknownProviderError",
    "UnroutableModelError",
    "Usage",
    "__version__",
    "cost",
    "encode_event_message",
    "register_provider",
    "replay",
    "replay_completion",
]

# name -> the module that defines it, imported on first access
_LAZY = {
    "ChatStream": ".client",
    "LlmClient": ".client",
    "Timeout": "._config",
    "Provider": ".providers",
    "StreamAccumulator": "._accumulate",
    "replay": "._replay",
    "replay_completion": "._replay",
    "SyncChatStream": ".sync",
    "SyncLlmClient": ".sync",
    "Attempt": "._stats",
    "RequestInfo": "._stats",
    "StreamStats": "._stats",
    "Cooldown": "._cooldown",
    "cost": "._cost",
    "register_provider": ".providers",
    **dict.fromkeys(
        (
            "ChatCompletion",
            "ChatCompletionChunk",
            "Choice",
            "Delta",
            "FunctionCall",
            "FunctionDelta",
            "Message",
            "StreamChoice",
            "ToolCall",
            "ToolCallDelta",
            "Usage",
        ),
        ".types",
    ),
}

if _typing.TYPE_CHECKING:
    from ._accumulate import StreamAccumulator
    from ._config import Timeout
    from ._cooldown import Cooldown
    from ._cost import cost
    from ._replay import replay, replay_completion
    from ._stats import Attempt, RequestInfo, StreamStats
    from .client import ChatStream, LlmClient
    from .providers import Provider, register_provider
    from .sync import SyncChatStream, SyncLlmClient
    from .types import (
        ChatCompletion,
        ChatCompletionChunk,
        Choice,
        Delta,
        FunctionCall,
        FunctionDelta,
        Message,
        StreamChoice,
        ToolCall,
        ToolCallDelta,
        Usage,
    )


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'literllm' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
