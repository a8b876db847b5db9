"""Chunk and completion types, shaped like OpenAI's chat-completions objects.

Slots dataclasses, mutable on purpose: measured here, a frozen dataclass ``__init__`` costs
about 1.1 us against 0.24 us for a plain one, and a streamed chunk builds three of them; the
difference would be most of the client's 4 us-per-chunk budget.

Fields a provider sent that these classes do not name are kept: every object built from
provider JSON holds that JSON in ``raw`` (not part of equality or repr), and ``extra`` returns
the unnamed fields from it on demand, so keeping them costs nothing per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "Delta",
    "FunctionCall",
    "FunctionDelta",
    "Message",
    "StreamChoice",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
]


class _KeepsUnnamedFields:
    """``extra``: what the provider sent beyond the fields a class names, read from ``raw``."""

    __slots__ = ()
    raw: Mapping[str, Any] | None

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the provider sent that this class does not name."""
        raw = self.raw
        if not raw:
            return {}
        named = _NAMED_FIELDS[type(self)]
        return {key: value for key, value in raw.items() if key not in named}


@dataclass(slots=True)
class FunctionDelta:
    """A piece of a streamed function call: the name once, the arguments in pieces."""

    name: str | None = None
    arguments: str | None = None


@dataclass(slots=True)
class ToolCallDelta(_KeepsUnnamedFields):
    """A piece of a streamed tool call; pieces with the same ``index`` belong together."""

    index: int
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)



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
class StreamChoice:
    """One choice of a streamed chunk."""

    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: Any = None


@dataclass(slots=True)
class Usage(_KeepsUnnamedFields):
    """Token counts; the ``*_details`` keep the provider's breakdown as sent."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: Mapping[str, Any] | None = None
    completion_tokens_details: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)



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



@dataclass(slots=True)
class FunctionCall:
    """A complete function call."""

    name: str
    arguments: str


@dataclass(slots=True)
class ToolCall:
    """A complete tool call of a non-streamed reply."""

    id: str
    function: FunctionCall
    type: str = "function"


@dataclass(slots=True)
class Message(_KeepsUnnamedFields):
    """The assistant's message of a non-streamed reply."""

    role: str
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)



@dataclass(slots=True)
class Choice:
    """One choice of a non-streamed reply."""

    index: int
    message: Message
    finish_reason: str | None = None
    logprobs: Any = None


@dataclass(slots=True)
class ChatCompletion(_KeepsUnnamedFields):
    """A non-streamed reply (``object == "chat.completion"``)."""

    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    system_fingerprint: str | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)



_NAMED_FIELDS: dict[type, frozenset[str]] = {
    cls: frozenset(name for name in cls.__dataclass_fields__ if name != "raw")
    for cls in (ToolCallDelta, Delta, Usage, ChatCompletionChunk, Message, ChatCompletion)
}
