"""What a service watches around each call: ``StreamStats``, ``RequestInfo`` and the hooks.

A stream reads the clock at the start, when the headers arrive, at its first chunk that
carries content and at its end; nothing per chunk. ``StreamStats`` is a frozen snapshot built
when asked (``stream.stats``) or handed to a hook.

Hooks (``LlmClient(hooks=[...])``) are objects with any of ``on_request(info)``,
``on_first_chunk(stats)``, ``on_end(stats)`` and ``on_error(stats, error)``, each a plain or an
``async`` method. They are called for every attempt (retries and fallbacks each get their own
``on_request`` and ``on_error``), for streams and for ``chat()``. A plain method runs on the
spot; an ``async`` one is scheduled as a task, so a slow hook never holds a stream up (the
client's ``close()`` waits for them). A hook that raises is logged, never raised.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ._config import log

if TYPE_CHECKING:
    import asyncio

    from .types import ChatCompletion, Usage

__all__ = ["Attempt", "Hooks", "Outcome", "RequestInfo", "StreamStats"]

Outcome = Literal["completed", "error", "cancelled"]
_calls = itertools.count(1)


def next_call_id() -> int:
    return next(_calls)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt of a call: who was asked, how it ended (``error`` ``None``: it answered),
    how long it took (to the headers, or to the error)."""

    provider: str
    model: str
    error: BaseException | None
    duration: float


@dataclass(frozen=True, slots=True, eq=False)
class RequestInfo:
    """One attempt about to be sent, for ``on_request``. Holds no secret: no header, and a
    URL without its query string."""

    call_id: int
    """The same for every attempt of one ``chat_stream``/``chat`` call."""
    attempt: int
    """1 for the first attempt of the call, counting retries and fallbacks."""
    provider: str
    model: str
    method: str
    url: str
    stream: bool
    messages: Sequence[Any] = field(repr=False)
    """The messages as given (for hooks that capture content, when asked to)."""
    params: Mapping[str, Any] = field(repr=False)
    """The request's parameters as given (no key, no headers)."""


@dataclass(frozen=True, slots=True)
class StreamStats:
    """What one call did, so far or in all (frozen; read ``stream.stats`` again for news).

    Times are seconds, measured from ``started_at`` on the event loop's clock;
    ``started_at`` itself is wall-clock time (``time.time()``).
    """

    provider: str
    """The provider that served (the last one tried, when none did)."""
    model: str
    attempts: tuple[Attempt, ...]
    started_at: float
    time_to_headers: float | None
    time_to_first_chunk: float | None
    """To the first chunk that carries content, reasoning or a tool call."""
    duration: float | None
    """To the end; ``None`` while the stream runs."""
    chunks: int
    usage: Usage | None
    output_tokens_per_second: float | None
    """Output tokens over the time from the first chunk to the end."""
    cost: float | None
    """USD, from ``usage`` (``literllm[cost]``); ``None`` when unknown."""
    finish_reason: str | None
    outcome: Outcome | None
    """``None`` while the stream runs."""
    queued: float
    """Time spent waiting for a provider limit or a pooled connection."""
    request: RequestInfo | None = field(default=None, repr=False)
    """The attempt that served (or the last one tried)."""
    completion: ChatCompletion | None = field(default=None, repr=False, compare=False)
    """The reply so far (its ``id`` and ``model`` are the provider's), when there is one."""


class Hooks(Protocol):
    """The hook methods (all optional); see the module's docs."""

    def on_request(self, info: RequestInfo) -> Any: ...

    def on_first_chunk(self, stats: StreamStats) -> Any: ...

    def on_end(self, stats: StreamStats) -> Any: ...

    def on_error(self, stats: StreamStats, error: BaseException) -> Any: ...


_HOOK_NAMES = ("on_request", "on_first_chunk", "on_end", "on_error")


class HookSet:
    """The client's hooks, by event; calls them so that none can break a stream."""

    __slots__ = ("_by_event", "_tasks")

    def __init__(self, hooks: Sequence[object]) -> None:
        from .errors import ConfigurationError

        self._by_event: dict[str, list[Callable[..., Any]]] = {name: [] for name in _HOOK_NAMES}
        for hook in hooks:
            found = False
            for name in _HOOK_NAMES:
                method = getattr(hook, name, None)
                if method is not None:
                    if not callable(method):
                        raise ConfigurationError(f"hooks=: {hook!r}.{name} is not callable")
                    self._by_event[name].append(method)
                    found = True
            if not found:
                raise ConfigurationError(
                    f"hooks=: {hook!r} has none of {', '.join(_HOOK_NAMES)}"
                )
        self._tasks: set[asyncio.Task[Any]] = set()

    def wants(self, event: str) -> bool:
        return bool(self._by_event[event])

    def call(self, event: str, *args: Any) -> None:
        for method in self._by_event[event]:
            try:
                result = method(*args)
                if inspect.isawaitable(result):
                    self._schedule(method, result)
            except Exception:
                log().exception("literllm hook %s raised; the stream goes on", _name(method))

    def _schedule(self, method: Callable[..., Any], awaitable: Any) -> None:
        import asyncio

        async def run() -> None:
            try:
                await awaitable
            except Exception:
                log().exception("literllm hook %s raised; the stream goes on", _name(method))

        try:
            task = asyncio.get_running_loop().create_task(run())
        except RuntimeError:  # no loop running (a stream dropped at interpreter exit)
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait (a while) for the async hooks still running."""
        import asyncio

        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)


def _name(method: Callable[..., Any]) -> str:
    return getattr(method, "__qualname__", repr(method))
