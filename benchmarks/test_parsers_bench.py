"""Dev-only pytest-benchmark suite over the same workloads as ``python -m literllm.bench``.

Run: ``pip install pytest-benchmark && pytest benchmarks --benchmark-only``. Not part of the
test suite (``testpaths = tests``): figures come from here or from ``python -m literllm.bench``,
never from timed assertions.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from literllm.testing import bedrock_converse_stream, openai_chat_stream, split_random

pytest.importorskip("pytest_benchmark")

SSE_BODY = openai_chat_stream(10_000)
SSE_PIECES = split_random(SSE_BODY, 1024, 16 * 1024, seed=7)
ES_BODY = bedrock_converse_stream(10_000)
ES_PIECES = split_random(ES_BODY, 1024, 16 * 1024, seed=7)


def _twin(topic: str, name: str) -> ModuleType:
    try:
        return importlib.import_module(f"literllm._parsers._{topic}_{name}")
    except ImportError:
        pytest.skip(f"{topic} {name} twin not built")


@pytest.mark.parametrize("twin", ["c", "py"])
def test_sse_feed_raw(benchmark, twin: str) -> None:  # type: ignore[no-untyped-def]
    module = _twin("sse", twin)

    def run() -> int:
        feed = module.SSEDecoder().feed_raw
        return sum(len(feed(piece)) for piece in SSE_PIECES)

    assert benchmark(run) == 10_001


@pytest.mark.parametrize("twin", ["c", "py"])
def test_eventstream_feed(benchmark, twin: str) -> None:  # type: ignore[no-untyped-def]
    module = _twin("eventstream", twin)

    def run() -> int:
        feed = module.EventStreamDecoder().feed
        return sum(len(feed(piece)) for piece in ES_PIECES)

    assert benchmark(run) == 10_000
