"""What every provider adapter offers the client. Adapters do no I/O: bytes in, chunks out.

A ``ProviderAdapter`` builds a whole request (method, URL, headers, body), names the ``Auth``
that signs it, and reads its provider's error bodies and request ids. A ``StreamAdapter``
owns one response's decoder and content type: the client hands it bytes, gets transport
events back (``feed``), turns each into a chunk (``on_event``) and, when the body ends, asks
it whether the stream was complete (``finish``), the way h11's connection object, not its
caller, decides that a peer closed too early.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import orjson

from ..errors import APIError, api_error_class_for_status
from ..formats import (
    EVENTSTREAM,
    NDJSON,
    SSE,
    EventStreamTransport,
    NDJSONTransport,
    SSETransport,
    undecodable,
)
from ..types import ChatCompletion, ChatCompletionChunk, Message, MessageParam
from ._events import ERROR_BODY_QUOTE, quote

if TYPE_CHECKING:
    from . import Provider

__all__ = [
    "EVENTSTREAM_CONTENT_TYPE",
    "SSE_CONTENT_TYPE",
    "Auth",
    "ErrorDetails",
    "EventStreamTransport",
    "HttpRequest",
    "NDJSONTransport",
    "ProviderAdapter",
    "SSETransport",
    "StreamAdapter",
    "error_details",
    "header",
    "quote_body",
    "undecodable",
]

SSE_CONTENT_TYPE = SSE.content_type
EVENTSTREAM_CONTENT_TYPE = EVENTSTREAM.content_type
NDJSON_CONTENT_TYPE = NDJSON.content_type


class HttpRequest(NamedTuple):
    """A request as it is to be sent (before ``Auth`` signs it)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def __repr__(self) -> str:  # never show headers: they may hold a key
        return f"HttpRequest({self.method} {self.url.partition('?')[0]})"


class Auth(Protocol):
    """Signs a request; awaited by the client once per attempt (a SigV4 signature covers the
    final URL and body, an OAuth token can expire between retries)."""

    async def apply(self, request: HttpRequest) -> HttpRequest: ...

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in an error or a log line (keys, tokens), as sent."""
        ...


class StreamAdapter(Protocol):
    """One response's stream: bytes in, transport events out, one chunk per event."""

    @property
    def content_type(self) -> str:
        """The content type the response must have (``text/event-stream``, ...)."""
        ...

    @property
    def done(self) -> bool:
        """The provider's terminal event has arrived; the client may stop reading."""
        ...

    @property
    def text_parts(self) -> list[str]:
        """Content received so far, in pieces (what an error reports as received)."""
        ...

    def feed(self, data: bytes, /) -> Sequence[Any]:
        """The transport events these bytes completed.

        Raises ``MalformedChunkError`` for undecodable bytes; its ``events`` holds the events
        completed before them, to be delivered first.
        """
        ...

    def on_event(self, event: Any, /) -> ChatCompletionChunk | None:
        """The chunk one transport event makes, or ``None`` (keep-alives, the terminal event).

        Raises ``StreamError`` subclasses (malformed data, provider error events).
        """
        ...

    def finish(self) -> None:
        """The body ended; raise ``StreamTruncatedError`` unless the stream was complete."""
        ...


class ErrorDetails(NamedTuple):
    """What an error response said, reduced to what an ``APIError`` carries."""

    cls: type[APIError]
    message: str
    body: Any


COMMON_OPTIONS = frozenset({
    "base_url", "api_key", "headers", "timeout", "max_retries",
    "max_concurrency", "requests_per_minute", "tokens_per_minute",
})
"""What ``provider_options[name]`` takes for every provider; the client applies them."""


class ProviderAdapter(Protocol):
    """Requests and responses of one provider's API (one instance per ``Provider``).

    An adapter may name the ``provider_options`` keys of its own in a class attribute
    ``option_names`` (a frozenset: ``{"region", "profile"}``); the client then refuses any
    other key (beside ``COMMON_OPTIONS``) before any I/O. One that names none is given
    whatever the caller passes.
    """

    def chat_request(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        params: Mapping[str, Any],
        *,
        extra_body: Mapping[str, Any],
        stream: bool,
        base_url: str | None,
        options: Mapping[str, Any],
    ) -> HttpRequest:
        """The request for a chat call.

        ``params`` are the call's OpenAI-named parameters (to translate); ``extra_body`` goes
        into the provider's body as it is, last; ``base_url`` is the client's override, if
        any. Raises ``ConfigurationError`` for what cannot be sent (a missing region, a
        parameter the provider does not take, ...).
        """
        ...

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        """How requests are signed, given the key routed to this provider (if any)."""
        ...

    def new_stream(self, model: str, request_id: str | None) -> StreamAdapter:
        """The adapter for one response (``request_id``: its header, for formats whose
        body names no response id)."""
        ...

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        """A non-streamed reply; raises ``MalformedChunkError`` for a body of the wrong shape."""
        ...

    def error_details(self, status: int, body: bytes) -> ErrorDetails: ...

    def request_id(self, headers: Mapping[str, str]) -> str | None: ...


class AdapterFactory(Protocol):
    def __call__(self, provider: Provider, /) -> ProviderAdapter: ...


def quote_body(body: bytes) -> str:
    """The start of a response body (``ERROR_BODY_QUOTE`` bytes), for error messages."""
    return quote(body, ERROR_BODY_QUOTE)


def parse_error_body(body: bytes) -> Any:
    """An error body as JSON if it is JSON, else its quoted text (``None`` when empty)."""
    try:
        return orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return quote_body(body)


def error_details(status: int, body: bytes) -> ErrorDetails:
    """Read an error body the way most providers write it: ``{"error": {"message": ...}}``."""
    parsed = parse_error_body(body)
    message = None
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed)
        if isinstance(error, dict):
            message = error.get("message") or error.get("detail")
        elif isinstance(error, str):
            message = error
        message = message or parsed.get("message") or parsed.get("detail")
    if not isinstance(message, str) or not message:
        message = quote_body(body) if body else "(empty body)"
    return ErrorDetails(api_error_class_for_status(status), message, parsed)


def header(headers: Mapping[str, str], *names: str) -> str | None:
    """The first of ``names`` the response carries (request ids go by several names)."""
    for name in names:
        value = headers.get(name)
        if value:
            return value
    return None


def join_url(base: str, path: str, query: str = "") -> str:
    """``base`` + ``path`` (+ ``query``), keeping a query string ``base`` already has."""
    base, _, base_query = base.partition("?")
    url = base.rstrip("/") + path
    joined = "&".join(part for part in (base_query, query) if part)
    return f"{url}?{joined}" if joined else url
