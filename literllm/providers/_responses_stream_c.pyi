"""Stub for the compiled Responses API stream twin; mirrors ``_responses_stream_py``."""

from collections.abc import Callable
from typing import Any, ClassVar, final

from ..types import ChatCompletionChunk

__all__ = ["ResponsesStream"]

@final
class ResponsesStream:
    """Chunks from one Responses API SSE response."""

    content_type: ClassVar[str]
    text_parts: list[str]
    @property
    def feed(self) -> Callable[[bytes], list[tuple[bytes, bytes]]]: ...
    def __init__(self, model: str) -> None: ...
    @property
    def done(self) -> bool:
        """A terminal event (``response.completed`` or ``response.incomplete``) arrived."""
    @property
    def message_raw(self) -> dict[str, Any]:
        """What the reply's ``Message.raw`` needs to go back as a turn (the py twin's)."""
    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        """The chunk of one ``(event_type, data)`` pair, or ``None``."""
    def finish(self) -> None:
        """The body ended: complete only after ``response.completed`` (or ``.incomplete``)."""
