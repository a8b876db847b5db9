"""Structured output: JSON parsed while it streams, a pydantic model as response_format."""

from __future__ import annotations

import sys
from typing import Any

import pydantic
import pytest
from conftest import static_aws_credentials

from literllm import (
    ConfigurationError,
    FunctionCall,
    LlmClient,
    StructuredOutputError,
    SyncLlmClient,
)
from literllm._structured import strict_json_schema
from literllm.testing import ReplayTransport, ScriptedReply, ScriptedToolCall

KEY = "sk-structured-test"
MESSAGES = [{"role": "user", "content": "weather?"}]
ARGUMENT_PIECES = ['{"ci', 'ty": "Par', 'is", "da', 'ys": [1, ', '2, 3]', ', "unit": "C"}']
JSON_PIECES = ['{"name": "Ada', '", "born": 18', '15, "tags": ["math', '", "code"]}']


class Person(pydantic.BaseModel):
    name: str
    born: int
    tags: list[str]
    nickname: str | None = None


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    static_aws_credentials(monkeypatch, "AKIASTRUCTUREDTEST00", "structured-secret-not-real")


def client(transport: ReplayTransport) -> LlmClient:
    return LlmClient(
        api_key={"openai": KEY, "anthropic": KEY, "gemini": KEY, "cohere": KEY},
        provider_options={"bedrock": {"region": "us-east-1"}}, transport=transport,
    )


def tool_reply(pieces: list[str]) -> ScriptedReply:
    return ScriptedReply(tool_calls=[ScriptedToolCall("call_1", "weather", pieces)],
                         finish_reason="tool_calls")


@pytest.mark.parametrize("model", ["openai/gpt-4o", "anthropic/claude-sonnet-4",
                                   "bedrock/anthropic.claude", "cohere/command-a"])
async def test_tool_arguments_parse_while_they_stream(model: str) -> None:
    # Single-byte pieces: every state of the arguments is seen at some chunk.
    transport = ReplayTransport(tool_reply(ARGUMENT_PIECES), pieces=(1, 1))
    seen: list[Any] = []
    async with client(transport) as llm:
        stream = await llm.chat_stream(model, MESSAGES)
        async for _chunk in stream:
            calls = stream.accumulated.choices[0].message.tool_calls
            if calls:
                seen.append(calls[0].function.parsed_arguments)
    final = {"city": "Paris", "days": [1, 2, 3], "unit": "C"}
    assert seen[-1] == final
    # Partial values as they arrive: a string only once it is closed, lists as they grow.
    assert {"city": "Paris", "days": [1]} in seen
    assert all(v == {} or "city" not in v or v["city"] == "Paris" for v in seen if v)
    assert not any(isinstance(v, dict) and v.get("city") == "Par" for v in seen)


def test_parsed_arguments_of_whole_and_bad_arguments() -> None:
    assert FunctionCall("f", "").parsed_arguments is None
    assert FunctionCall("f", '{"a": 1}').parsed_arguments == {"a": 1}
    assert FunctionCall("f", '{"a": [1, {"b": tr').parsed_arguments == {"a": [1, {}]}
    with pytest.raises(ValueError):
        _ = FunctionCall("f", "not json").parsed_arguments


async def test_json_output_parses_while_it_streams_and_in_full() -> None:
    reply = ScriptedReply(text=JSON_PIECES)
    transport = ReplayTransport([reply, reply, reply], pieces=(1, 1))
    async with client(transport) as llm:
        stream = await llm.chat_stream(
            "openai/gpt-4o", MESSAGES, response_format={"type": "json_object"})
        snapshots = []
        async for _chunk in stream:
            snapshots.append(stream.accumulated.choices[0].message.parsed)
        assert snapshots[-1] == {"name": "Ada", "born": 1815, "tags": ["math", "code"]}
        assert {"name": "Ada", "born": 1815, "tags": []} in snapshots
        whole = await stream.final()
        assert whole.choices[0].message.parsed == snapshots[-1]
        # Without a JSON response_format, nothing is parsed.
        plain = await (await llm.chat_stream("openai/gpt-4o", MESSAGES)).final()
        assert plain.choices[0].message.parsed is None
        reply_of_chat = await llm.chat(
            "openai/gpt-4o", MESSAGES, response_format={"type": "json_object"})
        assert reply_of_chat.choices[0].message.parsed == snapshots[-1]
        # Not serialised: a message sent back as a turn carries no parsed.
        assert "parsed" not in whole.choices[0].message.to_dict()


@pytest.mark.parametrize("model", ["openai/gpt-4o", "anthropic/claude-sonnet-4",
                                   "gemini/gemini-2.5-flash"])
async def test_a_pydantic_model_as_response_format(model: str) -> None:
    reply = ScriptedReply(text=JSON_PIECES)
    transport = ReplayTransport([reply, reply])
    async with client(transport) as llm:
        stream = await llm.chat_stream(model, MESSAGES, response_format=Person)
        whole = await stream.final()
        person = whole.choices[0].message.parsed
        assert person == Person(name="Ada", born=1815, tags=["math", "code"])
        assert isinstance(stream.accumulated.choices[0].message.parsed, dict)
        answer = await llm.chat(model, MESSAGES, response_format=Person)
        assert answer.choices[0].message.parsed == person
    body = transport.requests[0].json()
    schema = {
        "openai": lambda b: b["response_format"]["json_schema"]["schema"],
        "anthropic": lambda b: b["output_format"]["schema"],
        "gemini": lambda b: b["generationConfig"]["responseJsonSchema"],
    }[model.split("/", maxsplit=1)[0]](body)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "born", "tags", "nickname"]
    if model.startswith("openai"):
        assert body["response_format"]["json_schema"]["name"] == "Person"
        assert body["response_format"]["json_schema"]["strict"] is True


async def test_a_reply_that_does_not_validate_is_a_typed_error() -> None:
    wrong = ScriptedReply(text=['{"name": "Ada", "born": "long ago", "tags": []}'])
    cut = ScriptedReply(text=['{"name": "Ada", "bo'], finish_reason="length")
    transport = ReplayTransport([wrong, cut, cut])
    async with client(transport) as llm:
        stream = await llm.chat_stream("openai/gpt-4o", MESSAGES, response_format=Person)
        with pytest.raises(StructuredOutputError, match="does not validate as Person") as info:
            await stream.final()
        assert isinstance(info.value.__cause__, pydantic.ValidationError)
        assert info.value.completion.choices[0].message.parsed["born"] == "long ago"
        stream = await llm.chat_stream("openai/gpt-4o", MESSAGES, response_format=Person)
        with pytest.raises(StructuredOutputError, match="finish_reason='length'") as info:
            await stream.final()
        assert info.value.completion.choices[0].message.parsed == {"name": "Ada"}
        # A JSON format without a model: the reply stands; parsed says it is not JSON.
        stream = await llm.chat_stream(
            "openai/gpt-4o", MESSAGES, response_format={"type": "json_object"})
        whole = await stream.final()
        assert whole.choices[0].message.content == '{"name": "Ada", "bo'
        assert whole.choices[0].message.parsed is None


def test_the_sync_client_validates_too() -> None:
    transport = ReplayTransport(ScriptedReply(text=JSON_PIECES))
    with SyncLlmClient(api_key=KEY, transport=transport) as llm:
        whole = llm.chat_stream("openai/gpt-4o", MESSAGES, response_format=Person).final()
    assert isinstance(whole.choices[0].message.parsed, Person)


async def test_without_jiter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jiter", None)
    with pytest.raises(ConfigurationError, match=r"literllm\[partial-json\]"):
        _ = FunctionCall("f", '{"a": 1').parsed_arguments
    transport = ReplayTransport(ScriptedReply(text=JSON_PIECES), pieces=(1, 1))
    async with client(transport) as llm:
        stream = await llm.chat_stream(
            "openai/gpt-4o", MESSAGES, response_format={"type": "json_object"})
        snapshots = [stream.accumulated.choices[0].message.parsed async for _ in stream]
    # Only the whole value: partial values need jiter.
    whole = {"name": "Ada", "born": 1815, "tags": ["math", "code"]}
    first = snapshots.index(whole)
    assert first >= len(JSON_PIECES) - 1  # the chunk of the last piece
    assert snapshots[:first] == [None] * first
    assert snapshots[first:] == [whole] * (len(snapshots) - first)


async def test_response_format_must_be_a_format_or_a_model() -> None:
    async with client(ReplayTransport()) as llm:
        with pytest.raises(ConfigurationError, match="a mapping or a pydantic model class"):
            await llm.chat("openai/gpt-4o", MESSAGES, response_format=int)  # type: ignore[arg-type]


def test_strict_schema_closes_every_object_and_requires_every_field() -> None:
    class Inner(pydantic.BaseModel):
        value: int = 3
        note: str | None = None

    class Outer(pydantic.BaseModel):
        inner: Inner
        items: list[Inner]

    schema = strict_json_schema(Outer.model_json_schema())
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["inner", "items"]
    inner = schema["$defs"]["Inner"]
    assert inner["additionalProperties"] is False
    assert inner["required"] == ["value", "note"]
    assert "default" not in inner["properties"]["note"]
    assert inner["properties"]["value"]["default"] == 3
    original = Outer.model_json_schema()
    assert "additionalProperties" not in original  # the model's own schema is left alone
