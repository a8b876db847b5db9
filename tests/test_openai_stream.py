"""The OpenAI stream adapter, both twins, sans I/O: SSE bytes in, chunks out."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from conftest import BYTE_MUTATIONS, conformance, mutated, splits
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


# The compiled twin reads the common chunk shape straight from the bytes (its scanner) and
# leaves every other document to orjson. Each document below goes through both twins: the
# same chunk, raw, delta raw, text and error, whichever path the compiled twin took.

_BASE = (b'{"id":"c1","object":"chat.completion.chunk","created":17,"model":"m",'
         b'"choices":[{"index":0,"delta":{"content":%s},"logprobs":null,"finish_reason":null}]}')
_CONTENTS = [
    b'"hi"', b'""', b'null', b'"a\\nb\\tc\\rd\\be\\ff\\/g\\\\h"', b'"q\\"uote"', b'"\\u00e9\\u4e2d"',
    b'"\\u0000"', b'"\\ud83d\\ude00"', b'"\\ud800"', b'"\\udc00x"', "\"é中😀\"".encode(),
    b'"\xff"', b'"\xed\xa0\x80"', b'"\xc3"', b'"tab\there"', b'"\x7f"', b'"\\x41"', b'"\\u12"',
    b'"\\u12g4"', b'5', b'true', b'[]', b'{}', b'"' + b"long " * 100 + b'"',
    b'"' + "é".encode() * 300 + b'"', b'"' + b"\\n" * 300 + b'"', b'"' + b"\\u4e2d" * 100 + b'"',
    b'"unterminated', b'"trailing backslash\\"', b'"12345678\\"', b'"1234567\\u00e9"',
]
_TOP = (b'{"id":"c1","object":"chat.completion.chunk","created":17,"model":"m",%s'
        b'"choices":[{"index":0,"delta":{"content":"x"}}]}')
_TOP_MEMBERS = [
    b'"service_tier":"default",', b'"obfuscation":"a\\"b",', b'"n":1,', b'"f":1.5,', b'"e":1e5,',
    b'"big":123456789012345678901,', b'"neg":-3,', b'"lz":01,', b'"o":{},', b'"a":[1],',
    b'"t":true,', b'"fa":false,', b'"nu":null,', b'"bad":nul,', b'"ue":"\xff",', b'"u":"\\ud800",',
    b'"usage":null,', b'"usage":{},', b'"usage":0,', b'"usage":{"total_tokens":3},',
    b'"error":null,', b'"error":{"message":"x"},', b'"x_groq":{"usage":{"prompt_tokens":1}},',
    b'"x_groq":null,', b'"id":"again",', b'"choices":[],', b'"model":"m2",', b'"\\u0069d":"e",',
    b'"\xc3\xa9":1,', b'"k\\u0000":1,', b'"":1,', b'"sp" : "x" ,', b'"id":5,', b'"id":null,',
    b'"created":null,', b'"created":0,', b'"created":-1,', b'"created":1.5,', b'"created":"x",',
    b'"created":12345678901234567890,', b'"created":-0,', b'"system_fingerprint":"",',
    b'"system_fingerprint":null,', b'"system_fingerprint":3,', b'"system_fingerprint":"fp",',
    b'"x":{"a":[1,{"b":null}],"c":"d","e":[]},', b'"x":[[[[]]]],', b'"x":[1,],', b'"x":{"a":1,},',
    b'"x":[1 2],', b'"x":{"a"},', b'"x":{"a":1 "b":2},', b'"x":{"\\u00e9":1},', b'"x":[1.5],',
    b'"x":[' + b"[" * 40 + b"]" * 40 + b'],', b'"x":' + b'{"a":' * 31 + b"1" + b"}" * 31 + b",",
    b'"x":{"a":"\xff"},', b'"x":[" ", "\\u12"],', b'"x":{},', b'"x":[{}],',
    b'"object":"",', b'"object":null,', b'"model":"",', b'"model":"\\u00e9",', b'"model":"\xe4\xb8\xad",',
]
_DOCUMENTS = [
    *(_BASE % content for content in _CONTENTS),
    *(_TOP.replace(b'"id":"c1",', b"") % member for member in _TOP_MEMBERS),
    *(_TOP % member for member in _TOP_MEMBERS),
    *(json.dumps(json.loads(_BASE % b'"x"'), indent=indent).encode() for indent in (None, 0, 2, "\t")),
    *(_BASE % b'"x"').replace(b",", b" ,\r\n\t"), (_BASE % b'"x"').replace(b":", b" : "),
    b" \n" + _BASE % b'"x"' + b" \n", _BASE % b'"x"' + b"x", _BASE % b'"x"' + b",",
    b"\xef\xbb\xbf" + _BASE % b'"x"', b"", b"{}", b"[]", b"null", b'"x"',
    _BASE.replace(b'"index":0', b'"index":1') % b'"x"',
    _BASE.replace(b'"index":0', b'"index":-0') % b'"x"',
    _BASE.replace(b'"index":0', b'"index":null') % b'"x"',
    _BASE.replace(b'"index":0', b'"index":true') % b'"x"',
    _BASE.replace(b'"index":0', b'"index":"0"') % b'"x"',
    _BASE.replace(b'"index":0,', b"") % b'"x"',
    _BASE.replace(b'"index":0,', b'"index":0,"index":1,') % b'"x"',
    _BASE.replace(b'"logprobs":null', b'"logprobs":{"content":[]}') % b'"x"',
    _BASE.replace(b'"logprobs":null', b'"logprobs":0') % b'"x"',
    _BASE.replace(b'"finish_reason":null', b'"finish_reason":"stop"') % b'"x"',
    _BASE.replace(b'"finish_reason":null', b'"finish_reason":5') % b'"x"',
    _BASE.replace(b'"finish_reason":null', b'"finish_reason":"\\u00e9"') % b'"x"',
    _BASE.replace(b'"finish_reason":null', b'"finish_reason":"a","finish_reason":null') % b'"x"',
    _BASE.replace(b'"finish_reason":null', b'"native_finish_reason":"STOP"') % b'"x"',
    _BASE.replace(b'"finish_reason":null', b'"stop_reason":{"a":1}') % b'"x"',
    _BASE.replace(b'"delta":{"content":%s},', b""),
    _BASE.replace(b'{"content":%s}', b"{}"),
    _BASE.replace(b'{"content":%s}', b'{"content":"a","role":"assistant"}'),
    _BASE.replace(b'{"content":%s}', b'{"role":"assistant","content":"a"}'),
    _BASE.replace(b'{"content":%s}', b'{"content":"a","content":"b"}'),
    _BASE.replace(b'{"content":%s}', b'{ "content" : "a" }'),
    _BASE.replace(b'"delta":{"content":%s}', b'"delta":{"content":"a"},"delta":{"content":"b"}'),
    _BASE.replace(b'"delta":{"content":%s}', b'"delta":null'),
    _BASE.replace(b'"delta":{"content":%s}', b'"delta":"text"'),
    _TOP.replace(b'"choices":[{"index":0,"delta":{"content":"x"}}]', b'"choices":[{"delta":{"content":"x"}},{"index":1,"delta":{"content":"y"}}]') % b"",
    _TOP.replace(b'[{"index":0,"delta":{"content":"x"}}]', b"{}") % b"",
    _TOP.replace(b'[{"index":0,"delta":{"content":"x"}}]', b"[5]") % b"",
    _TOP.replace(b'[{"index":0,"delta":{"content":"x"}}]', b"[{}]") % b"",
    _TOP.replace(b'[{"index":0,"delta":{"content":"x"}}]', b'[{"index":0,"delta":{"content":"x"}} ]') % b"",
    _TOP.replace(b'"choices"', b'"choices","choices"') % b"",
]
_DOCUMENTS += [(_BASE % b'"x"')[:cut] for cut in range(len(_BASE % b'"x"'))]  # every prefix


def _outcome_of(module: ModuleType, adapter: Any, data: bytes) -> Any:
    try:
        chunk = adapter.on_event((b"message", data))
    except Exception as exc:
        return (type(exc).__name__, str(exc), getattr(exc, "raw", None))
    fields = chunk.to_dict()
    fields.pop("created")  # the clock when each twin started, for chunks without one
    return (fields, chunk.created if chunk.created else 0, dict(chunk.raw),
            [dict(c.delta.raw) if c.delta.raw is not None else None for c in chunk.choices],
            list(adapter.text_parts))


def _twin_outcomes(module: ModuleType, documents: list[bytes]) -> list[Any]:
    """Each document in a fresh stream, then all of them in one stream (which reuses the
    repeated ids and model names it read before)."""
    alone = [_outcome_of(module, module.OpenAIChatStream(), data) for data in documents]
    shared = module.OpenAIChatStream()
    together = [_outcome_of(module, shared, data) for data in documents]
    try:
        shared.finish()
        together.append("complete")
    except StreamTruncatedError as exc:
        together.append(str(exc))
    together.append(list(shared.text_parts))
    return [alone, together]


def test_scanner_and_orjson_paths_agree(both_openai_stream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_openai_stream
    assert _twin_outcomes(c, _DOCUMENTS) == _twin_outcomes(py, _DOCUMENTS)


def test_scanner_reads_the_common_shapes(c_openai_stream: ModuleType) -> None:
    """The documents above do reach the scanner (so the test above can fail), and what it
    leaves to orjson is what it should."""
    adapter = c_openai_stream.OpenAIChatStream()
    scanned = []
    for data in _DOCUMENTS:
        try:
            chunk = adapter.on_event((b"message", data))
        except Exception:
            continue
        scanned.append(type(chunk.raw).__name__ == "LazyJSONObject")
    assert sum(scanned) >= 70 and not all(scanned)
    lazy = adapter.on_event((b"message", _BASE % b'"\\u00e9 \xe4\xb8\xad \\n"'))
    assert type(lazy.raw).__name__ == "LazyJSONObject"
    assert lazy.choices[0].delta.content == "é 中 \n"
    for leaves in (_BASE % b'"\\ud83d\\ude00"', _TOP % b'"usage":{},', _TOP % b'"error":null,',
                   _TOP % b'"f":1.5,'):
        assert type(adapter.on_event((b"message", leaves)).raw) is dict


def test_scanner_gives_new_values_when_the_repeated_fields_change(c_openai_stream: ModuleType) -> None:
    adapter = c_openai_stream.OpenAIChatStream()
    first = adapter.on_event((b"message", _BASE % b'"a"'))
    same = adapter.on_event((b"message", _BASE % b'"b"'))
    assert same.id is first.id and same.model is first.model and same.created is first.created
    changed = adapter.on_event((b"message", _BASE.replace(b'"c1"', b'"c2"').replace(
        b'"m"', b'"n"').replace(b"17", b"18") % b'"c"'))
    assert (changed.id, changed.model, changed.created) == ("c2", "n", 18)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from([_BASE % b'"hello \\"world\\""', _TOP % b'"service_tier":"default",',
                             _BASE % b'"\\u00e9\xe4\xb8\xad"']),
       mutations=BYTE_MUTATIONS)
def test_scanner_agrees_on_mutated_documents(
    both_openai_stream: tuple[ModuleType, ModuleType], base: bytes,
    mutations: list[tuple[str, int, int]],
) -> None:
    py, c = both_openai_stream
    # After the unchanged document, the compiled twin reads the mutated one from its text on
    # when the first bytes are still the same.
    documents = [base, mutated(base, mutations), base]
    assert _twin_outcomes(c, documents) == _twin_outcomes(py, documents)


# A stream's documents mostly begin with the same bytes, up to the text: the compiled twin
# keeps them and reads a document that begins with them from its text on. Each document below
# begins with the same bytes as the one before it.
_HEAD = _BASE.split(b"%s")[0] + b'"'
_TAILS = [
    b'x"},"logprobs":null,"finish_reason":null}]}', b'"},"logprobs":null,"finish_reason":null}]}',
    b'x"}}]}', b'x"},"finish_reason":"stop"}]}', b'x"},"finish_reason":"length","x":[1]}]}',
    b'x"},"logprobs":null,"finish_reason":null,"index":1}]}', b'x"},"index":0}]}',
    b'x"},"finish_reason":null,"finish_reason":"stop"}]}', b'x"},"finish_reason":5}]}',
    b'x"},"logprobs":{"content":[]}}]}', b'x"},"delta":{"content":"y"}}]}',
    b'x","role":"assistant"}}]}', b'x"} }] }', b'x"}}],"id":"again"}', b'x"}}],"model":"m2"}',
    b'x"}}],"created":18}', b'x"}}],"system_fingerprint":"fp"}', b'x"}}],"object":"o"}',
    b'x"}}],"usage":null}', b'x"}}],"usage":{"total_tokens":1}}', b'x"}}],"error":null}',
    b'x"}}],"x_groq":{}}', b'x"}}],"choices":[]}', b'x"}},{"index":1,"delta":{"content":"y"}}]}',
    b'x"}}]', b'x"}}]}x', b'x"}}]} ', b'x"}}]},', b'x"', b'x', b'', b'\\ud800"}}]}',
    b'\\ud83d\\ude00"}}]}', b'\\u00e9\xe4\xb8\xad"}}]}', b'\xff"}}]}', b'\\"}}]}', b'\\n"}}]}',
    b'a\\"b"}}]}', b'\x01"}}]}', b'x"}]}', b'x"},]}', b'x"}}}]}', b'x"}}]}}',
    b'x"!,"finish_reason":null}]}', b'x" ,"finish_reason":null}]}', b'x"},"logprobs":null}]}',
]
_SHARED_HEADS = [_BASE % b'"first"'] + [
    document for tail in _TAILS for document in (_HEAD + tail, _BASE % b'"again"')
]


def test_documents_that_begin_as_the_last_one_did(
    both_openai_stream: tuple[ModuleType, ModuleType],
) -> None:
    py, c = both_openai_stream
    assert _twin_outcomes(c, _SHARED_HEADS) == _twin_outcomes(py, _SHARED_HEADS)
    # Other fields before the text (finish_reason, no index, a fingerprint) are kept too.
    for head in (
        b'{"id":"c1","choices":[{"finish_reason":null,"delta":{"content":"',
        b'{"choices":[{"delta":{"content":"',
        b'{"system_fingerprint":null,"created":0,"object":"","model":"","choices":[{"delta":{"content":"',
        b'{"system_fingerprint":"fp","created":5,"object":"o","id":"","choices":[{"index":2,"delta":{"content":"',
    ):
        documents = [head + tail for tail in _TAILS for _ in range(2)]
        assert _twin_outcomes(c, documents) == _twin_outcomes(py, documents)


def test_lazy_raw_is_the_mapping_orjson_gives(c_openai_stream: ModuleType) -> None:
    import copy
    import dataclasses
    import pickle
    from collections.abc import Mapping

    data = _TOP % b'"service_tier":"default",'
    chunk = c_openai_stream.OpenAIChatStream().on_event((b"message", data))
    raw, expected = chunk.raw, json.loads(data)
    assert type(raw).__name__ == "LazyJSONObject" and isinstance(raw, Mapping)
    assert type(raw).__module__ == "literllm.providers._json_c"
    assert raw == expected and expected == raw and (raw != expected) is False
    assert raw != {**expected, "id": "other"}
    assert raw != [1]
    assert raw != None  # noqa: E711
    assert raw["service_tier"] == "default" and raw.get("nope", 7) == 7 and "model" in raw
    assert list(raw) == list(expected) and len(raw) == len(expected)
    assert list(raw.keys()) == list(expected) and list(raw.values()) == list(expected.values())
    assert dict(raw.items()) == expected and dict(raw) == expected
    assert repr(raw) == repr(expected)
    with pytest.raises(KeyError):
        raw["nope"]
    with pytest.raises(TypeError):
        hash(raw)
    assert chunk.extra == {"service_tier": "default"}
    assert type(pickle.loads(pickle.dumps(raw))) is dict and pickle.loads(pickle.dumps(raw)) == expected
    assert copy.deepcopy(raw) == expected and type(copy.copy(raw)) is dict
    assert dataclasses.asdict(chunk)["raw"] == expected
    assert json.loads(json.dumps(dict(raw))) == expected
    again = c_openai_stream.OpenAIChatStream().on_event((b"message", data)).raw
    assert raw == again
    lazy_type = type(raw)
    assert lazy_type(data) == expected
    with pytest.raises(TypeError):
        lazy_type(None)
    with pytest.raises(TypeError, match="not given its bytes"):
        dict(lazy_type.__new__(lazy_type))  # a free-listed instance never shows old bytes
