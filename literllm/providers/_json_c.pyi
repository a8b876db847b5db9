"""Stub for ``_json_c``: the lazily decoded ``raw`` of the chunks the compiled twins scan."""

from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import Any, ClassVar, final

__all__ = ["LazyJSONObject"]

@final
class LazyJSONObject:
    """A read-only ``Mapping``: a JSON object decoded with orjson on first use."""

    def __init__(self, data: bytes) -> None: ...
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
