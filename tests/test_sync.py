"""SyncLlmClient: the client behaviour tests that apply, from synchronous code."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from literllm import (
    AuthenticationError,
    LiterLlmError,
    StreamError,
    StreamTruncatedError,
    SyncLlmClient,
)
from literllm.testing import Fault, LocalProvider

KEY = "sk-sync-test"
MESSAGES = [{"role": "user", "content": "Hello"}]


class ThreadedProvider:
    """A LocalProvider on an event loop in another thread (the caller here blocks)."""

    def __init__(self) -> None:
        self.server: LocalProvider | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            async with LocalProvider(api_key=KEY, pieces=(64, 256)) as server:
                self.server = server
                self._ready.set()
                await self._stop.wait()

        asyncio.run(main())

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture(scope="module")
def provider() -> Iterator[ThreadedProvider]:
    threaded = ThreadedProvider()
    yield threaded
    threaded.stop()


@pytest.fixture
def server(provider: ThreadedProvider) -> LocalProvider:
    assert provider.server is not None
    server = provider.server
    server.fault = None
    server.disconnects = 0
    return server


def wait_for(condition: Any, seconds: float = 3) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_streams_in_full_and_chat(server: LocalProvider) -> None:
    with SyncLlmClient(api_key=KEY, base_url=server.base_url) as client:
        with client.chat_stream("openai/gpt-4o", MESSAGES) as stream:
            chunks = list(stream)
        reply = client.chat("openai/gpt-4o", MESSAGES)
    assert len(chunks) == 50
    assert reply.choices[0].message.content == "".join(
        c.choices[0].delta.content or "" for c in chunks if c.choices
    )


def test_break_closes_the_connection(server: LocalProvider) -> None:
    server.fault = Fault(stall_after_events=10)
    with SyncLlmClient(api_key=KEY, base_url=server.base_url) as client:
        for number, _chunk in enumerate(client.chat_stream("openai/gpt-4o", MESSAGES)):
            if number == 3:
                break
        wait_for(lambda: server.disconnects == 1)
        stream = client.chat_stream("openai/gpt-4o", MESSAGES)
        next(stream)
        stream.close()
        wait_for(lambda: server.disconnects == 2)


def test_errors_are_typed_the_same(server: LocalProvider) -> None:
    with (
        SyncLlmClient(api_key="wrong", base_url=server.base_url, max_retries=0) as client,
        pytest.raises(AuthenticationError),
    ):
        client.chat_stream("openai/gpt-4o", MESSAGES)
    server.fault = Fault(cut_after_events=10)
    received = []
    with (
        SyncLlmClient(api_key=KEY, base_url=server.base_url) as client,
        pytest.raises(StreamTruncatedError) as info,
    ):
        for chunk in client.chat_stream("openai/gpt-4o", MESSAGES):
            received.append(chunk)
    assert info.value.chunks_received == len(received) == 10


def test_closing_the_client_ends_its_streams(server: LocalProvider) -> None:
    server.fault = Fault(stall_after_events=5)
    client = SyncLlmClient(api_key=KEY, base_url=server.base_url)
    stream = client.chat_stream("openai/gpt-4o", MESSAGES)
    for _ in range(5):
        next(stream)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _chunk in stream:
                pass
        except LiterLlmError as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.1)
    client.close()
    reader.join(3)
    assert not reader.is_alive()
    assert errors and isinstance(errors[0], StreamError)


async def test_works_inside_a_running_event_loop(server: LocalProvider) -> None:
    with SyncLlmClient(api_key=KEY, base_url=server.base_url) as client:
        chunks = list(client.chat_stream("openai/gpt-4o", MESSAGES))
    assert len(chunks) == 50


def test_the_sync_stream_has_the_async_ones_state() -> None:
    from literllm.testing import ReplayTransport, ScriptedReply

    reply = ScriptedReply(text=[f"w{i} " for i in range(40)], prompt_tokens=3,
                          completion_tokens=40)
    # Small pieces: several network reads, so batches are handed over mid-stream.
    transport = ReplayTransport([reply, reply, Fault(cut_after_events=12)], pieces=(200, 400))
    with SyncLlmClient(api_key=KEY, transport=transport) as client:
        with client.chat_stream("openai/gpt-4o", MESSAGES) as stream:
            for seen, _chunk in enumerate(stream, start=1):
                assert stream.chunks_received == seen  # what this iterator yielded
        whole = stream.accumulated
        assert whole.choices[0].message.content == "".join(reply.text)
        assert whole.usage is not None and whole.usage.completion_tokens == 40
        final = client.chat_stream("openai/gpt-4o", MESSAGES).final()
        assert final == whole
        stream = client.chat_stream("openai/gpt-4o", MESSAGES)
        with pytest.raises(StreamTruncatedError) as info:
            stream.final()
        assert info.value.accumulated is not None
        assert info.value.accumulated == stream.accumulated
        assert info.value.chunks_received == stream.chunks_received > 0


def test_every_async_argument_and_method_has_its_sync_twin() -> None:
    import inspect

    from literllm import ChatStream, LlmClient, SyncChatStream
    from literllm.sync import SyncClientOptions

    async_arguments = set(inspect.signature(LlmClient).parameters) - {"api_key"}
    # session= is the one left out, and the SyncLlmClient docstring says why.
    assert set(SyncClientOptions.__annotations__) == async_arguments - {"session"}
    assert "session=" in (SyncLlmClient.__doc__ or "")
    twins = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__",
             "__aiter__": "__iter__", "__anext__": "__next__"}
    for cls, sync_cls in ((LlmClient, SyncLlmClient), (ChatStream, SyncChatStream)):
        public = {name for name in dir(cls) if not name.startswith("_") or name in twins}
        for name in public:
            assert hasattr(sync_cls, twins.get(name, name)), f"{sync_cls.__name__}.{name}"


def test_a_stream_closed_mid_batch_counts_what_it_yielded() -> None:
    from literllm.testing import ReplayTransport, ScriptedReply

    reply = ScriptedReply(text=[f"w{i} " for i in range(40)])
    with SyncLlmClient(api_key=KEY, transport=ReplayTransport(reply)) as client:
        stream = client.chat_stream("openai/gpt-4o", MESSAGES)
        next(stream), next(stream)
        stream.close()
        assert stream.chunks_received == 2
        assert list(stream) == []
