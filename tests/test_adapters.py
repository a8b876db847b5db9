"""The stream adapters sans I/O: recorded bytes in, in every split, over both parser twins."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import accumulate, conformance, splits

import literllm.providers._base as base
from literllm.errors import MalformedChunkError, StreamTruncatedError
from literllm.providers import get_provider

MODELS = {"anthropic": "claude", "gemini": "gemini-2.5", "cohere": "command-a",
          "bedrock": "amazon.nova-micro-v1:0", "mistral": "magistral", "openai": "gpt-4o"}


@pytest.fixture
def twins(sse: ModuleType, eventstream: ModuleType, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the adapters' transports use one twin of each parser."""
    monkeypatch.setattr(base, "SSEDecoder", sse.SSEDecoder)
    monkeypatch.setattr(base, "EventStreamDecoder", eventstream.EventStreamDecoder)
    return sse.__name__.rpartition("_")[2]


def _recordings() -> list[Any]:
    try:
        folder = conformance("providers")
    except pytest.skip.Exception as exc:
        return [pytest.param(None, id="conformance-missing", marks=pytest.mark.skip(str(exc)))]
    return [pytest.param(path, id=f"{path.parent.name}/{path.stem}")
            for provider in ("anthropic", "gemini", "cohere", "bedrock")
            for path in sorted((folder / provider).glob("*.*"))
            if path.suffix in (".sse", ".bin")]


def replay(provider: str, pieces: list[bytes]) -> tuple[list[Any], Any]:
    stream = get_provider(provider).load_adapter().new_stream(MODELS[provider], "req-1")
    chunks = []
    for piece in pieces:
        for event in stream.feed(piece):
            chunk = stream.on_event(event)
            if chunk is not None:
                chunks.append(chunk)
    stream.finish()
    return chunks, stream


@pytest.mark.parametrize("recording", _recordings())
def test_recordings_in_every_split(twins: str, recording: Path) -> None:
    provider = recording.parent.name
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    body = recording.read_bytes()
    results = []
    for name, pieces in splits(body, seeds=3):
        chunks, stream = replay(provider, pieces)
        got = accumulate(chunks)
        results.append(got)
        assert got["content"] == expected["content"], name
        assert got["reasoning"] == expected["reasoning"], name
        assert got["finish_reason"] == expected["finish_reason"], name
        assert got["usage"] == expected["usage"], name
        assert "".join(stream.text_parts) == expected["content"]
        assert [c["function"]["name"] for c in got["tool_calls"]] == [
            c["function"]["name"] for c in expected["tool_calls"]]
    assert all(result == results[0] for result in results)


@pytest.mark.parametrize("recording", _recordings())
def test_recordings_cut_anywhere_are_truncated(twins: str, recording: Path) -> None:
    provider = recording.parent.name
    body = recording.read_bytes()
    # Before the terminal event (Cohere sends data: [DONE] after it; a cut there is complete).
    for cut in sorted({1, len(body) // 3, len(body) // 2, 2 * len(body) // 3}):
        with pytest.raises((StreamTruncatedError, MalformedChunkError)):
            replay(provider, [body[:cut]])


def test_undecodable_bytes_deliver_the_events_before_them(twins: str) -> None:
    stream = get_provider("bedrock").load_adapter().new_stream("m", None)
    from literllm.testing import WIRE_FORMATS, ScriptedReply

    body = WIRE_FORMATS["bedrock"].stream_body(ScriptedReply(text=["a", "b"]))
    corrupt = body[:-5] + bytes([body[-5] ^ 0xFF]) + body[-4:]
    with pytest.raises(MalformedChunkError) as info:
        stream.feed(corrupt)
    assert len(info.value.events) == len(WIRE_FORMATS["bedrock"].split_events(body)) - 1
