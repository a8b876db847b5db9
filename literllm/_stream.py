"""``ChatStream``: the async iterator over one streamed response.

Reads the body, hands the bytes to the provider's ``StreamAdapter`` and yields its chunks;
runs the idle timer; closes the connection on every way out. Knows no wire format.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from ._accumulate import StreamAccumulator, completion_of
from ._aiohttp_internals import (
    connection_closed,
    connection_error,
    read_limited_transport,
    set_read_size,
    take_unread,
)
from ._config import log
from ._io import is_network_error
from ._parsers import IMPLEMENTATION
from ._secrets import scrub_chain
from .errors import (
    MalformedChunkError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)
from .types import ChatCompletion, ChatCompletionChunk

if TYPE_CHECKING:
    from ._stream_core_py import StreamCore, inherit_anext
elif IMPLEMENTATION == "c":
    from ._stream_core_c import StreamCore, inherit_anext
else:
    from ._stream_core_py import StreamCore, inherit_anext

if TYPE_CHECKING:
    import asyncio

    from ._call import Call
    from ._pool import Slot
    from ._record import Recorder
    from ._stats import Outcome, StreamStats
    from ._structured import OutputSpec
    from .providers._base import StreamAdapter
    from .transport import TransportResponse

__all__ = ["ChatStream", "Resend", "StreamStart"]

_NO_EVENTS: tuple[Any, ...] = ()


DECODE_SIZE = 8192
"""The most bytes decoded at once: an open stream holds at most this much as decoded,
undelivered events (the rest of a larger read waits as bytes)."""

READ_WINDOW = 4096
"""The most bytes a stream reads at once when it starts: one read from the socket, one
read of the body, and half of what aiohttp buffers before it stops reading the socket. A
reader that falls behind leaves the rest of the body to TCP's flow control, in the kernel
and at the server, instead of in this process."""

READ_WINDOW_MAX = 2**16
"""The widest window, for a reader that keeps up. It stays below glibc's mmap threshold
(128 KiB), so the buffers of a read (the socket's, aiohttp's copy) come from the heap and
are used again. At asyncio's own read size (256 KiB) those buffers came to fresh pages,
which the heap gave back to the kernel after each read: a page fault per six or seven
OpenAI chunks, 0.2-0.5 us of system time a chunk (a quarter of the stream's CPU)."""

WIDEN_SECONDS = 0.05
"""A stream's window opens to the widest when its reader takes a whole window and asks for
more within this long: the body is there faster than one window a read, and the reader
keeps up with it (a body read as fast as it comes: a replay, a local server, a burst). A
reader at the pace of a model's tokens, or one that stops, keeps the narrow window."""


class _IdleTimeout(TimeoutError):
    """Set on the response body by the idle timer to wake the pending read."""


class _Interrupted(Exception):
    """Set on the response body to wake the pending read after an error was recorded."""


class _AnotherAttempt(Exception):
    """Raised through ``_next_decoded`` when an event fails before any content and the
    client may still try again; ``ChatStream._anext_slow`` catches it (never a user)."""

    def __init__(self, error: StreamError) -> None:
        super().__init__(error)
        self.error = error


def _idle_timer_fired(ref: weakref.ref[ChatStream]) -> None:
    stream = ref()
    if stream is not None:
        stream._idle_timer_fired()


def _framing_detail(cause: BaseException | None) -> str:
    """What aiohttp's parser said of the bytes it rejected (its cause, if it kept one)."""
    inner = getattr(cause, "__cause__", None) or cause
    if inner is None:
        return "unknown"
    text = str(getattr(inner, "message", None) or inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0] if text else ''}"


def _as_malformed(exc: Exception, event: Any) -> StreamError:
    """A chunk the accumulator refused, as the ``MalformedChunkError`` it is."""
    if not isinstance(exc, StreamError):  # an accumulator bug must still end as a StreamError
        error = MalformedChunkError(f"could not add a chunk: {exc!r}")
        error.__cause__ = exc
        return error
    if isinstance(exc, MalformedChunkError):
        raw = event[1] if isinstance(event, tuple) and len(event) == 2 else None
        if isinstance(raw, bytes) and not exc.raw:
            exc.raw = raw
        exc.message = f"a chunk has a wrong-typed field: {exc.message}"
        exc.args = (exc.message,)
    return exc


def _has_content(chunk: ChatCompletionChunk) -> bool:
    """Whether a chunk carries content, reasoning or a tool call (time to first chunk)."""
    for choice in chunk.choices:
        delta = choice.delta
        if delta.content or delta.reasoning_content or delta.tool_calls:
            return True
    return False


def _untracked_call(loop: asyncio.AbstractEventLoop) -> Call:
    from ._call import Call

    return Call((), {}, stream=True, hooks=None, loop_time=loop.time)


class StreamStart(NamedTuple):
    """An answered attempt, for a ``ChatStream`` to read: the response with its headers in,
    the adapter for its body, and what the stream keeps of the request."""

    response: TransportResponse
    adapter: StreamAdapter
    provider: str
    model: str
    request_id: str | None
    idle: float | None
    total: float | None
    secrets: tuple[str, ...]
    recorder: Recorder | None
    slot: Slot | None


Resend = Callable[[StreamError, "Call"], Awaitable["StreamStart | None"]]
"""The client's next attempt after an in-band error before any content, if any is left."""


class _ConnectionLost(Exception):
    """Set on the response body when the connection died without aiohttp telling the body."""


def _watch_connection(response: TransportResponse, ref: weakref.ref[ChatStream]) -> Any:
    """Call the stream back when the response's connection is lost; the future and its
    callback to remove on release (``None``: nothing to watch)."""
    # NOTE: when aiohttp's HTTP parser rejects bytes that arrive after the headers (a bad
    # chunk size), it closes the transport and records the error on the protocol, but never
    # on the body being read (aiohttp 3.10-3.14): a pending read would wait for the idle
    # timeout. The protocol's `closed` future is the one signal that the connection died.
    watched = connection_closed(response)
    if watched is None:
        return None
    closed, protocol = watched

    def lost(_future: Any) -> None:
        stream = ref()
        if stream is not None:
            stream._connection_lost(protocol)

    closed.add_done_callback(lost)
    return closed, lost


class ChatStream(StreamCore):
    """The chunks of one streamed reply: an async iterator and an async context manager.

    Leaving ``async for`` early (when nothing else holds the stream), ``aclose()``, leaving
    ``async with`` and cancelling the task all close the connection at once. Everything raised
    while iterating is a ``StreamError`` that carries ``chunks_received`` and ``text``.
    """

    __slots__ = (
        "__weakref__",
        "_accumulator",
        "_adapter",
        "_bytes",
        "_call",
        "_closed",
        "_content",
        "_deadline",
        "_error",
        "_error_told",
        "_feed",
        "_finished",
        "_idle",
        "_loop",
        "_output",
        "_recorder",
        "_resend",
        "_response",
        "_secrets",
        "_slot",
        "_timer",
        "_total",
        "_unfed",
        "_unfed_pos",
        "_waiting",
        "_watch",
        "_window",
        "_window_read",
        "_window_since",
        "model",
        "provider",
        "request_id",
    )

    def __init__(
        self,
        start: StreamStart,
        *,
        call: Call | None = None,
        output: OutputSpec | None = None,
        resend: Resend | None = None,
    ) -> None:
        import asyncio

        self._loop = asyncio.get_running_loop()
        self._output = output
        self._resend = resend
        self._call = call if call is not None else _untracked_call(self._loop)
        self._received = 0
        self._timer: asyncio.TimerHandle | None = None
        self._attach(start)

    def _attach(self, start: StreamStart) -> None:
        """Read this response (the first, or the one that replaced an attempt that failed
        before any content)."""
        response = start.response
        self._response = response
        self._slot = start.slot
        self._recorder = start.recorder
        self._accumulator = StreamAccumulator()
        self._secrets = start.secrets
        self._total = start.total
        self._content = response.content
        adapter = start.adapter
        self._adapter = adapter
        self._feed: Callable[[bytes], Sequence[Any]] = adapter.feed
        self._events = _NO_EVENTS
        self._pos = 0
        # A read's bytes not decoded yet (from _unfed_pos): a read can be a whole window.
        self._unfed = b""
        self._unfed_pos = 0
        self._window = READ_WINDOW
        self._window_read = 0
        self._window_since = -WIDEN_SECONDS
        self._use(adapter, self._accumulator)
        self._bytes = 0
        self._error: StreamError | None = None
        self._error_told = False
        self._finished = False
        self._closed = False
        self._first_pending = True
        self._idle = start.idle
        self._deadline = 0.0
        self._waiting = False
        self.provider = start.provider
        """The provider's name as routed (the one that served, after a fallback)."""
        self.model = start.model
        """The model name sent to the provider."""
        self.request_id = start.request_id
        """The provider's request id, when it sent one."""
        self._watch = _watch_connection(response, weakref.ref(self))

    @property
    def chunks_received(self) -> int:
        """How many chunks this stream has yielded."""
        return self._received

    @property
    def accumulated(self) -> ChatCompletion:
        """The ``ChatCompletion`` the chunks yielded so far add up to.

        With a JSON ``response_format`` (or a model), ``message.parsed`` holds the JSON
        received so far, parsed (partial objects need ``literllm[partial-json]``).
        """
        return self._completion(final=False)

    async def final(self) -> ChatCompletion:
        """Read the rest of the stream; the whole ``ChatCompletion``.

        Raises what iterating would (a ``StreamError`` carries ``accumulated`` too). With a
        pydantic model as ``response_format``, ``message.parsed`` is the model validated
        (``StructuredOutputError`` when the content does not validate).
        """
        async for _chunk in self:
            pass
        return self._completion(final=True)

    @property
    def stats(self) -> StreamStats:
        """What this call did so far (``StreamStats``, a snapshot: read again for news)."""
        return self._call.stats(self._completion(final=False), self._received, self._outcome())

    def _outcome(self) -> Outcome | None:
        return self._call.outcome

    def _completion(self, *, final: bool = False) -> ChatCompletion:
        completion = completion_of(self._accumulator, self._adapter)
        if self._output is not None:
            from ._structured import attach_parsed

            attach_parsed(completion, self._output, final=final)
        return completion

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<ChatStream provider={self.provider!r} model={self.model!r} "
            f"chunks_received={self._received} {state}>"
        )

    def __aiter__(self) -> ChatStream:
        return self

    # __anext__ is StreamCore's: the next chunk from the events already decoded, with no
    # coroutine in the compiled twin; the rest comes here.
    async def _anext_slow(self) -> ChatCompletionChunk:
        # NOTE: chunks are built one per call, from the events of the last read: building a
        # whole read's chunks ahead would keep hundreds of fresh objects alive at once and
        # make the cyclic GC run (and promote them) several times per stream.
        while True:
            try:
                chunk = self._next_decoded()
            except _AnotherAttempt as attempt:
                if await self._try_again(attempt.error) is not None:
                    continue
                error = self._event_error(attempt.error)
                raise error from error.__cause__
            if chunk is None:
                await self._read()
                continue
            if self._first_pending and _has_content(chunk):
                self._first_pending = False
                self._call.first_chunk(self._completion, self._received)
            return chunk

    def _no_chunk(self) -> None:
        """An event made no chunk: the stream is complete if it was the terminal one."""
        if self._adapter.done:
            self._events = _NO_EVENTS
            self._pos = 0
            self._finished = True
            self._release()

    def _broken_event(self, exc: Exception) -> Exception:
        """The adapter refused an event: the error to raise, recorded (the stream closed);
        before any content, when another attempt may still answer, ``_AnotherAttempt``."""
        self._events = _NO_EVENTS
        if isinstance(exc, StreamError) and self._first_pending and self._resend is not None:
            return _AnotherAttempt(exc)
        return self._event_error(exc)

    def _event_error(self, exc: Exception) -> StreamError:
        """The error for an event the adapter refused, recorded (the stream closed)."""
        if isinstance(exc, StreamError):
            self._fail(exc, exc.__cause__)
        else:  # an adapter bug must still end as a StreamError
            self._fail(MalformedChunkError(f"could not build a chunk: {exc!r}"), exc)
        return self._pending_error()

    def _refused_chunk(self, exc: Exception, event: Any) -> StreamError:
        """The accumulator refused a chunk: the error to raise, recorded (the stream closed)."""
        self._events = _NO_EVENTS
        self._fail(_as_malformed(exc, event), exc.__cause__)
        return self._pending_error()

    async def _try_again(self, error: StreamError) -> StreamStart | None:
        """Close this attempt and start the next one (a retry, or the next fallback model);
        ``None`` when none is left or the error is not worth another attempt."""
        assert self._resend is not None
        # Hooks and the attempts see it: what the provider echoed of a key goes first.
        scrub_chain(error, self._secrets)
        self._response.close()
        self._closed = True
        self._let_go()
        self._end_recording(f"{type(error).__name__}: {error.message}")
        try:
            start = await self._resend(error, self._call)
        except BaseException:  # cancelled while it waited to try again
            self._finished = True
            self._end("cancelled")
            raise
        if start is not None:
            self._attach(start)
        return start

    def _end(self, outcome: Outcome, error: BaseException | None = None) -> None:
        """The call ended: its stats are final, the hooks are told (once)."""
        call = self._call
        if call.ended_at is None:
            call.ended(self._completion, self._received, outcome, error)

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    async def aclose(self) -> None:
        """Stop reading and close the connection now."""
        self._close()

    def __del__(self) -> None:
        # `break` out of `async for` drops the last reference: close the socket right here
        # rather than when a finalizer task gets around to it.
        if not getattr(self, "_closed", True):
            try:
                self._close()
            except Exception:
                # An interpreter or event loop shutting down; nothing is left to close.
                log().debug("closing a dropped stream failed", exc_info=True)

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._finished = True
            self._events = _NO_EVENTS
            self._response.close()
            self._let_go()
            self._end_recording("closed early")
            self._end("cancelled")

    def _release(self) -> None:
        if not self._closed:
            self._closed = True
            self._response.release()
            self._let_go()
            self._end_recording("complete")
            self._end("completed")

    def _let_go(self) -> None:
        """The connection is back in the pool or closed: nothing of this stream may outlive
        it (its idle timer, its watch on the connection, its pool slot)."""
        self._stop_timer()
        watch, self._watch = self._watch, None
        if watch is not None:
            watch[0].remove_done_callback(watch[1])
        slot, self._slot = self._slot, None
        if slot is not None:
            slot.release()

    def _connection_lost(self, protocol: Any) -> None:
        """The connection died; wake the read if aiohttp left the body unaware of it."""
        self._watch = None
        if self._closed:
            return
        content = self._content
        if content.exception() is not None or content.is_eof():
            return  # aiohttp told the body itself (a cut mid-body, or the end)
        cause = connection_error(protocol)
        content.set_exception(_ConnectionLost(cause))

    def _end_recording(self, outcome: str) -> None:
        if self._recorder is not None:
            self._recorder.close(outcome)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _idle_timer_fired(self) -> None:
        # One timer per idle period instead of one per read: it fires at the first deadline
        # and re-arms itself if content moved the deadline since.
        self._timer = None
        if self._closed or not self._waiting:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, _idle_timer_fired, weakref.ref(self))
            return
        self._content.set_exception(_IdleTimeout())

    async def _read(self) -> None:
        """Read until the decoder yields events; raise at the end of the stream or an error."""
        armed = False
        while True:
            if self._error is not None:
                raise self._pending_error()
            if self._finished:
                raise StopAsyncIteration
            if self._unfed:
                if self._decode_unfed():
                    return
                continue
            if self._waiting:
                # Only a second consumer gets here: the first is suspended in the read below.
                raise StreamError(
                    "this stream is being read by another task; a stream has one consumer"
                )
            if self._idle is not None and not armed:
                # Silence is counted from the later of the last content and this request for
                # more, so a slow consumer never causes an idle timeout. Armed only for a read
                # that will wait: a finished stream leaves no timer behind.
                armed = True
                self._deadline = self._loop.time() + self._idle
                if self._timer is None:
                    self._timer = self._loop.call_at(
                        self._deadline, _idle_timer_fired, weakref.ref(self)
                    )
            self._waiting = True
            try:
                data = await self._content.read(self._window)
            except _Interrupted:
                continue  # the error was recorded before the reader was woken
            except _ConnectionLost as exc:
                if self._connection_failed(exc.args[0] or exc, "the response's framing broke"):
                    return
                continue
            except _IdleTimeout as exc:
                self._fail(
                    StreamTimeoutError(
                        f"no content for {self._idle} s (idle timeout)", timeout_kind="idle"
                    ),
                    exc,
                )
                continue
            except Exception as exc:
                if is_network_error(exc):
                    if self._connection_failed(exc):
                        return
                else:
                    # aiohttp's RuntimeError for a closed connection, and the like.
                    self._fail(StreamError(f"reading the stream failed: {exc!r}"), exc)
                continue
            except BaseException:
                # Cancellation: the connection must not linger.
                self._close()
                raise
            finally:
                self._waiting = False
            if not data:
                self._end_of_body(None)
                continue
            self._bytes += len(data)
            if self._window < READ_WINDOW_MAX:
                self._widen_if_keeping_up(len(data))
            if self._recorder is not None:
                self._recorder.write(data)
            if len(data) > DECODE_SIZE:
                self._unfed = data
                self._unfed_pos = DECODE_SIZE
                data = data[:DECODE_SIZE]
            if self._decode(data):
                return

    def _widen_if_keeping_up(self, size: int) -> None:
        now = self._loop.time()
        if now - self._window_since > WIDEN_SECONDS:
            self._window_since = now
            self._window_read = size
            return
        self._window_read += size
        if self._window_read >= self._window:
            # aiohttp's body buffer follows the size a read asks for; the socket is told here.
            self._window = READ_WINDOW_MAX
            set_read_size(read_limited_transport(self._response), self._window)

    def _decode(self, data: bytes) -> bool:
        """Decode bytes of the body; true when they completed events (then to be delivered)."""
        try:
            events = self._feed(data)
        except MalformedChunkError as exc:
            # Deliver what the decoder completed before the bad input, then fail.
            self._fail(exc, exc.__cause__)
            events = exc.events
        except Exception as exc:  # a decoder bug must still end as a StreamError
            self._fail(MalformedChunkError(f"undecodable stream: {exc!r}"), exc)
            events = _NO_EVENTS
        if self._error is not None:
            self._unfed = b""
        if events:
            self._events = events
            self._pos = 0
            return True
        return False

    def _decode_unfed(self) -> bool:
        """Decode the next part of a read that was larger than ``DECODE_SIZE``."""
        unfed = self._unfed
        start = self._unfed_pos
        end = start + DECODE_SIZE
        if end >= len(unfed):
            self._unfed = b""
        else:
            self._unfed_pos = end
        return self._decode(unfed[start:end])

    def _connection_failed(self, exc: BaseException, how: str = "") -> bool:
        """Record the failure (``how``: what broke, in our words); true when bytes that
        arrived before it made events, which are then delivered before the error."""
        delivered = self._deliver_unread()
        self._transport_failed(exc, how)
        return delivered

    def _deliver_unread(self) -> bool:
        """Decode what arrived before the connection failed but was not read yet; true when
        that made events (they are delivered before the error)."""
        data = take_unread(self._content)
        if not data:
            return False
        self._bytes += len(data)
        if self._recorder is not None:
            self._recorder.write(data)
        try:
            events = self._feed(data)
        except MalformedChunkError as exc:
            self._fail(exc, exc.__cause__)
            events = exc.events
        except Exception:
            return False
        if not events:
            return False
        self._events = events
        self._pos = 0
        return True

    def _transport_failed(self, exc: BaseException, how: str = "") -> None:
        if isinstance(exc, TimeoutError):
            # Not ours (that is _IdleTimeout): aiohttp's, i.e. the request's total timeout.
            kind = "total" if self._total is not None else "read"
            self._fail(StreamTimeoutError(f"{kind} timeout expired", timeout_kind=kind), exc)
        else:
            self._end_of_body(exc, how)

    def _end_of_body(self, cause: BaseException | None, how: str = "") -> None:
        """The body ended (``cause``: the connection broke): finished, or truncated?"""
        try:
            self._adapter.finish()
        except StreamError as exc:
            # Say what happened in our words: aiohttp's (a TransferEncodingError "400", ...)
            # would mislead; it stays reachable as __cause__.
            how = how or ("the connection closed" if cause is not None else "the body ended")
            detail = f" ({_framing_detail(cause)})" if how.endswith("framing broke") else ""
            self._fail(
                StreamTruncatedError(f"{how}{detail} after {self._bytes:,} bytes; {exc.message}"),
                cause if cause is not None else exc.__cause__,
            )
            return
        self._finished = True
        self._release()

    def _abort(self, error: StreamError) -> None:
        """End the stream now with ``error`` (its client closed), waking a pending read."""
        if self._closed:
            return
        if self._waiting:
            # Before the response is closed, so that this (not aiohttp's "Connection closed")
            # is what the pending read raises.
            self._content.set_exception(_Interrupted())
        self._fail(error, None)

    def _fail(self, error: StreamError, cause: BaseException | None) -> None:
        """Record the error (raised once the events before it are delivered); close at once."""
        if cause is not None and error.__cause__ is None:
            error.__cause__ = cause
        # aiohttp's errors carry the request's headers (the key among them): not ours to pass on.
        scrub_chain(error, self._secrets)
        self._error = error
        self._end_recording(f"{type(error).__name__}: {error.message}")
        self._response.close()
        self._closed = True
        self._let_go()
        self._end("error", error)

    def _pending_error(self) -> StreamError:
        """The recorded error, told what was received before it (once)."""
        error = self._error
        assert error is not None
        if not self._error_told:
            self._error_told = True
            text = "".join(part for part in self._adapter.text_parts if isinstance(part, str))
            error.chunks_received = self._received
            error.text = text
            error.accumulated = self._completion(final=False)
            error.stats = self.stats
            error.attempts = error.stats.attempts
            error.provider = self.provider
            error.model = self.model
            error.message = (
                f"{error.message} ({self.provider}/{self.model}, after {self._received} "
                f"chunks, {len(text)} characters)"
            )
            error.args = (error.message,)
        self._finished = True
        return error


inherit_anext(ChatStream)
