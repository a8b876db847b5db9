"""Stub for the compiled accumulator twin; mirrors ``_accumulate_py.StreamAccumulator``."""

from typing import final

from .types import ChatCompletion, ChatCompletionChunk, Message

__all__ = ["StreamAccumulator"]

@final
class StreamAccumulator:
    """Merges ``ChatCompletionChunk``s into the ``ChatCompletion`` they add up to."""

    def __init__(self) -> None: ...
    @property
    def chunks(self) -> int:
        """How many chunks were added."""
    def add(self, chunk: ChatCompletionChunk) -> None:
        """Merge one chunk."""
    def completion(self) -> ChatCompletion:
        """The reply the chunks so far add up to (``object == "chat.completion"``)."""
    @property
    def message(self) -> Message | None:
        """The first choice's message so far (``None`` before any choice arrived)."""
