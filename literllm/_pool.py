"""``ConnectionSlots``: at most ``max_connections`` requests in flight on the client's own
session, with a wait of its own (``Timeout.pool``).

aiohttp's connector has a limit too, but the wait for it counts against the connect timeout:
with 1,000 connections streaming for longer than 10 s, request 1,001 would fail with a
"connect" timeout although it never tried to connect. Here the wait for a slot is bounded by
``Timeout.pool`` alone (no limit by default), and the connector itself is unlimited: a slot
is held from the request until its response is released or closed, so connections in use
never outnumber the slots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["ConnectionSlots", "PoolTimeout", "Slot"]


class PoolTimeout(Exception):
    """No slot came free within ``Timeout.pool``."""


class Slot:
    """One request's hold on the pool (and on its provider's limits, ``then``);
    ``release()`` may be called any number of times."""

    __slots__ = ("_semaphore", "_then")

    def __init__(
        self, semaphore: asyncio.Semaphore | None, then: Callable[[], None] | None = None
    ) -> None:
        self._semaphore = semaphore
        self._then = then

    def also(self, then: Callable[[], None]) -> Slot:
        """This hold, and ``then`` called once when it is released."""
        return Slot(self._semaphore, then)

    def release(self) -> None:
        semaphore, self._semaphore = self._semaphore, None
        then, self._then = self._then, None
        if semaphore is not None:
            semaphore.release()
        if then is not None:
            then()


NO_SLOT = Slot(None)


class ConnectionSlots:
    __slots__ = ("_semaphore", "limit")

    def __init__(self, limit: int) -> None:
        import asyncio  # (made with a session: asyncio is loaded by then, not with literllm)

        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)

    @property
    def in_use(self) -> int:
        return self.limit - self._semaphore._value

    async def acquire(self, timeout: float | None) -> Slot:
        """A slot, waiting at most ``timeout`` seconds (``None``: as long as it takes)."""
        semaphore = self._semaphore
        if not semaphore.locked():
            await semaphore.acquire()  # free: returns without suspending
            return Slot(semaphore)
        import asyncio

        try:
            async with asyncio.timeout(timeout):
                await semaphore.acquire()
        except TimeoutError:
            raise PoolTimeout from None
        return Slot(semaphore)
