"""Every exception literllm raises.

::

    LiterLlmError
     +-- ConfigurationError (also ValueError)     a call that cannot be sent; before any I/O
     |    +-- UnknownProviderError               a provider name that is not registered
     |    +-- UnroutableModelError               no provider can be told for a model name
     |    +-- MissingApiKeyError                 no key for a provider that needs one
     |    +-- ProviderNotSupportedError          a known provider whose adapter is not built
     +-- SSEError (also ValueError)               SSE decoder: a line or event over max_event_size
     +-- NDJSONError (also ValueError)            NDJSON decoder: a line over max_line_size
     +-- EventStreamError (also ValueError)       AWS EventStream: malformed frame, size caps
     |    +-- ChecksumError                       prelude or message CRC32 mismatch
     |    +-- EventStreamTruncatedError  (also StreamTruncatedError)  input ended inside a frame
     +-- APIError                                 the provider answered with an error
     |    +-- BadRequestError          400, 422
     |    +-- AuthenticationError      401
     |    +-- PermissionDeniedError    403
     |    +-- NotFoundError            404
     |    +-- ConflictError            409
     |    +-- RateLimitError           429 (retry_after)
     |    +-- ServerError              500 and other 5xx
     |    |    +-- ServiceUnavailableError   503, 529
     |    +-- ResponseTooLargeError    a non-streamed reply over max_response_size
     +-- APIConnectionError                       could not reach the provider / connection lost
     |    +-- APITimeoutError                     connect, idle, total or pool timeout
 |    +-- ProxyError                          the proxy refused the request (407, CONNECT)
     +-- StreamError                              a stream broke after it started
          +-- StreamTruncatedError                ended without its terminal event
          +-- MalformedChunkError                 a chunk invalid for its format (raw kept)
          +-- ProviderStreamError  (also APIError) an error event sent inside the stream
               +-- StreamRateLimitError (also RateLimitError), StreamServerError (also
                   ServerError), StreamServiceUnavailableError (also ServiceUnavailableError)
          +-- StreamTimeoutError  (also APITimeoutError)  the idle timeout expired mid-stream
     +-- BudgetExceededError                      the client's max_cost is spent; nothing sent
     +-- CooldownError                            (in .attempts only) a provider skipped while
     |                                            it cools down after repeated failures
     +-- StructuredOutputError (also ValueError)   a reply that does not parse as its
                                                  response_format asked (JSON, a model)

Errors raised while iterating a stream are always ``StreamError`` instances; where they also
belong to a status family or are timeouts they derive from that class too (for example
``StreamRateLimitError(RateLimitError, ProviderStreamError)``), so one ``except RateLimitError``
catches a 429 whether it came before the first chunk or inside the stream.

Messages, reprs and attributes never contain API keys, ``Authorization`` headers or signed URLs.

This module is a leaf: it imports nothing from literllm, and both parser twins raise its classes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ChecksumError",
    "ConfigurationError",
    "ConflictError",
    "CooldownError",
    "EventStreamError",
    "EventStreamTruncatedError",
    "LiterLlmError",
    "MalformedChunkError",
    "MissingApiKeyError",
    "NDJSONError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProviderNotSupportedError",
    "ProviderStreamError",
    "ProxyError",
    "RateLimitError",
    "RecordingWarning",
    "ResponseTooLargeError",
    "SSEError",
    "ServerError",
    "ServiceUnavailableError",
    "StreamError",
    "StreamRateLimitError",
    "StreamServerError",
    "StreamServiceUnavailableError",
    "StreamTimeoutError",
    "StreamTruncatedError",
    "StructuredOutputError",
    "UnknownProviderError",
    "UnroutableModelError",
    "api_error_class_for_status",
    "stream_error_class_for_status",
]


class LiterLlmError(Exception):
    """Base class of every literllm error.

    Details are keyword arguments naming attributes that the class (or one of its bases)
    declares; this keeps multiple inheritance (``RateLimitError`` + ``StreamError``) simple.
    """

    message: str
    attempts: tuple[Any, ...] = ()
    """Every attempt of the call until this error (``literllm.Attempt``: provider, model,
    error, duration), retries and fallbacks included; empty for an error before any."""

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        for name, value in details.items():
            if not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__} has no detail {name!r}")
            setattr(self, name, value)

    def __str__(self) -> str:
        return self.message


# --- configuration: raised before any I/O ----------------------------------------------------


class ConfigurationError(LiterLlmError, ValueError):
    """The client or the call is set up so that no request can be sent; nothing was sent."""

    provider: str = ""
    """The provider concerned, when one was told."""


class UnknownProviderError(ConfigurationError):
    """A provider name (``provider=``) that is not registered."""


class UnroutableModelError(ConfigurationError):
    """A model name for which no provider can be told (no known prefix, no default)."""

    model: str = ""


class MissingApiKeyError(ConfigurationError):
    """No API key for a provider that needs one (not passed, not in its variable)."""

    api_key_env: str | None = None
    """The environment variable the key would have been read from."""


class ProviderNotSupportedError(ConfigurationError):
    """A known provider whose adapter this version of literllm does not have."""


# --- parsers -----------------------------------------------------------------------------


class SSEError(LiterLlmError, ValueError):
    """The SSE decoder met input it will not buffer (a line or event over ``max_event_size``)."""

    events: list[Any] = []  # noqa: RUF012  (replaced per instance, never mutated)
    """Events completed earlier in the same ``feed`` call, in order."""


class NDJSONError(LiterLlmError, ValueError):
    """The NDJSON decoder was given a line longer than its ``max_line_size`` (or fed after
    ``close()``); ``lines`` holds the lines completed before it."""

    lines: tuple[bytes, ...] = ()


class EventStreamError(LiterLlmError, ValueError):
    """A malformed AWS EventStream frame, or one over the decoder's size caps."""

    messages: list[Any] = []  # noqa: RUF012  (replaced per instance, never mutated)
    """Messages completed earlier in the same ``feed`` call, in order."""


class ChecksumError(EventStreamError):
    """A prelude or message CRC32 did not match."""

    kind: str = ""
    """``"prelude"`` or ``"message"``."""
    expected: int = 0
    """The CRC carried by the frame."""
    actual: int = 0
    """The CRC computed over the received bytes."""

    def __init__(self, kind: str, expected: int, actual: int, **details: Any) -> None:
        super().__init__(
            f"{kind} checksum mismatch: frame says 0x{expected:08x}, computed 0x{actual:08x}",
            kind=kind,
            expected=expected,
            actual=actual,
            **details,
        )


# --- responses -----------------------------------------------------------------------------


class APIError(LiterLlmError):
    """The provider answered with an error status (or an error body where a stream was due)."""

    status_code: int | None = None
    """The HTTP status, or the status a provider's in-stream error event names."""
    provider: str = ""
    """The provider's name as routed (``"openai"``, ``"groq"``, ...)."""
    request_id: str | None = None
    """The provider's request id (``x-request-id`` and friends), when sent."""
    body: Any = None
    """The error body: parsed JSON when it was JSON, else its text (at most 512 bytes)."""


class BadRequestError(APIError):
    """400 or 422: the request was rejected as invalid."""


class AuthenticationError(APIError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(APIError):
    """403: the key may not use this model or endpoint."""


class NotFoundError(APIError):
    """404: unknown model or endpoint."""


class ConflictError(APIError):
    """409."""


class RateLimitError(APIError):
    """429: rate or quota limit."""

    retry_after: float | None = None
    """Seconds the provider asked to wait (``Retry-After``, ``retry-after-ms``), if it said."""


class ServerError(APIError):
    """5xx: the provider failed."""


class ServiceUnavailableError(ServerError):
    """503 (or Anthropic's 529 overloaded)."""


class ResponseTooLargeError(APIError):
    """A non-streamed reply was larger than the client's ``max_response_size``."""


class APIConnectionError(LiterLlmError):
    """The provider could not be reached, or the connection failed before a response."""

    provider: str = ""


class APITimeoutError(APIConnectionError):
    """A connect, idle or total timeout expired."""

    timeout_kind: str = ""
    """``"connect"``, ``"idle"``, ``"total"`` or ``"pool"`` (no pooled connection came free in
    time: nothing was sent)."""


class ProxyError(APIConnectionError):
    """The proxy (``HTTP(S)_PROXY``) answered instead of the provider: it refused the
    credentials (407) or the tunnel (``CONNECT``). Not retried unless the proxy itself says
    it failed transiently (502, 503, 504)."""

    status_code: int | None = None


class BudgetExceededError(LiterLlmError):
    """The client has spent its ``max_cost`` (USD, from the replies' usage): the request
    was not sent."""

    spent: float = 0.0
    max_cost: float = 0.0


class CooldownError(LiterLlmError):
    """Recorded in ``attempts`` (never raised): a provider was skipped because it is cooling
    down after repeated failures (``LlmClient(cooldown=)``)."""

    provider: str = ""


class StructuredOutputError(LiterLlmError, ValueError):
    """The reply's content does not parse as its ``response_format`` asked: not JSON, or
    JSON that does not validate as the model given (the cause says where)."""

    completion: Any = None
    """The whole ``ChatCompletion``; its ``message.parsed`` holds what did parse as JSON."""


class RecordingWarning(UserWarning):
    """A recording (``record_to=``, ``record_dir=``) could not be written to the end; the
    stream itself went on, unharmed."""


# --- streams -------------------------------------------------------------------------------


class StreamError(LiterLlmError):
    """A stream broke after it had started; carries what was received until then."""

    chunks_received: int = 0
    """How many chunks the stream had yielded before the error."""
    text: str = ""
    """The content text received so far (all choices' ``delta.content`` concatenated)."""
    provider: str = ""
    model: str = ""
    """The model that was streaming (the one that failed, after a fallback)."""
    accumulated: Any = None
    """The ``ChatCompletion`` the chunks before the error add up to."""
    stats: Any = None
    """The call's ``StreamStats`` at the error."""


class StreamTruncatedError(StreamError):
    """The stream ended (cleanly or by a cut connection) without its terminal event."""


class MalformedChunkError(StreamError):
    """A chunk could not be decoded (bad JSON, wrong shape); ``raw`` keeps its payload."""

    raw: bytes = b""
    events: list[Any] = []  # noqa: RUF012  (replaced per instance, never mutated)
    """Transport events decoded before the undecodable bytes (delivered before the error)."""


class ProviderStreamError(StreamError, APIError):
    """The provider sent an error event inside the stream."""


class EventStreamTruncatedError(EventStreamError, StreamTruncatedError):
    """Input ended inside an EventStream frame."""


class StreamRateLimitError(RateLimitError, ProviderStreamError):
    """A rate-limit error event inside a stream."""


class StreamServerError(ServerError, ProviderStreamError):
    """A server error event inside a stream (e.g. ``overloaded_error``)."""


class StreamServiceUnavailableError(ServiceUnavailableError, ProviderStreamError):
    """An overloaded / unavailable error event inside a stream."""


class StreamTimeoutError(APITimeoutError, StreamError):
    """No content arrived within the idle timeout after the stream had started."""


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
    503: ServiceUnavailableError,
    529: ServiceUnavailableError,
}


def stream_error_class_for_status(status: int | None) -> type[ProviderStreamError]:
    """The class for an error event inside a stream that names (or implies) ``status``."""
    if status == 429:
        return StreamRateLimitError
    if status in (503, 529):
        return StreamServiceUnavailableError
    if status is not None and status >= 500:
        return StreamServerError
    return ProviderStreamError


def api_error_class_for_status(status: int) -> type[APIError]:
    """The ``APIError`` subclass for an HTTP status (``APIError`` itself when none fits)."""
    cls = _STATUS_CLASSES.get(status)
    if cls is not None:
        return cls
    if status >= 500:
        return ServerError
    return APIError

