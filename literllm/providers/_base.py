"""What every provider adapter offers the client. Adapters do no I/O: bytes in, chunks out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple, Protocol

import orjson

from ..errors import APIError, api_error_class_for_status
from ..types import ChatCompletion, ChatCompletionChunk, Message, MessageParam

__all__ = [
    "ErrorDetails",
    "HttpRequest",
    "ProviderAdapter",
    "StreamAdapter",
    "error_details",
    "quote_body",
]

ERROR_BODY_QUOTE = 512


class HttpRequest(NamedTuple):
    """A request an adapter wants sent: the client adds the base URL, auth and transport."""

    path: str
    body: bytes
    headers: Mapping[str, str] = {}


class StreamAdapter(Protocol):
    """Turns one response's transport events into chunks; one instance per response."""

    transport: Literal["sse", "eventstream"]

    @property
    def done(self) -> bool:
        """The provider's terminal event has arrived; the client may stop reading."""
        ...

    @property
    def text_parts(self) -> list[str]:
        """Content received so far, in pieces (what an error reports as received)."""
        ...

    def on_event(self, event: Any) -> ChatCompletionChunk | None:
        """The chunk one transport event makes, or ``None`` (keep-alives, the terminal event).

        Raises ``StreamError`` subclasses (malformed data, provider error events).
        """
        ...

    def finish(self) -> None:
        """The body ended; raise ``StreamTruncatedError`` unless the stream was complete."""
        ...


class ProviderAdapter(Protocol):
    """Builds requests and reads responses for one wire format."""

    def chat_request(
        self, model: str, messages: Sequence[MessageParam | Message], params: Mapping[str, Any],
        *, stream: bool, stream_usage: bool,
    ) -> HttpRequest:
        """The request for a chat call; ``messages`` may hold ``Message`` objects (replies)."""
        ...

    def new_stream(self) -> StreamAdapter: ...

    def parse_completion(self, body: bytes) -> ChatCompletion: ...


class ErrorDetails(NamedTuple):
    """What an error response said, reduced to what an ``APIError`` carries."""

    cls: type[APIError]
    message: str
    body: Any


def quote_body(body: bytes) -> str:
    """The start of a response body (at most 512 bytes), for error messages."""
    text = body[:ERROR_BODY_QUOTE].decode("utf-8", "replace")
    return text + ("..." if len(body) > ERROR_BODY_QUOTE else "")


def error_details(status: int, body: bytes) -> ErrorDetails:
    """Read an error body the way most providers write it: ``{"error": {"message": ...}}``."""
    parsed: Any
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = quote_body(body)
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
