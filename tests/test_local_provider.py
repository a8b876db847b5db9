"""LocalProvider as a test double: counters that hold with a delay, scripted replies and
faults per request (sequences), and a request log without credentials."""

from __future__ import annotations

import asyncio
import json

import pytest

from literllm import LlmClient, MalformedChunkError, RateLimitError, ServerError
from literllm.testing import Fault, LocalProvider, ScriptedReply

KEY = "sk-local-provider-secret"
MESSAGES = [{"role": "user", "content": "hi"}]


async def _settled(server: LocalProvider) -> None:
    for _ in range(200):  # the handler finishes a moment after the client has its last byte
        if server.active == 0:
            return
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
async def test_a_stream_read_to_its_end_counts_as_completed_with_a_delay(provider: str) -> None:
    async with LocalProvider(api_key=KEY, delay=0.005, pieces=(64, 128)) as server, LlmClient(
        api_key=KEY, base_url=server.url_for(provider),
    ) as client:
        for _ in range(3):
            await (await client.chat_stream(f"{provider}/m", MESSAGES)).final()
        await _settled(server)
        assert (server.completed, server.disconnects) == (3, 0)
        stream = await client.chat_stream(f"{provider}/m", MESSAGES)
        await stream.__anext__()
        await stream.aclose()  # left early: a disconnect
        await asyncio.wait_for(server.disconnected.wait(), 5)
        await _settled(server)
        assert (server.completed, server.disconnects) == (3, 1)


async def test_scripted_replies_are_a_sequence_one_per_request() -> None:
    first = ScriptedReply(text=["first"])
    second = ScriptedReply(text=["second"])
    async with LocalProvider(api_key=KEY, reply=[first, second]) as server, LlmClient(
        api_key=KEY, base_url=server.base_url, max_retries=0,
    ) as client:
        one = await (await client.chat_stream("openai/m", MESSAGES)).final()
        two = await client.chat("openai/m", MESSAGES)  # non-streamed requests count too
        assert (one.choices[0].message.content, two.choices[0].message.content) == (
            "first", "second")
        with pytest.raises(ServerError, match="scripted replies ran out: 2 given"):
            await client.chat_stream("openai/m", MESSAGES)
        server.reply = [ScriptedReply(text=["again"])]  # a new script starts now
        again = await (await client.chat_stream("openai/m", MESSAGES)).final()
        assert again.choices[0].message.content == "again"
        server.reply = second  # one reply for every request, as before
        for _ in range(2):
            assert (await client.chat("openai/m", MESSAGES)).choices[0].message.content == (
                "second")


async def test_faults_are_a_sequence_one_per_request() -> None:
    async with LocalProvider(api_key=KEY, fault=[
        Fault(status=429, body={"error": {"message": "slow down"}}), None,
        Fault(status=503, body="busy"), Fault(cut_after_events=2),
    ]) as server, LlmClient(api_key=KEY, base_url=server.base_url, max_retries=0) as client:
        with pytest.raises(RateLimitError, match="slow down"):
            await client.chat_stream("openai/m", MESSAGES)
        assert (await (await client.chat_stream("openai/m", MESSAGES)).final()).choices
        with pytest.raises(ServerError):
            await client.chat_stream("openai/m", MESSAGES)
        stream = await client.chat_stream("openai/m", MESSAGES)
        with pytest.raises(Exception, match=r"(?i)closed|ended|truncated"):
            await stream.final()
        for _ in range(2):  # after the sequence: every request answered normally
            assert (await (await client.chat_stream("openai/m", MESSAGES)).final()).choices


async def test_the_request_log_has_no_credentials() -> None:
    async with LocalProvider(api_key=KEY) as server:
        for provider in ("openai", "anthropic", "gemini"):
            async with LlmClient(api_key=KEY, base_url=server.url_for(provider)) as client:
                await (await client.chat_stream(f"{provider}/m", MESSAGES)).final()
    # As received, for asserting what was sent ...
    assert server.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert server.requests[1].headers["x-api-key"] == KEY
    # ... and never shown: not in the log, not in a repr (what a failing assertion prints).
    log = server.request_log()
    assert KEY not in json.dumps(log) and KEY not in repr(server.requests)
    assert log[0]["headers"]["Authorization"] == "Bearer [redacted]"
    assert log[1]["headers"]["x-api-key"] == "[redacted]"
    assert log[0]["json"]["messages"] == MESSAGES and log[0]["path"] == "/v1/chat/completions"
    assert [entry["method"] for entry in log] == ["POST"] * 3


async def test_a_provider_registered_later_is_answered_in_its_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A provider of an existing wire format needs its registry entry and nothing else: the
    local server and the offline transport find its wire through it."""
    from literllm import providers, register_provider
    from literllm.testing import ReplayTransport
    from literllm.testing._transport import wire_for

    monkeypatch.setattr(providers, "_REGISTRY", dict(providers._REGISTRY))
    register_provider("claude_proxy", "http://unused.invalid", api_key_env="PROXY_KEY",
                      adapter="anthropic")
    assert wire_for("claude_proxy").name == "anthropic"
    async with LocalProvider(api_key=KEY) as server:
        assert server.url_for("claude_proxy") == server.root_url
        async with LlmClient(api_key=KEY, base_url=server.url_for("claude_proxy")) as client:
            reply = await client.chat("claude_proxy/claude-x", [{"role": "user", "content": "hi"}])
        assert server.requests[0].path == "/v1/messages"
    assert reply.choices[0].message.content
    async with LlmClient(transport=ReplayTransport("offline too")) as client:
        stream = await client.chat_stream("claude_proxy/claude-x", [{"role": "user", "content": "hi"}])
        assert (await stream.final()).choices[0].message.content == "offline too"


async def test_a_whole_body_in_one_read_is_decoded_a_part_at_a_time() -> None:
    """A slow consumer's stream whose whole body arrived at once holds its bytes, not every
    event of it decoded: at most DECODE_SIZE bytes' worth waits as events."""
    from literllm._stream import DECODE_SIZE
    from literllm.testing import Fault, ScriptedReply

    pieces = [f"piece {n} " for n in range(3000)]
    reply = ScriptedReply(text=pieces)
    async with (
        LocalProvider(api_key=KEY, reply=reply, pieces=(1 << 22, 1 << 22)) as server,
        LlmClient(api_key=KEY, base_url=server.base_url) as client,
    ):
        stream = await client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "hi"}])
        first = await stream.__anext__()
        await asyncio.sleep(0.2)  # the rest of the body arrives meanwhile
        second = await stream.__anext__()
        waiting = len(stream._events) - stream._pos
        assert waiting * 60 < DECODE_SIZE  # each of these events is over 60 bytes
        rest = [chunk async for chunk in stream]
        text = "".join(c.choices[0].delta.content or "" for c in [first, second, *rest]
                       if c.choices)
        assert text == "".join(pieces)
        server.fault = Fault(malformed_at=2500)
        broken = await client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "x"}])
        received = []
        with pytest.raises(MalformedChunkError) as info:
            async for chunk in broken:
                received.append(chunk)
        assert info.value.chunks_received == len(received) > 2000
