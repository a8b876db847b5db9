"""Wire formats as objects (``literllm.formats``): each knows its content types, recording
suffix, keep-alive, how to show an event, and whether a body looks like it."""

from __future__ import annotations

import json

import pytest

from literllm import ConfigurationError
from literllm.formats import (
    EVENTSTREAM,
    NDJSON,
    SSE,
    StreamFormat,
    format_for_content_type,
    formats,
    recording_suffix,
    register_format,
    sniff_format,
)
from literllm.testing import WIRE_FORMATS, random_reply


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("openai", SSE), ("anthropic", SSE), ("gemini", SSE), ("cohere", SSE),
     ("openai_responses", SSE), ("bedrock", EVENTSTREAM), ("ollama", NDJSON)],
)
def test_each_body_is_recognised_decoded_and_shown(wire: str, expected: object) -> None:
    body = WIRE_FORMATS[wire].stream_body(random_reply(2))
    found = sniff_format(body)
    assert found is expected
    assert format_for_content_type(WIRE_FORMATS[wire].content_type) is expected
    transport = found.transport()
    events = list(transport.feed(body))
    assert len(events) == body.count(found.event_marker)
    for event in events:
        json.dumps(found.show_event(event))  # JSON-able, for `literllm replay --events`
    transport.check_end(True)


def test_content_types_suffixes_and_keepalives() -> None:
    assert format_for_content_type("text/event-stream; charset=utf-8") is SSE
    assert format_for_content_type("Application/X-NDJSON") is NDJSON
    assert format_for_content_type("application/jsonl") is NDJSON
    with pytest.raises(ConfigurationError, match="no wire format"):
        format_for_content_type("application/json")
    assert [recording_suffix(f.content_type) for f in (SSE, EVENTSTREAM, NDJSON)] == [
        ".sse", ".bin", ".ndjson"]
    assert recording_suffix("application/json") == ".json"
    assert SSE.transport().feed(SSE.keepalive) == []
    assert NDJSON.transport().feed(NDJSON.keepalive) == []
    assert sniff_format(b"") is None and sniff_format(b"<html>") is None


def test_register_a_format_of_ones_own() -> None:
    with pytest.raises(ConfigurationError, match="exists"):
        register_format(SSE)
    jsonl = StreamFormat("jsonseq", "application/json-seq", ".jsonseq", b"\n", b"\n",
                         NDJSON.transport, NDJSON.show_event, NDJSON.looks_like)
    try:
        assert register_format(jsonl) is jsonl
        assert format_for_content_type("application/json-seq") is jsonl
        assert jsonl in formats()
    finally:
        import literllm.formats as module

        module._FORMATS.pop("jsonseq", None)
