"""OpenAI's Responses API: the stream adapter in every split, requests on the wire, routing of
the models that exist only there, and a reply sent back as the next turn."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import accumulate, splits

from literllm import (
    ConfigurationError,
    LlmClient,
    MalformedChunkError,
    ProviderStreamError,
    RateLimitError,
    ServerError,
    StreamTruncatedError,
)
from literllm.providers.responses import ResponsesStream, responses_only
from literllm.testing import (
    Fault,
    LocalProvider,
    ReplayTransport,
    ScriptedReply,
    ScriptedToolCall,
    random_reply,
)
from literllm.testing.openai_responses import ResponsesWire

KEY = "sk-responses-test"
MESSAGES = [{"role": "user", "content": "Hello"}]
WIRE = ResponsesWire()


def run(body: bytes, pieces: list[bytes] | None = None) -> list[Any]:
    stream = ResponsesStream("gpt-5")
    chunks = []
    for piece in pieces or [body]:
        for event in stream.feed(piece):
            chunk = stream.on_event(event)
            if chunk is not None:
                chunks.append(chunk)
    stream.finish()
    return chunks


def event(obj: dict[str, Any]) -> bytes:
    return f"event: {obj['type']}\ndata: {json.dumps(obj)}\n\n".encode()


@pytest.mark.parametrize("seed", range(10))
def test_scripted_replies_in_every_split(seed: int) -> None:
    reply = random_reply(seed)
    if seed % 3 == 2 and not reply.tool_calls:
        reply.finish_reason = "length"
    body = WIRE.stream_body(reply)
    expected_finish = ("tool_calls" if reply.tool_calls else reply.finish_reason)
    for name, pieces in splits(body, seeds=3):
        got = accumulate(run(body, pieces))
        assert got["content"] == reply.content, name
        assert got["reasoning"] == reply.reasoning_text, name
        assert got["finish_reason"] == expected_finish, name
        assert got["usage"]["prompt_tokens"] == reply.prompt_tokens
        calls = [(c["id"], c["function"]["name"], c["function"]["arguments"])
                 for c in got["tool_calls"]]
        assert calls == [(c.id, c.name, c.arguments_text) for c in reply.tool_calls], name


def test_first_chunk_carries_the_response_id_and_role() -> None:
    chunks = run(WIRE.stream_body(ScriptedReply(text=["Hi"], model="gpt-5-2025-08-07")))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert {c.id for c in chunks} == {"resp_msg_local_0001"}
    assert {c.model for c in chunks} == {"gpt-5-2025-08-07"}


def test_arguments_only_on_the_done_event_and_refusals() -> None:
    body = b"".join(event(e) for e in [
        {"type": "response.created", "response": {"id": "resp_1", "model": "gpt-5"}},
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                  "name": "look", "arguments": ""}},
        {"type": "response.function_call_arguments.done", "output_index": 0,
         "item_id": "fc_1", "arguments": '{"at":"x"}'},
        {"type": "response.output_item.done", "output_index": 0,
         "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                  "name": "look", "arguments": '{"at":"x"}'}},
        {"type": "response.refusal.delta", "output_index": 1, "delta": "No."},
        {"type": "response.completed", "response": {"status": "completed", "usage": None}},
    ])
    chunks = run(body)
    got = accumulate(chunks)
    assert got["tool_calls"][0]["function"]["arguments"] == '{"at":"x"}'  # once, not twice
    assert got["finish_reason"] == "tool_calls"
    assert any(c.choices[0].delta.refusal == "No." for c in chunks)


def test_incomplete_for_a_content_filter() -> None:
    body = event({"type": "response.incomplete", "response": {
        "status": "incomplete", "incomplete_details": {"reason": "content_filter"}}})
    assert accumulate(run(body))["finish_reason"] == "content_filter"


@pytest.mark.parametrize(
    ("obj", "cls", "status"),
    [
        ({"type": "error", "code": "rate_limit_exceeded", "message": "slow"}, RateLimitError,
         429),
        ({"type": "response.failed", "response": {"status": "failed", "error": {
            "code": "server_error", "message": "boom"}}}, ServerError, 500),
        ({"type": "response.failed", "response": {"status": "failed", "error": {
            "code": "invalid_prompt", "message": "no"}}}, ProviderStreamError, 400),
    ],
)
def test_error_events_are_typed_by_their_code(obj: dict[str, Any], cls: type, status: int) -> None:
    with pytest.raises(cls) as info:
        run(event(obj))
    assert isinstance(info.value, ProviderStreamError)
    assert info.value.status_code == status


def test_truncation_and_malformed_events() -> None:
    body = WIRE.stream_body(ScriptedReply(text=["a", "b"]))
    events = WIRE.split_events(body)
    with pytest.raises(StreamTruncatedError, match=r"response\.completed"):
        run(b"".join(e for e in events if not WIRE.is_terminal(e)))
    with pytest.raises(StreamTruncatedError):
        run(body[:-5])
    with pytest.raises(MalformedChunkError):
        run(events[0] + WIRE.malformed_event())
    with pytest.raises(MalformedChunkError):  # a delta that is not text
        run(event({"type": "response.output_text.delta", "delta": 5}))


@pytest.mark.parametrize("model", ["o3-pro", "o1-pro-2025-03-19", "gpt-5-pro", "gpt-5.1-codex",
                                   "codex-mini-latest", "o3-deep-research",
                                   "computer-use-preview"])
def test_models_that_exist_only_on_the_responses_api(model: str) -> None:
    assert responses_only(model)


@pytest.mark.parametrize("model", ["gpt-4o", "o3", "gpt-5", "o3-mini", "gpt-5-mini"])
def test_chat_models_stay_on_chat_completions(model: str) -> None:
    assert not responses_only(model)


async def test_openai_models_of_the_responses_api_are_routed_there() -> None:
    async with (
        LocalProvider(api_key=KEY, reply=ScriptedReply(text=["deep ", "thought"])) as server,
        LlmClient(api_key={"openai": KEY}, base_url=server.base_url, max_retries=0) as client,
    ):
        stream = await client.chat_stream("openai/o3-pro", MESSAGES)
        reply = await stream.final()
        assert stream.provider == "openai"
        assert reply.choices[0].message.content == "deep thought"
        whole = await client.chat("openai/o3-pro", MESSAGES)
        assert whole.choices[0].message.content == "deep thought"
        await client.chat("openai/gpt-4o", MESSAGES)
    assert [r.path for r in server.requests] == [
        "/v1/responses", "/v1/responses", "/v1/chat/completions"]


async def test_request_translation() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    async with (
        LocalProvider(api_key=KEY) as server,
        LlmClient(api_key=KEY, base_url=server.base_url, max_retries=0) as client,
    ):
        await client.chat("openai_responses/gpt-5", [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
            ]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_7", "type": "function",
                 "function": {"name": "look", "arguments": '{"at": "it"}'}}]},
            {"role": "tool", "tool_call_id": "call_7", "content": "a cat"},
        ], max_tokens=64, temperature=0.5, reasoning_effort="low", store=False,
            tools=[{"type": "function", "function": {
                "name": "look", "description": "Look", "parameters": schema, "strict": True}},
                {"type": "web_search"}],
            tool_choice={"type": "function", "function": {"name": "look"}},
            response_format={"type": "json_schema", "json_schema": {
                "name": "answer", "schema": schema, "strict": True}})
        body = server.requests[0].json
        with pytest.raises(ConfigurationError, match="does not take seed"):
            await client.chat("openai_responses/gpt-5", MESSAGES, seed=1)
    assert body["input"] == [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "https://x/cat.png", "detail": "auto"}]},
        {"type": "function_call", "call_id": "call_7", "name": "look",
         "arguments": '{"at": "it"}'},
        {"type": "function_call_output", "call_id": "call_7", "output": "a cat"},
    ]
    assert "messages" not in body and body["stream"] is False
    assert body["max_output_tokens"] == 64 and body["temperature"] == 0.5
    assert body["reasoning"] == {"effort": "low"}
    assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]
    assert body["tools"] == [
        {"type": "function", "name": "look", "description": "Look", "parameters": schema,
         "strict": True},
        {"type": "web_search"}]
    assert body["tool_choice"] == {"type": "function", "name": "look"}
    assert body["text"] == {"format": {"type": "json_schema", "name": "answer",
                                       "schema": schema, "strict": True}}


@pytest.mark.parametrize("stream", [True, False])
async def test_a_reply_goes_back_with_its_reasoning_items(stream: bool) -> None:
    call = ScriptedToolCall("call_1", "look", ['{"at":', '"x"}'])
    reply = ScriptedReply(reasoning=["Hm, ", "look."], tool_calls=[call],
                          finish_reason="tool_calls", signature="ZW5j")
    async with (
        LocalProvider(api_key=KEY, reply=reply) as server,
        LlmClient(api_key=KEY, base_url=server.base_url, max_retries=0) as client,
    ):
        model = "openai_responses/o4-mini"
        if stream:
            message = (await (await client.chat_stream(model, MESSAGES)).final()).choices[0].message
        else:
            message = (await client.chat(model, MESSAGES)).choices[0].message
        assert message.reasoning_content == "Hm, look."
        assert message.tool_calls is not None and message.tool_calls[0].id == "call_1"
        await client.chat(model, [*MESSAGES, message,
                                  {"role": "tool", "tool_call_id": "call_1", "content": "ok"}])
        sent = server.requests[-1].json["input"]
    assert sent[1]["type"] == "reasoning" and sent[1]["encrypted_content"] == "ZW5j"
    assert sent[1]["summary"] == [{"type": "summary_text", "text": "Hm, look."}]
    assert sent[2] == {"type": "function_call", "call_id": "call_1", "name": "look",
                       "arguments": '{"at":"x"}'}
    assert sent[3]["type"] == "function_call_output"


async def test_azure_responses_paths_and_key() -> None:
    async with (
        LocalProvider(api_key=KEY) as server,
        LlmClient(api_key={"azure_responses": KEY}, base_url=server.root_url,
                  max_retries=0) as client,
    ):
        await (await client.chat_stream("azure_responses/my-gpt-5", MESSAGES)).final()
        async with LlmClient(
            api_key={"azure_responses": KEY}, base_url=server.root_url, max_retries=0,
            provider_options={"azure_responses": {"api_version": "2025-04-01-preview"}},
        ) as versioned:
            await versioned.chat("azure_responses/my-gpt-5", MESSAGES)
    assert server.requests[0].path == "/openai/v1/responses"
    assert server.requests[0].headers["api-key"] == KEY
    assert server.requests[0].json["model"] == "my-gpt-5"
    assert server.requests[1].path == "/openai/responses?api-version=2025-04-01-preview"


async def test_offline_and_faults() -> None:
    transport = ReplayTransport([ScriptedReply(text=["off", "line"]),
                                 Fault(cut_after_events=4), Fault(no_done=True)])
    async with LlmClient(transport=transport, max_retries=0) as client:
        reply = await (await client.chat_stream("openai/gpt-5-codex", MESSAGES)).final()
        assert reply.choices[0].message.content == "offline"
        for _ in range(2):
            with pytest.raises(StreamTruncatedError):
                await (await client.chat_stream("openai/gpt-5-codex", MESSAGES)).final()
    assert transport.requests[0].url == "https://api.openai.com/v1/responses"
