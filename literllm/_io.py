"""The I/O boundary: what an await on aiohttp (or on a ``transport=``) raises, as literllm's.

Every await of the client on the network that happens before a stream is handed out (the
request and its response head, a non-streamed reply's body) runs inside ``network_errors``,
modelled on httpx's ``map_httpcore_exceptions``: aiohttp's and the OS's exceptions become
``APITimeoutError``, ``ProxyError`` or ``APIConnectionError``, with the secrets of the request
scrubbed from the message and from the whole exception chain. An error already literllm's
(a ``transport=``'s own verdict) passes as it is. The stream's reads decide between a
truncated body and a broken connection themselves; they classify with ``is_network_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ._secrets import redact, scrub_chain
from .errors import APIConnectionError, APITimeoutError, LiterLlmError, ProxyError

__all__ = ["InternalTimeout", "is_network_error", "network_errors"]

PROXY_HINTS = {
    407: " (proxy authentication required: check the user and password in HTTPS_PROXY/"
    "HTTP_PROXY)",
}


class InternalTimeout(TimeoutError):
    """A limit of literllm's own ran out (the total timeout between attempts): reported
    with no cause, since no library raised it."""


def _network_classes() -> tuple[type[BaseException], ...]:
    import aiohttp

    return (aiohttp.ClientError, OSError)  # OSError: sockets, and a transport='s


def is_network_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the network failing (aiohttp's ``ClientError`` or an ``OSError``,
    timeouts included), rather than a bug."""
    return isinstance(exc, _network_classes())


@contextmanager
def network_errors(
    provider: str,
    action: str,
    failure: str,
    secrets: tuple[str, ...],
    *,
    timeout_kind: Callable[[BaseException], str],
    proxy_url: str | None = None,
) -> Iterator[None]:
    """Map what the block raises to literllm's errors (see the module docs).

    The messages say ``"{provider}: {action} timed out ({kind})"`` and
    ``"{provider}: {failure}: {what aiohttp said}"`` (``action``: ``"request to https://..."``,
    ``failure``: ``"cannot connect to https://..."``); ``timeout_kind`` names the limit a
    ``TimeoutError`` was (``"connect"``, ``"idle"``, ``"total"``, ...).
    """
    import aiohttp

    try:
        yield
    except LiterLlmError:
        raise
    except TimeoutError as exc:
        kind = timeout_kind(exc)
        error: LiterLlmError = APITimeoutError(
            redact(f"{provider}: {action} timed out ({kind})", secrets),
            provider=provider, timeout_kind=kind,
        )
        cause: BaseException | None = None if isinstance(exc, InternalTimeout) else exc
        _raise(error, cause, secrets)
    except aiohttp.ClientHttpProxyError as exc:
        error = ProxyError(
            f"{provider}: the proxy {proxy_url or ''} refused the tunnel: "
            f"HTTP {exc.status}{PROXY_HINTS.get(exc.status, '')}",
            provider=provider,
            status_code=exc.status,
        )
        _raise(error, exc, secrets)
    except (aiohttp.ClientError, OSError) as exc:
        error = APIConnectionError(redact(f"{provider}: {failure}: {exc}", secrets),
                                   provider=provider)
        _raise(error, exc, secrets)


def _raise(error: LiterLlmError, cause: BaseException | None, secrets: tuple[str, ...]) -> Any:
    scrub_chain(cause, secrets)
    error.__cause__ = cause
    error.__suppress_context__ = True
    scrub_chain(error, secrets)
    raise error
