"""LlmClient end to end against the local provider server on 127.0.0.1 (no patched sessions)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import accumulate, conformance

import literllm
from literllm import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChatCompletionChunk,
    ConfigurationError,
    LiterLlmError,
    LlmClient,
    MalformedChunkError,
    MissingApiKeyError,
    NotFoundError,
    ProviderNotSupportedError,
    ProviderStreamError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    StreamError,
    StreamTruncatedError,
    Timeout,
    UnknownProviderError,
    UnroutableModelError,
)
from literllm.testing import Fault, LocalProvider, openai_chunk_objects, sse_body

KEY = "sk-test-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.fixture
async def server() -> AsyncIterator[LocalProvider]:
    async with LocalProvider(api_key=KEY) as provider:
        yield provider


@pytest.fixture
async def client(server: LocalProvider) -> AsyncIterator[LlmClient]:
    async with LlmClient(api_key=KEY, base_url=server.base_url, max_retries=2) as llm:
        yield llm


async def collect(stream: literllm.ChatStream) -> list[ChatCompletionChunk]:
    return [chunk async for chunk in stream]


# --- recorded streams, byte for byte --------------------------------------------------------


def _recordings() -> list[Any]:
    try:
        folder = conformance("providers")
    except pytest.skip.Exception as exc:
        return [pytest.param(None, id="conformance-missing", marks=pytest.mark.skip(str(exc)))]
    files = sorted((folder / "openai").glob("*.sse")) + sorted((folder / "mistral").glob("*.sse"))
    return [pytest.param(path, id=f"{path.parent.name}/{path.stem}") for path in files]


@pytest.mark.parametrize("recording", _recordings())
@pytest.mark.parametrize("pieces", [(1, 1), (1, 17), (200, 700), (16 * 1024, 16 * 1024)],
                         ids=["bytewise", "1-17", "200-700", "whole"])
async def test_recorded_streams(recording: Path, pieces: tuple[int, int]) -> None:
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    body = recording.read_bytes()
    async with LocalProvider(api_key=KEY, body=body, pieces=pieces) as server:
        client = LlmClient(api_key=KEY, base_url=server.base_url)
        try:
            chunks = await collect(await client.chat_stream("openai/gpt-4o-mini", MESSAGES))
        finally:
            await client.close()
    got = accumulate(chunks)
    assert got["content"] == expected["content"]
    assert got["finish_reason"] == expected["finish_reason"]
    assert got["usage"] == expected["usage"]
    assert got["tool_calls"] == expected["tool_calls"]
    if expected["reasoning"] is not None:
        assert got["reasoning"] == expected["reasoning"]
    assert chunks[0].id == expected["id"]
    assert chunks[0].model == expected["model"]
    # Fields this library does not name are kept.
    if b'"service_tier"' in body:
        assert "service_tier" in chunks[0].extra


async def test_own_script_streams_in_full(server: LocalProvider, client: LlmClient) -> None:
    script = list(openai_chunk_objects(300, seed=3))
    server.body = sse_body(script)
    stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
    chunks = await collect(stream)
    assert len(chunks) == 300
    assert stream.chunks_received == 300
    expected_text = "".join(
        c["choices"][0]["delta"].get("content") or "" for c in script if c["choices"]
    )
    got = accumulate(chunks)
    assert got["content"] == expected_text
    assert got["finish_reason"] == "stop"
    assert got["usage"] == {"prompt_tokens": 78, "completion_tokens": 297, "total_tokens": 375}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert stream.request_id and stream.request_id.startswith("req_")
    assert stream.provider == "openai"
    assert stream.model == "gpt-4o"


async def test_request_wire_format(server: LocalProvider, client: LlmClient) -> None:
    await collect(
        await client.chat_stream(
            "openai/gpt-4o",
            MESSAGES,
            temperature=0.2,
            max_tokens=50,
            stop=["\n"],
            seed=7,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
            extra_body={"custom": True},
            extra_headers={"X-Trace": "abc"},
        )
    )
    request = server.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.json == {
        "model": "gpt-4o",
        "messages": MESSAGES,
        "temperature": 0.2,
        "max_tokens": 50,
        "stop": ["\n"],
        "seed": 7,
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "custom": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["X-Trace"] == "abc"
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["User-Agent"].startswith("literllm/")


async def test_chat_non_streaming(server: LocalProvider, client: LlmClient) -> None:
    reply = await client.chat("openai/gpt-4o", MESSAGES)
    script = [c for c in openai_chunk_objects(50) if c["choices"]]
    expected = "".join(c["choices"][0]["delta"].get("content") or "" for c in script)
    assert reply.choices[0].message.content == expected
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.total_tokens == 125
    assert "stream" not in server.requests[-1].json
    assert server.requests[-1].headers["Accept"] == "application/json"


# --- errors before the first chunk ----------------------------------------------------------


async def test_wrong_key_is_authentication_error(server: LocalProvider) -> None:
    async with LlmClient(api_key="sk-wrong-secret-key", base_url=server.base_url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    error = info.value
    assert error.status_code == 401
    assert error.provider == "openai"
    assert error.request_id is not None
    assert "Incorrect API key" in str(error)
    assert error.body["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-secret-key" not in str(error) + repr(error)
    assert len(server.requests) == 1  # 401 is not retried


@pytest.mark.parametrize(
    ("status", "cls", "retried"),
    [
        (400, BadRequestError, False),
        (404, NotFoundError, False),
        (422, BadRequestError, False),
        (429, RateLimitError, True),
        (500, ServerError, True),
        (503, ServiceUnavailableError, True),
        (529, ServiceUnavailableError, True),
    ],
)
async def test_status_families(
    server: LocalProvider, client: LlmClient, status: int, cls: type[APIError], retried: bool
) -> None:
    server.fault = Fault(status=status, body={"error": {"message": f"nope {status}"}},
                         retry_after="0")
    with pytest.raises(cls) as info:
        await client.chat_stream("openai/gpt-4o", MESSAGES)
    assert info.value.status_code == status
    assert f"nope {status}" in str(info.value)
    assert len(server.requests) == (3 if retried else 1)


async def test_retry_then_success(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(status=429, body={"error": {"message": "slow down"}}, retry_after="0",
                         times=2)
    chunks = await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
    assert len(chunks) == 50
    assert len(server.requests) == 3


async def test_rate_limit_retry_after_is_parsed(server: LocalProvider) -> None:
    server.fault = Fault(status=429, body="busy", retry_after="12")
    async with LlmClient(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    assert info.value.retry_after == 12.0
    assert info.value.body == "busy"


async def test_redirect_is_not_followed(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(status=307, body="moved")
    with pytest.raises(APIError) as info:
        await client.chat_stream("openai/gpt-4o", MESSAGES)
    assert info.value.status_code == 307
    assert len(server.requests) == 1


async def test_wrong_content_type_quotes_body(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(content_type="text/html", body="<html>" + "x" * 2000 + "</html>")
    with pytest.raises(APIError) as info:
        await client.chat_stream("openai/gpt-4o", MESSAGES)
    message = str(info.value)
    assert "expected text/event-stream, got text/html" in message
    assert "<html>xxx" in message
    assert len(info.value.body) == 512 + 3  # 512 bytes quoted, then "..."


async def test_connection_refused() -> None:
    async with LocalProvider(api_key=KEY) as server:
        base_url = server.base_url
    async with LlmClient(api_key=KEY, base_url=base_url, max_retries=1) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    assert not isinstance(info.value, StreamError)
    assert isinstance(info.value.__cause__, aiohttp.ClientError)


async def test_no_response_headers_times_out(server: LocalProvider) -> None:
    release = asyncio.Event()

    async def hang(request: aiohttp.web.Request) -> aiohttp.web.Response:
        await release.wait()
        return aiohttp.web.Response()

    app = aiohttp.web.Application()
    app.router.add_post("/v1/chat/completions", hang)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with LlmClient(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1",
                             timeout=0.3, max_retries=0) as client:
            with pytest.raises(APITimeoutError):
                await client.chat_stream("openai/gpt-4o", MESSAGES)
    finally:
        release.set()
        await runner.cleanup()


# --- errors from the iterator ---------------------------------------------------------------


def _text_of_first(n: int) -> str:
    chunks = list(openai_chunk_objects(50))[:n]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


async def test_cut_after_events(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(cut_after_events=10)
    stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
    received = []
    with pytest.raises(StreamTruncatedError) as info:
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 10
    error = info.value
    assert error.chunks_received == 10
    assert error.text == _text_of_first(10)
    assert isinstance(error.__cause__, aiohttp.ClientPayloadError)
    # Our words, not aiohttp's ("TransferEncodingError: 400, message='Not enough data...'").
    message = str(error)
    assert message.startswith("the connection closed after ")
    assert "bytes" in message and "before data: [DONE]" in message
    assert "after 10 chunks" in message
    for aiohttp_wording in ("TransferEncodingError", "400", "Not enough data", "ClientPayload"):
        assert aiohttp_wording not in message
    with pytest.raises(StreamTruncatedError):  # the stream stays failed
        await stream.__anext__()


async def test_cut_mid_event(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(cut_mid_event=5)
    received = []
    with pytest.raises(StreamTruncatedError) as info:
        async for chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
            received.append(chunk)
    assert len(received) == 5 == info.value.chunks_received
    message = str(info.value)
    assert message.startswith("the connection closed after ")
    assert "inside an unfinished event" in message
    assert "TransferEncodingError" not in message and "400" not in message


async def test_clean_end_without_done_or_finish(server: LocalProvider, client: LlmClient) -> None:
    script = list(openai_chunk_objects(50))[:20]  # no finish_reason anywhere
    server.body = sse_body(script, done=False)
    with pytest.raises(StreamTruncatedError, match="before data: \\[DONE\\]") as info:
        await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
    assert info.value.chunks_received == 20
    assert info.value.__cause__ is None


async def test_end_without_done_after_finish_is_accepted(
    server: LocalProvider, client: LlmClient
) -> None:
    server.fault = Fault(no_done=True)
    chunks = await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
    assert len(chunks) == 50
    assert accumulate(chunks)["finish_reason"] == "stop"


async def test_malformed_json(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(malformed_at=7)
    received = []
    with pytest.raises(MalformedChunkError) as info:
        async for chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
            received.append(chunk)
    assert len(received) == 7
    assert info.value.raw.startswith(b'{"id": "broken"')
    assert info.value.text == _text_of_first(7)


async def test_malformed_chunk_quotes_a_bounded_prefix(
    server: LocalProvider, client: LlmClient
) -> None:
    huge = b'data: {"id": "x", "choices": [' + b"1," * 500_000 + b"\n\n"
    server.body = sse_body(list(openai_chunk_objects(50))[:3], done=False) + huge
    with pytest.raises(MalformedChunkError) as info:
        await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
    message = str(info.value)
    assert len(message) < 600, len(message)
    assert '{"id": "x", "choices": [1,1,' in message and "..." in message
    assert info.value.raw.startswith(b'{"id": "x"') and len(info.value.raw) > 1_000_000
    assert info.value.chunks_received == 3


async def test_closing_the_client_ends_a_stream_being_read(server: LocalProvider) -> None:
    server.fault = Fault(stall_after_events=5)
    client = LlmClient(api_key=KEY, base_url=server.base_url)
    stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
    received: list[ChatCompletionChunk] = []

    async def read() -> None:
        async for chunk in stream:
            received.append(chunk)

    reader = asyncio.create_task(read())
    while len(received) < 5:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the reader is now waiting on the stalled socket
    started = asyncio.get_running_loop().time()
    await client.close()
    with pytest.raises(StreamError, match="LlmClient was closed") as info:
        await asyncio.wait_for(reader, 2)
    assert asyncio.get_running_loop().time() - started < 1
    assert not isinstance(info.value, RuntimeError)
    assert info.value.chunks_received == 5
    await asyncio.wait_for(server.disconnected.wait(), 2)


async def test_closing_the_client_between_chunks(server: LocalProvider) -> None:
    client = LlmClient(api_key=KEY, base_url=server.base_url)
    stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
    first = await stream.__anext__()
    await client.close()
    with pytest.raises(StreamError, match="LlmClient was closed") as info:
        async for _chunk in stream:
            pass
    assert first.choices and info.value.chunks_received >= 1


@pytest.mark.parametrize(
    ("error_object", "families"),
    [
        ({"message": "boom", "type": "server_error"}, (ServerError,)),
        ({"message": "slow", "type": "rate_limit_exceeded"}, (RateLimitError,)),
        ({"message": "busy", "code": 503}, (ServiceUnavailableError,)),
        ({"message": "odd"}, ()),
    ],
)
async def test_error_object_mid_stream(
    server: LocalProvider, client: LlmClient, error_object: dict[str, Any], families: tuple[type, ...]
) -> None:
    server.fault = Fault(error_at=4, error_object=error_object)
    received = []
    with pytest.raises(ProviderStreamError) as info:
        async for chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
            received.append(chunk)
    assert len(received) == 4
    assert isinstance(info.value, StreamError)
    for family in families:
        assert isinstance(info.value, family)
    assert error_object["message"] in str(info.value)
    assert info.value.body == error_object


async def test_idle_timeout_mid_stream(server: LocalProvider) -> None:
    server.fault = Fault(stall_after_events=3)
    async with LlmClient(api_key=KEY, base_url=server.base_url,
                         timeout=Timeout(connect=5, idle=0.3)) as client:
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        received = []
        with pytest.raises(APITimeoutError) as info:
            async for chunk in stream:
                received.append(chunk)
    assert len(received) == 3
    assert isinstance(info.value, StreamError)
    assert info.value.chunks_received == 3
    assert info.value.timeout_kind == "idle"
    await asyncio.wait_for(server.disconnected.wait(), 2)


async def test_total_timeout_mid_stream(server: LocalProvider) -> None:
    server.fault = Fault(stall_after_events=3, ping_while_stalled=0.05)
    async with LlmClient(api_key=KEY, base_url=server.base_url,
                         timeout=Timeout(connect=5, idle=30, total=0.5)) as client:
        received = []
        with pytest.raises(APITimeoutError) as info:
            async for chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
                received.append(chunk)
    assert len(received) == 3
    assert isinstance(info.value, StreamError)
    assert info.value.timeout_kind == "total"


async def test_pings_do_not_reset_idle_timeout(server: LocalProvider) -> None:
    server.fault = Fault(stall_after_events=2, ping_while_stalled=0.05)
    async with LlmClient(api_key=KEY, base_url=server.base_url,
                         timeout=Timeout(connect=5, idle=0.4)) as client:
        with pytest.raises(APITimeoutError):
            await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))


async def test_slow_consumer_is_not_an_idle_timeout(server: LocalProvider) -> None:
    async with LlmClient(api_key=KEY, base_url=server.base_url,
                         timeout=Timeout(connect=5, idle=0.2)) as client:
        count = 0
        async for _chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
            count += 1
            if count in (2, 30):
                await asyncio.sleep(0.35)
    assert count == 50


# --- closing ------------------------------------------------------------------------------


async def test_break_closes_connection_at_once(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(stall_after_events=5)
    async for chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
        assert chunk.choices
        break
    await asyncio.wait_for(server.disconnected.wait(), 2)
    assert server.disconnects == 1


async def test_aclose_and_context_manager_close(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(stall_after_events=5)
    stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
    await stream.__anext__()
    await stream.aclose()
    await asyncio.wait_for(server.disconnected.wait(), 2)
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    server.disconnected.clear()
    async with await client.chat_stream("openai/gpt-4o", MESSAGES) as stream:
        await stream.__anext__()
    await asyncio.wait_for(server.disconnected.wait(), 2)
    assert server.disconnects == 2


async def test_cancelling_the_task_closes(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(stall_after_events=2)
    started = asyncio.Event()
    holder: list[Any] = []

    async def consume() -> None:
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        holder.append(stream)  # kept alive: only cancellation may close it
        async for _chunk in stream:
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(server.disconnected.wait(), 2)


async def test_completed_stream_reuses_connection(server: LocalProvider, client: LlmClient) -> None:
    for _ in range(3):
        await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
    assert server.disconnects == 0
    assert server.completed == 3


async def test_200_concurrent_streams_do_not_queue(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(stall_after_events=1, stall_seconds=1.5)

    async def one() -> int:
        return len(await collect(await client.chat_stream("openai/gpt-4o", MESSAGES)))

    counts = await asyncio.gather(*(one() for _ in range(200)))
    assert counts == [50] * 200
    assert server.max_active == 200


# --- routing, keys, secrets ---------------------------------------------------------------


def test_routing() -> None:
    from literllm.providers import resolve_model

    assert [(p.name, m) for p, m in [
        resolve_model("openai/gpt-4o"),
        resolve_model("groq/llama-3.1-70b"),
        resolve_model("openrouter/anthropic/claude-3.5"),
        resolve_model("gpt-4o-mini"),
        resolve_model("o3-mini"),
        resolve_model("mistral-large-latest"),
        resolve_model("my-model", provider="vllm"),
        resolve_model("org/my-model", custom_base_url=True),
        resolve_model("claude-sonnet-4"),
    ]] == [
        ("openai", "gpt-4o"),
        ("groq", "llama-3.1-70b"),
        ("openrouter", "anthropic/claude-3.5"),
        ("openai", "gpt-4o-mini"),
        ("openai", "o3-mini"),
        ("mistral", "mistral-large-latest"),
        ("vllm", "my-model"),
        ("openai", "org/my-model"),
        ("anthropic", "claude-sonnet-4"),
    ]
    with pytest.raises(LiterLlmError, match="cannot tell which provider"):
        resolve_model("llama-3")


async def test_unroutable_and_unsupported_fail_before_io(server: LocalProvider) -> None:
    async with LlmClient(api_key=KEY) as client:
        with pytest.raises(UnroutableModelError, match="cannot tell") as unroutable:
            await client.chat_stream("llama-3", MESSAGES)
        assert "openai/" in str(unroutable.value) and "groq/" in str(unroutable.value)
        assert unroutable.value.model == "llama-3"
        with pytest.raises(UnroutableModelError, match="'foo' is not a known provider"):
            await client.chat_stream("foo/bar", MESSAGES)
        literllm.register_provider(
            "elsewhere", server.base_url, adapter="literllm_plugins.nonesuch:Adapter",
            replace=True,
        )
        with pytest.raises(ProviderNotSupportedError, match="is not installed") as unsupported:
            await client.chat_stream("elsewhere/model", MESSAGES)
        assert unsupported.value.provider == "elsewhere"
    async with LlmClient(api_key=KEY, provider="nonesuch") as client:
        with pytest.raises(UnknownProviderError, match="unknown provider 'nonesuch'"):
            await client.chat_stream("some-model", MESSAGES)
    with pytest.raises(ConfigurationError):
        LlmClient(max_retries=-1)
    for error in (UnroutableModelError, ProviderNotSupportedError, UnknownProviderError,
                  MissingApiKeyError):
        assert issubclass(error, ConfigurationError)
        assert not issubclass(error, (APIError, APIConnectionError, StreamError))
    assert server.requests == []


async def test_provider_prefixes_are_case_insensitive(
    server: LocalProvider, client: LlmClient
) -> None:
    await collect(await client.chat_stream("OpenAI/gpt-4o", MESSAGES))
    await collect(await client.chat_stream("Groq/Llama-3", MESSAGES))
    assert [r.json["model"] for r in server.requests] == ["gpt-4o", "Llama-3"]
    async with LlmClient(api_key=KEY, base_url=server.base_url, provider="VLLM") as llm:
        await collect(await llm.chat_stream("meta-llama/Llama-3-8B", MESSAGES))
    assert server.requests[-1].json["model"] == "meta-llama/Llama-3-8B"


async def test_own_base_url_without_key_when_the_server_needs_none(
    server: LocalProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.api_key = None  # a local vLLM / Ollama that asks for no key
    async with LlmClient(base_url=server.base_url) as llm:
        chunks = await collect(await llm.chat_stream("meta-llama/Llama-3-8B", MESSAGES))
        reply = await llm.chat("gpt-4o", MESSAGES)
    assert len(chunks) == 50
    assert reply.choices[0].message.content
    assert all("Authorization" not in r.headers for r in server.requests)


async def test_keys_come_from_the_providers_own_variable(
    server: LocalProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "groq-secret")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with LlmClient(max_retries=0) as client:
        with pytest.raises(MissingApiKeyError, match="OPENAI_API_KEY") as missing:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
        assert missing.value.api_key_env == "OPENAI_API_KEY"
        assert missing.value.provider == "openai"
    async with LlmClient(base_url=server.base_url, max_retries=0) as client:
        # Its own base_url: the server decides whether it needs a key; none is sent here.
        with pytest.raises(AuthenticationError, match=r"no API key was sent.*OPENAI_API_KEY"):
            await client.chat_stream("openai/gpt-4o", MESSAGES)
        assert "Authorization" not in server.requests[-1].headers  # not the groq key
        with pytest.raises(AuthenticationError):
            await client.chat_stream("groq/llama", MESSAGES)
        assert server.requests[-1].headers["Authorization"] == "Bearer groq-secret"
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
    async with LlmClient(api_key={"openai": KEY}, base_url=server.base_url) as client:
        await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
        await collect(await client.chat_stream("groq/x", MESSAGES, api_key=KEY))
        assert server.requests[-1].json["model"] == "x"


async def test_local_providers_need_no_key(server: LocalProvider) -> None:
    server.api_key = None
    async with LlmClient(base_url=server.base_url) as client:
        chunks = await collect(await client.chat_stream("vllm/my-model", MESSAGES))
    assert len(chunks) == 50
    assert "Authorization" not in server.requests[-1].headers
    assert "stream_options" in server.requests[-1].json  # vLLM accepts include_usage


async def test_register_provider(server: LocalProvider) -> None:
    server.api_key = None
    literllm.register_provider(
        "acme", server.base_url, api_key_env="ACME_KEY", auth_header="api-key", auth_prefix="",
        replace=True,
    )
    async with LlmClient(api_key={"acme": "acme-secret"}) as client:
        await collect(await client.chat_stream("acme/big-model", MESSAGES))
    request = server.requests[-1]
    assert request.headers["api-key"] == "acme-secret"
    assert request.json["model"] == "big-model"
    assert "stream_options" not in request.json
    with pytest.raises(ValueError):
        literllm.register_provider("acme", server.base_url)


async def test_secrets_stay_out_of_reprs_and_logs(
    server: LocalProvider, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-very-secret-value"
    server.api_key = secret
    client = LlmClient(api_key=secret, base_url=server.base_url, max_retries=1)
    assert secret not in repr(client)
    server.fault = Fault(status=500, body={"error": {"message": "down"}}, retry_after="0")
    with caplog.at_level(logging.DEBUG, logger="literllm"), pytest.raises(ServerError) as info:
        await client.chat_stream("openai/gpt-4o", MESSAGES)
    await client.close()
    assert caplog.records, "the retry is logged"
    text = caplog.text + str(info.value) + repr(info.value) + repr(vars(info.value))
    assert secret not in text


async def test_user_session_left_open_and_its_timeout_ignored(server: LocalProvider) -> None:
    server.fault = Fault(stall_after_events=2, stall_seconds=0.4)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.1)) as session:
        client = LlmClient(api_key=KEY, base_url=server.base_url, session=session)
        chunks = await collect(await client.chat_stream("openai/gpt-4o", MESSAGES))
        assert len(chunks) == 50  # the session's 0.1 s total never applied
        await client.close()
        assert not session.closed


def test_client_built_outside_a_loop() -> None:
    client = LlmClient(api_key=KEY)
    assert client._session is None
    with pytest.raises(ValueError):
        LlmClient(max_retries=-1)


def test_import_loads_parsers_only_and_no_aiohttp() -> None:
    code = (
        "import sys, literllm\n"
        "print(sorted(m for m in ('literllm.client', 'literllm.types', 'literllm.providers',"
        " 'aiohttp', 'asyncio') if m in sys.modules))\n"
        "literllm.LlmClient(api_key='k')\n"
        "print('literllm.client' in sys.modules, 'aiohttp' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True False"]


async def test_stream_is_garbage_free_after_break(server: LocalProvider, client: LlmClient) -> None:
    server.fault = Fault(stall_after_events=5)
    async for _chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
        break
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is literllm.ChatStream]
