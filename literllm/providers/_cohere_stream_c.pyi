"""Stub for the compiled Cohere stream twin; mirrors ``_cohere_stream_py``."""

from collections.abc import Callable
from typing import ClassVar, final

from ..types import ChatCompletionChunk

__all__ = ["CohereStream"]

@final
class CohereStream:
    """Chunks from one v2 chat SSE response."""

    content_type: ClassVar[str]
    text_parts: list[str]
    @property
    def feed(self) -> Callable[[bytes], list[tuple[bytes, bytes]]]: ...
    def __init__(self, model: str) -> None: ...
    @property
    def done(self) -> bool:
        """``message-end`` has arrived."""
    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        """The chunk of one ``(event_type, data)`` pair, or ``None``."""
    def finish(self) -> None:
        """The body ended: complete only after ``message-end``."""
