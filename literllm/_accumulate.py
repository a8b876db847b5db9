"""``StreamAccumulator``, compiled (c) or pure Python (py), as the parsers are chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._parsers import IMPLEMENTATION

if TYPE_CHECKING:
    from .types import ChatCompletion

if TYPE_CHECKING:
    from ._accumulate_py import StreamAccumulator
elif IMPLEMENTATION == "c":
    from ._accumulate_c import StreamAccumulator
else:
    from ._accumulate_py import StreamAccumulator

__all__ = ["StreamAccumulator", "completion_of"]


def completion_of(accumulator: StreamAccumulator, adapter: object) -> ChatCompletion:
    """The accumulated reply, its first message's ``raw`` given what the stream adapter kept
    for sending the reply back (thinking blocks with signatures, Gemini's parts), as
    ``chat()``'s message has them. Chunks alone cannot carry that: it is the adapter's."""
    completion = accumulator.completion()
    extra = getattr(adapter, "message_raw", None)
    if extra and completion.choices:
        message = completion.choices[0].message
        message.raw = {**(message.raw or {}), **extra}
    return completion
