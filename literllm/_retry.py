"""When to retry and how long to wait: pure functions over statuses and headers.

Statuses and backoff follow openai-python's ``_base_client.py`` (``_should_retry``,
``_calculate_retry_timeout``: 0.5 s doubling to 8 s, up to 25% jitter, ``Retry-After`` and
``retry-after-ms`` honoured up to 60 s); 529 is Anthropic's "overloaded".
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

__all__ = ["RETRY_STATUSES", "backoff", "retry_after", "should_retry"]

RETRY_AFTER_CAP = 60.0
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def should_retry(status: int) -> bool:
    """Whether an error status is worth another attempt (before any chunk)."""
    return status in RETRY_STATUSES


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms``, ``Retry-After`` seconds or date)."""
    milliseconds = _finite(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return max(milliseconds / 1000, 0.0)
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(seconds, 0.0)
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _finite(text: str | None) -> float | None:
    """A header's number, if it is a finite one ("nan", "inf" and "1e999" are not)."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def backoff(attempt: int, server_asked: float | None) -> float:
    """Seconds to wait before retry number ``attempt + 1``."""
    import random

    if server_asked is not None and server_asked <= RETRY_AFTER_CAP:
        return server_asked
    delay: float = min(INITIAL_BACKOFF * 2.0**attempt, MAX_BACKOFF)
    return delay * (1 - 0.25 * random.random())
