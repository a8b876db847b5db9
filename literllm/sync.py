"""``SyncLlmClient``: the async client for synchronous code (scripts, notebooks, WSGI apps).

One private event-loop thread per client runs an ``LlmClient``; ``chat_stream`` returns a
plain iterator. Chunks cross from that thread in batches (everything one network read
decoded), so the hand-over costs once per read, not once per chunk. It works inside a running
event loop too (a notebook), since the client's loop is its own. Leaving the ``for`` loop
early and closing the iterator close the connection, as in the async API; errors are the
same typed ``LiterLlmError``s.

    with SyncLlmClient() as client:
        with client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "Hi"}]) as s:
            for chunk in s:
                print(chunk.choices[0].delta.content or "", end="")
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import weakref
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

from ._stream import ChatStream
from .client import LlmClient
from .errors import ConfigurationError, StreamError
from .types import ChatCompletion, ChatCompletionChunk, ChatParams, Message, MessageParam

if TYPE_CHECKING:
    import os
    import ssl as _ssl
    from collections.abc import Mapping

    from ._config import Timeout
    from ._cooldown import Cooldown
    from ._stats import StreamStats
    from .transport import Transport

__all__ = ["SyncChatStream", "SyncClientOptions", "SyncLlmClient"]


class SyncClientOptions(TypedDict, total=False):
    """``LlmClient``'s keyword arguments, for ``SyncLlmClient`` (all but ``session=``: an
    aiohttp session belongs to one event loop, and the sync client runs its own)."""

    base_url: str | None
    provider: str | None
    timeout: float | Timeout | None
    max_retries: int
    headers: Mapping[str, str] | None
    max_connections: int
    trust_env: bool
    provider_options: Mapping[str, Mapping[str, Any]] | None
    max_response_size: int
    ssl: _ssl.SSLContext | bool
    record_dir: str | os.PathLike[str] | None
    transport: Transport | None
    hooks: Sequence[object] | None
    fallbacks: Mapping[str, Sequence[str]] | None
    cooldown: Cooldown | None
    max_cost: float | None

T = TypeVar("T")
_MAX_BATCH = 256


class _LoopThread:
    """An event loop running in a daemon thread of its own, which closes the loop when it
    stops."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=_run_loop, args=(self.loop,), name="literllm-sync-client", daemon=True
        )
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def in_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self.in_thread():
            coroutine.close()
            raise ConfigurationError("a SyncLlmClient cannot be used from its own loop thread")
        if self.loop.is_closed() or not self._thread.is_alive():
            coroutine.close()
            raise StreamError("the SyncLlmClient was closed")
        future = self.submit(coroutine)
        try:
            # Checked twice a second: a loop that stops meanwhile never finishes the call.
            while not concurrent.futures.wait([future], timeout=0.5).done:
                if not self._thread.is_alive():
                    raise StreamError("the SyncLlmClient was closed")
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop; its thread closes it. Waits for that unless called from it."""
        if not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.in_thread():
            self._thread.join(10)


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.wait(tasks, timeout=5))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


async def _close_client(client: LlmClient) -> None:
    await client.close()
    # Let the reads the close ended deliver their StreamError before the loop stops:
    # a thread waiting on one must not wait forever.
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if others:
        await asyncio.wait(others, timeout=5)


async def _close_client_and_stop(client: LlmClient) -> None:
    try:
        await _close_client(client)
    finally:
        asyncio.get_running_loop().stop()


def _close_dropped(runner: _LoopThread, client: LlmClient) -> None:
    """A ``SyncLlmClient`` was garbage-collected (or the interpreter exits) unclosed: close
    its client, then stop its loop, whose thread then ends. Never blocks, never raises: it
    may run in any thread, the loop's own among them."""
    try:
        if runner.loop.is_closed():
            return
        if runner.in_thread():
            runner.loop.create_task(_close_client_and_stop(client))
        else:
            runner.submit(_close_client_and_stop(client))
    except Exception:
        pass  # the loop stopped meanwhile; its thread closes it


async def _next_batch(stream: ChatStream) -> list[ChatCompletionChunk]:
    """The next chunk, and every chunk after it that needs no more reading."""
    batch = [await stream.__anext__()]
    # NOTE: ChatStream builds one chunk per __anext__ from the events already decoded; while
    # such events remain, __anext__ completes without waiting for the network.
    while len(batch) < _MAX_BATCH and stream._pos < len(stream._events):
        try:
            batch.append(await stream.__anext__())
        except (StopAsyncIteration, Exception):
            break  # delivered by the next call, after this batch
    return batch


class SyncChatStream:
    """The chunks of one streamed reply, as a plain iterator and context manager."""

    def __init__(self, stream: ChatStream, runner: _LoopThread) -> None:
        self._stream = stream
        self._runner = runner
        self._batch: list[ChatCompletionChunk] = []
        self._position = 0
        self._dropped = 0  # read in a batch but never yielded: the stream was closed first
        self._closed = False

    @property
    def provider(self) -> str:
        return self._stream.provider

    @property
    def model(self) -> str:
        return self._stream.model

    @property
    def request_id(self) -> str | None:
        return self._stream.request_id

    @property
    def chunks_received(self) -> int:
        """How many chunks this iterator has yielded."""
        # The batch being handed over was counted by the stream when it was read.
        unseen = len(self._batch) - self._position + self._dropped
        return self._stream.chunks_received - unseen

    @property
    def stats(self) -> StreamStats:
        """As ``ChatStream.stats``."""
        return self._stream.stats

    @property
    def accumulated(self) -> ChatCompletion:
        """The ``ChatCompletion`` the chunks read so far add up to.

        Exact after the ``for`` loop, after ``final()`` and in a ``StreamError``. Inside the
        loop it can run ahead by the chunks of the current network read not yet yielded
        (they are handed over in batches, one per read: see the module's docs).
        """
        return self._stream.accumulated

    def final(self) -> ChatCompletion:
        """Read the rest of the stream; the whole ``ChatCompletion``.

        Raises what iterating would (a ``StreamError`` carries ``accumulated`` too).
        """
        for _chunk in self:
            pass
        return self._stream._completion(final=True)

    def __repr__(self) -> str:
        return repr(self._stream).replace("<ChatStream", "<SyncChatStream", 1)

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self

    def __next__(self) -> ChatCompletionChunk:
        if self._position < len(self._batch):
            chunk = self._batch[self._position]
            self._position += 1
            return chunk
        if self._closed:
            raise StopIteration
        try:
            self._batch = self._runner.call(_next_batch(self._stream))
        except StopAsyncIteration:
            self._closed = True
            raise StopIteration from None
        except BaseException:
            # The stream closed its connection itself on the way out (error or cancel).
            self._closed = True
            self._batch, self._position = [], 0
            raise
        self._position = 1
        return self._batch[0]

    def close(self) -> None:
        """Stop reading and close the connection now."""
        if not self._closed:
            self._closed = True
            self._dropped = len(self._batch) - self._position
            self._batch, self._position = [], 0
            self._runner.call(self._stream.aclose())

    def __enter__(self) -> SyncChatStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A `break` out of `for chunk in client.chat_stream(...)` drops the last reference.
        if not getattr(self, "_closed", True):
            try:
                self._runner.submit(self._stream.aclose())
                self._closed = True
            except Exception:
                pass  # the client's loop is gone; nothing is left to close


class SyncLlmClient:
    """``LlmClient`` for synchronous code: the same arguments (``SyncClientOptions``) and the
    same methods, each returning what the async one's awaitable would.

    ``session=`` is the one argument left out: an aiohttp session belongs to the event loop
    it was made on, and this client runs its own loop in a thread of its own. A
    ``transport=`` is used on that thread.
    """

    def __init__(
        self,
        api_key: str | Mapping[str, str] | None = None,
        **options: Unpack[SyncClientOptions],
    ) -> None:
        if "session" in options:
            raise ConfigurationError("SyncLlmClient makes its own session on its own loop")
        self._runner = _LoopThread()
        try:
            self._client = self._runner.call(self._build(api_key, options))
        except BaseException:
            self._runner.stop()
            raise
        # A client dropped without close() must not keep its thread, loop and sockets.
        self._finalizer = weakref.finalize(self, _close_dropped, self._runner, self._client)

    @staticmethod
    async def _build(api_key: Any, options: SyncClientOptions) -> LlmClient:
        return LlmClient(api_key, **options)

    def __repr__(self) -> str:
        return repr(self._client).replace("LlmClient(", "SyncLlmClient(", 1)

    @property
    def spent(self) -> float:
        """As ``LlmClient.spent``."""
        return self._client.spent

    def chat_stream(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        **params: Unpack[ChatParams],
    ) -> SyncChatStream:
        """As ``LlmClient.chat_stream``; returns a plain iterator of chunks."""
        stream = self._runner.call(self._client.chat_stream(model, messages, **params))
        return SyncChatStream(stream, self._runner)

    def chat(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        **params: Unpack[ChatParams],
    ) -> ChatCompletion:
        """As ``LlmClient.chat``."""
        return self._runner.call(self._client.chat(model, messages, **params))

    def close(self) -> None:
        """Close the client (its open streams end with a ``StreamError``) and its thread."""
        self._finalizer.detach()
        if self._runner.loop.is_closed():
            return
        self._runner.call(_close_client(self._client))
        self._runner.stop()

    def __enter__(self) -> SyncLlmClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
