"""``LlmClient``: the aiohttp transport, timeouts and retries; ``chat_stream`` and ``chat``.

The only module that does network I/O, and it knows no provider: the provider's adapter
builds each request and reads its errors, its ``Auth`` signs every attempt, its stream
adapter turns the body into chunks (``_stream.ChatStream``). aiohttp is imported on the
first request, so ``import literllm`` and building a client stay cheap.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Unpack

from . import _retry
from ._config import Timeout, as_timeout, log
from ._stream import ChatStream
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    LiterLlmError,
    MalformedChunkError,
    MissingApiKeyError,
    RateLimitError,
    StreamError,
)
from .providers import Provider, merge_key, resolve_model
from .providers._base import ERROR_BODY_QUOTE, quote_body
from .types import CLIENT_OPTIONS, ChatCompletion, ChatParams, Message, MessageParam

if TYPE_CHECKING:
    import aiohttp

    from .providers._base import Auth, HttpRequest, ProviderAdapter

__all__ = ["ChatStream", "LlmClient", "Timeout"]

DEFAULT_MAX_CONNECTIONS = 1000
ERROR_BODY_LIMIT = 64 * 1024


def _client_timeout(timeout: Timeout, *, stream: bool) -> aiohttp.ClientTimeout:
    # Passed on every request so that aiohttp's 300 s session default never applies. A
    # stream's idle limit is enforced by ChatStream itself (content, not bytes, resets it),
    # which also spares aiohttp rescheduling a read timer on every packet.
    import aiohttp

    return aiohttp.ClientTimeout(
        total=timeout.total, connect=timeout.connect, sock_read=None if stream else timeout.idle
    )


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
    adapter: ProviderAdapter
    model: str
    request: HttpRequest
    auth: Auth | None
    timeout: Timeout
    stream: bool

    def __repr__(self) -> str:  # never show headers: they hold the key
        return f"_PreparedRequest(provider={self.provider.name!r}, request={self.request!r})"


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
        provider_options: per provider, settings its adapter reads (``{"bedrock":
            {"region": "eu-west-1"}, "azure": {"api_version": ...}, "vertex_ai":
            {"project": ..., "location": ...}}``); see the README's provider table.
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
        provider_options: Mapping[str, Mapping[str, Any]] | None = None,
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
        self._provider_options = {
            name.lower(): dict(options) for name, options in (provider_options or {}).items()
        }
        self._auth_cache: dict[tuple[str, str | None], Auth | None] = {}

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

            log()
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
        adapter = provider.load_adapter()
        options = self._provider_options.get(provider.name, {})
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
        request = adapter.chat_request(
            model_name,
            messages,
            params,
            extra_body=call.get("extra_body") or {},
            stream=stream,
            base_url=self._base_url,
            options=options,
        )
        headers = {**self._headers, **request.headers}
        extra_headers = call.get("extra_headers")
        if extra_headers:
            headers.update(extra_headers)
        # One Auth per provider and key: SigV4 and OAuth cache credentials and tokens in it.
        cache_key = (provider.name, key)
        if cache_key in self._auth_cache:
            auth = self._auth_cache[cache_key]
        else:
            auth = self._auth_cache[cache_key] = adapter.auth(key, options)
        return _PreparedRequest(
            provider,
            adapter,
            model_name,
            request._replace(headers=headers),
            auth,
            as_timeout(call.get("timeout"), self._timeout),
            stream,
        )

    async def _send(self, prepared: _PreparedRequest) -> aiohttp.ClientResponse:
        """Send with retries; returns a 2xx response whose body is still unread."""
        import aiohttp
        import yarl

        session = self._ensure_session()
        name = prepared.provider.name
        timeout = prepared.timeout
        attempt = 0
        while True:
            server_asked: float | None = None
            error: LiterLlmError
            request = prepared.request
            if prepared.auth is not None:
                # Per attempt: a signature covers the final request, a token may expire.
                request = await prepared.auth.apply(request._replace(headers={**request.headers}))
            try:
                response: aiohttp.ClientResponse = await _wait(
                    session.request(
                        request.method,
                        # As built: re-quoting the path would break a signature over it.
                        yarl.URL(request.url, encoded=True),
                        data=request.body,
                        headers=request.headers,
                        timeout=_client_timeout(timeout, stream=prepared.stream),
                        allow_redirects=False,
                    ),
                    timeout.idle if prepared.stream else None,
                )
            except TimeoutError as exc:
                if isinstance(exc, aiohttp.ConnectionTimeoutError):
                    kind = "connect"
                elif timeout.total is not None and not prepared.stream:
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
                details = prepared.adapter.error_details(response.status, body)
                hint = ""
                if response.status == 401 and prepared.auth is None:
                    variable = prepared.provider.api_key_env or "the provider's key variable"
                    hint = f" (no API key was sent: pass api_key= or set {variable})"
                error = details.cls(
                    f"{name}: HTTP {response.status}: {details.message}{hint}",
                    status_code=response.status,
                    provider=name,
                    request_id=prepared.adapter.request_id(response.headers),
                    body=details.body,
                )
                server_asked = _retry.retry_after(response.headers)
                if isinstance(error, RateLimitError):
                    error.retry_after = server_asked
                if not _retry.should_retry(response.status):
                    raise error
            if attempt >= self._max_retries:
                raise error
            delay = _retry.backoff(attempt, server_asked)
            attempt += 1
            log().info("%s: retry %d in %.2f s after: %s", name, attempt, delay, error)
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
        prepared = self._prepare(model, messages, params, stream=True)
        response = await self._send(prepared)
        name = prepared.provider.name
        request_id = prepared.adapter.request_id(response.headers)
        adapter = prepared.adapter.new_stream(prepared.model, request_id)
        expected = adapter.content_type
        if response.content_type != expected:
            import aiohttp

            try:
                body = await _read_limited(response, ERROR_BODY_QUOTE + 1)
            except (aiohttp.ClientError, TimeoutError):
                body = b""
            finally:
                response.close()
            raise APIError(
                f"{name}: expected {expected}, got "
                f"{response.content_type or 'no content type'} (HTTP {response.status}): "
                f"{quote_body(body)}",
                status_code=response.status,
                provider=name,
                request_id=request_id,
                body=quote_body(body),
            )
        stream = ChatStream(
            response,
            adapter,
            provider=name,
            model=prepared.model,
            request_id=request_id,
            idle=prepared.timeout.idle,
            total=prepared.timeout.total,
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
        prepared = self._prepare(model, messages, params, stream=False)
        import aiohttp

        response = await self._send(prepared)
        name = prepared.provider.name
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
            return prepared.adapter.parse_completion(body, prepared.model)
        except MalformedChunkError as exc:
            raise APIError(
                f"{name}: {exc.message}",
                status_code=response.status,
                provider=name,
                request_id=prepared.adapter.request_id(response.headers),
                body=quote_body(body),
            ) from exc
