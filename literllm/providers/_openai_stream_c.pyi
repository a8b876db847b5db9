"""Stub for the compiled OpenAI stream twin; mirrors ``_openai_stream_py.OpenAIChatStream``."""

from collections.abc import Callable
from typing import ClassVar, final

from ..types import ChatCompletionChunk

__all__ = ["OpenAIChatStream"]

@final
class OpenAIChatStream:
    """Chunks from one chat-completions SSE response (bytes in, chunks out)."""

    content_type: ClassVar[str]
    text_parts: list[str]
    @property
    def feed(self) -> Callable[[bytes], list[tuple[bytes, bytes]]]:
        """``(event_type, data)`` pairs from response bytes."""
    def __init__(self) -> None: ...
    @property
    def done(self) -> bool:
        """``data: [DONE]`` has arrived."""
    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        """The chunk of one ``(event_type, data)`` pair; ``None`` for ``data: [DONE]``."""
    def finish(self) -> None:
        """The body ended: complete after ``[DONE]`` or once every choice has finished."""
