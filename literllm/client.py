"""``LlmClient``: the aiohttp transport, timeouts, retries and the ``ChatStream`` iterator.

The only module that does network I/O. Providers (sans-IO) build requests and turn transport
events into chunks; the parsers turn bytes into events; this module moves the bytes.
aiohttp is imported on the first request, so ``import literllm`` and building a client stay
cheap.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Unpack

from ._config import Timeout, as_timeout
from ._parsers import EventStreamDecoder, SSEDecoder
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    EventStreamError,
    LiterLlmError,
    MalformedChunkError,
    MissingApiKeyError,
    ProviderNotSupportedError,
    RateLimitError,
    SSEError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)
from .providers import Provider, merge_key, resolve_model
from .providers._base import ERROR_BODY_QUOTE, StreamAdapter, error_details, quote_body
from .types import (
    CLIENT_OPTIONS,
    ChatCompletion,
    ChatCompletionChunk,
    ChatParams,
    Message,
    MessageParam,
)

if TYPE_CHECKING:
    import asyncio
    import logging

    import aiohttp

__all__ = ["ChatStream", "LlmClient", "Timeout"]

DEFAULT_MAX_CONNECTIONS = 1000
ERROR_BODY_LIMIT = 64 * 1024
RETRY_AFTER_CAP = 60.0
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")

# NOTE: asyncio, aiohttp and logging are imported where they are first needed (a request),
# not with literllm: together they take longer to import than everything else in the package.
_logger: logging.Logger | None = None


def _log() -> logging.Logger:
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("literllm")
        _logger.addHandler(logging.NullHandler())
    return _logger


def _client_timeout(timeout: Timeout, *, stream: bool) -> aiohttp.ClientTimeout:
    # Passed on every request so that aiohttp's 300 s session default never applies. A
    # stream's idle limit is enforced by ChatStream itself (content, not bytes, resets it),
    # which also spares aiohttp rescheduling a read timer on every packet.
    import aiohttp

    return aiohttp.ClientTimeout(
        total=timeout.total, connect=timeout.connect, sock_read=None if stream else timeout.idle
    )


_NO_EVENTS: tuple[Any, ...] = ()


class _IdleTimeout(TimeoutError):
    """Set on the response body by the idle timer to wake the pending read."""


class _Interrupted(Exception):
    """Set on the response body to wake the pending read after an error was recorded."""


def _idle_timer_fired(ref: weakref.ref[ChatStream]) -> None:
    stream = ref()
    if stream is not None:
        stream._idle_timer_fired()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return float(milliseconds) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _backoff(attempt: int, retry_after: float | None) -> float:
    import random

    if retry_after is not None and retry_after <= RETRY_AFTER_CAP:
        return retry_after
    backoff: float = min(INITIAL_BACKOFF * 2.0**attempt, MAX_BACKOFF)
    return backoff * (1 - 0.25 * random.random())


async def _wait(awaitable: Any, seconds: float | None) -> Any:
    """``await awaitable`` within ``seconds`` (the wait for a stream's response headers)."""
    import asyncio

    if seconds is None:
        return await awaitable
    async with asyncio.timeout(seconds):
        return await awaitable


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < limit:
        piece = await response.content.read(limit - size)
        if not piece:
            break
        parts.append(piece)
        size += len(piece)
    return b"".join(parts)


class _PreparedRequest(NamedTuple):
    provider: Provider
    model: str
    url: str
    headers: dict[str, str]
    body: bytes
    timeout: Timeout
    stream: bool
    sent_key: bool

    @property
    def key_variable(self) -> str:
        return self.provider.api_key_env or "the provider's key variable"

    def __repr__(self) -> str:  # never show headers: they hold the key
        return f"_PreparedRequest(provider={self.provider.name!r}, url={self.url!r})"


class ChatStream:
    """The chunks of one streamed reply: an async iterator and an async context manager.

    Leaving ``async for`` early (when nothing else holds the stream), ``aclose()``, leaving
    ``async with`` and cancelling the task all close the connection at once. Everything raised
    while iterating is a ``StreamError`` that carries ``chunks_received`` and ``text``.
    """

    __slots__ = (
        "__weakref__",
        "_adapter",
        "_bytes",
        "_closed",
        "_content",
        "_deadline",
        "_decoder",
        "_error",
        "_error_told",
        "_events",
        "_feed",
        "_finished",
        "_idle",
        "_loop",
        "_on_event",
        "_pos",
        "_received",
        "_response",
        "_timer",
        "_total",
        "_waiting",
        "model",
        "provider",
        "request_id",
    )

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        adapter: StreamAdapter,
        *,
        provider: str,
        model: str,
        idle: float | None,
        total: float | None = None,
    ) -> None:
        self._response = response
        self._total = total
        self._content = response.content
        self._adapter = adapter
        self._feed: Callable[[bytes], Sequence[Any]]
        if adapter.transport == "sse":
            sse = SSEDecoder()
            self._decoder: SSEDecoder | EventStreamDecoder = sse
            self._feed = sse.feed_raw
        else:
            frames = EventStreamDecoder()
            self._decoder = frames
            self._feed = frames.feed
        self._events: Sequence[Any] = _NO_EVENTS
        self._pos = 0
        self._on_event = adapter.on_event
        self._received = 0
        self._bytes = 0
        self._error: StreamError | None = None
        self._error_told = False
        self._finished = False
        self._closed = False
        self._idle = idle
        import asyncio

        self._loop = asyncio.get_running_loop()
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._waiting = False
        self.provider = provider
        """The provider's name as routed."""
        self.model = model
        """The model name sent to the provider."""
        self.request_id = _request_id(response.headers)
        """The provider's request id, when it sent one."""

    @property
    def chunks_received(self) -> int:
        """How many chunks this stream has yielded."""
        return self._received

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<ChatStream provider={self.provider!r} model={self.model!r} "
            f"chunks_received={self._received} {state}>"
        )

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        # NOTE: chunks are built one per call, from the events of the last read: building a
        # whole read's chunks ahead would keep hundreds of fresh objects alive at once and
        # make the cyclic GC run (and promote them) several times per stream.
        while True:
            pos = self._pos
            events = self._events
            if pos < len(events):
                self._pos = pos + 1
                try:
                    chunk = self._on_event(events[pos])
                except StreamError as exc:
                    self._events = _NO_EVENTS
                    self._fail(exc, exc.__cause__)
                    raise self._pending_error() from exc.__cause__
                if chunk is not None:
                    self._received += 1
                    return chunk
                if self._adapter.done:
                    self._events = _NO_EVENTS
                    self._pos = 0
                    self._finished = True
                    self._release()
                continue
            await self._read()

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    async def aclose(self) -> None:
        """Stop reading and close the connection now."""
        self._close()

    def __del__(self) -> None:
        # `break` out of `async for` drops the last reference: close the socket right here
        # rather than when a finalizer task gets around to it.
        if not getattr(self, "_closed", True):
            try:
                self._close()
            except Exception:
                # An interpreter or event loop shutting down; nothing is left to close.
                _log().debug("closing a dropped stream failed", exc_info=True)

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._finished = True
            self._events = _NO_EVENTS
            self._stop_timer()
            self._response.close()

    def _release(self) -> None:
        if not self._closed:
            self._closed = True
            self._stop_timer()
            self._response.release()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _idle_timer_fired(self) -> None:
        # One timer per idle period instead of one per read: it fires at the first deadline
        # and re-arms itself if content moved the deadline since.
        self._timer = None
        if self._closed or not self._waiting:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, _idle_timer_fired, weakref.ref(self))
            return
        self._content.set_exception(_IdleTimeout())

    async def _read(self) -> None:
        """Read until the decoder yields events; raise at the end of the stream or an error."""
        feed = self._feed
        if self._idle is not None:
            # Silence is counted from the later of the last content and this request for more,
            # so a slow consumer never causes an idle timeout.
            self._deadline = self._loop.time() + self._idle
            if self._timer is None:
                self._timer = self._loop.call_at(
                    self._deadline, _idle_timer_fired, weakref.ref(self)
                )
        while True:
            if self._error is not None:
                raise self._pending_error()
            if self._finished:
                raise StopAsyncIteration
            self._waiting = True
            try:
                data = await self._content.readany()
            except _Interrupted:
                continue  # the error was recorded before the reader was woken
            except _IdleTimeout as exc:
                self._fail(
                    StreamTimeoutError(
                        f"no content for {self._idle} s (idle timeout)", timeout_kind="idle"
                    ),
                    exc,
                )
                continue
            except OSError as exc:
                self._transport_failed(exc)
                continue
            except BaseException as exc:
                import aiohttp

                if isinstance(exc, aiohttp.ClientError):
                    self._transport_failed(exc)
                    continue
                # Cancellation and anything unexpected: the connection must not linger.
                self._close()
                raise
            finally:
                self._waiting = False
            if not data:
                self._end_of_body(None)
                continue
            self._bytes += len(data)
            try:
                events = feed(data)
            except SSEError as exc:
                # Deliver what the decoder completed before the bad input, then fail.
                self._fail(MalformedChunkError(f"undecodable stream: {exc}"), exc)
                events = exc.events
            except EventStreamError as exc:
                self._fail(MalformedChunkError(f"undecodable stream: {exc}"), exc)
                events = exc.messages
            if events:
                self._events = events
                self._pos = 0
                return

    def _transport_failed(self, exc: BaseException) -> None:
        if isinstance(exc, TimeoutError):
            # Not ours (that is _IdleTimeout): aiohttp's, i.e. the request's total timeout.
            kind = "total" if self._total is not None else "read"
            self._fail(StreamTimeoutError(f"{kind} timeout expired", timeout_kind=kind), exc)
        else:
            self._end_of_body(exc)

    def _end_of_body(self, cause: BaseException | None) -> None:
        """The body ended (``cause``: the connection broke): finished, or truncated?"""
        inside_event = False
        try:
            decoder = self._decoder
            if isinstance(decoder, EventStreamDecoder):
                inside_event = True
                decoder.close()
                inside_event = False
            elif decoder.pending and not self._adapter.done:
                inside_event = True
                raise StreamTruncatedError("")
            self._adapter.finish()
        except (StreamError, EventStreamError) as exc:
            # Say what happened in our words: aiohttp's (a TransferEncodingError "400", ...)
            # would mislead; it stays reachable as __cause__.
            how = "the connection closed" if cause is not None else "the body ended"
            where = ", inside an unfinished event" if inside_event else ""
            reason = f"; {exc.message}" if exc.message else ""
            self._fail(
                StreamTruncatedError(f"{how} after {self._bytes:,} bytes{where}{reason}"),
                cause if cause is not None else exc.__cause__,
            )
            return
        self._finished = True
        self._release()

    def _abort(self, error: StreamError) -> None:
        """End the stream now with ``error`` (its client closed), waking a pending read."""
        if self._closed:
            return
        if self._waiting:
            # Before the response is closed, so that this (not aiohttp's "Connection closed")
            # is what the pending read raises.
            self._content.set_exception(_Interrupted())
        self._fail(error, None)

    def _fail(self, error: StreamError, cause: BaseException | None) -> None:
        """Record the error (raised once the events before it are delivered); close at once."""
        if cause is not None and error.__cause__ is None:
            error.__cause__ = cause
        self._error = error
        self._response.close()
        self._closed = True
        self._stop_timer()

    def _pending_error(self) -> StreamError:
        """The recorded error, told what was received before it (once)."""
        error = self._error
        assert error is not None
        if not self._error_told:
            self._error_told = True
            text = "".join(self._adapter.text_parts)
            error.chunks_received = self._received
            error.text = text
            error.provider = self.provider
            error.message = (
                f"{error.message} (after {self._received} chunks, {len(text)} characters)"
            )
            error.args = (error.message,)
        self._finished = True
        return error


_CHAT_PARAMS = frozenset(ChatParams.__annotations__)


def _check_params(method: str, params: Mapping[str, Any]) -> None:
    unknown = params.keys() - _CHAT_PARAMS
    if unknown:
        # What Python says for a keyword a function does not take.
        raise TypeError(f"{method}() got an unexpected keyword argument {min(unknown)!r}")


class LlmClient:
    """Talks to LLM providers; routes ``"provider/model"`` names.

    Args:
        api_key: a key for every call of this client, or a mapping from provider name to key.
            When absent, each provider's own environment variable (see the README's table).
        base_url: overrides the provider's base URL (``http://host:port/v1`` style: the client
            posts to ``{base_url}/chat/completions``); a model without a provider prefix is
            then sent here as it is.
        provider: the provider for models given without a prefix.
        timeout: seconds (connect and idle) or a ``Timeout``.
        max_retries: retries of connection errors, 429 and 5xx, before the first chunk only.
        headers: extra headers on every request.
        session: an ``aiohttp.ClientSession`` to use (never closed by the client).
        max_connections: the connection pool size.
        trust_env: honour ``HTTP(S)_PROXY`` / ``NO_PROXY`` and ``.netrc`` (own session only).
    """

    def __init__(
        self,
        api_key: str | Mapping[str, str] | None = None,
        *,
        base_url: str | None = None,
        provider: str | None = None,
        timeout: float | Timeout | None = None,
        max_retries: int = 2,
        headers: Mapping[str, str] | None = None,
        session: aiohttp.ClientSession | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        trust_env: bool = True,
    ) -> None:
        if max_retries < 0:
            raise ConfigurationError("max_retries must not be negative")
        self._api_key = api_key
        self._base_url = base_url.rstrip("/") if base_url else None
        self._provider = provider
        self._timeout = as_timeout(timeout, Timeout())
        self._max_retries = max_retries
        self._headers = dict(headers or {})
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._trust_env = trust_env
        self._streams: weakref.WeakSet[ChatStream] = weakref.WeakSet()

    def __repr__(self) -> str:
        # Keys and headers are left out on purpose.
        return (
            f"LlmClient(base_url={self._base_url!r}, provider={self._provider!r}, "
            f"timeout={self._timeout!r}, max_retries={self._max_retries})"
        )

    async def __aenter__(self) -> LlmClient:
        self._ensure_session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """End the client's open streams, then close its own session (one passed in stays open).

        A stream being read when its client closes raises ``StreamError`` from its iterator.
        """
        for stream in list(self._streams):
            stream._abort(StreamError("the LlmClient was closed while this stream was open"))
        self._streams.clear()
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or (self._owns_session and self._session.closed):
            import aiohttp

            _log()
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=0, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=self._trust_env,
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": f"literllm/{__version__}"},
            )
            self._owns_session = True
        return self._session

    def _prepare(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        call: ChatParams,
        *,
        stream: bool,
    ) -> _PreparedRequest:
        """The request for one ``chat``/``chat_stream`` call; raises before any I/O."""
        provider, model_name = resolve_model(
            model, provider=self._provider, custom_base_url=self._base_url is not None
        )
        if provider.adapter is None:
            raise ProviderNotSupportedError(
                f"provider {provider.name!r} has no adapter in literllm {__version__} yet",
                provider=provider.name,
            )
        key = merge_key(provider, call.get("api_key"), self._api_key)
        # A client with its own base_url talks to a server the caller chose (a local vLLM or
        # Ollama): whether it wants a key is the server's to say (with a 401).
        if key is None and provider.requires_key and self._base_url is None:
            raise MissingApiKeyError(
                f"no API key for {provider.name}: pass api_key= or set {provider.api_key_env}",
                provider=provider.name,
                api_key_env=provider.api_key_env,
            )
        params: dict[str, Any] = {
            name: value
            for name, value in call.items()
            if value is not None and name not in CLIENT_OPTIONS
        }
        extra_body = call.get("extra_body")
        if extra_body:
            params.update(extra_body)
        request = provider.adapter.chat_request(
            model_name, messages, params, stream=stream, stream_usage=provider.stream_usage
        )
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
            **self._headers,
            **request.headers,
        }
        if key is not None:
            headers[provider.auth_header] = provider.auth_prefix + key
        extra_headers = call.get("extra_headers")
        if extra_headers:
            headers.update(extra_headers)
        base = self._base_url or provider.base_url
        return _PreparedRequest(
            provider,
            model_name,
            base + request.path,
            headers,
            request.body,
            as_timeout(call.get("timeout"), self._timeout),
            stream,
            key is not None,
        )

    async def _send(self, request: _PreparedRequest) -> aiohttp.ClientResponse:
        """POST with retries; returns a 2xx response whose body is still unread."""
        import aiohttp

        session = self._ensure_session()
        name = request.provider.name
        attempt = 0
        while True:
            retry_after: float | None = None
            error: LiterLlmError
            try:
                response: aiohttp.ClientResponse = await _wait(
                    session.post(
                        request.url,
                        data=request.body,
                        headers=request.headers,
                        timeout=_client_timeout(request.timeout, stream=request.stream),
                        allow_redirects=False,
                    ),
                    request.timeout.idle if request.stream else None,
                )
            except TimeoutError as exc:
                if isinstance(exc, aiohttp.ConnectionTimeoutError):
                    kind = "connect"
                elif request.timeout.total is not None and not request.stream:
                    kind = "total"
                else:
                    kind = "idle"
                error = APITimeoutError(
                    f"{name}: request timed out ({kind})", provider=name, timeout_kind=kind
                )
                error.__cause__ = exc
            except aiohttp.ClientError as exc:
                error = APIConnectionError(f"{name}: cannot connect: {exc}", provider=name)
                error.__cause__ = exc
            else:
                if 200 <= response.status < 300:
                    return response
                try:
                    body = await _read_limited(response, ERROR_BODY_LIMIT)
                except (aiohttp.ClientError, TimeoutError):
                    body = b""
                finally:
                    response.release()
                details = error_details(response.status, body)
                hint = ""
                if response.status == 401 and not request.sent_key:
                    hint = f" (no API key was sent: pass api_key= or set {request.key_variable})"
                error = details.cls(
                    f"{name}: HTTP {response.status}: {details.message}{hint}",
                    status_code=response.status,
                    provider=name,
                    request_id=_request_id(response.headers),
                    body=details.body,
                )
                retry_after = _retry_after(response.headers)
                if isinstance(error, RateLimitError):
                    error.retry_after = retry_after
                if response.status not in _RETRY_STATUSES:
                    raise error
            if attempt >= self._max_retries:
                raise error
            delay = _backoff(attempt, retry_after)
            attempt += 1
            _log().info("%s: retry %d in %.2f s after: %s", name, attempt, delay, error)
            await _sleep(delay)

    async def chat_stream(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        **params: Unpack[ChatParams],
    ) -> ChatStream:
        """Send a streaming chat request and return its ``ChatStream`` once the reply started.

        Raises (before any chunk): ``APIConnectionError``, ``APITimeoutError``, an ``APIError``
        subclass for an error status (after retries), ``APIError`` for a body that is not an
        event stream, a ``ConfigurationError`` (unroutable model, missing key, ...) before
        any I/O. ``messages`` may hold ``Message`` objects (a reply sent back as a turn).
        """
        _check_params("chat_stream", params)
        request = self._prepare(model, messages, params, stream=True)
        response = await self._send(request)
        adapter = request.provider.adapter.new_stream()  # type: ignore[union-attr]
        expected = "text/event-stream" if adapter.transport == "sse" else (
            "application/vnd.amazon.eventstream"
        )
        if response.content_type != expected:
            import aiohttp

            try:
                body = await _read_limited(response, ERROR_BODY_QUOTE + 1)
            except (aiohttp.ClientError, TimeoutError):
                body = b""
            finally:
                response.close()
            raise APIError(
                f"{request.provider.name}: expected {expected}, got "
                f"{response.content_type or 'no content type'} (HTTP {response.status}): "
                f"{quote_body(body)}",
                status_code=response.status,
                provider=request.provider.name,
                request_id=_request_id(response.headers),
                body=quote_body(body),
            )
        stream = ChatStream(
            response,
            adapter,
            provider=request.provider.name,
            model=request.model,
            idle=request.timeout.idle,
            total=request.timeout.total,
        )
        self._streams.add(stream)
        return stream

    async def chat(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        **params: Unpack[ChatParams],
    ) -> ChatCompletion:
        """Send a chat request and return the whole reply (same errors as ``chat_stream``)."""
        _check_params("chat", params)
        request = self._prepare(model, messages, params, stream=False)
        import aiohttp

        response = await self._send(request)
        name = request.provider.name
        try:
            body = await response.read()
        except TimeoutError as exc:
            raise APITimeoutError(
                f"{name}: reading the reply timed out", provider=name, timeout_kind="idle"
            ) from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(
                f"{name}: reading the reply failed: {exc}", provider=name
            ) from exc
        finally:
            response.release()
        try:
            return request.provider.adapter.parse_completion(body)  # type: ignore[union-attr]
        except MalformedChunkError as exc:
            raise APIError(
                f"{name}: {exc.message}",
                status_code=response.status,
                provider=name,
                request_id=_request_id(response.headers),
                body=quote_body(body),
            ) from exc
