"""``LlmClient``: the aiohttp transport, timeouts and retries; ``chat_stream`` and ``chat``.

The only module that does network I/O, and it knows no provider: the provider's adapter
builds each request and reads its errors, its ``Auth`` signs every attempt, its stream
adapter turns the body into chunks (``_stream.ChatStream``). aiohttp is imported on the
first request, so ``import literllm`` and building a client stay cheap.
"""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Awaitable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Unpack

from . import _retry
from ._aiohttp_internals import abandon_session, limit_connection_reads, session_loop
from ._config import Timeout, as_timeout, log
from ._io import PROXY_HINTS, InternalTimeout, is_network_error, network_errors
from ._params import check_params
from ._pool import NO_SLOT, ConnectionSlots, PoolTimeout, Slot
from ._secrets import redact, redact_value, scrub_chain
from ._stream import READ_WINDOW, ChatStream, StreamStart
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BudgetExceededError,
    ConfigurationError,
    CooldownError,
    LiterLlmError,
    MalformedChunkError,
    MissingApiKeyError,
    ProxyError,
    RateLimitError,
    ResponseTooLargeError,
    StreamError,
    StreamRateLimitError,
    StreamServerError,
    StreamServiceUnavailableError,
)
from .providers import Provider, merge_key, resolve_model
from .providers._base import HttpRequest, quote_body
from .providers._events import ERROR_BODY_QUOTE
from .transport import TransportRequest
from .types import CLIENT_OPTIONS, ChatCompletion, ChatParams, Message, MessageParam

if TYPE_CHECKING:
    import asyncio
    import ssl as _ssl

    import aiohttp

    from ._call import Call
    from ._cooldown import Cooldown, Cooldowns
    from ._limits import ProviderLimits
    from ._proxy import Proxy, ProxyConfig
    from ._record import Recorder
    from ._settings import ProviderSettings
    from ._stats import StreamStats
    from ._structured import OutputSpec
    from .providers._base import Auth, ProviderAdapter
    from .transport import Transport, TransportResponse

__all__ = ["ChatStream", "LlmClient", "Timeout"]

DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
ERROR_BODY_LIMIT = 64 * 1024


def _client_timeout(
    timeout: Timeout, *, stream: bool, total: float | None
) -> aiohttp.ClientTimeout:
    # Passed on every request so that aiohttp's 300 s session default never applies. A
    # stream's idle limit is enforced by ChatStream itself (content, not bytes, resets it),
    # which also spares aiohttp rescheduling a read timer on every packet.
    import aiohttp

    # NOTE: aiohttp's `connect` also bounds the wait for a pooled connection; `sock_connect`
    # is the connection itself (TCP, TLS). Our own session waits for a pool slot before this
    # (ConnectionSlots, Timeout.pool); a session= given keeps aiohttp's own pool, whose wait
    # then counts against `connect` as it always does in aiohttp.
    return aiohttp.ClientTimeout(
        total=total, connect=timeout.connect, sock_connect=timeout.connect,
        sock_read=None if stream else timeout.idle,
    )


def _proxy_headers(proxy: Proxy) -> dict[str, str] | None:
    """``Proxy-Authorization`` for a proxy URL's credentials (aiohttp sends it on ``CONNECT``,
    or with a plain-http request). Not aiohttp's ``proxy_auth``: 3.14 deprecates ``BasicAuth``."""
    authorization = proxy.authorization
    return None if authorization is None else {"Proxy-Authorization": authorization}


def _with_proxy_login(request: HttpRequest, proxy: Proxy | None) -> Mapping[str, str]:
    """The request's headers, with the proxy login when the proxy reads the request itself
    (http://); through an https tunnel it goes on ``CONNECT`` only, never to the provider."""
    if proxy is None or not request.url.startswith("http://"):
        return request.headers
    login = _proxy_headers(proxy)
    return request.headers if login is None else {**request.headers, **login}


def _is_retried(error: LiterLlmError) -> bool:
    """Whether another attempt may help: connection errors and timeouts (but a pool wait or
    the total), a proxy's transient failure, and the retried statuses."""
    if isinstance(error, APITimeoutError):
        return error.timeout_kind not in ("total", "pool")
    if isinstance(error, ProxyError):
        return error.status_code in (502, 503, 504)
    if isinstance(error, APIError):
        return error.status_code is not None and _retry.should_retry(error.status_code)
    return isinstance(error, APIConnectionError)


class _Failure(NamedTuple):
    """An attempt that failed: the error, and the wait the server asked for."""

    error: LiterLlmError
    server_asked: float | None


class _Sent(NamedTuple):
    """A 2xx response whose body is unread, the secrets its request carried, the seconds left
    of the total timeout (``None``: no total), and its hold on the pool."""

    response: TransportResponse
    secrets: tuple[str, ...]
    left: float | None
    slot: Slot


class _Deadline:
    """``await run(awaitable)`` within ``seconds`` (``None``: no limit); ``expired`` tells
    afterwards whether this limit, rather than another, ended it."""

    __slots__ = ("expired", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expired = False

    async def run(self, awaitable: Any) -> Any:
        import asyncio

        if self.seconds is None:
            return await awaitable
        scope = asyncio.timeout(self.seconds)
        try:
            async with scope:
                return await awaitable
        finally:
            self.expired = scope.expired()


_CONTROL = frozenset(map(chr, [*range(32), 127]))


def _printable(text: str) -> bool:
    return not _CONTROL.intersection(text)


def check_headers(headers: Mapping[str, str], where: str) -> None:
    """``ConfigurationError`` for a header aiohttp would refuse (CR, LF, control characters)."""
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ConfigurationError(f"{where}: header names and values must be strings")
        if not name or not _printable(name) or ":" in name or " " in name:
            raise ConfigurationError(f"{where}: {name!r} is not a valid header name")
        if not _printable(value):
            # The value itself is not shown: it may be a key.
            raise ConfigurationError(
                f"{where}: the value of {name!r} contains a line break or control character"
            )


def _wait_bound(pool: float | None, left: float | None) -> tuple[float | None, str]:
    """How long a wait for a pool slot or a provider's limits may last (``None``: no
    bound), and which timeout ends it: the total's remainder when it is the nearer one,
    else ``Timeout.pool``."""
    if left is not None and (pool is None or left <= pool):
        return left, "total"
    return pool, "pool"


def _limits_shown(limits: ProviderLimits) -> str:
    from ._limits import LIMIT_NAMES

    return ", ".join(
        f"{name}={getattr(limits, name)}" for name in LIMIT_NAMES
        if getattr(limits, name) is not None
    )


def _checked_fallbacks(
    fallbacks: Mapping[str, Sequence[str]] | None,
) -> dict[str, tuple[str, ...]]:
    if fallbacks is None:
        return {}
    if not isinstance(fallbacks, Mapping):
        raise ConfigurationError(
            "fallbacks= takes a mapping from a model to the models to try after it"
        )
    checked = {}
    for model, others in fallbacks.items():
        if isinstance(others, str) or not all(isinstance(o, str) for o in others):
            raise ConfigurationError(f"fallbacks[{model!r}] must be a list of model names")
        checked[model] = tuple(others)
    return checked


def _checked_base_url(url: str, where: str = "base_url") -> str:
    from urllib.parse import urlsplit

    if not isinstance(url, str):
        raise ConfigurationError(f"{where} must be a string, not {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{where} must be an http(s) URL with a host, not {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"{where} must not carry credentials (user:password@); pass api_key= or headers="
        )
    try:
        _ = parts.port
    except ValueError:
        raise ConfigurationError(f"{where} has an invalid port: {url!r}") from None
    return url.rstrip("/")


def _shown_url(url: str) -> str:
    """A request URL for a message: no query string (it may hold a key), no user."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def _read_limited(response: TransportResponse, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < limit:
        piece = await response.content.read(limit - size)
        if not piece:
            break
        parts.append(piece)
        size += len(piece)
    return b"".join(parts)


async def _error_body(response: TransportResponse, limit: int, idle: float | None) -> bytes:
    """The start of a body that is not the answer (an error, the wrong content type), read
    within the idle timeout; ``b""`` when it stalls or breaks: the status says enough."""
    try:
        body: bytes = await _Deadline(idle).run(_read_limited(response, limit))
    except Exception as exc:
        if not is_network_error(exc):  # TimeoutError is an OSError
            raise
        return b""
    return body


_IN_BAND_RETRIED = (StreamRateLimitError, StreamServerError, StreamServiceUnavailableError)
# Call options a hook's RequestInfo never sees (a key, headers that may carry one).
_NOT_SHOWN = frozenset({"api_key", "extra_headers"})


def _fallback_on(value: Any) -> frozenset[Any]:
    """``fallback_on=``: statuses and error classes that also move to the next model."""
    if value is None:
        return frozenset()
    items = [value] if isinstance(value, int | type) else value
    try:
        checked = frozenset(items)
    except TypeError:
        checked = frozenset({object()})
    for item in checked:
        if isinstance(item, bool) or not (
            isinstance(item, int) or (isinstance(item, type) and issubclass(item, Exception))
        ):
            raise ConfigurationError(
                "fallback_on= takes HTTP statuses and error classes (404, NotFoundError)"
            )
    return checked


def _falls_back(error: BaseException, extra: frozenset[Any]) -> bool:
    """Whether the next model is tried after ``error`` (which came before any content):
    connection errors and timeouts, 408, 409, 429, 5xx and 529, an in-band overload, rate
    limit or server error; and what ``fallback_on=`` adds (400, 401, 403, 404 are not by
    default: another model would be sent the same mistake)."""
    if isinstance(error, (*_IN_BAND_RETRIED, APIConnectionError)):
        return True
    status = getattr(error, "status_code", None)
    if isinstance(error, APIError) and isinstance(status, int) and (
        _retry.should_retry(status) or status >= 500
    ):
        return True
    return any(
        isinstance(error, item) if isinstance(item, type) else status == item for item in extra
    )


class _Plan:
    """The models one call may try, in order (the model, then its fallbacks), each request
    prepared up front so that a fallback that cannot be sent fails before any I/O."""

    __slots__ = ("fallback_on", "in_band_retries", "index", "models", "params", "requests")

    def __init__(
        self, client: LlmClient, models: list[str], messages: Sequence[MessageParam | Message],
        params: ChatParams, *, stream: bool, fallback_on: frozenset[Any],
    ) -> None:
        self.models = models
        self.params = params
        self.fallback_on = fallback_on
        self.index = 0
        self.in_band_retries = 0
        self.requests = [
            client._prepare(model, messages, params, stream=stream) for model in models
        ]

    @property
    def prepared(self) -> _PreparedRequest:
        return self.requests[self.index]

    def has_next(self) -> bool:
        return self.index + 1 < len(self.models)

    def advance(self) -> None:
        self.index += 1
        self.in_band_retries = 0

    def falls_back(self, error: BaseException) -> bool:
        return _falls_back(error, self.fallback_on)

    def may_resend(self) -> bool:
        return self.has_next() or any(r.max_retries > 0 for r in self.requests)


class _PreparedRequest(NamedTuple):
    provider: Provider
    adapter: ProviderAdapter
    model: str
    request: HttpRequest
    auth: Auth | None
    timeout: Timeout
    stream: bool
    max_retries: int
    output: OutputSpec | None

    def __repr__(self) -> str:  # never show headers: they hold the key
        return f"_PreparedRequest(provider={self.provider.name!r}, request={self.request!r})"


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
        trust_env: honour ``HTTP(S)_PROXY`` / ``NO_PROXY`` (own session only). ``.netrc`` is
            never read: its credentials would go to whichever host it names, keys or not.
        max_response_size: the largest non-streamed reply ``chat()`` reads (bytes).
        ssl: certificate verification for the client's own session: ``True`` (the default:
            the system's CAs), an ``ssl.SSLContext`` (your own CA), or ``False`` (none).
        hooks: objects with any of ``on_request(info)``, ``on_first_chunk(stats)``,
            ``on_end(stats)``, ``on_error(stats, error)`` (plain or async), called for every
            attempt of every call (``literllm.otel.OpenTelemetryHooks`` is one).
        fallbacks: per model, the models to try after it when it fails before its first
            chunk (``{"openai/gpt-4o": ["anthropic/claude-sonnet-4-5"]}``); a call's own
            ``fallbacks=`` wins.
        cooldown: skip a provider that failed repeatedly, for a while (``Cooldown``).
        max_cost: once the replies cost this many USD in all (``spent``), new requests raise
            ``BudgetExceededError`` before anything is sent (needs ``literllm[cost]``).
        record_dir: save every streamed response body into this folder (with a ``.json``
            sidecar each), for ``replay()``; ``record_to=`` does it for one call.
        transport: send every request through this instead of the network (see
            ``literllm.transport``): ``literllm.testing.ReplayTransport`` for tests offline,
            ``literllm.testing.Cassette`` to record once and replay after. Everything else
            (errors, retries, stream adapters, timeouts) is the client's usual path. The
            client never closes it.
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
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        ssl: _ssl.SSLContext | bool = True,
        record_dir: str | os.PathLike[str] | None = None,
        transport: Transport | None = None,
        hooks: Sequence[object] | None = None,
        fallbacks: Mapping[str, Sequence[str]] | None = None,
        cooldown: Cooldown | None = None,
        max_cost: float | None = None,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError("max_retries must be a whole number, 0 or more")
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or (
            max_connections < 1
        ):
            raise ConfigurationError("max_connections must be a whole number, 1 or more")
        if not isinstance(max_response_size, int) or max_response_size < 1:
            raise ConfigurationError("max_response_size must be a positive number of bytes")
        self._api_key = api_key
        self._base_url = _checked_base_url(base_url) if base_url else None
        check_headers(headers or {}, "headers=")
        self._provider = provider
        self._timeout = as_timeout(timeout, Timeout())
        self._max_retries = max_retries
        self._headers = dict(headers or {})
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._trust_env = trust_env
        self._streams: weakref.WeakSet[ChatStream] = weakref.WeakSet()
        self._provider_options: dict[str, dict[str, Any]] = {}
        if provider_options:
            from ._settings import check_provider_options

            self._provider_options = check_provider_options(
                provider_options, _checked_base_url, check_headers
            )
        self._limits: dict[str, ProviderLimits] = {}
        for name, options in self._provider_options.items():
            from ._limits import ProviderLimits

            limits = ProviderLimits.from_options(options)
            if limits is not None:
                self._limits[name] = limits
        self._settings: dict[str, ProviderSettings] = {}
        self._auth_cache: dict[tuple[str, str | None], Auth | None] = {}
        self._max_response_size = max_response_size
        self._ssl = ssl
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._proxies: ProxyConfig | None = None
        self._slots: ConnectionSlots | None = None
        self._record_dir = os.fspath(record_dir) if record_dir is not None else None
        if transport is not None and not callable(getattr(transport, "send", None)):
            raise ConfigurationError(
                "transport= must have an async send(request, network) method "
                "(see literllm.transport.Transport)"
            )
        self._transport = transport
        self._hooks = None
        if hooks:
            from ._stats import HookSet

            self._hooks = HookSet(hooks)
        self._fallbacks = _checked_fallbacks(fallbacks)
        self._cooldowns: Cooldowns | None = None
        if cooldown is not None:
            from ._cooldown import Cooldown, Cooldowns

            if not isinstance(cooldown, Cooldown):
                raise ConfigurationError("cooldown= takes a literllm.Cooldown(...)")
            self._cooldowns = Cooldowns(cooldown)
        if max_cost is not None and (
            isinstance(max_cost, bool) or not isinstance(max_cost, int | float)
            or not max_cost >= 0
        ):
            raise ConfigurationError("max_cost must be a number of US dollars, 0 or more")
        self._max_cost = None if max_cost is None else float(max_cost)
        self._spent = 0.0

    def __repr__(self) -> str:
        # Keys and headers are left out on purpose.
        return (
            f"LlmClient(base_url={self._base_url!r}, provider={self._provider!r}, "
            f"timeout={self._timeout!r}, max_retries={self._max_retries})"
        )

    async def __aenter__(self) -> LlmClient:
        if self._transport is None:
            self._ensure_session()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def spent(self) -> float:
        """USD this client's replies cost so far (from their usage; unknown prices count 0)."""
        return self._spent

    async def close(self) -> None:
        """End the client's open streams, then close its own session (one passed in stays open).

        A stream being read when its client closes raises ``StreamError`` from its iterator.
        Async hooks still running are given a few seconds to finish.
        """
        for stream in list(self._streams):
            stream._abort(StreamError("the LlmClient was closed while this stream was open"))
        self._streams.clear()
        if self._hooks is not None:
            await self._hooks.drain()
        if self._owns_session and self._session is not None:
            import asyncio

            session, self._session = self._session, None
            if session_loop(session) not in (None, asyncio.get_running_loop()):
                # Made on a loop that has ended (close() from a later asyncio.run()): it
                # can no longer close itself; its sockets are closed here.
                abandon_session(session)
            else:
                await session.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        import asyncio

        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and (session_loop(session) or loop) is not loop:
            if not self._owns_session:
                raise ConfigurationError(
                    "the session= given to this LlmClient belongs to another event loop"
                )
            # A client used again from a new asyncio.run(): its old loop (and the session's
            # connections with it) are gone; start afresh, letting go of the old quietly.
            abandon_session(session)
            session = self._session = None
        if session is None or (self._owns_session and session.closed):
            import aiohttp

            log()
            # Unlimited here: ConnectionSlots caps the connections in use, with a wait of its
            # own (Timeout.pool) instead of aiohttp's, which counts against `connect`.
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=0, ttl_dns_cache=300, ssl=self._ssl
            )
            limit_connection_reads(connector)
            self._slots = ConnectionSlots(self._max_connections)
            # trust_env=False: aiohttp would also read ~/.netrc; proxies are resolved here.
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": f"literllm/{__version__}"},
            )
            self._owns_session = True
            self._session_loop = loop
        return session

    def _proxy_for(self, url: str) -> Proxy | None:
        """The proxy the environment names for ``url`` (``trust_env``; curl's rules), if any."""
        if not self._trust_env or not self._owns_session:
            return None
        if self._proxies is None:
            from ._proxy import proxy_config_from_env

            self._proxies = proxy_config_from_env()
        return self._proxies.proxy_for(url)

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
        settings = self._settings_for(provider)
        options = settings.options
        key = merge_key(provider, call.get("api_key"), settings.api_key)
        if key is not None and not _printable(key):
            raise ConfigurationError(
                f"the API key for {provider.name} contains a line break or another control "
                "character (a trailing newline from a file?)",
                provider=provider.name,
            )
        # A base URL of the caller's (a local vLLM or Ollama, a proxy) is a server the caller
        # chose: whether it wants a key is the server's to say (with a 401).
        # A transport= answers for itself: a replay needs no key, a recording gets the
        # server's 401 without one.
        if (
            key is None and provider.requires_key and settings.base_url is None
            and self._transport is None
        ):
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
        output = None
        if "response_format" in params:
            from ._structured import output_spec

            params["response_format"], output = output_spec(params["response_format"])
        request = adapter.chat_request(
            model_name,
            messages,
            params,
            extra_body=call.get("extra_body") or {},
            stream=stream,
            base_url=settings.base_url,
            options=options,
        )
        headers = {**settings.headers, **request.headers}
        extra_headers = call.get("extra_headers")
        if extra_headers:
            check_headers(extra_headers, "extra_headers=")
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
            as_timeout(call.get("timeout"), settings.timeout),
            stream,
            settings.max_retries,
            output,
        )

    def _settings_for(self, provider: Provider) -> ProviderSettings:
        """The provider's settings: its options, then the client's, then the environment."""
        settings = self._settings.get(provider.name)
        if settings is None:
            from ._settings import merge

            settings = self._settings[provider.name] = merge(
                provider,
                self._provider_options.get(provider.name, {}),
                client_base_url=self._base_url,
                client_key=self._api_key,
                client_headers=self._headers,
                client_timeout=self._timeout,
                client_max_retries=self._max_retries,
                check_url=_checked_base_url,
            )
        return settings

    async def _send(self, prepared: _PreparedRequest, call: Call) -> _Sent:
        """Send with retries; a 2xx response whose body is still unread, with what it holds.
        Each attempt is told to ``call`` (stats, hooks)."""
        import asyncio

        if self._transport is None:
            self._ensure_session()
        loop = asyncio.get_running_loop()
        timeout = prepared.timeout
        # The total timeout bounds the whole call: every attempt, every backoff, the body.
        deadline = None if timeout.total is None else loop.time() + timeout.total
        proxy = self._proxy_for(prepared.request.url)
        name = prepared.provider.name
        attempt = 0
        while True:
            call.attempt_starts(
                name, prepared.model, prepared.request.method,
                _shown_url(prepared.request.url),
            )
            try:
                # The slot first: a signature made before a long wait for the pool could
                # expire.
                waiting = loop.time()
                slot = await self._wait_for_turn(
                    prepared, None if deadline is None else deadline - loop.time()
                )
                call.waited(loop.time() - waiting)
            except BaseException as exc:
                call.attempt_failed(exc)
                raise
            try:
                request = prepared.request
                secrets: tuple[str, ...] = proxy.secrets if proxy is not None else ()
                if prepared.auth is not None:
                    # Per attempt: a signature covers the final request, a token may expire.
                    request = await prepared.auth.apply(
                        request._replace(headers={**request.headers})
                    )
                    secrets = (*prepared.auth.secrets, *secrets)
                outcome = await self._attempt(
                    prepared, request, proxy=proxy,
                    left=None if deadline is None else deadline - loop.time(),
                    has_total=deadline is not None, secrets=secrets,
                )
            except BaseException as exc:
                slot.release()
                call.attempt_failed(exc)
                raise
            if not isinstance(outcome, _Failure):
                call.attempt_answered()
                return _Sent(
                    outcome, secrets,
                    None if deadline is None else max(deadline - loop.time(), 0.001), slot,
                )
            slot.release()
            error, server_asked = outcome
            scrub_chain(error, secrets)
            call.attempt_failed(error)
            if not _is_retried(error) or attempt >= prepared.max_retries:
                raise error from error.__cause__
            delay = _retry.backoff(attempt, server_asked)
            if deadline is not None and loop.time() + delay >= deadline:
                # Waiting would outlast the total timeout: fail now, with what happened.
                expired = APITimeoutError(
                    f"{name}: request timed out (total) after {attempt + 1} attempts; "
                    f"the last: {error}",
                    provider=name,
                    timeout_kind="total",
                )
                raise expired from error
            attempt += 1
            log().info("%s: retry %d in %.2f s after: %s", name, attempt, delay, error)
            await _sleep(delay)

    async def _wait_for_turn(self, prepared: _PreparedRequest, left: float | None) -> Slot:
        """The provider's limits (``max_concurrency``, ``requests_per_minute``,
        ``tokens_per_minute``), then a pool slot: one hold on both, released together."""
        limits = self._limits.get(prepared.provider.name) if self._limits else None
        if limits is None:
            return await self._wait_for_slot(prepared, left)
        import asyncio

        loop = asyncio.get_running_loop()
        started = loop.time()
        seconds, kind = _wait_bound(prepared.timeout.pool, left)
        try:
            await limits.acquire(seconds)
        except TimeoutError:
            name = prepared.provider.name
            raise APITimeoutError(
                f"{name}: waited {loop.time() - started:.1f} s for the provider's limits "
                f"({_limits_shown(limits)}, {limits.in_use} in flight) "
                f"({'the total timeout' if kind == 'total' else 'Timeout.pool'}); "
                "nothing was sent",
                provider=name, timeout_kind=kind,
            ) from None
        try:
            slot = await self._wait_for_slot(
                prepared, None if left is None else left - (loop.time() - started)
            )
        except BaseException:
            limits.release()
            raise
        return slot.also(limits.release)

    async def _wait_for_slot(self, prepared: _PreparedRequest, left: float | None) -> Slot:
        """A pool slot for one attempt (own session only), within ``Timeout.pool``."""
        slots = self._slots
        if slots is None or not self._owns_session:
            return NO_SLOT
        name = prepared.provider.name
        pool = prepared.timeout.pool
        seconds, kind = _wait_bound(pool, left)
        try:
            if left is not None and left <= 0:
                raise PoolTimeout
            return await slots.acquire(seconds)
        except PoolTimeout:
            what = (
                f"all {slots.limit} connections (max_connections) stayed in use for "
                f"{pool} s (Timeout.pool); nothing was sent"
                if kind == "pool" else "request timed out (total)"
            )
            raise APITimeoutError(
                f"{name}: {what}", provider=name, timeout_kind=kind
            ) from None

    def _request(
        self, request: HttpRequest, *, stream: bool, timeout: Timeout, proxy: Proxy | None,
        left: float | None,
    ) -> Awaitable[aiohttp.ClientResponse]:
        """One request over the client's aiohttp session (its network path)."""
        import yarl

        return self._ensure_session().request(
            request.method,
            # As built: re-quoting the path would break a signature over it.
            yarl.URL(request.url, encoded=True),
            data=request.body,
            headers=_with_proxy_login(request, proxy),
            timeout=_client_timeout(timeout, stream=stream, total=left),
            allow_redirects=False,
            proxy=None if proxy is None else proxy.url,
            proxy_headers=None if proxy is None else _proxy_headers(proxy),
            # A stream starts with a small window (ChatStream widens it for a fast reader);
            # a whole body is read at aiohttp's default.
            read_bufsize=READ_WINDOW if stream else None,
        )

    def _open(
        self, prepared: _PreparedRequest, request: HttpRequest, proxy: Proxy | None,
        left: float | None,
    ) -> Awaitable[TransportResponse]:
        """The response to one attempt: over the network, or from the ``transport=``."""
        stream, timeout = prepared.stream, prepared.timeout
        if self._transport is None:
            return self._request(request, stream=stream, timeout=timeout, proxy=proxy, left=left)

        def network(sent: TransportRequest) -> Awaitable[TransportResponse]:
            forwarded = HttpRequest(sent.method, sent.url, dict(sent.headers), sent.body)
            return self._request(
                forwarded, stream=stream, timeout=timeout, proxy=proxy, left=left
            )

        return self._transport.send(
            TransportRequest(
                prepared.provider.name, prepared.model, request.method, request.url,
                request.headers, request.body, stream,
            ),
            network,
        )

    async def _attempt(
        self,
        prepared: _PreparedRequest,
        request: HttpRequest,
        *,
        proxy: Proxy | None,
        left: float | None,
        has_total: bool,
        secrets: tuple[str, ...],
    ) -> TransportResponse | _Failure:
        """One attempt: the 2xx response, or the error with the wait the server asked for."""
        import aiohttp

        name = prepared.provider.name
        timeout = prepared.timeout
        waited = _Deadline(timeout.idle if prepared.stream else None)

        def timeout_kind(exc: BaseException) -> str:
            if isinstance(exc, aiohttp.ConnectionTimeoutError):
                return "connect"
            if waited.expired:
                return "idle"
            return "total" if has_total else "read"

        shown = _shown_url(request.url)
        try:
            with network_errors(
                name, f"request to {shown}", f"cannot connect to {shown}", secrets,
                timeout_kind=timeout_kind, proxy_url=proxy.url if proxy else None,
            ):
                if left is not None and left <= 0:
                    raise InternalTimeout
                response: TransportResponse = await waited.run(
                    self._open(prepared, request, proxy, left)
                )
        except LiterLlmError as exc:  # mapped, or a transport='s own verdict
            return _Failure(exc, None)
        if 200 <= response.status < 300:
            return response
        return await self._failure_of(prepared, request, response, proxy, secrets)

    async def _failure_of(
        self,
        prepared: _PreparedRequest,
        request: HttpRequest,
        response: TransportResponse,
        proxy: Proxy | None,
        secrets: tuple[str, ...],
    ) -> _Failure:
        """The error a non-2xx response makes (its body read by the provider's adapter),
        and the wait the server asked for."""
        name = prepared.provider.name
        try:
            body = await _error_body(response, ERROR_BODY_LIMIT, prepared.timeout.idle)
        finally:
            response.release()
        if response.status == 407 and proxy is not None:
            # The proxy answered a plain-http request: its body may quote what it was sent.
            return _Failure(ProxyError(
                f"{name}: the proxy {proxy.url} refused the request: HTTP 407"
                f"{PROXY_HINTS[407]}",
                provider=name,
                status_code=407,
            ), None)
        details = prepared.adapter.error_details(response.status, body)
        hint = ""
        if response.status == 401 and prepared.auth is None:
            variable = prepared.provider.api_key_env or "the provider's key variable"
            hint = f" (no API key was sent: pass api_key= or set {variable})"
        error = details.cls(
            redact(
                f"{name}: HTTP {response.status} from {request.method} "
                f"{_shown_url(request.url)}: {details.message}{hint}",
                secrets,
            ),
            status_code=response.status,
            provider=name,
            request_id=prepared.adapter.request_id(response.headers),
            body=redact_value(details.body, secrets),
        )
        server_asked = _retry.retry_after(response.headers)
        if isinstance(error, RateLimitError):
            error.retry_after = server_asked
        return _Failure(error, server_asked)

    async def chat_stream(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        **params: Unpack[ChatParams],
    ) -> ChatStream:
        """Send a streaming chat request and return its ``ChatStream`` once the reply started.

        Raises (before any chunk): ``APIConnectionError``, ``APITimeoutError``, an ``APIError``
        subclass for an error status (after retries, and after the fallbacks), ``APIError``
        for a body that is not an event stream, a ``ConfigurationError`` (unroutable model,
        missing key, ...) before any I/O. ``messages`` may hold ``Message`` objects (a reply
        sent back as a turn).
        """
        check_params("chat_stream", params)
        self._check_budget()
        plan = self._plan(model, messages, params, stream=True)
        call = self._new_call(messages, params, stream=True)
        start = await self._start_stream(plan, call)
        stream = ChatStream(
            start, call=call, output=plan.prepared.output,
            resend=functools.partial(self._resend, plan) if plan.may_resend() else None,
        )
        self._streams.add(stream)
        return stream

    def _plan(
        self, model: str, messages: Sequence[MessageParam | Message], params: ChatParams,
        *, stream: bool,
    ) -> _Plan:
        """The models to try, in order, the first one's request prepared (raises before any
        I/O for a call that cannot be sent)."""
        fallbacks = params.get("fallbacks")
        if fallbacks is None:
            fallbacks = self._fallbacks.get(model, ())
        if isinstance(fallbacks, str):
            raise ConfigurationError("fallbacks= takes a list of models, not one string")
        return _Plan(
            self, [model, *fallbacks], messages, params, stream=stream,
            fallback_on=_fallback_on(params.get("fallback_on")),
        )

    def _new_call(
        self, messages: Sequence[Any], params: ChatParams, *, stream: bool
    ) -> Call:
        import asyncio

        from ._call import Call

        # What hooks are shown of the request (nothing to build when there are none).
        shown = {} if self._hooks is None else {
            k: v for k, v in params.items() if k not in _NOT_SHOWN
        }
        return Call(
            messages, shown, stream=stream, hooks=self._hooks,
            loop_time=asyncio.get_running_loop().time,
            on_end=self._call_ended if self._max_cost is not None or self._limits else None,
        )

    def _check_budget(self) -> None:
        if self._max_cost is not None and self._spent >= self._max_cost:
            raise BudgetExceededError(
                f"this client has spent ${self._spent:.4f} of its max_cost "
                f"${self._max_cost:.4f}; nothing was sent",
                spent=self._spent, max_cost=self._max_cost,
            )

    def _call_ended(self, call: Call, stats: StreamStats) -> None:
        if stats.cost is not None:
            self._spent += stats.cost
        limits = self._limits.get(stats.provider)
        if limits is not None and stats.usage is not None:
            import asyncio

            limits.record_tokens(
                stats.usage.prompt_tokens + stats.usage.completion_tokens,
                asyncio.get_running_loop().time(),
            )

    def _cooling(self, provider: str) -> bool:
        cooldowns = self._cooldowns
        return cooldowns is not None and cooldowns.cooling(provider)

    def _failed(self, provider: str, error: BaseException) -> None:
        cooldowns = self._cooldowns
        if cooldowns is not None and _falls_back(error, frozenset()):
            cooldowns.failed(provider)

    async def _start_stream(self, plan: _Plan, call: Call) -> StreamStart:
        """The plan's first answered attempt, its body checked to be an event stream."""
        prepared, sent, recorder = await self._send_plan(plan, call, recording=True)
        try:
            return await self._stream_start(prepared, sent, recorder)
        except LiterLlmError as error:
            call.stream_failed_early(error)
            error.attempts = tuple(call.attempts)
            raise

    async def _send_plan(
        self, plan: _Plan, call: Call, *, recording: bool = False
    ) -> tuple[_PreparedRequest, _Sent, Recorder | None]:
        """The first answered attempt of the plan: each model with its own retries, the
        next model when one fails in a way that falls back (one cooling down is skipped,
        but never the last). ``recording``: with the recording of its body opened."""
        while True:
            prepared = plan.prepared
            name = prepared.provider.name
            if plan.has_next() and self._cooling(name):
                call.attempt_skipped(name, prepared.model, CooldownError(
                    f"{name} is cooling down after repeated failures; skipped", provider=name,
                ))
                plan.advance()
                continue
            # Before anything is sent: a destination that cannot be written is a
            # ConfigurationError.
            recorder = self._open_recording(plan.params, prepared) if recording else None
            try:
                sent = await self._send(prepared, call)
            except LiterLlmError as error:
                if recorder is not None:
                    recorder.abandon()
                self._failed(name, error)
                if plan.falls_back(error) and plan.has_next():
                    log().info("%s: falling back to %s after: %s", prepared.model,
                               plan.models[plan.index + 1], error)
                    plan.advance()
                    continue
                error.attempts = tuple(call.attempts)
                raise
            except BaseException:
                if recorder is not None:
                    recorder.abandon()
                raise
            return prepared, sent, recorder

    async def _resend(self, plan: _Plan, error: StreamError, call: Call) -> StreamStart | None:
        """After an in-band error before any content: another attempt (a retry under
        ``max_retries``, then the next fallback), or ``None`` when none is due."""
        call.stream_failed_early(error)
        if not isinstance(error, _IN_BAND_RETRIED):
            return None
        prepared = plan.prepared
        self._failed(prepared.provider.name, error)
        if plan.in_band_retries < prepared.max_retries:
            plan.in_band_retries += 1
            await _sleep(_retry.backoff(plan.in_band_retries - 1, getattr(
                error, "retry_after", None)))
        elif plan.falls_back(error) and plan.has_next():
            plan.advance()
        else:
            return None
        try:
            return await self._start_stream(plan, call)
        except LiterLlmError:
            return None  # the in-band error is raised, with every attempt in its stats

    async def _stream_start(
        self, prepared: _PreparedRequest, sent: _Sent, recorder: Recorder | None
    ) -> StreamStart:
        """A stream's answered attempt, its body checked to be an event stream."""
        response = sent.response
        name = prepared.provider.name
        request_id = prepared.adapter.request_id(response.headers)
        adapter = prepared.adapter.new_stream(prepared.model, request_id)
        expected = adapter.content_type
        if response.content_type != expected:
            if recorder is not None:
                recorder.abandon()
            try:
                body = await _error_body(response, ERROR_BODY_QUOTE + 1, prepared.timeout.idle)
            finally:
                response.close()
                sent.slot.release()
            quoted = redact(quote_body(body), sent.secrets)
            raise APIError(
                f"{name}: expected {expected}, got "
                f"{response.content_type or 'no content type'} (HTTP {response.status}): "
                f"{quoted}",
                status_code=response.status,
                provider=name,
                request_id=request_id,
                body=quoted,
            )
        if recorder is not None:
            recorder.start({
                "provider": name,
                "model": prepared.model,
                "status": response.status,
                "content_type": response.content_type,
                "request_id": request_id,
                "literllm": __version__,
            })
        return StreamStart(
            response, adapter, name, prepared.model, request_id, prepared.timeout.idle,
            sent.left, sent.secrets, recorder, sent.slot,
        )

    def _open_recording(self, params: ChatParams, prepared: _PreparedRequest) -> Recorder | None:
        """The recording of this call's body, its files open (``record_to=``, ``record_dir=``)."""
        path = params.get("record_to")
        if path is None and self._record_dir is None:
            return None
        from ._record import Recorder

        if path is not None:
            return Recorder(path)
        assert self._record_dir is not None
        from .formats import recording_suffix

        content_type = prepared.adapter.new_stream(prepared.model, None).content_type
        suffix = recording_suffix(content_type, default=".body")
        return Recorder.in_folder(self._record_dir, prepared.provider.name, suffix)

    async def chat(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        **params: Unpack[ChatParams],
    ) -> ChatCompletion:
        """Send a chat request and return the whole reply (same errors as ``chat_stream``);
        its ``stats`` say what the call did.

        A reply larger than ``max_response_size`` raises ``ResponseTooLargeError``.
        """
        check_params("chat", params)
        if params.get("record_to") is not None:
            raise ConfigurationError("record_to= records streams: use it with chat_stream()")
        self._check_budget()
        plan = self._plan(model, messages, params, stream=False)
        call = self._new_call(messages, params, stream=False)
        prepared, sent, _ = await self._send_plan(plan, call)
        try:
            completion = await self._read_completion(prepared, sent)
        except LiterLlmError as error:
            call.ended(lambda: None, 0, "error", error)
            error.attempts = tuple(call.attempts)
            raise
        except BaseException as exc:
            call.ended(lambda: None, 0, "cancelled", exc)
            raise
        told = call.ended(lambda: completion, 0, "completed")
        completion.stats = told or call.stats(completion, 0, "completed")
        return completion

    async def _read_completion(self, prepared: _PreparedRequest, sent: _Sent) -> ChatCompletion:
        """The whole reply of an answered ``chat()`` attempt."""
        response, secrets = sent.response, sent.secrets
        name = prepared.provider.name
        request_id = prepared.adapter.request_id(response.headers)
        limit = self._max_response_size
        body = b""
        kind = "total" if prepared.timeout.total is not None else "idle"
        try:
            # Under the request's sock_read (idle) and total timeouts.
            with network_errors(name, "reading the reply", "reading the reply failed", secrets,
                                timeout_kind=lambda _exc: kind):
                body = await _read_limited(response, limit + 1)
        finally:
            if len(body) > limit:
                response.close()  # the rest is never read: do not drain it into the pool
            else:
                response.release()
            sent.slot.release()
        if len(body) > limit:
            raise ResponseTooLargeError(
                f"{name}: the reply is larger than max_response_size ({limit:,} bytes)",
                status_code=response.status,
                provider=name,
                request_id=request_id,
            )
        try:
            completion = prepared.adapter.parse_completion(body, prepared.model)
        except MalformedChunkError as exc:
            reason = redact(f"{name}: {exc.message}", secrets)
        else:
            if prepared.output is not None:
                from ._structured import attach_parsed

                attach_parsed(completion, prepared.output, final=True)
            return completion
        # Raised outside the except block: the parse error (which quotes the body) must not
        # stay reachable as __context__.
        raise APIError(
            reason,
            status_code=response.status,
            provider=name,
            request_id=request_id,
            body=redact(quote_body(body), secrets),
        )
