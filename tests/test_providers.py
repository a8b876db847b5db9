"""Every provider end to end: the local server speaks its wire format, the client streams it.

Recorded streams (../shared) and randomised scripted replies go through the real HTTP server
on 127.0.0.1 in several network splits and must accumulate to exactly what was sent; each
provider's mid-stream error form and a stream cut before its terminal event raise the typed
errors with what was received so far.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import accumulate, conformance, static_aws_credentials

from literllm import (
    AuthenticationError,
    ChatCompletion,
    ChatCompletionChunk,
    ConfigurationError,
    LlmClient,
    MalformedChunkError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    StreamError,
    StreamTruncatedError,
)
from literllm.testing import Fault, LocalProvider, ScriptedReply, ScriptedToolCall, random_reply

KEY = "sk-providers-test"
AWS_KEY = "AKIDLOCALTEST0001"
MESSAGES = [{"role": "user", "content": "Hello"}]
MODELS = {
    "openai": "openai/gpt-4o",
    "anthropic": "anthropic/claude-sonnet-4",
    "gemini": "gemini/gemini-2.5-flash",
    "vertex_ai": "vertex_ai/gemini-2.5-pro",
    "bedrock": "bedrock/us.anthropic.claude-sonnet-4-v1:0",
    "cohere": "cohere/command-a-03-2025",
    "azure": "azure/my-gpt-4o",
    "mistral": "mistral/magistral-medium",
    "openai_responses": "openai_responses/gpt-5",
    "azure_responses": "azure_responses/my-gpt-5",
}
PROVIDERS = ["openai", "anthropic", "gemini", "vertex_ai", "bedrock", "cohere", "azure",
             "openai_responses", "azure_responses"]
OPTIONS = {
    "bedrock": {"region": "us-east-1"},
    "vertex_ai": {"project": "local-project", "location": "us-central1"},
    "azure": {"api_version": "2024-10-21"},
}
SPLITS = {"bytewise": (1, 1), "1-17": (1, 17), "200-700": (200, 700), "whole": (1 << 20, 1 << 20)}


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    static_aws_credentials(monkeypatch, AWS_KEY, "local-secret-not-real")


def client_for(server: LocalProvider, provider: str, **options: Any) -> LlmClient:
    """A client that reaches ``provider`` on the local server with its own kind of auth."""
    key: Any = {name: KEY for name in MODELS if name != "bedrock"}
    return LlmClient(
        api_key=key,
        base_url=server.url_for(provider),
        provider_options=OPTIONS,
        max_retries=0,
        **options,
    )


def server_key(provider: str) -> str:
    return AWS_KEY if provider == "bedrock" else KEY


async def stream_all(client: LlmClient, model: str) -> list[ChatCompletionChunk]:
    async with await client.chat_stream(model, MESSAGES) as stream:
        return [chunk async for chunk in stream]


def final_of(completion: ChatCompletion) -> dict[str, Any]:
    message = completion.choices[0].message
    usage = completion.usage
    return {
        "content": message.content or "",
        "reasoning": message.reasoning_content,
        "tool_calls": [
            {"index": i, "id": c.id, "type": "function",
             "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for i, c in enumerate(message.tool_calls or ())
        ],
        "finish_reason": completion.choices[0].finish_reason,
        "usage": None if usage is None else {
            "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        },
    }


def assert_matches(got: dict[str, Any], expected: dict[str, Any], *, parsed_args: bool) -> None:
    assert got["content"] == expected["content"]
    assert got["reasoning"] == expected["reasoning"]
    assert got["finish_reason"] == expected["finish_reason"]
    assert got["usage"] == expected["usage"]
    assert len(got["tool_calls"]) == len(expected["tool_calls"])
    for ours, theirs in zip(got["tool_calls"], expected["tool_calls"], strict=True):
        assert ours["index"] == theirs["index"]
        assert ours["function"]["name"] == theirs["function"]["name"]
        if theirs["id"] is not None:
            assert ours["id"] == theirs["id"]
        else:
            assert ours["id"]  # synthesised, never empty
        if parsed_args:
            assert json.loads(ours["function"]["arguments"]) == json.loads(
                theirs["function"]["arguments"]
            )
        else:
            assert ours["function"]["arguments"] == theirs["function"]["arguments"]


# --- recordings ---------------------------------------------------------------------------


def _recordings() -> Iterator[Any]:
    try:
        folder = conformance("providers")
    except pytest.skip.Exception as exc:
        yield pytest.param(None, id="conformance-missing", marks=pytest.mark.skip(str(exc)))
        return
    for provider in ("anthropic", "gemini", "cohere", "bedrock", "mistral"):
        for path in sorted((folder / provider).glob("*.*")):
            if path.suffix in (".sse", ".bin"):
                yield pytest.param(path, id=f"{provider}/{path.stem}")


def _reply_from(expected: dict[str, Any]) -> ScriptedReply:
    usage = expected["usage"]
    return ScriptedReply(
        text=[expected["content"]] if expected["content"] else [],
        reasoning=[expected["reasoning"]] if expected["reasoning"] else [],
        tool_calls=[ScriptedToolCall(c["id"] or f"call_{c['index']}", c["function"]["name"],
                                     [c["function"]["arguments"]])
                    for c in expected["tool_calls"]],
        finish_reason=expected["finish_reason"],
        prompt_tokens=usage["prompt_tokens"],
        completion_tokens=usage["completion_tokens"],
    )


@pytest.mark.parametrize("recording", list(_recordings()))
@pytest.mark.parametrize("pieces", list(SPLITS.values()), ids=list(SPLITS))
async def test_recorded_streams(recording: Path, pieces: tuple[int, int]) -> None:
    provider = recording.parent.name
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    async with LocalProvider(api_key=server_key(provider), body=recording.read_bytes(),
                             pieces=pieces) as server, client_for(server, provider) as client:
        chunks = await stream_all(client, MODELS[provider])
    assert_matches(accumulate(chunks), expected, parsed_args=provider == "gemini")
    # Every chunk names the response and the model (the peers leave them empty after one).
    assert all(chunk.id and chunk.model for chunk in chunks)
    if expected.get("id") and provider != "bedrock":
        assert {chunk.id for chunk in chunks} == {expected["id"]}
    assert server.completed == 1


@pytest.mark.parametrize("recording", list(_recordings()))
async def test_recorded_conversation_not_streamed(recording: Path) -> None:
    """The non-streaming path returns the same final message for the same conversation."""
    provider = recording.parent.name
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    async with (
        LocalProvider(api_key=server_key(provider), reply=_reply_from(expected)) as server,
        client_for(server, provider) as client,
    ):
        reply = await client.chat(MODELS[provider], MESSAGES)
    assert_matches(final_of(reply), expected, parsed_args=provider != "cohere")


# --- randomised streams per provider ------------------------------------------------------


def _sent(reply: ScriptedReply) -> dict[str, Any]:
    return {
        "content": reply.content,
        "reasoning": reply.reasoning_text,
        "tool_calls": [
            {"index": i, "id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": c.arguments_text}}
            for i, c in enumerate(reply.tool_calls)
        ],
        "finish_reason": reply.finish_reason,
        "usage": {"prompt_tokens": reply.prompt_tokens,
                  "completion_tokens": reply.completion_tokens,
                  "total_tokens": reply.prompt_tokens + reply.completion_tokens},
    }


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_random_replies_accumulate_to_what_was_sent(provider: str) -> None:
    async with (
        LocalProvider(api_key=server_key(provider), pieces=(1, 96)) as server,
        client_for(server, provider) as client,
    ):
        for seed in range(12):
            reply = random_reply(seed)
            if provider in ("gemini", "vertex_ai"):
                # Gemini sends no call ids: the adapter numbers its calls.
                for number, call in enumerate(reply.tool_calls):
                    call.id = f"call_{number}"
            server.reply = reply
            server.seed = seed  # other network pieces each time
            streamed = accumulate(await stream_all(client, MODELS[provider]))
            assert_matches(streamed, _sent(reply), parsed_args=provider != "openai")
            whole = final_of(await client.chat(MODELS[provider], MESSAGES))
            assert_matches(whole, _sent(reply), parsed_args=True)


# --- requests on the wire -----------------------------------------------------------------


async def test_anthropic_request_translation() -> None:
    async with LocalProvider(api_key=KEY) as server, client_for(server, "anthropic") as client:
        await client.chat(
            "anthropic/claude-sonnet-4",
            [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ]},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "toolu_1", "type": "function",
                     "function": {"name": "look", "arguments": '{"x": 1}'}}]},
                {"role": "tool", "tool_call_id": "toolu_1", "content": "a cat"},
                {"role": "tool", "tool_call_id": "toolu_2", "content": "a dog"},
            ],
            tools=[{"type": "function", "function": {"name": "look", "parameters": {
                "type": "object"}}}],
            tool_choice="required", parallel_tool_calls=False, stop="END", temperature=0.5,
            reasoning_effort="low",
        )
    request = server.requests[-1]
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == KEY and request.headers["anthropic-version"]
    body = request.json
    assert body["system"] == [{"type": "text", "text": "Be brief."}]
    assert body["messages"] == [
        {"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "AAAA"}}]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "look", "input": {"x": 1}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a cat"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "a dog"}]},
    ]
    assert body["tools"] == [{"name": "look", "description": "",
                              "input_schema": {"type": "object"}}]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["stop_sequences"] == ["END"]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] > 1024 and "stream" not in body


async def test_bedrock_request_is_sigv4_signed_and_model_id_quoted() -> None:
    async with LocalProvider(api_key=AWS_KEY) as server, client_for(server, "bedrock") as client:
        await stream_all(client, "bedrock/arn:aws:bedrock:us-east-1:1:inference-profile/x")
        await client.chat("bedrock/amazon.nova-micro-v1:0", MESSAGES, max_tokens=5,
                          reasoning_effort="high")
    streamed, whole = server.requests[-2:]
    assert streamed.path == ("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx"
                             "/converse-stream")
    assert re.fullmatch(
        rf"AWS4-HMAC-SHA256 Credential={AWS_KEY}/\d{{8}}/us-east-1/bedrock/aws4_request, "
        r"SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}",
        streamed.headers["Authorization"],
    )
    assert whole.path == "/model/amazon.nova-micro-v1%3A0/converse"
    assert whole.json["messages"] == [{"role": "user", "content": [{"text": "Hello"}]}]
    assert whole.json["inferenceConfig"] == {"maxTokens": 5}
    assert whole.json["additionalModelRequestFields"] == {
        "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "high"}}


async def test_bedrock_api_key_is_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", AWS_KEY)
    async with LocalProvider(api_key=AWS_KEY) as server, client_for(server, "bedrock") as client:
        await stream_all(client, MODELS["bedrock"])
    assert server.requests[-1].headers["Authorization"] == f"Bearer {AWS_KEY}"


async def test_gemini_vertex_azure_cohere_requests() -> None:
    async with LocalProvider(api_key=KEY) as server:
        for provider in ("gemini", "vertex_ai", "azure", "cohere"):
            async with client_for(server, provider) as client:
                await stream_all(client, MODELS[provider])
                await client.chat(MODELS[provider], [
                    {"role": "system", "content": "Be brief."}, *MESSAGES,
                ], max_tokens=9, response_format={"type": "json_object"})
    gemini, gemini_whole, vertex, _, azure, azure_whole, cohere, cohere_whole = server.requests
    assert gemini.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert gemini.headers["x-goog-api-key"] == KEY
    assert gemini_whole.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert gemini_whole.json["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert gemini_whole.json["generationConfig"] == {
        "maxOutputTokens": 9, "responseMimeType": "application/json"}
    assert vertex.path == ("/v1/projects/local-project/locations/us-central1/publishers/google"
                           "/models/gemini-2.5-pro:streamGenerateContent?alt=sse")
    assert vertex.headers["Authorization"] == f"Bearer {KEY}"
    assert azure.path == ("/openai/deployments/my-gpt-4o/chat/completions"
                          "?api-version=2024-10-21")
    assert azure.headers["api-key"] == KEY and "Authorization" not in azure.headers
    assert azure.json["stream_options"] == {"include_usage": True}
    assert azure_whole.json["response_format"] == {"type": "json_object"}
    assert cohere.path == "/v2/chat" and cohere.headers["Authorization"] == f"Bearer {KEY}"
    assert cohere.json["stream"] is True and cohere_whole.json["stream"] is False
    assert cohere_whole.json["messages"][0] == {"role": "system", "content": "Be brief."}
    assert cohere_whole.json["response_format"] == {"type": "json_object"}


async def test_configuration_errors_before_any_io(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AZURE_OPENAI_ENDPOINT", "VERTEXAI_PROJECT",
                 "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    async with LocalProvider(api_key=KEY) as server, LlmClient(api_key=KEY) as client:
        with pytest.raises(ConfigurationError, match="region"):
            await client.chat("bedrock/amazon.nova-micro-v1:0", MESSAGES)
        with pytest.raises(ConfigurationError, match="project"):
            await client.chat("vertex_ai/gemini-2.5-pro", MESSAGES)
        with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
            await client.chat("azure/my-gpt", MESSAGES)
        with pytest.raises(ConfigurationError, match="anthropic does not take seed"):
            await client.chat("anthropic/claude-sonnet-4", MESSAGES, seed=1)
        with pytest.raises(ConfigurationError, match="Bedrock takes images as data"):
            await client.chat("bedrock/amazon.nova-micro-v1:0", [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://x/cat.png"}}]}])
    assert server.requests == []


async def test_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "google.auth", None)  # as if google-auth were absent
    monkeypatch.setitem(sys.modules, "google", None)
    async with (
        LocalProvider(api_key=KEY) as server,
        LlmClient(base_url=server.root_url, provider_options=OPTIONS) as client,
    ):
        with pytest.raises(ConfigurationError, match=r"literllm\[vertex\]"):
            await client.chat("vertex_ai/gemini-2.5-pro", MESSAGES)
    assert server.requests == []


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "error_object", "families", "status"),
    [
        ("anthropic", {"type": "overloaded_error", "message": "Overloaded"},
         (ServiceUnavailableError,), 529),
        ("anthropic", {"type": "rate_limit_error", "message": "slow"}, (RateLimitError,), 429),
        ("anthropic", {"type": "api_error", "message": "boom"}, (ServerError,), 500),
        ("bedrock", {"type": "throttlingException", "message": "slow"}, (RateLimitError,), 429),
        ("bedrock", {"type": "modelStreamErrorException", "message": "odd"}, (), 424),
        ("bedrock", {"type": "internalServerException", "message": "boom"}, (ServerError,), 500),
        ("bedrock", {"type": "serviceUnavailableException", "message": "busy"},
         (ServiceUnavailableError,), 503),
        ("bedrock", {"type": "validationException", "message": "bad"}, (), 400),
        ("bedrock", {"type": "modelTimeoutException", "message": "late"}, (), 408),
        ("gemini", {"code": 429, "message": "quota"}, (RateLimitError,), 429),
        ("gemini", {"type": "server_error", "message": "boom"}, (ServerError,), 500),
        ("vertex_ai", {"code": 503, "message": "busy"}, (ServiceUnavailableError,), 503),
        ("cohere", {"message": "generation failed"}, (), None),
        ("azure", {"message": "slow", "type": "rate_limit_exceeded"}, (RateLimitError,), 429),
        ("openai_responses", {"message": "slow", "type": "rate_limit_exceeded"},
         (RateLimitError,), 429),
        ("openai_responses", {"message": "boom", "type": "server_error"}, (ServerError,), 500),
        ("azure_responses", {"message": "bad prompt", "code": "invalid_prompt"}, (), 400),
    ],
)
async def test_mid_stream_error_forms(
    provider: str, error_object: dict[str, Any], families: tuple[type, ...], status: int | None
) -> None:
    reply = ScriptedReply(text=["one ", "two ", "three ", "four ", "five"])
    fault = Fault(error_at=3, error_object=error_object)
    async with (
        LocalProvider(api_key=server_key(provider), reply=reply, fault=fault) as server,
        client_for(server, provider) as client,
    ):
        received: list[ChatCompletionChunk] = []
        with pytest.raises(ProviderStreamError) as info:
            async with await client.chat_stream(MODELS[provider], MESSAGES) as stream:
                async for chunk in stream:
                    received.append(chunk)
    error = info.value
    assert isinstance(error, StreamError)
    for family in families:
        assert isinstance(error, family)
    assert error.status_code == status
    assert error.chunks_received == len(received) > 0
    assert error.text == "".join(
        c.choices[0].delta.content or "" for c in received if c.choices
    )
    assert error_object["message"] in str(error)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("how", ["cut", "no_terminal", "mid_event"])
async def test_stream_cut_before_its_terminal_event(provider: str, how: str) -> None:
    reply = ScriptedReply(text=["one ", "two ", "three ", "four ", "five"])
    fault = {"cut": Fault(cut_after_events=4), "no_terminal": Fault(no_done=True),
             "mid_event": Fault(cut_mid_event=4)}[how]
    async with (
        LocalProvider(api_key=server_key(provider), reply=reply, fault=fault) as server,
        client_for(server, provider) as client,
    ):
        received: list[ChatCompletionChunk] = []
        if how == "no_terminal" and provider in ("openai", "azure"):
            # OpenAI's rule: without [DONE], complete once every choice has finished.
            chunks = await stream_all(client, MODELS[provider])
            assert chunks[-1].usage is not None
            return
        with pytest.raises(StreamTruncatedError) as info:
            async with await client.chat_stream(MODELS[provider], MESSAGES) as stream:
                async for chunk in stream:
                    received.append(chunk)
    error = info.value
    assert error.chunks_received == len(received)
    assert error.text == "".join(
        c.choices[0].delta.content or "" for c in received if c.choices
    )
    if how != "no_terminal":
        assert str(error).startswith("the connection closed after ")
        assert error.text and "one" in error.text


@pytest.mark.parametrize(
    ("provider", "family"),
    [("anthropic", AuthenticationError), ("bedrock", PermissionDeniedError),
     ("cohere", AuthenticationError), ("azure", AuthenticationError),
     ("vertex_ai", AuthenticationError), ("openai_responses", AuthenticationError),
     ("azure_responses", AuthenticationError)],
)
async def test_wrong_credentials(provider: str, family: type[Exception]) -> None:
    async with (
        LocalProvider(api_key="something-else") as server,
        client_for(server, provider) as client,
    ):
        with pytest.raises(family) as info:
            await client.chat_stream(MODELS[provider], MESSAGES)
    assert info.value.provider == provider  # type: ignore[attr-defined]
    assert info.value.request_id  # type: ignore[attr-defined]
    assert KEY not in str(info.value)


# --- fixtures for the streaming client ------------------------------------------------------


@pytest.fixture
async def anthropic_server() -> AsyncIterator[LocalProvider]:
    async with LocalProvider(api_key=KEY) as server:
        yield server


async def test_anthropic_thinking_signature_reachable_and_sent_back(
    anthropic_server: LocalProvider,
) -> None:
    anthropic_server.reply = ScriptedReply(reasoning=["Let me ", "think."], text=["Hi."],
                                           signature="c2ln")
    async with client_for(anthropic_server, "anthropic") as client:
        chunks = await stream_all(client, MODELS["anthropic"])
        signatures = [c.choices[0].delta.extra.get("signature") for c in chunks if c.choices]
        assert "c2ln" in signatures
        assert all(c.choices[0].delta.content is None for c in chunks
                   if c.choices and c.choices[0].delta.reasoning_content)
        reply = await client.chat(MODELS["anthropic"], MESSAGES)
        message = reply.choices[0].message
        assert message.reasoning_content == "Let me think." and message.content == "Hi."
        await client.chat(MODELS["anthropic"], [*MESSAGES, message, {"role": "user",
                                                                     "content": "more"}])
    sent = anthropic_server.requests[-1].json["messages"][1]
    assert sent == {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Let me think.", "signature": "c2ln"},
        {"type": "text", "text": "Hi."}]}


async def test_gemini_reply_goes_back_with_its_thought_signatures() -> None:
    async with LocalProvider(api_key=KEY) as server, client_for(server, "gemini") as client:
        server.reply = ScriptedReply(
            text=["Checking."], finish_reason="tool_calls",
            tool_calls=[ScriptedToolCall("call_0", "weather", ['{"city": "Oslo"}'])],
        )
        reply = await client.chat(MODELS["gemini"], MESSAGES)
        message = reply.choices[0].message
        assert message.tool_calls and message.tool_calls[0].function.name == "weather"
        await client.chat(MODELS["gemini"], [
            *MESSAGES, message,
            {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": "sunny"},
        ])
    contents = server.requests[-1].json["contents"]
    assert contents[1] == {"role": "model", "parts": [
        {"text": "Checking."},
        {"functionCall": {"name": "weather", "args": {"city": "Oslo"}},
         "thoughtSignature": "c2lnbmF0dXJl"}]}
    assert contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "weather", "response": {"result": "sunny"}}}]}


async def test_missing_botocore_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "botocore.session", None)  # as if botocore were absent
    async with (
        LocalProvider(api_key=AWS_KEY) as server,
        LlmClient(base_url=server.root_url, provider_options=OPTIONS) as client,
    ):
        with pytest.raises(ConfigurationError, match=r"literllm\[bedrock\]"):
            await client.chat(MODELS["bedrock"], MESSAGES)
    assert server.requests == []


# --- Claude on Vertex AI: Anthropic's body and events over Vertex's rawPredict ---------------

CLAUDE_ON_VERTEX = "vertex_ai/claude-sonnet-4-5@20250929"


async def test_claude_on_vertex_streams_and_answers_in_every_split() -> None:
    async with LocalProvider(api_key=KEY, pieces=(1, 64)) as server, LlmClient(
        api_key=KEY, base_url=server.root_url, provider_options=OPTIONS, max_retries=0,
    ) as client:
        for seed in range(8):
            reply = random_reply(seed)
            server.reply = reply
            server.seed = seed
            streamed = accumulate(await stream_all(client, CLAUDE_ON_VERTEX))
            assert_matches(streamed, _sent(reply), parsed_args=True)
            whole = final_of(await client.chat(CLAUDE_ON_VERTEX, MESSAGES))
            assert_matches(whole, _sent(reply), parsed_args=True)
        sent = server.requests[0]
        assert sent.path == ("/v1/projects/local-project/locations/us-central1/publishers/"
                             "anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict")
        assert sent.headers["Authorization"] == f"Bearer {KEY}"
        assert "x-api-key" not in sent.headers and "anthropic-version" not in sent.headers
        assert sent.json["anthropic_version"] == "vertex-2023-10-16"
        assert "model" not in sent.json and sent.json["stream"] is True
        assert server.requests[1].path.endswith(":rawPredict")
        # A cut before message_stop, and an in-stream error, as Anthropic's.
        server.reply = random_reply(1)
        server.fault = Fault(cut_after_events=3)
        with pytest.raises(StreamTruncatedError):
            await stream_all(client, CLAUDE_ON_VERTEX)
        server.fault = Fault(error_at=2, error_object={"type": "overloaded_error",
                                                       "message": "Overloaded"})
        with pytest.raises(ServiceUnavailableError, match="Overloaded"):
            await stream_all(client, CLAUDE_ON_VERTEX)
        # Gemini models on Vertex are unchanged.
        server.fault = None
        await stream_all(client, "vertex_ai/gemini-2.5-pro")
        assert "/publishers/google/models/gemini-2.5-pro:" in server.requests[-1].path


async def test_claude_on_vertex_offline() -> None:
    from literllm.testing import ReplayTransport

    transport = ReplayTransport(ScriptedReply(text=["on ", "vertex"]))
    async with LlmClient(api_key=KEY, provider_options=OPTIONS, transport=transport) as client:
        reply = await (await client.chat_stream(CLAUDE_ON_VERTEX, MESSAGES)).final()
    assert reply.choices[0].message.content == "on vertex"
    assert transport.requests[0].url == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/local-project/locations/"
        "us-central1/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict")


# --- Claude on Bedrock InvokeModel: Anthropic's events, base64, in EventStream chunks -------

CLAUDE_ON_BEDROCK = "bedrock/invoke/us.anthropic.claude-sonnet-4-5-20250929-v1:0"


async def test_claude_on_bedrock_invoke_model_in_every_split() -> None:
    async with LocalProvider(api_key=AWS_KEY, pieces=(1, 64)) as server, client_for(
        server, "bedrock"
    ) as client:
        for seed in range(8):
            reply = random_reply(seed)
            server.reply = reply
            server.seed = seed
            streamed = accumulate(await stream_all(client, CLAUDE_ON_BEDROCK))
            assert_matches(streamed, _sent(reply), parsed_args=True)
            whole = final_of(await client.chat(CLAUDE_ON_BEDROCK, MESSAGES))
            assert_matches(whole, _sent(reply), parsed_args=True)
        sent = server.requests[0]
        assert sent.path == ("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/"
                             "invoke-with-response-stream")
        assert sent.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
        assert sent.json["anthropic_version"] == "bedrock-2023-05-31"
        assert "model" not in sent.json and "stream" not in sent.json
        assert server.requests[1].path.endswith("/invoke")
        server.reply = random_reply(2)
        for fault, error in ((Fault(cut_after_events=3), StreamTruncatedError),
                             (Fault(cut_mid_event=2), StreamTruncatedError),
                             (Fault(no_done=True), StreamTruncatedError),
                             (Fault(malformed_at=2), MalformedChunkError),
                             (Fault(error_at=2, error_object={"type": "throttlingException",
                                                              "message": "slow"}),
                              RateLimitError)):
            server.fault = fault
            with pytest.raises(error):
                await stream_all(client, CLAUDE_ON_BEDROCK)
        server.fault = None
        await stream_all(client, "bedrock/us.anthropic.claude-sonnet-4-v1:0")  # Converse still
        assert server.requests[-1].path.endswith("/converse-stream")


async def test_claude_on_bedrock_invoke_model_offline() -> None:
    from literllm.testing import ReplayTransport

    transport = ReplayTransport(ScriptedReply(text=["in ", "bedrock"]))
    async with LlmClient(provider_options=OPTIONS, transport=transport) as client:
        reply = await (await client.chat_stream(CLAUDE_ON_BEDROCK, MESSAGES)).final()
    assert reply.choices[0].message.content == "in bedrock"
    assert transport.requests[0].url.endswith("%3A0/invoke-with-response-stream")


# --- Ollama's native /api/chat: NDJSON ----------------------------------------------------

OLLAMA = "ollama_chat/qwen3:8b"


def _ollama_client(server: LocalProvider, **options: Any) -> LlmClient:
    return LlmClient(provider_options={"ollama_chat": {"base_url": server.root_url}},
                     max_retries=0, **options)


async def test_ollama_native_streams_and_answers_in_every_split() -> None:
    async with LocalProvider(api_key=None, pieces=(1, 64)) as server, _ollama_client(
        server
    ) as client:
        for seed in range(8):
            reply = random_reply(seed)
            server.reply = reply
            server.seed = seed
            streamed = accumulate(await stream_all(client, OLLAMA))
            expected = _sent(reply)
            if reply.tool_calls:
                expected["finish_reason"] = "tool_calls"
            assert_matches(streamed, expected, parsed_args=True)
            whole = final_of(await client.chat(OLLAMA, MESSAGES))
            assert_matches(whole, expected, parsed_args=True)
        sent = server.requests[0]
        assert sent.path == "/api/chat" and sent.json["stream"] is True
        assert sent.json["model"] == "qwen3:8b"
        assert server.requests[1].json["stream"] is False
        for fault, error in ((Fault(cut_after_events=2), StreamTruncatedError),
                             (Fault(cut_mid_event=1), StreamTruncatedError),
                             (Fault(no_done=True), StreamTruncatedError),
                             (Fault(malformed_at=1), MalformedChunkError),
                             (Fault(error_at=1, error_object={"message": "model is loading"}),
                              ProviderStreamError)):
            server.fault = fault
            with pytest.raises(error):
                await stream_all(client, OLLAMA)


async def test_ollama_native_request_translation() -> None:
    async with LocalProvider(api_key=None) as server, _ollama_client(server) as client:
        await client.chat(OLLAMA, [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
            ]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_7", "type": "function",
                 "function": {"name": "look", "arguments": '{"at": "it"}'}}]},
            {"role": "tool", "tool_call_id": "call_7", "content": "a cat"},
        ], temperature=0.2, max_tokens=64, stop="END", seed=3,
            response_format={"type": "json_object"}, reasoning_effort="none",
            tools=[{"type": "function", "function": {"name": "look", "parameters": {}}}])
        body = server.requests[0].json
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is this?", "images": ["iVBORw0K"]},
        {"role": "assistant", "content": "",
         "tool_calls": [{"function": {"name": "look", "arguments": {"at": "it"}}}]},
        {"role": "tool", "content": "a cat", "tool_name": "look"},
    ]
    assert body["options"] == {"temperature": 0.2, "num_predict": 64, "stop": ["END"],
                               "seed": 3}
    assert body["format"] == "json" and body["think"] is False
    assert body["tools"][0]["function"]["name"] == "look"
    async with LocalProvider(api_key=None) as server, _ollama_client(server) as client:
        with pytest.raises(ConfigurationError, match="images as data"):
            await client.chat(OLLAMA, [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://x/cat.png"}}]}])
        with pytest.raises(ConfigurationError, match="logprobs"):
            await client.chat(OLLAMA, MESSAGES, logprobs=True)


async def test_ollama_native_offline_and_recorded() -> None:
    from literllm.testing import ReplayTransport

    transport = ReplayTransport(ScriptedReply(text=["from ", "ollama"], reasoning=["hm"]))
    async with LlmClient(transport=transport) as client:
        reply = await (await client.chat_stream(OLLAMA, MESSAGES)).final()
    assert reply.choices[0].message.content == "from ollama"
    assert reply.choices[0].message.reasoning_content == "hm"
    assert transport.requests[0].url == "http://localhost:11434/api/chat"


async def test_ollama_native_ignores_the_servers_bind_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from literllm.testing import ReplayTransport

    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:11434")  # the server's own setting, no scheme
    transport = ReplayTransport("fine")
    async with LlmClient(transport=transport) as client:
        await (await client.chat_stream(OLLAMA, MESSAGES)).final()
    assert transport.requests[0].url == "http://localhost:11434/api/chat"
