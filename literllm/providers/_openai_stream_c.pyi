"""Stub for the compiled OpenAI stream twin; mirrors ``_openai_stream_py.OpenAIChatStream``."""

from collections.abc import Callable, ItemsView, Iterator, KeysView, ValuesView
from typing import Any, ClassVar, final

from ..types import ChatCompletionChunk

__all__ = ["LazyJSONObject", "OpenAIChatStream"]

@final
class LazyJSONObject:
    """A read-only ``Mapping``: a JSON object decoded with orjson on first use."""

    def __new__(cls, data: bytes) -> LazyJSONObject: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...
    def get(self, key: str, default: Any = None) -> Any:
        """``D.get(k[, d])``: ``D[k]`` if ``k`` is in ``D``, else ``d``."""
    def keys(self) -> KeysView[str]:
        """A view of the keys."""
    def items(self) -> ItemsView[str, Any]:
        """A view of the ``(key, value)`` pairs."""
    def values(self) -> ValuesView[Any]:
        """A view of the values."""
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __reduce__(self) -> tuple[type[dict[str, Any]], tuple[dict[str, Any]]]: ...

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
