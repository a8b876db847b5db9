"""Stub for the compiled Gemini stream twin; mirrors ``_gemini_stream_py``."""

from collections.abc import Callable
from typing import Any, ClassVar, final

from ..types import ChatCompletionChunk

__all__ = ["GeminiStream"]

@final
class GeminiStream:
    """Chunks from one ``streamGenerateContent?alt=sse`` response."""

    content_type: ClassVar[str]
    text_parts: list[str]
    @property
    def feed(self) -> Callable[[bytes], list[tuple[bytes, bytes]]]: ...
    def __init__(self, model: str) -> None: ...
    @property
    def done(self) -> bool:
        """Gemini closes the body after the last candidate; read to its end."""
    @property
    def message_raw(self) -> dict[str, Any]:
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        """The chunk of one ``(event_type, data)`` pair, or ``None``."""
    def finish(self) -> None:
        """The body ended: complete once a candidate had its ``finishReason``."""
