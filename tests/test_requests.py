"""Typed requests at run time: replies sent back as turns, to_dict(), unknown keywords."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from literllm import ChatCompletion, ConfigurationError, LlmClient, Message
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
    with pytest.raises(TypeError, match="unexpected keyword argument 'temprature' "
                       r"\(did you mean 'temperature'\?\)"):
        await client.chat_stream("openai/gpt-4o", [], temprature=0.2)  # type: ignore[call-arg]
    # openai-python's stream=True: the error says which method does what.
    with pytest.raises(TypeError, match=r"chat\(\) takes no stream= argument: it returns the "
                       r"whole reply; use chat_stream\(\)"):
        await client.chat("openai/gpt-4o", [], stream=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"chat_stream\(\) takes no stream= argument: it always "
                       r"streams; use chat\(\)"):
        await client.chat_stream("openai/gpt-4o", [], stream=True)  # type: ignore[call-arg]
    assert server.requests == []


@pytest.mark.parametrize(("params", "message"), [
    ({"temperature": "hot"}, "temperature must be a number, not str 'hot'"),
    ({"temperature": True}, "temperature must be a number, not bool"),
    ({"temperature": float("inf")}, "temperature must be a finite number"),
    ({"max_tokens": -5}, "max_tokens must be at least 1, not -5"),
    ({"max_tokens": 0}, "max_tokens must be at least 1"),
    ({"max_completion_tokens": 2.5}, "max_completion_tokens must be an integer, not float"),
    ({"n": 0}, "n must be at least 1"),
    ({"stop": [1, 2]}, "stop must be a string or a list of strings"),
    ({"stop": b"x"}, "stop must be a string or a list of strings"),
    ({"tools": {"type": "function"}}, "tools must be a list of mappings"),
    ({"tool_choice": "sometimes"}, "tool_choice must be one of 'none', 'auto', 'required'"),
    ({"reasoning_effort": "max"}, "extra_body= sends a provider's own value"),
    ({"logprobs": "yes"}, "logprobs must be True or False"),
    ({"response_format": "json"}, "response_format must be a mapping"),
    ({"extra_headers": [("a", "b")]}, "extra_headers must be a mapping"),
    ({"timeout": "10"}, "timeout must be a number or a Timeout"),
])
async def test_wrong_typed_parameters_fail_before_io(
    server: LocalProvider, client: LlmClient, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        await client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "x"}], **params)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        await client.chat("openai/gpt-4o", [{"role": "user", "content": "x"}], **params)
    assert server.requests == []


async def test_right_typed_parameters_pass(server: LocalProvider, client: LlmClient) -> None:
    await client.chat("openai/gpt-4o", [{"role": "user", "content": "x"}], temperature=1,
                      top_p=0.5, max_tokens=3, stop="\n", seed=7, logprobs=True, top_logprobs=0,
                      tool_choice={"type": "function", "function": {"name": "f"}},
                      tools=[{"type": "function", "function": {"name": "f"}}],
                      reasoning_effort="low", timeout=5, extra_body={"top_k": 3})
    assert server.requests[0].json["top_k"] == 3


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
