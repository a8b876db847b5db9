"""``Call``: one ``chat_stream``/``chat`` call across its attempts (retries, fallbacks), for
its stats and hooks.

The client tells it each attempt as it starts and ends; the stream tells it the first chunk
and the end. Four clock reads a call (start, headers, first chunk, end) plus two per
attempt; nothing per chunk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._stats import Attempt, HookSet, Outcome, RequestInfo, StreamStats, next_call_id

if TYPE_CHECKING:
    from .types import ChatCompletion

__all__ = ["Call"]


class Call:
    __slots__ = (
        "_attempt_started",
        "_hooks",
        "_loop_time",
        "_on_end",
        "_told",
        "attempts",
        "call_id",
        "ended_at",
        "first_at",
        "headers_at",
        "messages",
        "model",
        "outcome",
        "params",
        "provider",
        "queued",
        "request",
        "started",
        "started_at",
        "stream",
    )

    def __init__(
        self,
        messages: Sequence[Any],
        params: Mapping[str, Any],
        *,
        stream: bool,
        hooks: HookSet | None,
        loop_time: Callable[[], float],
        on_end: Callable[[Call, StreamStats], None] | None = None,
    ) -> None:
        self.call_id = next_call_id()
        self.messages = messages
        self.params = params
        self.stream = stream
        self._hooks = hooks
        self._loop_time = loop_time
        self._on_end = on_end
        self.started_at = time.time()
        self.started = loop_time()
        self.attempts: list[Attempt] = []
        self.queued = 0.0
        self.headers_at: float | None = None
        self.first_at: float | None = None
        self.ended_at: float | None = None
        self.outcome: Outcome | None = None
        self.request: RequestInfo | None = None
        self.provider = ""
        self.model = ""
        self._attempt_started = 0.0
        self._told = False  # the current attempt's on_end/on_error was called

    # -- attempts (the client) -------------------------------------------------------------

    def attempt_starts(
        self, provider: str, model: str, method: str, url: str
    ) -> None:
        self.provider, self.model = provider, model
        self._attempt_started = self._loop_time()
        self.headers_at = None
        self._told = False
        hooks = self._hooks
        if hooks is not None:
            self.request = RequestInfo(
                self.call_id, len(self.attempts) + 1, provider, model, method, url,
                self.stream, self.messages, self.params,
            )
            hooks.call("on_request", self.request)

    def attempt_answered(self) -> None:
        now = self.headers_at = self._loop_time()
        self.attempts.append(
            Attempt(self.provider, self.model, None, now - self._attempt_started)
        )

    def attempt_failed(self, error: BaseException) -> None:
        """An attempt failed before its answer."""
        duration = self._loop_time() - self._attempt_started
        self.attempts.append(Attempt(self.provider, self.model, error, duration))
        self._told = True
        if self._hooks is not None:
            self._hooks.call("on_error", self.stats(None, 0, "error"), error)

    def attempt_skipped(self, provider: str, model: str, error: BaseException) -> None:
        """A model the call did not send to (its provider cools down): no hook is told."""
        self.attempts.append(Attempt(provider, model, error, 0.0))

    def stream_failed_early(self, error: BaseException) -> None:
        """The answered attempt broke before any content and will be tried again: it counts
        as a failed attempt, not as the call's end."""
        if self.attempts and self.attempts[-1].error is None:
            last = self.attempts[-1]
            self.attempts[-1] = Attempt(last.provider, last.model, error, last.duration)
        self._told = True
        if self._hooks is not None:
            self._hooks.call("on_error", self.stats(None, 0, "error"), error)

    def waited(self, seconds: float) -> None:
        self.queued += seconds

    # -- the stream ------------------------------------------------------------------------

    def first_chunk(self, completion: Callable[[], ChatCompletion | None], chunks: int) -> None:
        self.first_at = self._loop_time()
        if self._hooks is not None and self._hooks.wants("on_first_chunk"):
            self._hooks.call("on_first_chunk", self.stats(completion(), chunks, None))

    def ended(
        self, completion: Callable[[], ChatCompletion | None], chunks: int, outcome: Outcome,
        error: BaseException | None = None,
    ) -> StreamStats | None:
        """The call ended; its stats for whoever is told (``None`` when nobody is: a plain
        client builds nothing here)."""
        self.ended_at = self._loop_time()
        self.outcome = outcome
        if self._on_end is None and self._hooks is None:
            return None
        stats = self.stats(completion(), chunks, outcome)
        if self._on_end is not None:
            self._on_end(self, stats)
        if self._hooks is not None and not self._told:
            # (an attempt that already failed was told so; the call's end is not news)
            self._told = True
            if error is None:
                self._hooks.call("on_end", stats)
            else:
                self._hooks.call("on_error", stats, error)
        return stats

    def stats(
        self, completion: ChatCompletion | None, chunks: int, outcome: Outcome | None
    ) -> StreamStats:
        from ._cost import cost

        started = self.started
        usage = completion.usage if completion is not None else None
        finish = None
        if completion is not None and completion.choices:
            finish = completion.choices[0].finish_reason
        first, ended = self.first_at, self.ended_at
        speed = None
        if usage is not None and first is not None and ended is not None and ended > first:
            speed = usage.completion_tokens / (ended - first)
        return StreamStats(
            provider=self.provider,
            model=self.model,
            attempts=tuple(self.attempts),
            started_at=self.started_at,
            time_to_headers=None if self.headers_at is None else self.headers_at - started,
            time_to_first_chunk=None if first is None else first - started,
            duration=None if ended is None else ended - started,
            chunks=chunks,
            usage=usage,
            output_tokens_per_second=speed,
            cost=cost(usage, model=self.model, provider=self.provider),
            finish_reason=finish,
            outcome=outcome,
            queued=self.queued,
            request=self.request,
            completion=completion,
        )
