"""The keyword arguments of ``chat_stream()`` and ``chat()``, checked against ``ChatParams``
before any I/O: a name the request does not take, and a value of the wrong type, fail here
with a message that says what was expected rather than at the provider (or not at all).

The types are read from ``ChatParams`` itself, so the annotations stay the one description
of the request; only the top level of nested request objects (tools, response_format) is
checked, their fields are the provider's to judge.
"""

from __future__ import annotations

import difflib
import math
import os
import typing
from collections.abc import Mapping, Sequence
from functools import cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from ._config import Timeout
from ._structured import is_model
from .errors import ConfigurationError
from .types import ChatParams

__all__ = ["check_params", "matches_type"]

CHAT_PARAM_NAMES = frozenset(ChatParams.__annotations__)

# Counts whose smallest sensible value the type cannot say.
_AT_LEAST = {"max_tokens": 1, "max_completion_tokens": 1, "n": 1, "top_logprobs": 0}


def check_params(method: str, params: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` for a keyword ``method`` does not take, ``ConfigurationError`` for
    a value ``ChatParams`` does not allow."""
    unknown = params.keys() - CHAT_PARAM_NAMES
    if unknown:
        if "stream" in unknown:
            other = "chat()" if method == "chat_stream" else "chat_stream()"
            does = "always streams" if method == "chat_stream" else "returns the whole reply"
            raise TypeError(
                f"{method}() takes no stream= argument: it {does}; "
                f"use {other} for the other (openai-python's stream=True is chat_stream())"
            )
        # What Python says for a keyword a function does not take, and the nearest it does.
        name = min(unknown)
        near = difflib.get_close_matches(name, CHAT_PARAM_NAMES, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise TypeError(f"{method}() got an unexpected keyword argument {name!r}{hint}")
    hints = _hints()
    for name, value in params.items():
        if value is None:
            continue
        expected = hints[name]
        if not _matches(value, expected):
            wanted = _describe(expected)
            raise ConfigurationError(
                f"{method}(): {name} must be {wanted}, not {type(value).__name__} "
                f"{_short(value)}"
                + ("; extra_body= sends a provider's own value as it is"
                   if "one of" in wanted else "")
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigurationError(f"{method}(): {name} must be a finite number, not {value}")
        least = _AT_LEAST.get(name)
        if least is not None and value < least:
            raise ConfigurationError(f"{method}(): {name} must be at least {least}, not {value}")


def matches_type(name: str, value: Any) -> bool:
    """Whether ``value`` has the type ``ChatParams`` gives ``name`` (False for a name it
    does not know)."""
    expected = _hints().get(name)
    return expected is not None and _matches(value, expected)


@cache
def _hints() -> dict[str, Any]:
    return typing.get_type_hints(ChatParams)


def _matches(value: Any, expected: Any) -> bool:
    origin = get_origin(expected)
    if expected is Any:
        return True
    if expected is type(None):
        return value is None
    if origin in (Union, UnionType):
        return any(_matches(value, branch) for branch in get_args(expected))
    if origin is Literal:
        return value in get_args(expected)
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected in (str, bool):
        return isinstance(value, expected)
    if typing.is_typeddict(expected) or origin in (Mapping, dict):
        return isinstance(value, Mapping)
    if origin in (Sequence, list, tuple):
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            return False
        (item,) = get_args(expected)[:1] or (Any,)
        return all(_matches(element, item) for element in value)
    if origin is os.PathLike or expected is os.PathLike:
        return isinstance(value, os.PathLike)
    if origin is type:  # type[SupportsModel]: a pydantic model class
        return is_model(value)
    if isinstance(expected, type):
        return isinstance(value, expected)
    return True  # a form this checker does not know: the provider judges it


def _describe(expected: Any) -> str:
    origin = get_origin(expected)
    if origin in (Union, UnionType):
        branches = [b for b in get_args(expected) if b is not type(None)]
        return " or ".join(dict.fromkeys(_describe(branch) for branch in branches))
    if origin is Literal:
        return "one of " + ", ".join(repr(choice) for choice in get_args(expected))
    if expected is float:
        return "a number"
    if expected is int:
        return "an integer"
    if expected is str:
        return "a string"
    if expected is bool:
        return "True or False"
    if expected is Timeout:
        return "a Timeout"
    if typing.is_typeddict(expected) or origin in (Mapping, dict):
        return "a mapping"
    if origin in (Sequence, list, tuple):
        (item,) = get_args(expected)[:1] or (Any,)
        return f"a list of {_describe(item).removeprefix('a ').removeprefix('an ')}s"
    if origin is os.PathLike:
        return "a path"
    if origin is type:
        return "a pydantic model class"
    return getattr(expected, "__name__", str(expected))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
