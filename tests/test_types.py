"""The compiled chunk types (``_types_c``) against their py twins (``_types_py``'s dataclasses).

With the compiled twins (``IMPLEMENTATION == "c"``) ``literllm.types.Delta``,
``StreamChoice`` and ``ChatCompletionChunk`` are the extension types. Everything a caller can
do with a chunk must give the same result with either.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import pickle
import subprocess
import sys
import typing
from collections.abc import Callable
from typing import Any

import pytest

import literllm
from literllm import types

try:
    from literllm import _types_c
except ImportError as exc:
    if os.environ.get("LITERLLM_REQUIRE_EXTENSIONS"):
        raise
    pytest.skip(f"compiled twin not built: {exc}", allow_module_level=True)

Builder = Callable[[type, type, type], list[Any]]


def _twins() -> tuple[tuple[type, type, type], tuple[type, type, type]]:
    from literllm import _types_py

    return ((_types_py.Delta, _types_py.StreamChoice, _types_py.ChatCompletionChunk),
            (_types_c.Delta, _types_c.StreamChoice, _types_c.ChatCompletionChunk))


def _samples(delta: type, choice: type, chunk: type) -> list[Any]:
    """The same objects, built from either twin's classes."""
    tool = types.ToolCallDelta(0, "call_1", "function", types.FunctionDelta("f", "{}"))
    usage = types.Usage(3, 4, 7, raw={"prompt_tokens": 3, "cost": 0.5})
    plain = delta(content="Hello")
    return [
        plain,
        delta(content="Hello", raw={"content": "Hello", "x_extra": 1}),  # == plain: raw ignored
        delta("assistant", None, [tool], None, "thinking", {"role": "assistant"}),
        delta(content="other"),
        choice(0, plain),
        choice(1, delta(refusal="no"), "stop", {"content": []}),
        chunk("id-1", "chat.completion.chunk", 1700000000, "m", [choice(0, plain)]),
        chunk("id-1", "chat.completion.chunk", 1700000000, "m", [choice(0, plain)],
              raw={"id": "id-1", "service_tier": "default"}),
        chunk("id-2", "chat.completion.chunk", 1, "m", [], usage, "fp_1",
              {"id": "id-2", "usage": {}, "x": [1, 2]}),
    ]


def _both() -> tuple[list[Any], list[Any]]:
    py, compiled = _twins()
    return _samples(*py), _samples(*compiled)


_PUBLIC_ONLY_WITH_C = pytest.mark.skipif(
    literllm.IMPLEMENTATION != "c", reason="the compiled chunk types are public only with 'c'"
)


@_PUBLIC_ONLY_WITH_C
def test_the_compiled_classes_are_the_public_ones() -> None:
    assert (types.Delta, types.StreamChoice, types.ChatCompletionChunk) == _twins()[1]


def test_the_compiled_classes_take_the_dataclass_face() -> None:
    py, compiled = _twins()
    for py_class, compiled_class in zip(py, compiled, strict=True):
        assert py_class is not compiled_class
        assert dataclasses.is_dataclass(py_class) and dataclasses.is_dataclass(compiled_class)
        assert compiled_class.__module__ == "literllm.types"
        assert compiled_class.__qualname__ == py_class.__qualname__
        assert repr(compiled_class) == repr(py_class)
        assert compiled_class.__doc__ == py_class.__doc__
        assert compiled_class.__match_args__ == py_class.__match_args__
        # A static type has no __annotations__ attribute; both read the class's namespace.
        assert inspect.get_annotations(compiled_class) == inspect.get_annotations(py_class)
        assert typing.get_type_hints(compiled_class) == typing.get_type_hints(py_class)
        assert dataclasses.fields(compiled_class) == dataclasses.fields(py_class)


def test_repr_equality_and_hash_agree() -> None:
    py, compiled = _both()
    for a, b in zip(py, compiled, strict=True):
        assert repr(a) == repr(b)
        with pytest.raises(TypeError, match="unhashable"):
            hash(b)
        assert a != b  # different classes: neither twin claims equality
    for i, j in [(i, j) for i in range(len(py)) for j in range(len(py))]:
        assert (py[i] == py[j]) == (compiled[i] == compiled[j]), (i, j)
        assert (py[i] != py[j]) == (compiled[i] != compiled[j]), (i, j)
    assert compiled[0] == compiled[1]  # raw is not compared
    assert compiled[6] == compiled[7]


def test_to_dict_extra_asdict_astuple_agree() -> None:
    py, compiled = _both()
    for a, b in zip(py, compiled, strict=True):
        assert a.to_dict() == b.to_dict()
        assert dataclasses.asdict(a) == dataclasses.asdict(b)
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        if hasattr(a, "extra"):
            assert a.extra == b.extra
    assert compiled[1].extra == {"x_extra": 1}
    assert compiled[7].extra == {"service_tier": "default"}
    assert compiled[8].to_dict()["usage"] == {
        "prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7,
    }


def test_replace_copy_and_mutation() -> None:
    _py, compiled = _both()
    for chunk in compiled:
        assert copy.copy(chunk) == chunk and copy.deepcopy(chunk) == chunk
        assert type(copy.deepcopy(chunk)) is type(chunk)
    changed = dataclasses.replace(compiled[0], content="changed", role="assistant")
    assert type(changed) is _types_c.Delta
    assert (changed.role, changed.content) == ("assistant", "changed")
    assert compiled[0].content == "Hello"
    compiled[0].content = "mutable"
    assert compiled[0].content == "mutable"
    with pytest.raises(AttributeError):
        compiled[0].not_a_field = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),
        ((0,), {}),
        ((0, None, None, None, None), {}),
        ((0, None), {"index": 1}),
        ((0, None), {"unknown": 1}),
        (("a", "b", "c", "d", "e", "f", "g", "h", "i"), {}),
    ],
)
def test_constructor_errors_agree(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    py, compiled = _twins()
    for py_class, compiled_class in zip(py, compiled, strict=True):
        try:
            expected: Any = repr(py_class(*args, **kwargs))
        except TypeError:
            expected = TypeError
        try:
            got: Any = repr(compiled_class(*args, **kwargs))
        except TypeError:
            got = TypeError
        assert got == expected, (py_class.__name__, args, kwargs)


def test_match_statement() -> None:
    _py, compiled = _both()
    match compiled[6]:
        case _types_c.ChatCompletionChunk(id, _, _, model, [_types_c.StreamChoice(0, delta)]):
            assert (id, model, delta.content) == ("id-1", "m", "Hello")
        case _:
            pytest.fail("the chunk did not match its own shape")


_LOAD_AND_REPR = (
    "import pickle, sys, literllm; "
    "sys.stdout.write(repr(pickle.loads(sys.stdin.buffer.read())) + '|' + literllm.IMPLEMENTATION)"
)
_DUMP = (
    "import pickle, sys, literllm; from literllm.types import *; "
    "chunk = ChatCompletionChunk('id-1', 'chat.completion.chunk', 1, 'm', "
    "[StreamChoice(0, Delta(content='Hi', raw={'content': 'Hi'}), 'stop')], "
    "Usage(1, 2, 3), 'fp', {'id': 'id-1'}); "
    "sys.stdout.buffer.write(pickle.dumps(chunk))"
)


def _python(code: str, *, pure: bool, stdin: bytes = b"") -> bytes:
    env = {**os.environ}
    env.pop("LITERLLM_REQUIRE_EXTENSIONS", None)
    if pure:
        env["LITERLLM_NO_EXTENSIONS"] = "1"
    else:
        env.pop("LITERLLM_NO_EXTENSIONS", None)
    return subprocess.run(
        [sys.executable, "-c", code], input=stdin, env=env, capture_output=True, check=True
    ).stdout


@_PUBLIC_ONLY_WITH_C
def test_pickles_load_under_either_build() -> None:
    _py, compiled = _both()
    for chunk in compiled:
        again = pickle.loads(pickle.dumps(chunk))
        assert again == chunk and type(again) is type(chunk)
        assert repr(again) == repr(chunk)
    compiled_pickle = _python(_DUMP, pure=False)
    pure_pickle = _python(_DUMP, pure=True)
    assert b"literllm.types" in compiled_pickle and b"_types_c" not in compiled_pickle
    expected = repr(pickle.loads(compiled_pickle))
    assert _python(_LOAD_AND_REPR, pure=True, stdin=compiled_pickle).decode() == (
        expected + "|py"
    )
    assert _python(_LOAD_AND_REPR, pure=False, stdin=pure_pickle).decode() == expected + "|c"


def test_a_py_twin_with_a_field_the_compiled_one_lacks_fails_the_import() -> None:
    @dataclasses.dataclass(slots=True)
    class Delta:
        content: str | None = None
        annotations: list[Any] | None = None

    with pytest.raises(ImportError, match="annotations"):
        _types_c._take_dataclass_face(_types_c.Delta, Delta)


# The pool of spare text chunks (``_types_c.text_chunk``): a chunk the caller dropped, whose
# list, choice and delta nothing else holds, is refilled for the next text chunk.

_HEAD = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1",'
    b'"type":"message","role":"assistant","model":"claude-x","content":[],'
    b'"usage":{"input_tokens":3,"output_tokens":1}}}\n\n'
)


def _text_event(text: str) -> bytes:
    return (
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":"' + text.encode() + b'"}}\n\n'
    )


class _TextChunks:
    """The compiled Anthropic adapter's text chunks, one per call, with the py twin's chunk
    for the same event beside each."""

    def __init__(self) -> None:
        from literllm.providers import _anthropic_stream_c, _anthropic_stream_py

        self.compiled = _anthropic_stream_c.AnthropicStream("claude-x")
        self.reference = _anthropic_stream_py.AnthropicStream("claude-x")
        self.made = 0
        self.references: list[Any] = []
        for adapter in (self.compiled, self.reference):
            for event in adapter.feed(_HEAD):
                adapter.on_event(event)  # the role chunk

    def next(self) -> tuple[Any, tuple[Any, ...]]:
        """A compiled text chunk, and what the py twin makes of the same event, as plain
        values. (With the compiled types public the py twin's chunks are of those classes
        too: they are kept, so that only the compiled adapter's chunks reach the pool.)"""
        self.made += 1
        (event,) = self.reference.feed(_text_event(f"piece {self.made}"))
        reference = self.reference.on_event(event)
        expected = (
            reference.to_dict(), dataclasses.astuple(reference), dict(reference.raw),
            dict(reference.choices[0].delta.raw),
        )
        self.references.append(reference)
        (event,) = self.compiled.feed(_text_event(f"piece {self.made}"))
        return self.compiled.on_event(event), expected


def _same_chunk(compiled: Any, expected: tuple[Any, ...]) -> None:
    """Every field, parts and ``raw`` included, is what the py twin gave."""
    assert type(compiled) is _types_c.ChatCompletionChunk
    assert (
        compiled.to_dict(), dataclasses.astuple(compiled), dict(compiled.raw),
        dict(compiled.choices[0].delta.raw),
    ) == expected


def _drain_pool(chunks: _TextChunks) -> list[Any]:
    """Chunks held until the pool is empty (what the pool had is now in use)."""
    held = []
    while _types_c._spare_chunks():
        held.append(chunks.next()[0])
    return held


def test_a_dropped_text_chunk_is_refilled_for_the_next() -> None:
    chunks = _TextChunks()
    held = _drain_pool(chunks)
    chunk, reference = chunks.next()
    _same_chunk(chunk, reference)
    parts = (id(chunk.choices), id(chunk.choices[0]), id(chunk.choices[0].delta))
    del chunk
    assert _types_c._spare_chunks() == 1
    again, reference = chunks.next()
    assert _types_c._spare_chunks() == 0
    # The same four objects, filled with the new event's fields.
    assert (id(again.choices), id(again.choices[0]), id(again.choices[0].delta)) == parts
    _same_chunk(again, reference)
    assert again.choices[0].delta.content == f"piece {chunks.made}"
    del held


def test_the_pool_holds_at_most_sixteen() -> None:
    chunks = _TextChunks()
    held = _drain_pool(chunks) + [chunks.next()[0] for _ in range(40)]
    del held
    assert _types_c._spare_chunks() == 16
    for _ in range(40):
        _same_chunk(*chunks.next())


@pytest.mark.parametrize("part", ["list", "choice", "delta"])
def test_a_chunk_whose_part_is_held_elsewhere_is_not_refilled(part: str) -> None:
    chunks = _TextChunks()
    held = _drain_pool(chunks)
    chunk, _reference = chunks.next()
    kept = {
        "list": chunk.choices, "choice": chunk.choices[0], "delta": chunk.choices[0].delta
    }[part]
    snapshot = copy.deepcopy(kept)
    del chunk
    assert _types_c._spare_chunks() == 0
    later = [chunks.next() for _ in range(5)]
    for compiled, reference in later:
        _same_chunk(compiled, reference)
        assert kept is not {
            "list": compiled.choices, "choice": compiled.choices[0],
            "delta": compiled.choices[0].delta,
        }[part]
    assert kept == snapshot
    del held


def test_a_refilled_chunk_keeps_nothing_of_its_last_use() -> None:
    chunks = _TextChunks()
    held = _drain_pool(chunks)
    for _ in range(3):
        chunk, _reference = chunks.next()
        choice, delta = chunk.choices[0], chunk.choices[0].delta
        delta.role, delta.refusal, delta.reasoning_content = "user", "no", "thought"
        delta.tool_calls = [types.ToolCallDelta(0, "call_1", "function", None)]
        delta.raw = {"changed": True}
        choice.index, choice.finish_reason, choice.logprobs = 7, "stop", {"content": []}
        chunk.id, chunk.model, chunk.created, chunk.object = "other", "other", 1, "other"
        chunk.usage = types.Usage(1, 2, 3)
        chunk.system_fingerprint, chunk.raw = "fp", {"changed": True}
        del choice, delta
        del chunk
        assert _types_c._spare_chunks() == 1
        _same_chunk(*chunks.next())
    del held


def test_a_chunk_given_more_choices_is_not_refilled() -> None:
    chunks = _TextChunks()
    held = _drain_pool(chunks)
    chunk, _reference = chunks.next()
    chunk.choices.append(_types_c.StreamChoice(1, _types_c.Delta(content="two")))
    del chunk
    assert _types_c._spare_chunks() == 0
    chunk, _reference = chunks.next()
    chunk.choices = ()
    del chunk
    assert _types_c._spare_chunks() == 0
    _same_chunk(*chunks.next())
    del held


def test_chunks_in_reference_cycles_are_collected_and_never_reused_half_cleared() -> None:
    import gc

    chunks = _TextChunks()
    held = _drain_pool(chunks)
    gc.collect()
    for round_ in range(20):
        batch = [chunks.next()[0] for _ in range(3)]
        first, second, third = batch
        first.raw = {"self": first}  # the chunk itself in a cycle
        second.choices[0].delta.tool_calls = [second]  # through its parts
        third.choices[0].logprobs = {"choice": third.choices[0], "chunk": second}
        del batch, first, second, third
        if round_ % 2:
            gc.collect()
        for _ in range(20):
            _same_chunk(*chunks.next())
    gc.collect()
    assert not gc.garbage
    for _ in range(40):
        _same_chunk(*chunks.next())
    del held


def test_subclasses_and_user_built_chunks() -> None:
    chunks = _TextChunks()
    held = _drain_pool(chunks)

    class Mine(_types_c.ChatCompletionChunk):
        pass

    mine = Mine("i", "chat.completion.chunk", 1, "m",
                [_types_c.StreamChoice(0, _types_c.Delta(content="x"))])
    del mine
    assert _types_c._spare_chunks() == 0  # only the exact class goes to the pool
    built = _types_c.ChatCompletionChunk(
        "i", "chat.completion.chunk", 1, "m",
        [_types_c.StreamChoice(3, _types_c.Delta("assistant", "x"), "stop")], raw={"a": 1},
    )
    del built
    assert _types_c._spare_chunks() == 1
    _same_chunk(*chunks.next())
    del held
