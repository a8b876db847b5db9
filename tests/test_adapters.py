"""The stream adapters sans I/O: recorded bytes in, in every split, over both parser twins."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import BYTE_MUTATIONS, accumulate, conformance, mutated, splits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import literllm.formats as base
from literllm.errors import MalformedChunkError, StreamTruncatedError
from literllm.providers import get_provider

MODELS = {"anthropic": "claude", "gemini": "gemini-2.5", "cohere": "command-a",
          "bedrock": "amazon.nova-micro-v1:0", "mistral": "magistral", "openai": "gpt-4o"}


@pytest.fixture
def twins(sse: ModuleType, eventstream: ModuleType, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the adapters' transports use one twin of each parser."""
    monkeypatch.setattr(base, "SSEDecoder", sse.SSEDecoder)
    monkeypatch.setattr(base, "EventStreamDecoder", eventstream.EventStreamDecoder)
    return sse.__name__.rpartition("_")[2]


def _recordings() -> list[Any]:
    try:
        folder = conformance("providers")
    except pytest.skip.Exception as exc:
        return [pytest.param(None, id="conformance-missing", marks=pytest.mark.skip(str(exc)))]
    return [pytest.param(path, id=f"{path.parent.name}/{path.stem}")
            for provider in ("anthropic", "gemini", "cohere", "bedrock")
            for path in sorted((folder / provider).glob("*.*"))
            if path.suffix in (".sse", ".bin")]


def replay(provider: str, pieces: list[bytes]) -> tuple[list[Any], Any]:
    stream = get_provider(provider).load_adapter().new_stream(MODELS[provider], "req-1")
    chunks = []
    for piece in pieces:
        for event in stream.feed(piece):
            chunk = stream.on_event(event)
            if chunk is not None:
                chunks.append(chunk)
    stream.finish()
    return chunks, stream


@pytest.mark.parametrize("recording", _recordings())
def test_recordings_in_every_split(twins: str, recording: Path) -> None:
    provider = recording.parent.name
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    body = recording.read_bytes()
    results = []
    for name, pieces in splits(body, seeds=3):
        chunks, stream = replay(provider, pieces)
        got = accumulate(chunks)
        results.append(got)
        assert got["content"] == expected["content"], name
        assert got["reasoning"] == expected["reasoning"], name
        assert got["finish_reason"] == expected["finish_reason"], name
        assert got["usage"] == expected["usage"], name
        assert "".join(stream.text_parts) == expected["content"]
        assert [c["function"]["name"] for c in got["tool_calls"]] == [
            c["function"]["name"] for c in expected["tool_calls"]]
    assert all(result == results[0] for result in results)


@pytest.mark.parametrize("recording", _recordings())
def test_recordings_cut_anywhere_are_truncated(twins: str, recording: Path) -> None:
    provider = recording.parent.name
    body = recording.read_bytes()
    # Before the terminal event (Cohere sends data: [DONE] after it; a cut there is complete).
    for cut in sorted({1, len(body) // 3, len(body) // 2, 2 * len(body) // 3}):
        with pytest.raises((StreamTruncatedError, MalformedChunkError)):
            replay(provider, [body[:cut]])


def test_undecodable_bytes_deliver_the_events_before_them(twins: str) -> None:
    stream = get_provider("bedrock").load_adapter().new_stream("m", None)
    from literllm.testing import WIRE_FORMATS, ScriptedReply

    body = WIRE_FORMATS["bedrock"].stream_body(ScriptedReply(text=["a", "b"]))
    corrupt = body[:-5] + bytes([body[-5] ^ 0xFF]) + body[-4:]
    with pytest.raises(MalformedChunkError) as info:
        stream.feed(corrupt)
    assert len(info.value.events) == len(WIRE_FORMATS["bedrock"].split_events(body)) - 1


# --- the compiled twins agree with the py twins --------------------------------------------


def _events_of(provider: str, body: bytes) -> list[Any]:
    stream = get_provider(provider).load_adapter().new_stream("m", "req-1")
    return list(stream.feed(body))


def _outcome(stream: Any, events: list[Any]) -> list[Any]:
    out: list[Any] = []
    for event in events:
        try:
            chunk = stream.on_event(event)
        except Exception as exc:  # the same class and message from both twins
            out.append((type(exc).__name__, str(exc)))
            return out
        if chunk is None:
            out.append(None)
            continue
        fields = chunk.to_dict()
        fields.pop("created")  # the clock when each twin started
        out.append((fields, chunk.raw, [c.delta.raw for c in chunk.choices]))
    try:
        stream.finish()
        out.append("complete")
    except Exception as exc:
        out.append((type(exc).__name__, str(exc)))
    out.append(("text", list(stream.text_parts), stream.done))
    return out


def _differential_bodies(provider: str) -> list[bytes]:
    from literllm.testing import WIRE_FORMATS, ScriptedReply, random_reply

    wire = WIRE_FORMATS[provider]
    bodies = [wire.stream_body(random_reply(seed)) for seed in range(25)]
    events = wire.split_events(wire.stream_body(ScriptedReply(text=["a", "b", "c"])))
    for n in range(len(events)):
        bodies.append(b"".join(events[:n]))  # cut before each event
        bodies.append(b"".join([*events[:n], wire.malformed_event(), *events[n + 1 :]]))
        bodies.append(b"".join([*events[:n], wire.error_event(
            {"type": "rate_limit_error", "message": "slow"}), *events[n + 1 :]]))
    return bodies


def _odd_sse_events() -> list[tuple[bytes, bytes]]:
    """Shapes that look like text deltas but are not quite."""
    odd = [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}},
        {"type": "content_block_delta", "delta": {"type": "text_delta"}},
        {"type": "content_block_delta", "delta": "text"},
        {"type": "content_block_delta", "delta": {"type": 1, "text": "x"}},
        {"type": 7},
        ["content_block_delta"],
    ]
    return [(b"content_block_delta", json.dumps(o).encode()) for o in odd]


def _assert_twins_agree(
    py_class: Any, c_class: Any, sequences: list[list[Any]], *args: Any
) -> None:
    """Each event sequence through a fresh stream of each twin: the same chunks, errors,
    text and completion, and the same ``message_raw`` where the twins have one."""
    for events in sequences:
        py_stream, c_stream = py_class("m", *args), c_class("m", *args)
        assert _outcome(py_stream, events) == _outcome(c_stream, events)
        assert getattr(py_stream, "message_raw", None) == getattr(c_stream, "message_raw", None)


def _differential_events(wire: str, provider: str | None = None) -> list[list[Any]]:
    """The transport events of every differential body of a wire."""
    return [_events_of(provider or wire, body) for body in _differential_bodies(wire)]


def test_anthropic_twins_agree(both_anthropic_stream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_anthropic_stream
    sequences = _differential_events("anthropic") + [[event] for event in _odd_sse_events()]
    _assert_twins_agree(py.AnthropicStream, c.AnthropicStream, sequences)


def _odd_cohere_events() -> list[tuple[bytes, bytes]]:
    """Shapes that look like Cohere text deltas but are not quite."""
    odd: list[Any] = [
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": 5}}}},
        {"type": "content-delta", "delta": {"message": {"content": {"text": ""}}}},
        {"type": "content-delta", "delta": {"message": {"content": {"thinking": "hm"}}}},
        {"type": "content-delta", "delta": {"message": {"content": "text"}}},
        {"type": "content-delta", "delta": {"message": "x"}},
        {"type": "content-delta", "delta": None},
        {"type": "content-delta"},
        {"type": ["content-delta"]},
        ["content-delta"],
    ]
    return [(b"content-delta", json.dumps(o).encode()) for o in odd] + [
        (b"message", b"[DONE]"), (b"content-delta", b'{"type": "content-delta", "de')]


def test_cohere_twins_agree(both_cohere_stream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_cohere_stream
    start = (b"message-start", b'{"type": "message-start", "id": "msg-9"}')
    sequences = _differential_events("cohere") + [[start, e] for e in _odd_cohere_events()]
    _assert_twins_agree(py.CohereStream, c.CohereStream, sequences)


# The compiled Anthropic twin reads text deltas straight from the bytes; everything else,
# and anything it does not check in full, goes through orjson. Each document follows a
# message_start, through both twins.
_TEXT_DELTA = (b'{"type":"content_block_delta","index":0,'
               b'"delta":{"type":"text_delta","text":"hi \\"there\\" \\u00e9 \xe4\xb8\xad"}}')
_TEXT_DELTA_DOCUMENTS = [
    *(_TEXT_DELTA[:cut] for cut in range(len(_TEXT_DELTA) + 1)),  # every prefix, and whole
    _TEXT_DELTA + b" \n", _TEXT_DELTA + b"x", b" " + _TEXT_DELTA,
    json.dumps(json.loads(_TEXT_DELTA), indent=2).encode(),
    b'{"delta":{"text":"a","type":"text_delta"},"type":"content_block_delta"}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":""}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a","extra":1.5}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a","x":{}}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"},"x":[1]}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"},"index":"0"}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"},"index":null}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"},"n":01}',
    b'{"type":"content\\u005fblock_delta","delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","delta":{"type":"text\\u005fdelta","text":"a"}}',
    b'{"type":"content_block_delta ","delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","delta":{"type":"thinking_delta","thinking":"a"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":5}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":null}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta"}}',
    b'{"type":"content_block_delta","delta":{"text":"a"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a","text":"b"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","type":"x","text":"a"}}',
    b'{"type":"content_block_delta","type":"ping","delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"},"delta":{}}',
    b'{"type":"content_block_delta","delta":"text"}',
    b'{"delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"\xff"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"\\ud83d\\ude00"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"\\ud800"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a\tb"}}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"},"\xc3\xa9":1}',
    b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"},"u":"\xed\xa0\x80"}',
    b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
    # Anthropic's own layout (read without the member-by-member walk), padded as it pads,
    # and near misses of it.
    b'{"type":"content_block_delta","index":12,"delta":{"type":"text_delta","text":"a"}    }',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"} \n } ',
    b'{"type":"content_block_delta","index":-1,"delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","index":1.5,"delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","index":"0","delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","index":1234567890123456789,'
    b'"delta":{"type":"text_delta","text":"a"}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"x":1}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","x":1}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\xff"}}',
    *(b'{"type":"content_block_delta","delta":{"type":"text_delta","text":"a",%s"z":0},%s"i":0}'
      % (member, member) for member in [
          b'"x":{"a":[1,{"b":null}],"c":"d","e":[]},', b'"x":[[[[]]]],', b'"x":[1,],',
          b'"x":{"a":1,},', b'"x":[1 2],', b'"x":{"a"},', b'"x":[1.5],', b'"x":{"\\u00e9":1},',
          b'"x":[' + b"[" * 40 + b"]" * 40 + b"],", b'"x":{"a":"\xff"},', b'"x":[{}],'])
]


def _anthropic_sequences(documents: list[bytes]) -> list[list[Any]]:
    from literllm.testing import WIRE_FORMATS, ScriptedReply

    body = WIRE_FORMATS["anthropic"].stream_body(ScriptedReply(text=["a"]))
    start = _events_of("anthropic", body)[:1]  # message_start
    return [[*start, (b"content_block_delta", data)] for data in documents]


def test_anthropic_scanner_and_orjson_paths_agree(
    both_anthropic_stream: tuple[ModuleType, ModuleType],
) -> None:
    py, c = both_anthropic_stream
    _assert_twins_agree(py.AnthropicStream, c.AnthropicStream,
                        _anthropic_sequences(_TEXT_DELTA_DOCUMENTS))
    # ... and the scanner did take the text deltas (so the line above can fail).
    scanned = 0
    for events in _anthropic_sequences(_TEXT_DELTA_DOCUMENTS):
        stream = c.AnthropicStream("m")
        try:
            chunks = [stream.on_event(event) for event in events]
        except Exception:
            continue
        if chunks[-1] is not None and type(chunks[-1].raw).__name__ == "LazyJSONObject":
            scanned += 1
            assert chunks[-1].raw is chunks[-1].choices[0].delta.raw
    assert scanned >= 13


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=BYTE_MUTATIONS)
def test_anthropic_scanner_agrees_on_mutated_documents(
    both_anthropic_stream: tuple[ModuleType, ModuleType], mutations: list[tuple[str, int, int]],
) -> None:
    py, c = both_anthropic_stream
    _assert_twins_agree(py.AnthropicStream, c.AnthropicStream,
                        _anthropic_sequences([mutated(_TEXT_DELTA, mutations)]))


def _odd_gemini_events() -> list[tuple[bytes, bytes]]:
    """Shapes that look like Gemini's plain text continuing but are not quite."""
    text = {"content": {"parts": [{"text": "more"}], "role": "model"}, "index": 0}
    odd: list[Any] = [
        {"candidates": [text], "responseId": "r2", "modelVersion": "m2"},
        {"candidates": [text], "responseId": 5},
        {"candidates": [text], "responseId": "", "modelVersion": None},
        {"candidates": [text], "modelVersion": ["m"]},
        {"candidates": [text], "error": {"code": 429, "message": "slow"}},
        {"candidates": [text], "error": None},
        {"candidates": [{**text, "finishReason": "STOP"}], "usageMetadata": {
            "promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}},
        {"candidates": [{"content": {"parts": [{"text": 5}]}}]},
        {"candidates": [{"content": {"parts": [{"text": "a", "thought": True}]}}]},
        {"candidates": [{"content": {"parts": [{"text": "a"}, {"text": "b"}]}}]},
        {"candidates": [{"content": {"parts": []}}]},
        {"candidates": [{"content": "x"}]},
        {"candidates": [{"content": {"parts": "model"}}]},
        {"candidates": [{"content": {"parts": [["ab"]]}}]},
        {"candidates": [{"content": {"parts": [5]}}]},
        {"candidates": [], "promptFeedback": {"blockReason": "SAFETY"}},
        {"candidates": {"0": text}},
        {"candidates": [text, text]},
        [text],
    ]
    return [(b"message", json.dumps(o).encode()) for o in odd]


@pytest.mark.parametrize("parts", ["model", [["ab"]], [5], [None]])
def test_gemini_parts_that_are_not_objects_are_malformed(
    both_gemini_stream: tuple[ModuleType, ModuleType], parts: Any
) -> None:
    """Found by fuzzing: a string of parts reached dict(part) and raised ValueError."""
    data = json.dumps({"candidates": [{"content": {"parts": parts}}]}).encode()
    for module in both_gemini_stream:
        with pytest.raises(MalformedChunkError, match="not an object"):
            module.GeminiStream("m").on_event((b"message", data))


def test_gemini_twins_agree(both_gemini_stream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_gemini_stream
    first = (b"message", json.dumps({"candidates": [{"content": {"parts": [{"text": "one "}]}}],
                                     "responseId": "r1", "modelVersion": "m1"}).encode())
    sequences = _differential_events("gemini") + [
        [*before, event, *before]
        for event in _odd_gemini_events() for before in ([], [first], [first, first])
    ]
    _assert_twins_agree(py.GeminiStream, c.GeminiStream, sequences)


def test_ollama_twins_agree(both_ollama_stream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_ollama_stream
    common = {"model": "m", "message": {"role": "assistant", "content": "hi"}, "done": False}
    odd: list[Any] = [
        common,
        {**common, "message": {"role": "assistant", "content": ""}},
        {**common, "message": {"role": "assistant", "content": 5}},
        {**common, "message": {"role": "assistant", "content": "a", "thinking": "b"}},
        {**common, "message": {"content": "a", "x": 1}},
        {**common, "done": 0},
        {**common, "done": None},
        {**common, "error": "ignored on a content line, as the py twin does"},
        {"error": "model is loading"},
        {**common, "message": ["role", "content"]},
        ["message"],
        "text",
    ]
    sequences = _differential_events("ollama", "ollama_chat") + [
        [json.dumps(obj).encode(), json.dumps(common).encode()] for obj in odd
    ] + [[b"not json"], [b'{"message": {"role": "assistant", "content": "x\n']]
    _assert_twins_agree(py.OllamaStream, c.OllamaStream, sequences)


def test_responses_twins_agree(both_responses_stream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_responses_stream
    created = (b"response.created", json.dumps({"type": "response.created", "response": {
        "id": "resp_1", "model": "gpt-5", "created_at": 7}}).encode())
    kind = "response.output_text.delta"
    odd: list[Any] = [
        {"type": kind, "delta": "hi"}, {"type": kind, "delta": ""}, {"type": kind, "delta": 5},
        {"type": kind}, {"type": [kind], "delta": "x"}, {"delta": "x"}, [kind],
    ]
    sequences = _differential_events("openai_responses") + [
        [created, (kind.encode(), json.dumps(obj).encode())] for obj in odd
    ]
    _assert_twins_agree(py.ResponsesStream, c.ResponsesStream, sequences)


def test_bedrock_twins_agree(both_bedrock_stream: tuple[ModuleType, ModuleType]) -> None:
    from literllm.eventstream import EventStreamDecoder, encode_event_message

    py, c = both_bedrock_stream
    bodies = _differential_bodies("bedrock")
    headers = {":event-type": "contentBlockDelta", ":message-type": "event",
               ":content-type": "application/json"}
    for payload in (b'{"delta": {"text": 5}}', b'{"delta": "x"}', b"[1]", b"{}", b"nope",
                    b'{"contentBlockIndex": 0, "delta": {"text": "ok"}}'):
        bodies.append(encode_event_message(headers, payload))
    # An odd payload after a good text delta of the same header block: the compiled twin
    # knows that block by then and reads no headers, only the payload.
    good = encode_event_message(headers, b'{"contentBlockIndex": 0, "delta": {"text": "a"}}')
    for payload in (b'{"delta": {"text": 5}}', b'{"delta": "x"}', b"nope", b'{"delta": {}}'):
        bodies.append(good + encode_event_message(headers, payload) + good)
    sequences = []
    for body in bodies:
        decoder = EventStreamDecoder()
        try:
            sequences.append(list(decoder.feed(body)))
        except Exception:
            continue  # a cut frame: nothing for the adapters to see
    # A message whose headers were set by hand shares nothing with the decoder's block.
    changed = EventStreamDecoder().feed(good + good)
    changed[1].headers = {**headers, ":event-type": "contentBlockStop"}
    sequences.append(changed)
    _assert_twins_agree(py.BedrockStream, c.BedrockStream, sequences, "r")


# The other compiled twins read their common text event straight from the bytes too. For
# each: every prefix of a typical event, the event with odd members put in, and hypothesis
# byte mutations, each after the events that open a reply, through both twins.
_ODD_MEMBERS = [
    b'"x":{"a":[1,{"b":null}],"c":"d"},', b'"x":[1,],', b'"x":{"a":1,},', b'"x":1.5,',
    b'"x":{"\\u00e9":1},', b'"x":[' + b"[" * 40 + b"]" * 40 + b"],", b'"x":"\xff",',
    b'"x":"\\ud800",', b'"x":01,', b'"x":tru,', b'"":null,', b'"x" "y",',
]
_SCANNED_EVENTS: dict[str, tuple[str, str, tuple[Any, ...], bytes, bytes]] = {
    # provider, wire, twin class, extra args, typical event, event name (SSE) or b"" (other)
    "cohere": ("cohere", "CohereStream", (), b'{"type":"content-delta","index":0,"delta":'
               b'{"message":{"content":{"text":"hi \\"x\\" \\u00e9 \xe4\xb8\xad"}}}}', b"content-delta"),
    "openai_responses": ("openai_responses", "ResponsesStream", (),
                         b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,'
                         b'"content_index":0,"delta":"hi \\u00e9\\n","logprobs":[],"sequence_number":4}',
                         b"response.output_text.delta"),
    "gemini": ("gemini", "GeminiStream", (),
               b'{"candidates":[{"content":{"parts":[{"text":"hi \\n\xe4\xb8\xad"}],"role":"model"},'
               b'"index":0}],"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3},'
               b'"modelVersion":"m-2","responseId":"r-1"}', b"message"),
    "ollama_chat": ("ollama", "OllamaStream", (),
                    b'{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant",'
                    b'"content":"hi \\u00e9"},"done":false}', b""),
    "bedrock": ("bedrock", "BedrockStream", ("r",),
                b'{"contentBlockIndex":0,"delta":{"text":"hi \\u00e9"},"p":"abcd"}', b""),
}


def _scanned_event(provider: str, data: bytes) -> Any:
    from literllm._parsers._eventstream_py import EventStreamMessage

    _, _, _, _, name = _SCANNED_EVENTS[provider]
    if provider == "bedrock":
        return EventStreamMessage({":event-type": "contentBlockDelta", ":message-type": "event",
                                   ":content-type": "application/json"}, data)
    return data if provider == "ollama_chat" else (name, data)


def _opening_events(provider: str, py_class: Any, args: tuple[Any, ...]) -> list[Any]:
    """The events of a reply up to its first text chunk (the state text events continue)."""
    from literllm.testing import WIRE_FORMATS, ScriptedReply

    wire, *_ = _SCANNED_EVENTS[provider]
    events = _events_of(provider, WIRE_FORMATS[wire].stream_body(ScriptedReply(text=["a", "b"])))
    stream = py_class("m", *args)
    for n, event in enumerate(events, 1):
        chunk = stream.on_event(event)
        if chunk is not None and chunk.choices and chunk.choices[0].delta.content == "a":
            return events[:n]
    raise AssertionError(f"{provider}: no text chunk")


def _scanner_documents(provider: str) -> list[bytes]:
    base = _SCANNED_EVENTS[provider][3]
    inner = base.find(b"{", 1)  # the first nested object: odd members go in there too
    documents = [base[:cut] for cut in range(len(base) + 1)]
    for member in _ODD_MEMBERS:
        documents.append(b"{" + member + base[1:])
        if inner > 0:
            documents.append(base[: inner + 1] + member + base[inner + 1 :])
    documents += [base + b" \n", b" " + base, base + b"x",
                  json.dumps(json.loads(base), indent=1).encode()]
    return documents


def _scanner_twins(provider: str, pytestconfig: pytest.Config) -> tuple[Any, Any, tuple[Any, ...]]:
    from conftest import _both_adapter_twins

    _, class_name, args, _, _ = _SCANNED_EVENTS[provider]
    topic = {"openai_responses": "responses", "ollama_chat": "ollama"}.get(provider, provider)
    py, c = _both_adapter_twins(f"{topic}_stream", pytestconfig)
    return getattr(py, class_name), getattr(c, class_name), args


@pytest.mark.parametrize("provider", list(_SCANNED_EVENTS))
def test_scanners_and_orjson_paths_agree(provider: str, pytestconfig: pytest.Config) -> None:
    py_class, c_class, args = _scanner_twins(provider, pytestconfig)
    start = _opening_events(provider, py_class, args)
    documents = _scanner_documents(provider)
    sequences = [[*start, _scanned_event(provider, data)] for data in documents]
    _assert_twins_agree(py_class, c_class, sequences, *args)
    scanned = 0  # ... and the scanner did take the typical event (so the line above can fail)
    for events in sequences:
        stream = c_class("m", *args)
        try:
            chunk = [stream.on_event(event) for event in events][-1]
        except Exception:
            continue
        if chunk is not None and type(chunk.raw).__name__ == "LazyJSONObject":
            scanned += 1
            assert chunk.raw is chunk.choices[0].delta.raw
    assert scanned >= 6, scanned


# The providers' own layouts (read without the member-by-member walk) and near misses of
# them.
_GEMINI_HEAD = b'{"candidates":[{"content":{"parts":[{"text":'
_LAID_OUT = {
    "cohere": [
        b'{"type":"content-delta","index":3,"delta":{"message":{"content":{"text":"a"}}}}',
        b'{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"a"}}} } \n',
        b'{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"a"}}}',
        b'{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"a"}}}}}',
        b'{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"a"},"x":1}}}',
        b'{"type":"content-delta","index":null,"delta":{"message":{"content":{"text":"a"}}}}',
    ],
    "ollama_chat": [
        b'{"model":"m","created_at":"2026-12-05T00:00:00.1234Z","message":{"role":"assistant",'
        b'"content":"a"},"done":false}',
        b'{"model":"m\\"x\xc3\xa9","created_at":"t","message":{"role":"assistant",'
        b'"content":"a"},"done":false}\n',
        b'{"model":"\xff","created_at":"t","message":{"role":"assistant","content":"a"},'
        b'"done":false}',
        b'{"model":"m","created_at":"\xed\xa0\x80","message":{"role":"assistant",'
        b'"content":"a"},"done":false}',
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":""},'
        b'"done":false}',
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"a"},'
        b'"done":true}',
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"a"},'
        b'"done":false,"x":1}',
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"a","x":1},'
        b'"done":false}',
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"a"} ,'
        b'"done":false }',
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"a"},'
        b'"done":false',
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"a\x01"},'
        b'"done":false}',
    ],
    "gemini": [
        _GEMINI_HEAD + b'"a"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":3,'
        b'"totalTokenCount":3},"modelVersion":"m","responseId":"r"}',
        # Gemini's own spacing (as recorded), with no index.
        b'{"candidates": [{"content": {"parts": [{"text": "a"}],"role": "model"}}],'
        b'"usageMetadata": {"promptTokenCount": 15,"totalTokenCount": 15,"promptTokensDetails": '
        b'[{"modality": "TEXT","tokenCount": 15}]},"modelVersion": "gemini-2.0-flash",'
        b'"responseId": "w1peaMz6INOvnvgPgYfPiQY"}',
        # The two spacings mixed, and a space before the last brace.
        b'{"candidates": [{"content": {"parts": [{"text": "a"}],"role":"model"}}],'
        b'"usageMetadata":{},"modelVersion":"m","responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r" }',
        _GEMINI_HEAD + b'"a"}],"role":"model"},"index":1}],"usageMetadata":{},'
        b'"modelVersion":"m","responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"},"index":0,"finishReason":"STOP"}],'
        b'"usageMetadata":{},"modelVersion":"m","responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"},"index":0},{"content":{}}],"usageMetadata":{},'
        b'"modelVersion":"m","responseId":"r"}',
        _GEMINI_HEAD + b'"a","thought":true}],"role":"model"}}],"usageMetadata":{},'
        b'"modelVersion":"m","responseId":"r"}',
        _GEMINI_HEAD + b'"a"},{"text":"b"}],"role":"model"}}],"usageMetadata":{},'
        b'"modelVersion":"m","responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"user"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":[1,{"x":"\\u00e9"}],'
        b'"modelVersion":"m","responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{"x":1.5e3},"modelVersion":"m",'
        b'"responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{"x":1,},"modelVersion":"m",'
        b'"responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":null,'
        b'"responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m\\u00e9\\"",'
        b'"responseId":"r\xc3\xa9"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":""}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"\\xff"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"\xff"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"\\ud800"}',
        _GEMINI_HEAD + b'"a\\ud800"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r"}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r","error":null}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r","error":{"code":500}}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r"}}',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r"',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"modelVersion":"m",'
        b'"responseId":"r"}x',
        _GEMINI_HEAD + b'"a"}],"role":"model"}}],"usageMetadata":{},"responseId":"r",'
        b'"modelVersion":"m"}',
    ],
    "bedrock": [
        b'{"contentBlockIndex":2,"delta":{"text":"a"},"p":"abcdefghijklmnopqrstuvwxyzABCDEF"}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"}}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":""} ',
        b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"a\\"b"}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"\xc3\xa9"}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"\xff"}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":1}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"x","q":1}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"x"',
        b'{"contentBlockIndex":0,"delta":{"text":"a","x":1},"p":"x"}',
        b'{"contentBlockIndex":0,"delta":{"text":"a"}},"p":"x"}',
    ],
}


@pytest.mark.parametrize("provider", list(_LAID_OUT))
def test_scanners_agree_on_the_providers_own_layouts(
    provider: str, pytestconfig: pytest.Config,
) -> None:
    py_class, c_class, args = _scanner_twins(provider, pytestconfig)
    start = _opening_events(provider, py_class, args)
    sequences = [[*start, _scanned_event(provider, data)] for data in _LAID_OUT[provider]]
    _assert_twins_agree(py_class, c_class, sequences, *args)
    stream = c_class("m", *args)
    chunk = [stream.on_event(event) for event in sequences[0]][-1]
    assert chunk.choices[0].delta.content == "a"


@settings(max_examples=300, deadline=None)
@given(provider=st.sampled_from(list(_SCANNED_EVENTS)), mutations=BYTE_MUTATIONS)
def test_scanners_agree_on_mutated_events(
    provider: str, mutations: list[tuple[str, int, int]], pytestconfig: pytest.Config,
) -> None:
    py_class, c_class, args = _scanner_twins(provider, pytestconfig)
    start = _opening_events(provider, py_class, args)
    event = _scanned_event(provider, mutated(_SCANNED_EVENTS[provider][3], mutations))
    _assert_twins_agree(py_class, c_class, [[*start, event]], *args)
