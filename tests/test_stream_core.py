"""``ChatStream.__anext__`` (``StreamCore``, both twins): what it returns behaves as the
coroutine it used to be. Nothing runs before it is awaited; a task cancelled before it started
takes no chunk; it is awaited once; ``anext``, ``send``, ``throw`` and ``close`` work as on a
coroutine; and errors raised from the decoded events carry what was received."""

from __future__ import annotations

import asyncio
import collections.abc
import inspect
from typing import Any

import pytest
from conftest import _TWIN_PARAMS, _twin

from literllm import ChatStream, LlmClient, MalformedChunkError
from literllm._parsers import IMPLEMENTATION
from literllm.testing import Fault, LocalProvider, ScriptedReply

KEY = "sk-stream-core-secret"
MESSAGES = [{"role": "user", "content": "hi"}]
PIECES = [f"piece {n} " for n in range(40)]


def _text(chunks: list) -> str:  # type: ignore[type-arg]
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    # One body in one write: after the first read every chunk comes from decoded events.
    reply = ScriptedReply(text=PIECES)
    async with (
        LocalProvider(api_key=KEY, reply=reply, pieces=(1 << 20, 1 << 20)) as server,
        LlmClient(api_key=KEY, base_url=server.base_url, max_retries=0) as client,
    ):
        client.server = server  # type: ignore[attr-defined]
        yield client


async def _started(client: LlmClient) -> tuple[ChatStream, list]:  # type: ignore[type-arg]
    """A stream past its first content (the decoded events' path from here on)."""
    stream = await client.chat_stream("openai/m", MESSAGES)
    received = []
    while not _text(received):
        received.append(await stream.__anext__())
    return stream, received


def test_the_twin_under_test() -> None:
    from literllm._stream import StreamCore

    assert StreamCore.__module__ == f"literllm._stream_core_{IMPLEMENTATION}"
    assert issubclass(ChatStream, StreamCore)


async def test_nothing_happens_before_the_step_is_awaited(client: LlmClient) -> None:
    stream, received = await _started(client)
    count = stream.chunks_received
    steps = [stream.__anext__() for _ in range(3)]
    assert stream.chunks_received == count
    for step in steps:
        assert isinstance(step, collections.abc.Coroutine)
        assert inspect.isawaitable(step)
        step.close()  # never awaited: closing it uses nothing
    assert stream.chunks_received == count
    rest = [chunk async for chunk in stream]
    assert _text(received + rest) == "".join(PIECES)
    assert stream.chunks_received == len(received) + len(rest)


async def test_a_task_cancelled_before_it_ran_takes_no_chunk(client: LlmClient) -> None:
    stream, received = await _started(client)
    count = stream.chunks_received
    task = asyncio.create_task(stream.__anext__())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stream.chunks_received == count
    task = asyncio.ensure_future(anext(stream))
    received.append(await task)
    received.extend([chunk async for chunk in stream])
    assert _text(received) == "".join(PIECES)


async def test_a_step_is_awaited_once(client: LlmClient) -> None:
    stream, _received = await _started(client)
    step = stream.__anext__()
    first = await step
    assert first.choices[0].delta.content
    with pytest.raises(RuntimeError, match="already awaited"):
        await step
    await stream.aclose()


async def test_send_returns_through_stop_iteration(client: LlmClient) -> None:
    stream, received = await _started(client)
    step = stream.__anext__()
    with pytest.raises(StopIteration) as info:
        step.send(None)
    chunk = info.value.value
    delivered = [c for c in received if c.choices and c.choices[0].delta.content]
    assert chunk.choices[0].delta.content == PIECES[len(delivered)]
    assert stream.chunks_received == len(received) + 1
    await stream.aclose()


async def test_throw_before_the_first_send_raises_it_and_takes_nothing(
    client: LlmClient,
) -> None:
    stream, received = await _started(client)
    count = stream.chunks_received
    step = stream.__anext__()
    with pytest.raises(KeyError, match="thrown"):
        step.throw(KeyError("thrown"))
    step = stream.__anext__()
    with pytest.raises(ValueError, match="as a class"):
        step.throw(ValueError, "as a class")
    assert stream.chunks_received == count
    received.extend([chunk async for chunk in stream])
    assert _text(received) == "".join(PIECES)


async def test_a_step_that_waits_for_the_network_passes_throw_and_close_on() -> None:
    """A step that ran out of decoded events is the slow path's coroutine: cancelling it while
    it waits for bytes closes the connection; closing it is safe."""
    reply = ScriptedReply(text=["a", "b", "c"])
    async with (
        LocalProvider(api_key=KEY, reply=reply, fault=Fault(stall_after_events=2)) as server,
        LlmClient(api_key=KEY, base_url=server.base_url, max_retries=0) as client,
    ):
        stream, received = await _started(client)
        assert _text(received) == "a"
        step = stream.__anext__()
        task = asyncio.ensure_future(step)
        await asyncio.sleep(0.05)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(RuntimeError):
            step.send(None)  # the coroutine it passed on to is finished
        step.close()
        await asyncio.wait_for(server.disconnected.wait(), 5)


async def test_anext_with_a_default_reads_to_the_end(client: LlmClient) -> None:
    stream = await client.chat_stream("openai/m", MESSAGES)
    end = object()
    received = []
    while (chunk := await anext(stream, end)) is not end:
        received.append(chunk)
    assert _text(received) == "".join(PIECES)
    assert await anext(stream, end) is end


async def test_a_malformed_event_after_content_says_what_was_received() -> None:
    async with (
        LocalProvider(api_key=KEY, reply=ScriptedReply(text=PIECES),
                      pieces=(1 << 20, 1 << 20)) as server,
        LlmClient(api_key=KEY, base_url=server.base_url, max_retries=0) as client,
    ):
        server.fault = Fault(malformed_at=20)
        stream = await client.chat_stream("openai/m", MESSAGES)
        received = []
        with pytest.raises(MalformedChunkError) as info:
            async for chunk in stream:
                received.append(chunk)
        error = info.value
        assert error.chunks_received == len(received) == stream.chunks_received
        assert error.text == _text(received) and error.text
        assert error.accumulated.choices[0].message.content == error.text
        assert "after" in error.message and str(len(received)) in error.message
        with pytest.raises(MalformedChunkError):
            await stream.__anext__()  # the same error again, not a chunk


def test_a_subclass_keeps_the_core_anext_and_one_that_defines_its_own_is_refused() -> None:
    from literllm._stream import StreamCore, inherit_anext

    assert "__anext__" not in ChatStream.__dict__
    assert ChatStream.__anext__ is StreamCore.__anext__

    class Own(ChatStream):
        async def __anext__(self):  # type: ignore[no-untyped-def, override]
            return None

    with pytest.raises(TypeError, match="defines __anext__ itself"):
        inherit_anext(Own)


async def test_a_step_still_held_is_never_handed_out_again(client: LlmClient) -> None:
    """The compiled twin reuses a finished step that nothing else holds: one still held (by
    the caller here) must not come back from __anext__, nor be awaitable again."""
    stream, received = await _started(client)
    held = stream.__anext__()
    received.append(await held)
    steps = []
    for _ in range(3):
        step = stream.__anext__()
        assert step is not held and all(step is not other for other in steps)
        received.append(await step)
        steps.append(step)
    with pytest.raises(RuntimeError, match="already awaited"):
        await held
    for step in steps:
        with pytest.raises(RuntimeError, match="already awaited"):
            await step
    del steps
    received.extend([chunk async for chunk in stream])
    assert _text(received) == "".join(PIECES)


@pytest.mark.skipif(IMPLEMENTATION != "c", reason="the py twin's __anext__ is a coroutine")
async def test_the_compiled_twin_reuses_a_step_nothing_else_holds(client: LlmClient) -> None:
    stream, _received = await _started(client)
    step = stream.__anext__()
    await step
    first = id(step)
    del step  # the stream keeps it as its spare: the id stays taken
    again = stream.__anext__()
    assert id(again) == first
    await again
    await stream.aclose()


class _Counting:
    """A Python adapter around another: the core must call its ``on_event``, whatever it
    wraps (a compiled twin's C method would skip the count)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def on_event(self, event: Any) -> Any:
        self.calls += 1
        return self.inner.on_event(event)


def _drive(core_type: type, adapter: Any, accumulator: Any, events: list[Any]) -> list[Any]:
    class Core(core_type):  # type: ignore[misc, valid-type]
        def _no_chunk(self) -> None:
            pass

        def _broken_event(self, exc: Exception) -> Exception:
            error = RuntimeError(f"broken after {self._received}")
            error.__cause__ = exc
            return error

        def _refused_chunk(self, exc: Exception, event: Any) -> Exception:
            error = RuntimeError("refused")
            error.__cause__ = exc
            return error

    core = Core()
    core._events, core._pos, core._received, core._first_pending = events, 0, 0, False
    core._use(adapter, accumulator)
    chunks = []
    while (chunk := core._next_decoded()) is not None:
        chunks.append(chunk)
    assert core._received == len(chunks)
    return chunks


@pytest.mark.parametrize("core_twin", _TWIN_PARAMS)
@pytest.mark.parametrize("adapter_twin", _TWIN_PARAMS)
@pytest.mark.parametrize("wrapped", [False, True], ids=["direct", "python-wrapper"])
def test_every_core_and_adapter_pair_builds_and_merges_the_same_chunks(
    core_twin: str, adapter_twin: str, wrapped: bool, pytestconfig: pytest.Config
) -> None:
    """``_use`` takes the compiled adapter and accumulator's C methods when it has them and
    ``on_event``/``add`` otherwise; the chunks, the merged reply and the errors are the same
    either way."""
    from literllm._accumulate import StreamAccumulator
    from literllm._accumulate_py import StreamAccumulator as PyAccumulator
    from literllm.testing import WIRE_FORMATS

    core_type = _twin("stream_core", core_twin, pytestconfig, package="").StreamCore
    adapter_type = _twin("anthropic_stream", adapter_twin, pytestconfig,
                         package="providers").AnthropicStream
    body = WIRE_FORMATS["anthropic"].stream_body(ScriptedReply(text=PIECES, model="m"))
    for accumulator in (StreamAccumulator(), PyAccumulator()):
        inner = adapter_type("m")
        events = list(inner.feed(body))
        adapter = _Counting(inner) if wrapped else inner
        chunks = _drive(core_type, adapter, accumulator, events)
        assert _text(chunks) == "".join(PIECES)
        assert accumulator.completion().choices[0].message.content == "".join(PIECES)
        assert accumulator.chunks == len(chunks)
        if wrapped:
            assert adapter.calls == len(events)

    # A broken event after content: the adapter's error, passed to _broken_event.
    broken = [*events[:4], (b"content_block_delta", b'{"type": "content_block_delta", ')]
    with pytest.raises(RuntimeError, match="broken after") as info:
        _drive(core_type, adapter_type("m"), StreamAccumulator(), broken)
    assert isinstance(info.value.__cause__, MalformedChunkError)
