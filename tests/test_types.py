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
