"""Stub for the compiled Bedrock stream twin; mirrors ``_bedrock_stream_py``."""

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, final

from ..types import ChatCompletionChunk

__all__ = ["BedrockStream"]

@final
class BedrockStream:
    """Chunks from one ConverseStream response (EventStream messages in)."""

    content_type: ClassVar[str]
    text_parts: list[str]
    @property
    def feed(self) -> Callable[[bytes], Sequence[Any]]: ...
    def __init__(self, model: str, request_id: str | None = None) -> None: ...
    @property
    def done(self) -> bool:
        """``messageStop`` and the ``metadata`` after it have arrived."""
    @property
    def message_raw(self) -> dict[str, Any]:
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
    def on_event(self, event: Any) -> ChatCompletionChunk | None:
        """The chunk of one EventStream message, or ``None``."""
    def finish(self) -> None:
        """The body ended: complete once ``messageStop`` has arrived."""
