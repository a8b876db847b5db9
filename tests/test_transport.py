"""The transport seam: ReplayTransport and Cassette run the real client path, offline."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import static_aws_credentials

from literllm import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    LlmClient,
    RateLimitError,
    ServiceUnavailableError,
    StreamError,
    StreamTimeoutError,
    Timeout,
)
from literllm.testing import (
    Cassette,
    Fault,
    LocalProvider,
    ReplayMismatchError,
    ReplayTransport,
    ScriptedReply,
    ScriptedToolCall,
)
from literllm.transport import TransportRequest

KEY = "sk-transport-test-0123456789"
AWS_KEY = "AKIATRANSPORTTEST000"
MESSAGES = [{"role": "user", "content": "hi"}]
MODELS = {
    "openai": "openai/gpt-4o",
    "anthropic": "anthropic/claude-sonnet-4",
    "gemini": "gemini/gemini-2.5-flash",
    "vertex_ai": "vertex_ai/gemini-2.5-pro",
    "bedrock": "bedrock/us.anthropic.claude-sonnet-4-v1:0",
    "cohere": "cohere/command-a-03-2025",
    "azure": "azure/my-gpt-4o",
    "groq": "groq/llama-3.3-70b",
}
OPTIONS = {
    "bedrock": {"region": "us-east-1"},
    "vertex_ai": {"project": "local-project", "location": "us-central1"},
    "azure": {"api_version": "2024-10-21", "base_url": "https://example.openai.azure.com"},
}
REPLY = ScriptedReply(
    text=["Hello", ", ", "world"], reasoning=["think"],
    tool_calls=[ScriptedToolCall(id="call_1", name="lookup", arguments=['{"q":', '"x"}'])],
    prompt_tokens=7, completion_tokens=5, model="m",
)


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    static_aws_credentials(monkeypatch, AWS_KEY, "transport-secret-not-real")


def offline(transport: Any, **options: Any) -> LlmClient:
    return LlmClient(
        api_key={name: KEY for name in MODELS if name != "bedrock"},
        provider_options=OPTIONS, transport=transport, **options,
    )


def online(server: LocalProvider, provider: str, **options: Any) -> LlmClient:
    return LlmClient(
        api_key={name: KEY for name in MODELS if name != "bedrock"},
        base_url=server.url_for(provider),
        provider_options={**OPTIONS, "azure": {"api_version": "2024-10-21"}}, **options,
    )


async def outcome(client: LlmClient, model: str) -> dict[str, Any]:
    """What a caller sees of one streamed call: the chunks, the reply, or the error."""
    try:
        stream = await client.chat_stream(model, MESSAGES)
    except Exception as exc:
        return {"raised": type(exc).__name__, "status": getattr(exc, "status_code", None)}
    chunks: list[dict[str, Any]] = []
    try:
        async with stream:
            async for chunk in stream:
                chunks.append({
                    "content": [c.delta.content for c in chunk.choices],
                    "finish": [c.finish_reason for c in chunk.choices],
                })
    except StreamError as exc:
        return {"chunks": chunks, "error": type(exc).__name__, "text": exc.text,
                "received": exc.chunks_received}
    message = stream.accumulated.choices[0].message
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []]
    return {"chunks": chunks, "content": message.content, "tools": calls,
            "usage": stream.accumulated.usage}


@pytest.mark.parametrize("provider", list(MODELS))
async def test_text_and_scripts_in_every_wire_format(provider: str) -> None:
    transport = ReplayTransport(["Hi there you", REPLY, REPLY])
    async with offline(transport) as client:
        stream = await client.chat_stream(MODELS[provider], MESSAGES)
        assert (await stream.final()).choices[0].message.content == "Hi there you"
        whole = await (await client.chat_stream(MODELS[provider], MESSAGES)).final()
        message = whole.choices[0].message
        assert message.content == "Hello, world"
        assert [(c.function.name, c.function.arguments) for c in message.tool_calls or []] == [
            ("lookup", '{"q":"x"}')
        ]
        reply = await client.chat(MODELS[provider], MESSAGES)
        assert reply.choices[0].message.content == "Hello, world"
    assert [r.provider for r in transport.requests] == [MODELS[provider].split("/")[0]] * 3
    assert [r.stream for r in transport.requests] == [True, True, False]


FAULTS = {
    "none": None,
    "cut": Fault(cut_after_events=3),
    "cut-mid-event": Fault(cut_mid_event=2),
    "malformed": Fault(malformed_at=2),
    "error-event": Fault(error_at=2),
    "no-terminal": Fault(no_done=True),
    "503": Fault(status=503, body={"error": {"message": "busy", "type": "server_error"}}),
    "429": Fault(status=429, body={"error": {"message": "slow", "type": "rate_limit"}}),
    "html": Fault(content_type="text/html", body="<html>maintenance</html>"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "bedrock", "cohere"])
async def test_the_same_as_over_the_network(provider: str, fault: str) -> None:
    """A test written against the replay transport sees what it would see over HTTP."""
    model = MODELS[provider]
    async with (
        LocalProvider(api_key=None, reply=REPLY, fault=FAULTS[fault]) as server,
        online(server, provider, max_retries=0) as client,
    ):
        over_http = await outcome(client, model)
    async with offline(ReplayTransport(REPLY, fault=FAULTS[fault]), max_retries=0) as client:
        in_process = await outcome(client, model)
    assert in_process == over_http
    # OpenAI's stream is complete once every choice finished, [DONE] or not.
    if fault != "none" and (provider, fault) != ("openai", "no-terminal"):
        assert "error" in in_process or "raised" in in_process


async def test_a_stall_meets_the_idle_timeout_and_a_reset_connection_is_retried() -> None:
    transport = ReplayTransport(["slow reply"], fault=Fault(stall_after_events=1))
    async with offline(transport, timeout=Timeout(idle=0.2)) as client:
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        with pytest.raises(StreamTimeoutError, match="idle"):
            await stream.final()
    flaky = ReplayTransport([ConnectionResetError("reset"), TimeoutError(), "third time"])
    async with offline(flaky, max_retries=2) as client:
        reply = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
    assert reply.choices[0].message.content == "third time"
    assert len(flaky.requests) == 3
    for error, expected in ((ConnectionRefusedError("no"), APIConnectionError),
                            (TimeoutError(), APITimeoutError)):
        async with offline(ReplayTransport(error), max_retries=1) as client:
            with pytest.raises(expected):
                await client.chat_stream("openai/gpt-4o", MESSAGES)


async def test_a_stall_before_the_answer_meets_the_idle_timeout() -> None:
    async def never(request: TransportRequest, network: Any) -> Any:
        await asyncio.sleep(3600)

    class Stalls:
        send = staticmethod(never)

    async with offline(Stalls(), timeout=Timeout(idle=0.1), max_retries=0) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    assert caught.value.timeout_kind == "idle"


async def test_statuses_are_retried_as_they_would_be() -> None:
    busy = Fault(status=503, body={"error": {"message": "busy"}}, retry_after="0")
    transport = ReplayTransport([busy, busy, "finally"])
    async with offline(transport, max_retries=2) as client:
        reply = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
    assert reply.choices[0].message.content == "finally"
    async with offline(ReplayTransport([busy, busy]), max_retries=1) as client:
        with pytest.raises(ServiceUnavailableError, match="busy"):
            await client.chat_stream("openai/gpt-4o", MESSAGES)


async def test_answers_run_out_with_a_clear_error_and_a_callable_sees_the_request() -> None:
    async with offline(ReplayTransport(["one"])) as client:
        await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
        with pytest.raises(ReplayMismatchError, match="1 answers given, this is request 2"):
            await client.chat_stream("openai/gpt-4o", MESSAGES)

    def echo(request: TransportRequest) -> str:
        return f"you said {request.json()['messages'][-1]['content']}"

    transport = ReplayTransport(echo)
    async with offline(transport) as client:
        reply = await (await client.chat_stream("groq/llama", MESSAGES)).final()
    assert reply.choices[0].message.content == "you said hi"
    sent = transport.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {KEY}"  # as sent, for assertions
    assert KEY not in repr(sent) and KEY not in repr(transport.requests)
    assert sent.url == "https://api.groq.com/openai/v1/chat/completions"


async def test_a_bedrock_request_is_signed_for_every_attempt() -> None:
    transport = ReplayTransport([ConnectionResetError(), "signed"])
    async with offline(transport, max_retries=1) as client:
        await (await client.chat_stream(MODELS["bedrock"], MESSAGES)).final()
    for request in transport.requests:
        assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIA")


async def test_leaving_early_closes_the_replayed_body() -> None:
    transport = ReplayTransport(ScriptedReply(text=[f"w{i} " for i in range(50)]),
                                pieces=(8, 16))
    async with offline(transport) as client:
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        async for _chunk in stream:
            break
        await stream.aclose()
        assert stream.chunks_received == 1
        client_streams = list(client._streams)
    assert all(s._closed for s in client_streams)


async def test_transport_must_have_send() -> None:
    with pytest.raises(ConfigurationError, match="send"):
        LlmClient(api_key=KEY, transport=object())  # type: ignore[arg-type]


# Cassettes


def _sans_clock(reply: Any) -> dict[str, Any]:
    """A reply as data without ``created``: formats whose replies carry no time get the
    client's clock, which may tick between a recording and its replay."""
    data = reply.to_dict()
    data.pop("created")
    return data


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock", "gemini"])
async def test_a_cassette_records_once_then_replays_offline(
    provider: str, tmp_path: Path
) -> None:
    folder = tmp_path / "cassette"
    model = MODELS[provider]
    async with LocalProvider(api_key=None, reply=REPLY) as server:
        cassette = Cassette(folder)
        async with online(server, provider, transport=cassette) as client:
            live = await outcome(client, model)
            live_reply = await client.chat(model, MESSAGES)
        assert cassette.recorded == 2 and len(server.requests) == 2
    # The server is gone: only the recordings answer now.
    cassette = Cassette(folder)
    async with online(server, provider, transport=cassette) as client:
        assert await outcome(client, model) == live
        assert _sans_clock(await client.chat(model, MESSAGES)) == _sans_clock(live_reply)
    assert cassette.played == 2
    for path in folder.iterdir():
        data = path.read_bytes()
        assert KEY.encode() not in data and AWS_KEY.encode() not in data
        assert b"transport-secret-not-real" not in data
    sidecars = [json.loads(p.read_text()) for p in folder.glob("*.json.json")]
    sidecars += [json.loads(p.read_text()) for p in folder.glob("*.sse.json")]
    sidecars += [json.loads(p.read_text()) for p in folder.glob("*.bin.json")]
    assert {s["outcome"] for s in sidecars} == {"complete"}
    assert {s["provider"] for s in sidecars} == {provider}


async def test_a_request_with_no_recording_names_the_nearest(tmp_path: Path) -> None:
    async with (
        LocalProvider(api_key=None, reply=REPLY) as server,
        online(server, "openai", transport=Cassette(tmp_path)) as client,
    ):
        await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
    async with offline(Cassette(tmp_path)) as client:
        with pytest.raises(ReplayMismatchError) as caught:
            await client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "bye"}])
        message = str(caught.value)
        assert "openai/gpt-4o" in message and "openai-" in message
        assert "messages[0].content: recorded 'hi', sent 'bye'" in message
        with pytest.raises(ReplayMismatchError, match="recorded for openai/gpt-4o"):
            await client.chat_stream("openai/gpt-4o-mini", MESSAGES)
        # The same request sent again replays its last recording.
        for _ in range(2):
            await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
    with pytest.raises(ReplayMismatchError, match="holds no recordings"):
        async with offline(Cassette(tmp_path / "empty", mode="replay")) as client:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    with pytest.raises(ConfigurationError, match="mode"):
        Cassette(tmp_path, mode="new_episodes")


async def test_a_recorded_error_and_retry_replay_in_order(tmp_path: Path) -> None:
    limited = Fault(status=429, body={"error": {"message": "slow down"}}, retry_after="0",
                    times=1)
    async with LocalProvider(api_key=None, reply=REPLY, fault=limited) as server:
        async with online(server, "openai", transport=Cassette(tmp_path)) as client:
            live = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
        assert len(server.requests) == 2
    async with offline(Cassette(tmp_path), max_retries=1) as client:
        again = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
    assert again == live
    async with offline(Cassette(tmp_path), max_retries=0) as client:
        with pytest.raises(RateLimitError, match="slow down") as caught:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    assert caught.value.retry_after == 0


async def test_record_mode_replaces_and_a_stream_left_early_is_recorded_as_such(
    tmp_path: Path,
) -> None:
    async with LocalProvider(
        api_key=None, reply=ScriptedReply(text=["first"]), delay=0.002, pieces=(64, 128)
    ) as server:
        async with online(server, "openai", transport=Cassette(tmp_path)) as client:
            await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
        server.reply = ScriptedReply(text=["second"])
        async with online(server, "openai", transport=Cassette(tmp_path)) as client:
            # "once" with recordings: replays, the server is not asked.
            reply = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
            assert reply.choices[0].message.content == "first"
        async with online(server, "openai",
                          transport=Cassette(tmp_path, mode="record")) as client:
            reply = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
            assert reply.choices[0].message.content == "second"
            server.reply = ScriptedReply(text=[f"w{i} " for i in range(400)])
            stream = await client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "x"}])
            await stream.__anext__()
            await stream.aclose()
        assert len(server.requests) == 3
    assert len(_files(tmp_path)) == 4
    outcomes = sorted(json.loads(p.read_text())["outcome"] for p in tmp_path.glob("*.sse.json"))
    assert outcomes == ["closed early", "complete"]
    async with offline(Cassette(tmp_path, mode="replay")) as client:
        reply = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
        assert reply.choices[0].message.content == "second"
        stream = await client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "x"}])
        with pytest.raises(StreamError):  # recorded cut short: replays cut short
            await stream.final()


async def test_a_record_dir_recording_plays_back_by_path(tmp_path: Path) -> None:
    async with (
        LocalProvider(api_key=None, reply=REPLY) as server,
        online(server, "anthropic", record_dir=tmp_path) as client,
    ):
        live = await outcome(client, MODELS["anthropic"])
    (recording,) = tmp_path.glob("*.sse")
    async with offline(ReplayTransport(recording)) as client:
        assert await outcome(client, MODELS["anthropic"]) == live


@pytest.mark.parametrize("provider", ["openai", "bedrock"])
async def test_the_local_server_answers_from_a_cassette(provider: str, tmp_path: Path) -> None:
    model = MODELS[provider]
    async with (
        LocalProvider(api_key=None, reply=REPLY) as server,
        online(server, provider, transport=Cassette(tmp_path)) as client,
    ):
        live = [await outcome(client, model) for _ in range(2)]
        live_reply = await client.chat(model, MESSAGES)
    async with LocalProvider(api_key=None, recordings=tmp_path) as server:
        async with online(server, provider) as client:  # over HTTP, no transport
            assert [await outcome(client, model) for _ in range(2)] == live
            assert _sans_clock(await client.chat(model, MESSAGES)) == _sans_clock(live_reply)
            with pytest.raises(Exception, match="the body differs at messages") as caught:
                await client.chat_stream(model, [{"role": "user", "content": "other"}])
            assert getattr(caught.value, "status_code", None) == 404
        assert server.completed == 2


async def test_a_transport_needs_no_key_and_a_recording_without_one_meets_the_401(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from literllm import AuthenticationError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with LlmClient(transport=ReplayTransport("no key needed")) as client:
        reply = await (await client.chat_stream("openai/gpt-4o", MESSAGES)).final()
    assert reply.choices[0].message.content == "no key needed"
    async with (
        LocalProvider(api_key=KEY) as server,
        LlmClient(base_url=server.base_url, transport=Cassette(tmp_path), max_retries=0) as c,
    ):
        with pytest.raises(AuthenticationError):
            await c.chat_stream("openai/gpt-4o", MESSAGES)
