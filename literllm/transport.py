"""The transport seam: what ``LlmClient(transport=...)`` sends its requests through.

By default the client sends over its own aiohttp session (or the ``session=`` given); nothing
here is used then. A transport given instead receives every attempt as a ``TransportRequest``
(provider, model, method, URL, headers as signed, body) and returns a response, or forwards
the request to the network itself through the ``network`` callable it is handed (the client's
own aiohttp path: proxies, TLS settings and all). Everything after the response is the
client's usual path: the status mapped to the typed errors, retries, the provider's stream
adapter, ``ChatStream`` with its idle timer, accumulation and errors.

A transport signals a failure to connect by raising ``OSError`` (``ConnectionRefusedError``,
``ConnectionResetError``, ...) and a timeout by raising ``TimeoutError``; the client turns
them into ``APIConnectionError`` and ``APITimeoutError`` and retries them as it would a
network failure. A ``LiterLlmError`` it raises reaches the caller as it is.

``literllm.testing.ReplayTransport`` (recorded bodies, scripted replies, faults) and
``literllm.testing.Cassette`` (record once, replay after) are the transports shipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple, Protocol

__all__ = [
    "Network",
    "ResponseBody",
    "Transport",
    "TransportRequest",
    "TransportResponse",
    "request_fingerprint",
]


class TransportRequest(NamedTuple):
    """One attempt of a request, as it goes on the wire (signed, when the provider signs)."""

    provider: str
    """The provider's name as routed (``"openai"``, ``"bedrock"``, ...)."""
    model: str
    """The model name sent to the provider."""
    method: str
    url: str
    headers: Mapping[str, str]
    """As sent: they hold the credentials. ``repr()`` leaves them out."""
    body: bytes
    stream: bool
    """Whether this is ``chat_stream`` (else ``chat``)."""

    def __repr__(self) -> str:  # never the headers (keys) or the query string (keys, too)
        return (
            f"TransportRequest(provider={self.provider!r}, model={self.model!r}, "
            f"{self.method} {self.url.partition('?')[0]}, stream={self.stream})"
        )

    def json(self) -> Any:
        """The body, parsed (``None`` for an empty or non-JSON body)."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def fingerprint(self) -> str:
        """A stable hash of provider, model and body (see ``request_fingerprint``)."""
        return request_fingerprint(self.provider, self.model, self.body)


def request_fingerprint(provider: str, model: str, body: bytes) -> str:
    """A stable hash of what makes two requests the same request: the provider, the model
    and the body (a JSON body canonically: key order and spacing do not count). Headers
    and URL are left out: they carry signatures, dates and keys that change on every call."""
    try:
        canonical: bytes = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (provider.encode(), model.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class ResponseBody(Protocol):
    """A response body being read, shaped as aiohttp's ``StreamReader`` (what the client
    uses of it)."""

    async def read(self, n: int = -1) -> bytes:
        """At most ``n`` bytes (the whole rest for ``n < 0``): what has arrived, waiting
        for some if nothing has; ``b""`` at the end of the body. A stream reads this way."""
        ...

    def set_exception(self, exc: BaseException) -> None:
        """Make the pending and every later read raise ``exc`` (the client's idle timer)."""
        ...

    def exception(self) -> BaseException | None: ...

    def is_eof(self) -> bool: ...


class TransportResponse(Protocol):
    """A response whose body may still be arriving (aiohttp's ``ClientResponse`` is one)."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Looked up case-insensitively (``content-type``, ``retry-after``, request ids)."""
        ...

    @property
    def content_type(self) -> str:
        """The media type without parameters (``text/event-stream``)."""
        ...

    @property
    def content(self) -> ResponseBody: ...

    def release(self) -> None:
        """The body was read to its end (a connection may be reused)."""
        ...

    def close(self) -> None:
        """Stop now (the rest of the body is not wanted)."""
        ...


Network = Callable[[TransportRequest], Awaitable[TransportResponse]]
"""The client's own network path, handed to ``Transport.send`` for transports that
forward (a recording one)."""


class Transport(Protocol):
    """Sends each attempt of a request; see the module's docs for the contract."""

    async def send(self, request: TransportRequest, network: Network) -> TransportResponse:
        ...
