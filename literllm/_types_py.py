"""``Delta``, ``StreamChoice`` and ``ChatCompletionChunk``: the three classes every streamed
chunk is made of, as slots dataclasses; pure-Python twin of ``_types_c``.

``literllm.types`` holds one twin or the other (the compiled one when ``IMPLEMENTATION`` is
``"c"``); both name themselves ``literllm.types.<class>``. Here too are the bases every
response type of ``literllm.types`` shares (``to_dict``, ``extra``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .types import ToolCallDelta, Usage

__all__ = ["ChatCompletionChunk", "Delta", "StreamChoice"]

_NOT_SERIALISED = ("raw", "parsed", "stats")
_serialised: dict[type, tuple[str, ...]] = {}


def serialised_fields(cls: type) -> tuple[str, ...]:
    """A response class's fields that ``to_dict`` gives and ``extra`` leaves out of ``raw``."""
    names = _serialised.get(cls)
    if names is None:
        names = _serialised[cls] = tuple(
            each.name for each in fields(cls) if each.name not in _NOT_SERIALISED
        )
    return names


def _plain(value: Any) -> Any:
    if isinstance(value, _serialisable):
        return cast(_Serialisable, value).to_dict()
    if value.__class__ is list:
        return [_plain(item) for item in value]
    return value


class _Serialisable:
    """``to_dict()``: the fields as JSON-ready dicts, without ``raw`` and without the nulls
    the provider did not send."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """This object as plain dicts and lists (OpenAI's JSON shape)."""
        raw: Mapping[str, Any] = getattr(self, "raw", None) or {}
        out: dict[str, Any] = {}
        for name in serialised_fields(type(self)):
            value = getattr(self, name)
            if value is None and name not in raw:
                continue
            out[name] = _plain(value)
        return out


class _KeepsUnnamedFields(_Serialisable):
    """``extra``: what the provider sent beyond the fields a class names, read from ``raw``."""

    __slots__ = ()
    raw: Mapping[str, Any] | None

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the provider sent that this class does not name."""
        raw = self.raw
        if not raw:
            return {}
        named = serialised_fields(type(self))
        return {key: value for key, value in raw.items() if key not in named}


# What _plain turns into dicts: the bases' subclasses, and the compiled chunk types, which
# cannot subclass a Python class (_types_c adds them when it is imported).
_serialisable: tuple[type, ...] = (_Serialisable,)


def add_serialisable(*classes: type) -> None:
    """Let ``to_dict`` turn instances of ``classes`` (which have a ``to_dict``) into dicts."""
    global _serialisable
    _serialisable = (*_serialisable, *classes)


@dataclass(slots=True)
class Delta(_KeepsUnnamedFields):
    """What one chunk adds to a choice's message."""

    role: str | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class StreamChoice(_Serialisable):
    """One choice of a streamed chunk."""

    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: Any = None


@dataclass(slots=True)
class ChatCompletionChunk(_KeepsUnnamedFields):
    """One streamed chunk (``object == "chat.completion.chunk"``)."""

    id: str
    object: str
    created: int
    model: str
    choices: list[StreamChoice]
    usage: Usage | None = None
    system_fingerprint: str | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)


# The public name, which the compiled twin takes too: pickles and reprs name
# literllm.types.<class>, whichever twin it holds. Set after the dataclass is made, which
# reads the module of the class while this one may be imported before literllm.types.
for _cls in (Delta, StreamChoice, ChatCompletionChunk):
    _cls.__module__ = "literllm.types"
