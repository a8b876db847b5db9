"""What every provider's adapter shares, whatever its wire format: quoting a payload for a
message, decoding one event's JSON object, an HTTP status sent as a number or digits, and the
typed error of an error object sent inside a stream (with the table of error kinds whose
status is clear).

The twins of every format import these from here; none owns them.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from ..errors import MalformedChunkError, stream_error_class_for_status

__all__ = [
    "DONE",
    "ERROR_BODY_QUOTE",
    "ERROR_STATUS",
    "QUOTE_LIMIT",
    "decode_json",
    "http_status",
    "provider_error_event",
    "quote",
]

QUOTE_LIMIT = 200
"""How much of an event an error message quotes."""
ERROR_BODY_QUOTE = 512
"""How much of an error response's body an error message quotes (it is the message)."""
DONE: Final = b"[DONE]"
"""The data of the SSE event that ends an OpenAI-style stream (Cohere's ends with it too)."""

# An error event names its kind in "type" or "code"; these are the ones whose status is clear.
ERROR_STATUS = {
    "invalid_request_error": 400,
    "invalid_prompt": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "tokens": 429,
    "server_error": 500,
    "internal_error": 500,
    "internal_server_error": 500,
    "api_error": 500,
    "overloaded_error": 529,
    "billing_error": 402,
    "request_too_large": 413,
    "timeout_error": 504,
    "service_unavailable": 503,
    "service_unavailable_error": 503,
}


def quote(raw: bytes, limit: int = QUOTE_LIMIT) -> str:
    """The start of a payload (at most ``limit`` bytes), for error messages."""
    text = raw[:limit].decode("utf-8", "replace")
    return text + ("..." if len(raw) > limit else "")


def decode_json(data: bytes) -> dict[str, Any]:
    """One event's JSON object; ``MalformedChunkError`` for anything else."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedChunkError(
            f"chunk is not valid JSON ({exc}): {quote(data)}", raw=data
        ) from exc
    if obj.__class__ is not dict:
        raise MalformedChunkError(f"chunk is not a JSON object: {quote(data)}", raw=data)
    return obj


def http_status(value: Any) -> int | None:
    """An HTTP status sent as a number or as digits (LiteLLM's proxy sends ``"code": "429"``)."""
    if value.__class__ is str and len(value) == 3 and value.isdigit():
        value = int(value)
    if value.__class__ is int and 100 <= value <= 599:
        return int(value)
    return None


def provider_error_event(error: Any, raw: bytes) -> Exception:
    """The typed ``ProviderStreamError`` for an error object sent inside a stream."""
    status: int | None = None
    message = quote(raw)
    if isinstance(error, dict):
        for key in ("status", "status_code", "code"):
            status = http_status(error.get(key))
            if status is not None:
                break
        if status is None:
            for key in ("type", "code"):
                value = error.get(key)
                if isinstance(value, str) and value in ERROR_STATUS:
                    status = ERROR_STATUS[value]
                    break
        message = str(error.get("message") or message)
    elif isinstance(error, str):
        message = error
    cls = stream_error_class_for_status(status)
    return cls(f"provider error inside the stream: {message}", status_code=status, body=error)
