"""Typed requests at run time: replies sent back as turns, to_dict(), unknown keywords."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from literllm import ChatCompletion, LlmClient, Message
from literllm.testing import LocalProvider, sse_body
from literllm.types import MessageParam

KEY = "sk-test-requests"


def _tool_call_script() -> list[dict[str, Any]]:
    """A reply that thinks, says a little and calls two tools (arguments in pieces)."""
    base = {"id": "chatcmpl-tools", "object": "chat.completion.chunk", "created": 7,
            "model": "gpt-4o-2024-08-06"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    return [
        chunk({"role": "assistant", "content": None, "reasoning_content": "Two cities."}),
        chunk({"content": "Checking."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                               "function": {"name": "get_weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                               "function": {"name": "get_weather",
                                            "arguments": '{"city": "Lima"}'}}]}),
        chunk({}, "tool_calls"),
        {**base, "choices": [],
         "usage": {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29}},
    ]


@pytest.fixture
async def server() -> AsyncIterator[LocalProvider]:
    async with LocalProvider(api_key=KEY, body=sse_body(_tool_call_script())) as provider:
        yield provider


@pytest.fixture
async def client(server: LocalProvider) -> AsyncIterator[LlmClient]:
    async with LlmClient(api_key=KEY, base_url=server.base_url) as llm:
        yield llm


async def test_chat_answers_with_the_tool_calls_the_script_holds(client: LlmClient) -> None:
    reply = await client.chat("openai/gpt-4o", [{"role": "user", "content": "Weather?"}])
    message = reply.choices[0].message
    assert reply.choices[0].finish_reason == "tool_calls"
    assert message.content == "Checking."
    assert message.reasoning_content == "Two cities."
    assert [(c.id, c.function.name, json.loads(c.function.arguments))
            for c in message.tool_calls or ()] == [
        ("call_a", "get_weather", {"city": "Oslo"}),
        ("call_b", "get_weather", {"city": "Lima"}),
    ]
    assert reply.usage is not None and reply.usage.total_tokens == 29


async def test_a_reply_goes_back_as_the_next_turn(
    server: LocalProvider, client: LlmClient
) -> None:
    history: list[MessageParam | Message] = [{"role": "user", "content": "Weather?"}]
    reply = await client.chat("openai/gpt-4o", history)
    message = reply.choices[0].message
    history.append(message)
    for call in message.tool_calls or ():
        history.append({"role": "tool", "tool_call_id": call.id, "content": "sunny"})
    await client.chat("openai/gpt-4o", history)
    sent = server.requests[-1].json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {"id": "call_a", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}},
            {"id": "call_b", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Lima"}'}},
        ],
        "refusal": None,  # the provider sent this null, so it goes back
    }
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    # The caller's list is untouched: the Message is still a Message.
    assert history[1] is message


def test_message_to_dict_leaves_out_raw_and_unsent_nulls() -> None:
    message = Message("assistant", "Hi", raw={"role": "assistant", "content": "Hi"})
    assert message.to_dict() == {"role": "assistant", "content": "Hi"}
    with_reasoning = Message("assistant", None, None, None, "hmm", raw={"content": None})
    assert with_reasoning.to_dict() == {
        "role": "assistant", "content": None, "reasoning_content": "hmm"
    }


async def test_to_dict_of_streamed_chunks_and_completions(client: LlmClient) -> None:
    async with await client.chat_stream(
        "openai/gpt-4o", [{"role": "user", "content": "x"}]
    ) as stream:
        chunks = [chunk async for chunk in stream]
    third = chunks[2].to_dict()
    assert third["choices"][0]["delta"]["tool_calls"] == [
        {"index": 0, "id": "call_a", "type": "function",
         "function": {"name": "get_weather", "arguments": ""}},
    ]
    assert "raw" not in json.dumps(third)
    assert "usage" not in third  # not sent in this chunk
    assert chunks[-1].to_dict()["usage"] == {
        "prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29
    }
    completion = await client.chat("openai/gpt-4o", [{"role": "user", "content": "x"}])
    as_dict = completion.to_dict()
    assert as_dict["object"] == "chat.completion"
    assert json.loads(json.dumps(as_dict)) == as_dict
    rebuilt = ChatCompletion(**{**as_dict, "choices": completion.choices,
                                "usage": completion.usage})
    assert rebuilt == completion


async def test_unknown_keyword_is_a_type_error_before_io(
    server: LocalProvider, client: LlmClient
) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'temprature'"):
        await client.chat_stream("openai/gpt-4o", [], temprature=0.2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="chat\\(\\) got an unexpected keyword argument 'stream'"):
        await client.chat("openai/gpt-4o", [], stream=True)  # type: ignore[call-arg]
    assert server.requests == []


async def test_plain_dicts_and_typed_params_reach_the_wire(
    server: LocalProvider, client: LlmClient
) -> None:
    untyped: list[dict[str, Any]] = [{"role": "user", "content": "x", "name": "ana"}]
    await client.chat(
        "openai/gpt-4o", untyped,  # type: ignore[arg-type]
        reasoning_effort="low", tool_choice={"type": "function", "function": {"name": "f"}},
        response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": {}}},
        temperature=None,
    )
    body = server.requests[-1].json
    assert body["messages"] == untyped
    assert body["reasoning_effort"] == "low"
    assert body["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert body["response_format"]["type"] == "json_schema"
    assert "temperature" not in body  # None means not sent
