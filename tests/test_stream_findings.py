"""What real streams and third-party servers showed (issue 14): error codes sent as digit
strings, usage Groq sends outside ``usage``, tools Bedrock runs itself. Bodies built here,
fed in several splits over both parser twins (``replay`` re-cuts them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from literllm import (
    ProviderStreamError,
    StreamRateLimitError,
    StreamServerError,
    StreamServiceUnavailableError,
    replay,
)
from literllm._accumulate_py import StreamAccumulator
from literllm.testing import encode_event_message

SPLITS = [None, 1, 7, ("seed", 3)]


def openai_event(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def text_chunk(text: str, finish: str | None = None, **extra: Any) -> bytes:
    return openai_event({"id": "c1", "object": "chat.completion.chunk", "created": 1,
                         "model": "m", "choices": [{"index": 0, "delta": {"content": text},
                                                    "finish_reason": finish}], **extra})


def final(body: bytes, provider: str, split: Any) -> Any:
    accumulator = StreamAccumulator()
    for chunk in replay(body, provider, split=split):
        accumulator.add(chunk)
    return accumulator.completion()


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(
    ("code", "expected"),
    [("429", StreamRateLimitError), ("500", StreamServerError), (503, StreamServiceUnavailableError),
     ("529", StreamServiceUnavailableError), ("abc", ProviderStreamError), ("4290", ProviderStreamError)],
)
def test_error_codes_as_digit_strings_are_typed(code: Any, expected: type, split: Any) -> None:
    # LiteLLM's proxy: {"error": {"message": ..., "type": null, "code": "500"}}
    error = {"error": {"message": "proxied failure", "type": None, "code": code}}
    body = text_chunk("a") + openai_event(error)
    with pytest.raises(expected) as caught:
        list(replay(body, "openai", split=split))
    assert type(caught.value) is expected
    assert caught.value.text == "a"
    if expected is not ProviderStreamError:
        assert caught.value.status_code == int(code)


@pytest.mark.parametrize("provider", ["anthropic", "gemini"])
def test_digit_string_codes_in_the_other_sse_adapters(provider: str) -> None:
    error = {"error": {"message": "busy", "code": "429"}}
    if provider == "anthropic":
        body = b"event: error\ndata: " + json.dumps({"type": "error", **error}).encode() + b"\n\n"
    else:
        body = b"data: " + json.dumps(error).encode() + b"\r\n\r\n"
    with pytest.raises(StreamRateLimitError):
        list(replay(body, provider))


def test_bedrock_original_status_code_as_digits() -> None:
    frame = encode_event_message(
        {":message-type": "exception", ":exception-type": "aNewUpstreamException",
         ":content-type": "application/json"},
        json.dumps({"message": "upstream", "originalStatusCode": "503"}).encode(),
    )
    with pytest.raises(StreamServiceUnavailableError):
        list(replay(frame, "bedrock"))


@pytest.mark.parametrize("split", SPLITS)
def test_groq_usage_in_x_groq_is_read(split: Any) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14,
             "queue_time": 0.01}
    body = (
        text_chunk("", x_groq={"id": "req_1"})
        + text_chunk("Hi")
        + openai_event({"id": "c1", "object": "chat.completion.chunk", "created": 1,
                        "model": "m", "choices": [{"index": 0, "delta": {},
                                                   "finish_reason": "stop"}],
                        "x_groq": {"id": "req_1", "usage": usage}})
        + b"data: [DONE]\n\n"
    )
    completion = final(body, "groq", split)
    assert completion.choices[0].message.content == "Hi"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens,
            completion.usage.total_tokens) == (11, 3, 14)


def test_usage_field_wins_over_x_groq() -> None:
    body = (
        openai_event({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                      "choices": [{"index": 0, "delta": {"content": "x"},
                                   "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                      "x_groq": {"usage": {"prompt_tokens": 9, "completion_tokens": 9}}})
        + b"data: [DONE]\n\n"
    )
    completion = final(body, "groq", None)
    assert completion.usage is not None and completion.usage.total_tokens == 2


def _bedrock_frame(kind: str, obj: dict[str, Any]) -> bytes:
    return encode_event_message({":event-type": kind, ":content-type": "application/json",
                                 ":message-type": "event"}, json.dumps(obj).encode())


@pytest.mark.parametrize("split", SPLITS)
def test_bedrock_server_tools_are_not_tool_calls(split: Any) -> None:
    # Nova's code interpreter: Bedrock runs the tool and streams its result in the same reply.
    body = b"".join([
        _bedrock_frame("messageStart", {"role": "assistant"}),
        _bedrock_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Let me "}}),
        _bedrock_frame("contentBlockStop", {"contentBlockIndex": 0}),
        _bedrock_frame("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {
            "toolUseId": "srv_1", "name": "nova_code_interpreter", "type": "server_tool_use"}}}),
        _bedrock_frame("contentBlockDelta", {"contentBlockIndex": 1, "delta": {
            "toolUse": {"input": '{"code": "print(6*7)"}'}}}),
        _bedrock_frame("contentBlockStop", {"contentBlockIndex": 1}),
        _bedrock_frame("contentBlockStart", {"contentBlockIndex": 2, "start": {"toolResult": {
            "toolUseId": "srv_1", "status": "success"}}}),
        _bedrock_frame("contentBlockStop", {"contentBlockIndex": 2}),
        _bedrock_frame("contentBlockDelta", {"contentBlockIndex": 3, "delta": {"text": "42."}}),
        _bedrock_frame("contentBlockStop", {"contentBlockIndex": 3}),
        _bedrock_frame("contentBlockStart", {"contentBlockIndex": 4, "start": {"toolUse": {
            "toolUseId": "t_1", "name": "save"}}}),
        _bedrock_frame("contentBlockDelta", {"contentBlockIndex": 4, "delta": {
            "toolUse": {"input": '{"n": 42}'}}}),
        _bedrock_frame("contentBlockStop", {"contentBlockIndex": 4}),
        _bedrock_frame("messageStop", {"stopReason": "tool_use"}),
        _bedrock_frame("metadata", {"usage": {"inputTokens": 5, "outputTokens": 7,
                                              "totalTokens": 12}}),
    ])
    chunks = list(replay(body, "bedrock", split=split))
    accumulator = StreamAccumulator()
    for chunk in chunks:
        accumulator.add(chunk)
    message = accumulator.completion().choices[0].message
    assert message.content == "Let me 42."
    assert message.tool_calls is not None
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("t_1", "save", '{"n": 42}')]
    # The server tool and its result stay reachable in the chunks' extra.
    extras = [chunk.choices[0].delta.extra for chunk in chunks if chunk.choices]
    assert any(extra.get("toolUse", {}).get("type") == "server_tool_use" for extra in extras)
    assert any("toolResult" in extra for extra in extras)
    assert any(extra.get("toolUse", {}).get("input") == '{"code": "print(6*7)"}'
               for extra in extras)
