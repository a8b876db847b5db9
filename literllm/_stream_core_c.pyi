"""Stub for the compiled stream core; mirrors ``_stream_core_py.StreamCore``."""

from collections.abc import Sequence
from typing import Any

from typing_extensions import disjoint_base

from .errors import StreamError
from .types import ChatCompletionChunk

__all__ = ["StreamCore", "inherit_anext"]

@disjoint_base
class StreamCore:
    """What ``ChatStream`` keeps per chunk, and its ``__anext__``."""

    _events: Sequence[Any]
    _pos: int
    _received: int
    _first_pending: bool

    async def __anext__(self) -> ChatCompletionChunk: ...
    def _use(self, adapter: Any, accumulator: Any) -> None:
        """Build chunks with ``adapter.on_event`` and merge them with ``accumulator.add``."""
    def _next_decoded(self) -> ChatCompletionChunk | None:
        """The next chunk the decoded events make, accumulated and counted; ``None`` when
        they are used up."""
    async def _anext_slow(self) -> ChatCompletionChunk: ...
    def _no_chunk(self) -> None: ...
    def _broken_event(self, exc: Exception) -> Exception: ...
    def _refused_chunk(self, exc: Exception, event: Any) -> StreamError: ...

def inherit_anext(cls: type[StreamCore]) -> None:
    """Let ``cls``, a Python subclass that does not define ``__anext__``, call
    ``StreamCore.__anext__`` directly instead of looking it up on every chunk."""
