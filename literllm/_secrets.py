"""Keeping keys out of what literllm raises and logs.

The client knows what it sent (each ``Auth`` names its secrets); error messages and bodies
quoted from the provider are redacted of them, and the aiohttp errors kept as ``__cause__``
lose the request headers they carry (``request_info``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["REDACTED", "redact", "redact_value", "scrub_chain"]

REDACTED = "[redacted]"
# Request headers that carry no credential; every other one is redacted from request_info.
_SAFE_HEADERS = frozenset({
    "accept", "accept-encoding", "content-type", "content-length", "host", "user-agent",
    "anthropic-version", "anthropic-beta",
})


_USERINFO: re.Pattern[str] | None = None  # compiled on first use, not with the client


def _strip_userinfo(text: str) -> str:
    """``scheme://user:password@host`` becomes ``scheme://[redacted]@host``."""
    global _USERINFO
    if _USERINFO is None:
        _USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s'\"]+@")
    return _USERINFO.sub(rf"\1{REDACTED}@", text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret, and the credentials of every URL in it, replaced."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    if "@" in text and "://" in text:
        text = _strip_userinfo(text)
    return text


def redact_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    for secret in secrets:
        if secret:
            data = data.replace(secret.encode(), REDACTED.encode())
    return data


def redact_value(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` (an error body: text or parsed JSON) with every secret replaced."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: redact_value(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item, secrets) for item in value]
    return value


def _scrubbed_request_info(info: Any) -> Any:
    """aiohttp's ``RequestInfo`` with every header but the harmless ones redacted."""
    try:
        from multidict import CIMultiDict, CIMultiDictProxy

        headers = CIMultiDict(
            (name, value if name.lower() in _SAFE_HEADERS else REDACTED)
            for name, value in info.headers.items()
        )
        return type(info)(
            _scrubbed_url(info.url), info.method, CIMultiDictProxy(headers),
            _scrubbed_url(info.real_url),
        )
    except Exception:  # an aiohttp whose RequestInfo differs: drop it rather than leak it
        return None


def _scrubbed_url(url: Any) -> Any:
    if getattr(url, "user", None) is not None or getattr(url, "password", None) is not None:
        return url.with_user(None)
    return url


def _scrubbed(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    """``value`` (an exception's argument or attribute) without secrets, keeping its type
    where it can: text is redacted, containers and named tuples (aiohttp's ``ConnectionKey``,
    ``BasicAuth``) are rebuilt, a ``RequestInfo`` loses its headers, a URL its user; any other
    object whose repr shows a secret becomes that repr, redacted."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, bytes | bytearray):
        return redact_bytes(bytes(value), secrets)
    if depth > 8:
        return REDACTED
    if hasattr(value, "headers") and hasattr(value, "real_url") and hasattr(value, "method"):
        return _scrubbed_request_info(value)
    if hasattr(value, "with_user"):
        return _scrubbed_url(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item, secrets, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, secrets, depth + 1) for item in value]
    if isinstance(value, tuple):
        items = [_scrubbed(item, secrets, depth + 1) for item in value]
        if hasattr(value, "_make"):
            try:
                return value._make(items)
            except Exception:
                return tuple(items)
        return tuple(items)
    if isinstance(value, BaseException):
        return value  # the chain is walked by scrub_chain itself
    try:
        shown = repr(value)
    except Exception:
        return REDACTED
    cleaned = redact(shown, secrets)
    return value if cleaned == shown else cleaned


def scrub_chain(error: BaseException | None, secrets: tuple[str, ...]) -> None:
    """Remove secrets from ``error`` and every exception in its cause/context chain: from its
    ``args`` (aiohttp keeps the ``RequestInfo``, headers and all, as ``args[0]``; a connection
    error keeps the proxy's credentials in its ``ConnectionKey``) and from every attribute."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if error.args:
            error.args = tuple(_scrubbed(arg, secrets) for arg in error.args)
        attributes = getattr(error, "__dict__", {})
        for name, value in list(attributes.items()):
            if name == "history" and isinstance(value, tuple):
                # aiohttp's redirect responses, each holding its request's headers.
                setattr(error, name, ())
            elif not isinstance(value, BaseException):
                setattr(error, name, _scrubbed(value, secrets))
        error = error.__cause__ or error.__context__
