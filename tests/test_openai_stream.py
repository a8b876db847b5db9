"""The OpenAI stream adapter, both twins, sans I/O: SSE bytes in, chunks out."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from conftest import conformance, splits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from literllm import (
    ChatCompletionChunk,
    MalformedChunkError,
    ProviderStreamError,
    RateLimitError,
    SSEDecoder,
    StreamTruncatedError,
)
from literllm.testing import openai_chunk_objects, sse_body


def run(module: ModuleType, body: bytes, pieces: list[bytes] | None = None) -> tuple[list[Any], Any]:
    decoder = SSEDecoder()
    adapter = module.OpenAIChatStream()
    chunks = []
    for piece in pieces or [body]:
        for event in decoder.feed_raw(piece):
            chunk = adapter.on_event(event)
            if chunk is not None:
                chunks.append(chunk)
    return chunks, adapter


def test_generated_stream(openai_stream: ModuleType) -> None:
    script = list(openai_chunk_objects(40, seed=1))
    body = sse_body(script)
    chunks, adapter = run(openai_stream, body)
    assert adapter.done
    adapter.finish()
    assert len(chunks) == 40
    assert all(type(c) is ChatCompletionChunk for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    expected = "".join(c["choices"][0]["delta"].get("content") or "" for c in script if c["choices"])
    assert "".join(adapter.text_parts) == expected
    assert chunks[5].raw == script[5]
    assert chunks[5].extra == {"service_tier": "default", "obfuscation": script[5]["obfuscation"]}
    assert chunks[5].choices[0].delta.raw == script[5]["choices"][0]["delta"]


def test_recordings_every_split(openai_stream: ModuleType) -> None:
    folder = conformance("providers")
    for path in [*sorted((folder / "openai").glob("*.sse")), *sorted((folder / "mistral").glob("*.sse"))]:
        body = path.read_bytes()
        expected = json.loads(path.with_suffix(".expected.json").read_text())
        whole, adapter = run(openai_stream, body)
        adapter.finish()
        transport = len(SSEDecoder().feed_raw(body))
        assert transport == expected["transport_events"]
        for how, pieces in splits(body, seeds=3):
            assert run(openai_stream, body, pieces)[0] == whole, (path.name, how)


def test_twins_agree_on_every_shape(both_openai_stream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_openai_stream
    base = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    shapes = [
        {**base, "choices": [{"index": 0, "delta": {"content": "a"}}]},
        {**base, "choices": [{"index": 0, "delta": {"content": None}, "finish_reason": "stop"}]},
        {**base, "choices": [{"delta": {"content": ""}}]},
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {**base, "choices": [{"index": 0, "delta": {"reasoning_content": "hm"}}]},
        {**base, "choices": [{"index": 0, "delta": {"reasoning": "hm"}}]},
        {**base, "choices": [{"index": 0, "delta": {"content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "T"}]},
            {"type": "text", "text": "A"}]}}]},
        {**base, "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": "f", "arguments": "{\"a\""}}]}}]},
        {**base, "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": ": 1}"}}]}}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {**base, "choices": [{"index": 0}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "x"}},
                             {"index": 1, "delta": {"content": "y"}}]},
        {**base, "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}},
        {**base, "choices": [{"index": 0, "delta": {"content": "u"}}], "usage": {"total_tokens": 3}},
        {**base, "choices": [{"index": 0, "delta": {"content": "u"}}], "usage": {}},
        {**base, "choices": [{"index": True, "delta": {"content": "b"}}]},
        {"choices": [{"index": 0, "delta": {"content": "bare"}}]},
        {**base, "id": None, "created": None, "choices": [{"index": 0, "delta": {"content": "n"}}]},
        {**base, "system_fingerprint": "fp", "choices": [{"index": 0, "delta": {"content": "f"},
                                                          "logprobs": {"content": []}}]},
    ]
    body = sse_body(shapes)
    py_chunks, py_adapter = run(py, body)
    c_chunks, c_adapter = run(c, body)
    assert c_chunks == py_chunks
    assert [ch.raw for ch in c_chunks] == [ch.raw for ch in py_chunks]
    assert c_adapter.text_parts == py_adapter.text_parts
    assert py_chunks[6].choices[0].delta.content == "A"
    assert py_chunks[6].choices[0].delta.reasoning_content == "T"
    assert py_chunks[7].choices[0].delta.tool_calls[0].function.name == "f"
    assert py_chunks[13].usage.total_tokens == 3
    assert py_chunks[16].id == "" and py_chunks[16].object == "chat.completion.chunk"


BAD_EVENTS = [
    (b"message", b"{not json", MalformedChunkError, "not valid JSON"),
    (b"message", b"[1, 2]", MalformedChunkError, "not a JSON object"),
    (b"message", b'{"choices": 5}', MalformedChunkError, "shape"),
    (b"message", b'{"id": "x"}', MalformedChunkError, "shape"),
    (b"message", b'{"choices": [{"index": [1], "delta": {"content": "x"}}]}', MalformedChunkError, "shape"),
    (b"message", b'{"error": {"message": "slow down", "type": "rate_limit_exceeded"}}', RateLimitError, "slow down"),
    (b"error", b'{"message": "bad"}', ProviderStreamError, "bad"),
]


@pytest.mark.parametrize(("event_type", "data", "cls", "text"), BAD_EVENTS)
def test_bad_events_same_error_in_both(
    both_openai_stream: tuple[ModuleType, ModuleType], event_type: bytes, data: bytes,
    cls: type[Exception], text: str,
) -> None:
    messages = []
    for module in both_openai_stream:
        with pytest.raises(cls, match=text) as info:
            module.OpenAIChatStream().on_event((event_type, data))
        messages.append(str(info.value))
        if isinstance(info.value, MalformedChunkError):
            assert info.value.raw == data
    assert messages[0] == messages[1]


def test_finish_rules(openai_stream: ModuleType) -> None:
    adapter = openai_stream.OpenAIChatStream()
    with pytest.raises(StreamTruncatedError, match="no chunk at all"):
        adapter.finish()
    adapter.on_event((b"message", b'{"choices": [{"index": 0, "delta": {"content": "a"}}]}'))
    adapter.on_event((b"message", b'{"choices": [{"index": 1, "delta": {"content": "b"}}]}'))
    with pytest.raises(StreamTruncatedError, match="without finish_reason"):
        adapter.finish()
    adapter.on_event((b"message", b'{"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}'))
    with pytest.raises(StreamTruncatedError):
        adapter.finish()
    adapter.on_event((b"message", b'{"choices": [{"index": 1, "delta": {}, "finish_reason": "length"}]}'))
    adapter.finish()  # every choice finished: complete without [DONE]
    assert not adapter.done
    assert adapter.on_event((b"message", b"[DONE]")) is None
    assert adapter.done


_deltas = st.one_of(
    st.fixed_dictionaries({"content": st.one_of(st.none(), st.text(max_size=5))}),
    st.dictionaries(
        st.sampled_from(["content", "role", "refusal", "reasoning_content", "tool_calls"]),
        st.one_of(st.none(), st.text(max_size=3), st.integers(), st.lists(st.integers(), max_size=2)),
        max_size=3,
    ),
)
_choices = st.fixed_dictionaries(
    {"index": st.one_of(st.integers(0, 2), st.booleans(), st.none()), "delta": _deltas},
    optional={"finish_reason": st.one_of(st.none(), st.just("stop")), "logprobs": st.none()},
)
_objects = st.fixed_dictionaries(
    {"choices": st.lists(_choices, max_size=2)},
    optional={
        "id": st.one_of(st.none(), st.text(max_size=3)),
        "created": st.one_of(st.none(), st.integers(0, 5)),
        "usage": st.one_of(st.none(), st.just({}), st.just({"prompt_tokens": 1})),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(objects=st.lists(_objects, max_size=6))
def test_twins_agree_on_random_chunks(
    both_openai_stream: tuple[ModuleType, ModuleType], objects: list[dict[str, Any]]
) -> None:
    outcomes = []
    for module in both_openai_stream:
        adapter = module.OpenAIChatStream()
        out: list[Any] = []
        try:
            for obj in objects:
                out.append(adapter.on_event((b"message", json.dumps(obj).encode())))
            outcome: Any = ("ok", out, adapter.text_parts)
        except MalformedChunkError as exc:
            outcome = ("error", str(exc), out, adapter.text_parts)
        try:
            adapter.finish()
            outcome = (*outcome, "complete")
        except StreamTruncatedError as exc:
            outcome = (*outcome, str(exc))
        outcomes.append(outcome)
    assert outcomes[0] == outcomes[1]


def test_chunks_built_without_init_are_ordinary_dataclasses(openai_stream: ModuleType) -> None:
    import dataclasses
    import gc
    import pickle

    adapter = openai_stream.OpenAIChatStream()
    raw = b'{"id": "a", "object": "chat.completion.chunk", "created": 3, "model": "m", "choices": [{"index": 0, "delta": {"content": "hi"}}]}'
    chunk = adapter.on_event((b"message", raw))
    assert gc.is_tracked(chunk) and gc.is_tracked(chunk.choices[0])
    assert chunk.raw in gc.get_referents(chunk)  # the GC sees every slot
    assert dataclasses.asdict(chunk)["choices"][0]["delta"]["content"] == "hi"
    again = dataclasses.replace(chunk, id="b")
    assert again.id == "b" and again.choices == chunk.choices
    assert pickle.loads(pickle.dumps(chunk)) == chunk
    chunk.model = "changed"  # mutable like every other instance
    assert chunk.model == "changed"
    assert repr(chunk).startswith("ChatCompletionChunk(id='a'")
