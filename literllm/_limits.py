"""Client-side limits per provider: ``max_concurrency``, ``requests_per_minute`` and
``tokens_per_minute`` in ``provider_options[name]``.

A request waits for its turn rather than failing: first come, first served (a request never
overtakes one that waits before it), within ``Timeout.pool`` (no limit by default), and the
wait shows in ``stats.queued``. A concurrent slot is held until the response is read to its
end or closed. Requests and tokens are counted over the last 60 seconds; tokens from each
reply's usage once it arrives. A waiter that is cancelled or times out leaves the queue and
wakes the next one: nothing leaks.
"""

from __future__ import annotations

import collections
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

__all__ = ["ProviderLimits"]

WINDOW = 60.0
LIMIT_NAMES = ("max_concurrency", "requests_per_minute", "tokens_per_minute")


class ProviderLimits:
    __slots__ = (
        "_in_use", "_loop_time", "_queue", "_sent", "_token_sum", "_tokens",
        "max_concurrency", "requests_per_minute", "tokens_per_minute",
    )

    def __init__(
        self,
        *,
        max_concurrency: int | None = None,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
    ) -> None:
        self.max_concurrency = max_concurrency
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self._in_use = 0
        self._sent: collections.deque[float] = collections.deque()
        self._tokens: collections.deque[tuple[float, int]] = collections.deque()
        self._token_sum = 0
        self._queue: collections.deque[asyncio.Future[None]] = collections.deque()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ProviderLimits | None:
        values = {name: options.get(name) for name in LIMIT_NAMES}
        return cls(**values) if any(v is not None for v in values.values()) else None

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def _delay(self, now: float) -> float:
        """Seconds until a request may go (``inf``: until a concurrent slot is released)."""
        if self.max_concurrency is not None and self._in_use >= self.max_concurrency:
            return math.inf
        delay = 0.0
        sent = self._sent
        while sent and sent[0] <= now - WINDOW:
            sent.popleft()
        if self.requests_per_minute is not None and len(sent) >= self.requests_per_minute:
            delay = sent[0] + WINDOW - now
        tokens = self._tokens
        while tokens and tokens[0][0] <= now - WINDOW:
            self._token_sum -= tokens.popleft()[1]
        if self.tokens_per_minute is not None and self._token_sum >= self.tokens_per_minute:
            delay = max(delay, tokens[0][0] + WINDOW - now)
        return delay

    def _take(self, now: float) -> None:
        self._in_use += 1
        self._sent.append(now)

    def release(self) -> None:
        """A concurrent slot is free again."""
        self._in_use -= 1
        self._wake_first()

    def record_tokens(self, count: int, now: float) -> None:
        if count > 0:
            self._tokens.append((now, count))
            self._token_sum += count

    def _wake_first(self) -> None:
        if self._queue and not self._queue[0].done():
            self._queue[0].set_result(None)

    async def acquire(self, timeout: float | None) -> None:
        """Wait for this request's turn (``TimeoutError`` after ``timeout`` seconds)."""
        import asyncio

        loop = asyncio.get_running_loop()
        if not self._queue and self._delay(loop.time()) == 0.0:
            self._take(loop.time())
            return
        turn: asyncio.Future[None] = loop.create_future()
        self._queue.append(turn)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    delay = math.inf
                    if self._queue[0] is turn:
                        delay = self._delay(loop.time())
                        if delay == 0.0:
                            self._queue.popleft()
                            self._take(loop.time())
                            self._wake_first()  # the next may go too (a free slot, a quota)
                            return
                    if turn.done():
                        turn = self._renew(turn, loop)
                    await asyncio.wait([turn], timeout=None if delay == math.inf else delay)
                    if turn.done():
                        turn = self._renew(turn, loop)
        except BaseException:
            first = bool(self._queue) and self._queue[0] is turn
            if turn in self._queue:
                self._queue.remove(turn)
            if first:
                self._wake_first()
            raise

    def _renew(
        self, turn: asyncio.Future[None], loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[None]:
        """A fresh future in ``turn``'s place in the queue (a woken one cannot wait again)."""
        fresh: asyncio.Future[None] = loop.create_future()
        index = self._queue.index(turn)
        self._queue[index] = fresh
        return fresh
