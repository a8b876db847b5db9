"""Stub for the compiled chunk types; mirrors ``_types_py``."""

from collections.abc import Mapping
from typing import Any, ClassVar

from typing_extensions import disjoint_base

from .types import ToolCallDelta, Usage

__all__ = ["ChatCompletionChunk", "Delta", "StreamChoice"]

@disjoint_base
class Delta:
    """What one chunk adds to a choice's message."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    __match_args__ = ("role", "content", "tool_calls", "refusal", "reasoning_content", "raw")
    role: str | None
    content: str | None
    tool_calls: list[ToolCallDelta] | None
    refusal: str | None
    reasoning_content: str | None
    raw: Mapping[str, Any] | None
    def __init__(
        self,
        role: str | None = None,
        content: str | None = None,
        tool_calls: list[ToolCallDelta] | None = None,
        refusal: str | None = None,
        reasoning_content: str | None = None,
        raw: Mapping[str, Any] | None = None,
    ) -> None: ...
    def to_dict(self) -> dict[str, Any]:
        """This object as plain dicts and lists (OpenAI's JSON shape)."""
    @property
    def extra(self) -> dict[str, Any]:
        """Fields the provider sent that this class does not name."""

@disjoint_base
class StreamChoice:
    """One choice of a streamed chunk."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    __match_args__ = ("index", "delta", "finish_reason", "logprobs")
    index: int
    delta: Delta
    finish_reason: str | None
    logprobs: Any
    def __init__(
        self, index: int, delta: Delta, finish_reason: str | None = None, logprobs: Any = None
    ) -> None: ...
    def to_dict(self) -> dict[str, Any]:
        """This object as plain dicts and lists (OpenAI's JSON shape)."""

@disjoint_base
class ChatCompletionChunk:
    """One streamed chunk (``object == "chat.completion.chunk"``)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    __match_args__ = (
        "id", "object", "created", "model", "choices", "usage", "system_fingerprint", "raw"
    )
    id: str
    object: str
    created: int
    model: str
    choices: list[StreamChoice]
    usage: Usage | None
    system_fingerprint: str | None
    raw: Mapping[str, Any] | None
    def __init__(
        self,
        id: str,
        object: str,
        created: int,
        model: str,
        choices: list[StreamChoice],
        usage: Usage | None = None,
        system_fingerprint: str | None = None,
        raw: Mapping[str, Any] | None = None,
    ) -> None: ...
    def to_dict(self) -> dict[str, Any]:
        """This object as plain dicts and lists (OpenAI's JSON shape)."""
    @property
    def extra(self) -> dict[str, Any]:
        """Fields the provider sent that this class does not name."""

def _take_dataclass_face(compiled: type, twin: type) -> None:
    """``compiled`` takes ``twin``'s dataclass attributes and public name; ImportError if it
    lacks one of ``twin``'s fields."""
