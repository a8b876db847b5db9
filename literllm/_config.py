"""Client configuration shared by the client and the request types: ``Timeout``, the logger.

Imports only the error tree (``types.py`` names ``Timeout`` in ``ChatParams``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from .errors import ConfigurationError

if TYPE_CHECKING:
    import logging

__all__ = ["Timeout", "as_timeout", "log"]


class Timeout(NamedTuple):
    """Timeouts in seconds; ``None`` means no limit.

    ``connect``: establishing a connection. ``idle``: the longest silence allowed between two
    pieces of content (and before the response starts); keep-alive comments and pings do not
    count as content. ``total``: the whole request including the streamed body (none by
    default: a stream may run as long as it keeps producing). ``pool``: waiting for a free
    connection when ``max_connections`` are all in use (none by default, as in httpx: a
    request queued behind long streams waits for one to end; waiting is not connecting).
    """

    connect: float | None = 10.0
    idle: float | None = 600.0
    total: float | None = None
    pool: float | None = None


def _seconds(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"timeout {name} must be seconds or None, not {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        # nan never fires and inf overflows the event loop's clock: say None for no limit.
        raise ConfigurationError(
            f"timeout {name} must be a positive, finite number of seconds (None: no limit), "
            f"not {value!r}"
        )
    return seconds


def as_timeout(value: float | Timeout | None, default: Timeout) -> Timeout:
    """``value`` as a checked ``Timeout``: seconds set connect and idle; ``None`` keeps
    ``default``. Raises ``ConfigurationError`` for anything but positive finite seconds."""
    if value is None:
        return default
    if isinstance(value, Timeout):
        return Timeout(*(_seconds(name, getattr(value, name)) for name in Timeout._fields))
    seconds = _seconds("", value)
    return Timeout(connect=seconds, idle=seconds, total=None, pool=None)


_logger: logging.Logger | None = None


def log() -> logging.Logger:
    """The ``literllm`` logger (logging is imported on first use, not with literllm)."""
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("literllm")
        _logger.addHandler(logging.NullHandler())
    return _logger
