"""Prompt caching (issue 14): ``cache_control`` reaches the wire where the caller put it
(Anthropic), as ``cachePoint`` blocks (Bedrock), ``cachedContent`` (Gemini); cached, cache-write
and reasoning tokens land in OpenAI's usage details for every provider, streamed or not."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from test_providers import MODELS, aws_credentials, client_for, server_key  # noqa: F401

from literllm import LlmClient
from literllm.testing import LocalProvider, ScriptedReply, ScriptedToolCall

CACHE = {"type": "ephemeral"}
CACHE_1H = {"type": "ephemeral", "ttl": "1h"}
IMAGE = "data:image/png;base64,iVBORw0KGgo="
TOOLS: list[Any] = [
    {"type": "function", "function": {"name": "first", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "last", "parameters": {"type": "object"}},
     "cache_control": CACHE},
]
MESSAGES: list[Any] = [
    {"role": "system", "content": [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": "A long reference manual ...", "cache_control": CACHE_1H},
    ]},
    {"role": "user", "content": [
        {"type": "text", "text": "Look at this", "cache_control": CACHE},
        {"type": "image_url", "image_url": {"url": IMAGE}, "cache_control": CACHE},
    ]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "first", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "result text",
     "cache_control": CACHE},
    {"role": "user", "content": "and now?", "cache_control": CACHE},
]


@pytest.fixture
async def server() -> AsyncIterator[LocalProvider]:
    async with LocalProvider(api_key="sk-providers-test") as provider:
        yield provider


async def _sent_body(server: LocalProvider, provider: str, **options: Any) -> Any:
    async with client_for(server, provider, **options) as client:
        await (await client.chat_stream(MODELS[provider], MESSAGES, tools=TOOLS)).final()
    return server.requests[-1].json


async def test_anthropic_keeps_every_cache_control(server: LocalProvider) -> None:
    body = await _sent_body(server, "anthropic")
    assert body["system"] == [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": "A long reference manual ...", "cache_control": CACHE_1H},
    ]
    first_user = body["messages"][0]["content"]
    assert first_user[0] == {"type": "text", "text": "Look at this", "cache_control": CACHE}
    assert first_user[1]["type"] == "image" and first_user[1]["cache_control"] == CACHE
    # The tool result and the next user turn merge into one user turn (roles alternate).
    last_user = body["messages"][2]["content"]
    assert last_user[0]["type"] == "tool_result" and last_user[0]["cache_control"] == CACHE
    assert last_user[1] == {"type": "text", "text": "and now?", "cache_control": CACHE}
    assert "cache_control" not in body["tools"][0]
    assert body["tools"][1]["cache_control"] == CACHE


async def test_anthropic_message_level_cache_control_marks_the_last_block(
    server: LocalProvider,
) -> None:
    messages: list[Any] = [
        {"role": "system", "content": "Rules", "cache_control": CACHE},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
         "cache_control": CACHE},
    ]
    async with client_for(server, "anthropic") as client:
        await (await client.chat_stream(MODELS["anthropic"], messages)).final()
    body = server.requests[-1].json
    assert body["system"] == [{"type": "text", "text": "Rules", "cache_control": CACHE}]
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "a"}, {"type": "text", "text": "b", "cache_control": CACHE}]


async def test_bedrock_gets_cache_points() -> None:
    async with LocalProvider(api_key=server_key("bedrock")) as server:
        body = await _sent_body(server, "bedrock")
    point = {"cachePoint": {"type": "default"}}
    assert body["system"] == [{"text": "You are terse."}, {"text": "A long reference manual ..."},
                              point]
    first_user = body["messages"][0]["content"]
    assert first_user[0] == {"text": "Look at this"} and first_user[1] == point
    assert "image" in first_user[2] and first_user[3] == point
    last_user = body["messages"][2]["content"]
    assert "toolResult" in last_user[0] and last_user[1] == point
    assert last_user[2:] == [{"text": "and now?"}, point]
    tools = body["toolConfig"]["tools"]
    assert [list(t) for t in tools] == [["toolSpec"], ["toolSpec"], ["cachePoint"]]


async def test_gemini_cached_content_is_a_provider_option(server: LocalProvider) -> None:
    async with LlmClient(api_key="sk-providers-test", base_url=server.url_for("gemini"),
                         provider_options={"gemini": {"cached_content": "cachedContents/abc"}},
                         ) as client:
        await (await client.chat_stream(MODELS["gemini"], [{"role": "user", "content": "x"}])
               ).final()
    assert server.requests[-1].json["cachedContent"] == "cachedContents/abc"


USAGE_REPLY = ScriptedReply(text=["Hello", " there"], prompt_tokens=100, completion_tokens=20,
                            cached_tokens=60, cache_write_tokens=30, reasoning_tokens=8)
# What each format reports: (cached, cache writes, reasoning) it can say.
REPORTS = {
    "openai": (60, None, 8),
    "anthropic": (60, 30, None),
    "bedrock": (60, 30, None),
    "gemini": (60, None, 8),
}


@pytest.mark.parametrize("provider", sorted(REPORTS))
async def test_usage_details_for_every_provider_streamed_and_not(provider: str) -> None:
    cached, written, reasoning = REPORTS[provider]
    async with LocalProvider(api_key=server_key(provider), reply=USAGE_REPLY) as server, \
            client_for(server, provider) as client:
        streamed = await (await client.chat_stream(MODELS[provider], [
            {"role": "user", "content": "hi"}])).final()
        whole = await client.chat(MODELS[provider], [{"role": "user", "content": "hi"}])
    for completion in (streamed, whole):
        usage = completion.usage
        assert usage is not None
        assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
            100, 20, 120), provider
        details = dict(usage.prompt_tokens_details or {})
        assert details.get("cached_tokens") == cached
        assert details.get("cache_creation_tokens") == written
        assert dict(usage.completion_tokens_details or {}).get("reasoning_tokens") == reasoning
        shown = completion.to_dict()["usage"]
        assert shown["prompt_tokens_details"]["cached_tokens"] == cached
    assert streamed.usage == whole.usage


# --- a streamed reply's final Message carries what chat()'s does ----------------------------

THINKING_REPLY = ScriptedReply(
    text=["The weather", " is fine."], reasoning=["Let me", " think."],
    tool_calls=[ScriptedToolCall("call_w1", "weather", ['{"city": ', '"Oslo"}'])],
    finish_reason="tool_calls", signature="c2lnbmVkLXRoaW5raW5n",
)
SENT_BACK = {"anthropic": "messages", "bedrock": "messages", "gemini": "contents",
             "vertex_ai": "contents", "openai": "messages", "cohere": "messages"}


def _said(message: Any) -> Any:
    """What a message says: its text, reasoning and tool calls, arguments as parsed JSON (a
    stream keeps the provider's argument text, chat() may get it re-serialised)."""
    calls = [(c.id, c.type, c.function.name, json.loads(c.function.arguments))
             for c in message.tool_calls or ()]
    return (message.role, message.content, message.reasoning_content, message.refusal, calls)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


@pytest.mark.parametrize("provider", sorted(SENT_BACK))
async def test_streamed_final_message_goes_back_as_chat_s_does(provider: str) -> None:
    ask = [{"role": "user", "content": "weather?"}]
    async with LocalProvider(api_key=server_key(provider), reply=THINKING_REPLY) as server, \
            client_for(server, provider) as client:
        streamed = (await (await client.chat_stream(MODELS[provider], ask)).final()).choices[0]
        whole = (await client.chat(MODELS[provider], ask)).choices[0]
        assert _said(streamed.message) == _said(whole.message)
        for key in ("thinking_blocks", "parts"):
            assert (streamed.message.raw or {}).get(key) == (whole.message.raw or {}).get(key)
        # Sent back as the next turn, both give the provider the same request.
        turns = []
        for message in (streamed.message, whole.message):
            follow_up = [*ask, message, {"role": "tool", "tool_call_id": "call_w1",
                                         "content": "sunny"}]
            await client.chat(MODELS[provider], follow_up)
            turns.append(server.requests[-1].json[SENT_BACK[provider]])
    assert _without_nulls(turns[0]) == _without_nulls(turns[1])
    if provider in ("anthropic", "bedrock"):
        assert "c2lnbmVkLXRoaW5raW5n" in str(turns[0]), "the signature goes back"
    if provider in ("gemini", "vertex_ai"):
        assert "thoughtSignature" in str(turns[0])


@pytest.mark.parametrize("provider", ["anthropic", "bedrock", "gemini"])
@pytest.mark.parametrize("split", [None, 1, 13])
def test_replayed_final_keeps_thinking_blocks_and_parts(provider: str, split: Any) -> None:
    from literllm._replay import replay_completion
    from literllm.testing import WIRE_FORMATS

    body = WIRE_FORMATS[provider].stream_body(THINKING_REPLY)
    raw = replay_completion(body, provider, split=split).choices[0].message.raw or {}
    if provider == "gemini":
        signed = [part for part in raw["parts"] if "thoughtSignature" in part]
        assert [part["functionCall"]["name"] for part in signed] == ["weather"]
        assert "".join(p["text"] for p in raw["parts"] if p.get("thought")) == "Let me think."
    else:
        assert raw["thinking_blocks"] == [{"type": "thinking", "thinking": "Let me think.",
                                           "signature": "c2lnbmVkLXRoaW5raW5n"}]
