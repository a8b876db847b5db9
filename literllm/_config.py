"""Client configuration shared by the client and the request types: ``Timeout``, the logger.

A leaf: it imports nothing from literllm (``types.py`` names ``Timeout`` in ``ChatParams``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import logging

__all__ = ["Timeout", "as_timeout", "log"]


class Timeout(NamedTuple):
    """Timeouts in seconds; ``None`` means no limit.

    ``connect``: establishing a connection. ``idle``: the longest silence allowed between two
    pieces of content (and before the response starts); keep-alive comments and pings do not
    count as content. ``total``: the whole request including the streamed body (none by
    default: a stream may run as long as it keeps producing).
    """

    connect: float | None = 10.0
    idle: float | None = 600.0
    total: float | None = None


def as_timeout(value: float | Timeout | None, default: Timeout) -> Timeout:
    """``value`` as a ``Timeout``: seconds set connect and idle; ``None`` keeps ``default``."""
    if value is None:
        return default
    if isinstance(value, Timeout):
        return value
    return Timeout(connect=float(value), idle=float(value), total=None)


_logger: logging.Logger | None = None


def log() -> logging.Logger:
    """The ``literllm`` logger (logging is imported on first use, not with literllm)."""
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger("literllm")
        _logger.addHandler(logging.NullHandler())
    return _logger
