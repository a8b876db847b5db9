"""``StreamAccumulator``, compiled (c) or pure Python (py), as the parsers are chosen."""

from typing import TYPE_CHECKING

from ._parsers import IMPLEMENTATION

if TYPE_CHECKING:
    from ._accumulate_py import StreamAccumulator
elif IMPLEMENTATION == "c":
    from ._accumulate_c import StreamAccumulator
else:
    from ._accumulate_py import StreamAccumulator

__all__ = ["StreamAccumulator"]
