"""Shared by the fuzz targets: cut the input into pieces, run both twins, compare.

Each target is differential: the compiled (c) twin must return what the py twin returns,
or raise the same error class with the same message, for every input and every split, and
neither may raise anything but its documented errors. Built with AddressSanitizer
(``tox -e fuzz``), a memory error in the c twin aborts the run with a report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import atheris

os.environ.pop("LITERLLM_NO_EXTENSIONS", None)


def split(data: bytes) -> tuple[list[int], bytes]:
    """The first byte gives the number of cut points, the next ones the cuts (mod len)."""
    if not data:
        return [], b""
    count = data[0] % 8
    cuts = list(data[1 : 1 + count])
    return cuts, data[1 + count :]


def pieces(payload: bytes, cuts: list[int]) -> list[bytes]:
    if not payload:
        return [payload]
    points = sorted({cut % len(payload) for cut in cuts})
    out = []
    start = 0
    for point in [*points, len(payload)]:
        out.append(payload[start:point])
        start = point
    return out


def outcome(run: Callable[[], Any], documented: tuple[type[BaseException], ...]) -> Any:
    try:
        return ("ok", run())
    except documented as exc:
        return ("error", type(exc).__name__, str(exc))


def main(test_one_input: Callable[[bytes], None]) -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
