"""Stub for the compiled Ollama stream twin; mirrors ``_ollama_stream_py``."""

from collections.abc import Callable
from typing import ClassVar, final

from ..types import ChatCompletionChunk

__all__ = ["OllamaStream"]

@final
class OllamaStream:
    """Chunks from one ``/api/chat`` NDJSON response."""

    content_type: ClassVar[str]
    text_parts: list[str]
    @property
    def feed(self) -> Callable[[bytes], list[bytes]]: ...
    def __init__(self, model: str) -> None: ...
    @property
    def done(self) -> bool:
        """The ``done: true`` line has arrived."""
    def on_event(self, event: bytes) -> ChatCompletionChunk | None:
        """The chunk of one NDJSON line, or ``None``."""
    def finish(self) -> None:
        """The body ended: complete only after the ``done`` line."""
