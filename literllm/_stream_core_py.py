"""``StreamCore``: ``ChatStream``'s step per chunk, pure-Python twin of ``_stream_core_c``.

A chunk built from events already decoded needs no I/O; only running out of them (a read,
the end of the body) and the events before the first content (an error there may start
another attempt) need ``ChatStream``'s coroutine, ``_anext_slow``. The compiled twin takes
the first case without creating a coroutine at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import StreamError
    from .types import ChatCompletionChunk

__all__ = ["StreamCore", "inherit_anext"]


class StreamCore:
    """What ``ChatStream`` keeps per chunk, and its ``__anext__``.

    The subclass sets the fields when it attaches a response and supplies the hooks: how to
    read on (``_anext_slow``), what ends the events (``_no_chunk``) and the errors to raise
    when the adapter or the accumulator refuses an event (``_broken_event``,
    ``_refused_chunk``); both record the error and close the stream first, except that
    ``_broken_event`` may return an exception only ``_anext_slow`` sees (before the first
    content, which the step leaves to it).
    """

    __slots__ = ("_accumulate", "_events", "_first_pending", "_on_event", "_pos", "_received")

    _events: Sequence[Any]
    _pos: int
    _on_event: Callable[[Any], ChatCompletionChunk | None]
    _accumulate: Callable[[ChatCompletionChunk], None]
    _received: int
    _first_pending: bool

    async def __anext__(self) -> ChatCompletionChunk:
        if not self._first_pending:
            chunk = self._next_decoded()
            if chunk is not None:
                return chunk
        return await self._anext_slow()

    def _use(self, adapter: Any, accumulator: Any) -> None:
        """Build chunks with ``adapter.on_event`` and merge them with ``accumulator.add``."""
        self._on_event = adapter.on_event
        self._accumulate = accumulator.add

    def _next_decoded(self) -> ChatCompletionChunk | None:
        """The next chunk the decoded events make, accumulated and counted; ``None`` when
        they are used up."""
        while True:
            pos = self._pos
            events = self._events
            if pos >= len(events):
                return None
            self._pos = pos + 1
            event = events[pos]
            try:
                chunk = self._on_event(event)
            except Exception as exc:
                error = self._broken_event(exc)
                raise error from error.__cause__
            if chunk is None:
                self._no_chunk()
                continue
            try:
                # Also the type check of every field the adapter passed through.
                self._accumulate(chunk)
            except Exception as exc:
                error = self._refused_chunk(exc, event)
                raise error from error.__cause__
            self._received += 1
            return chunk

    async def _anext_slow(self) -> ChatCompletionChunk:
        raise NotImplementedError

    def _no_chunk(self) -> None:
        raise NotImplementedError

    def _broken_event(self, exc: Exception) -> Exception:
        raise NotImplementedError

    def _refused_chunk(self, exc: Exception, event: Any) -> StreamError:
        raise NotImplementedError


def inherit_anext(cls: type[StreamCore]) -> None:
    """Nothing to do here: a Python class finds ``__anext__`` the usual way (the compiled
    twin gives the subclass the base's slot function)."""
    for klass in cls.__mro__:
        if klass is StreamCore:
            break
        if "__anext__" in klass.__dict__:
            raise TypeError(f"{klass.__qualname__} defines __anext__ itself")
