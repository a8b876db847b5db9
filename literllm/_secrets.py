"""Keeping keys out of what literllm raises and logs.

The client knows what it sent (each ``Auth`` names its secrets); error messages and bodies
quoted from the provider are redacted of them, and the aiohttp errors kept as ``__cause__``
lose the request headers they carry (``request_info``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["REDACTED", "redact", "redact_value", "scrub_chain"]

REDACTED = "[redacted]"
# Request headers that carry no credential; every other one is redacted from request_info.
_SAFE_HEADERS = frozenset({
    "accept", "accept-encoding", "content-type", "content-length", "host", "user-agent",
    "anthropic-version", "anthropic-beta",
})


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
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


def _scrub_request_info(error: BaseException) -> None:
    info = getattr(error, "request_info", None)
    if info is None or not hasattr(info, "headers"):
        return
    try:
        from multidict import CIMultiDict, CIMultiDictProxy

        headers = CIMultiDict(
            (name, value if name.lower() in _SAFE_HEADERS else REDACTED)
            for name, value in info.headers.items()
        )
        error.request_info = type(info)(  # type: ignore[attr-defined]
            info.url, info.method, CIMultiDictProxy(headers), info.real_url
        )
    except Exception:  # an aiohttp whose RequestInfo differs: drop it rather than leak it
        error.request_info = None  # type: ignore[attr-defined]


def scrub_chain(error: BaseException | None, secrets: tuple[str, ...]) -> None:
    """Remove secrets from ``error`` and every exception in its cause/context chain."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        _scrub_request_info(error)
        if secrets and error.args:
            error.args = tuple(
                redact(arg, secrets) if isinstance(arg, str) else arg for arg in error.args
            )
        if secrets:
            # Every attribute, not only ours: json's JSONDecodeError keeps the whole document.
            for name, value in list(getattr(error, "__dict__", {}).items()):
                if isinstance(value, bytes):
                    setattr(error, name, redact_bytes(value, secrets))
                elif isinstance(value, str | dict | list):
                    setattr(error, name, redact_value(value, secrets))
        error = error.__cause__ or error.__context__
