"""Stub for ``_adapter_c``: the base types of the compiled adapter twins."""

from typing import Any

from typing_extensions import disjoint_base

from ..types import ChatCompletionChunk

__all__ = ["CompiledAdapter", "TwinAdapter"]

@disjoint_base
class CompiledAdapter:
    """A compiled stream adapter: ``on_event`` turns one decoded event into a chunk."""

    text_parts: list[str]
    @property
    def feed(self) -> Any: ...
    def on_event(self, event: Any) -> ChatCompletionChunk | None:
        """The chunk of one decoded event, or ``None``."""

@disjoint_base
class TwinAdapter(CompiledAdapter):
    """A compiled twin that hands every event it does not build in C to its py twin."""

    @property
    def done(self) -> bool:
        """The stream's last event has arrived (the py twin's)."""
    def finish(self) -> None:
        """The body ended: the py twin's check that the stream is complete."""
