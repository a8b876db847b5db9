"""Differential property tests: random input in random splits; py and c twins must agree."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import literllm
import literllm.eventstream
from literllm import EventStreamError, SSEError, StreamTruncatedError

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Streams built from SSE-ish tokens hit the interesting paths far more often than random bytes.
_SSE_TOKENS = st.sampled_from(
    [b"data", b"data:", b"data: ", b"event: ", b"id: ", b"id", b"retry: ", b"retry:",
     b":", b" ", b"\r", b"\n", b"\r\n", b"\n\n", b"x", b"12", b"\x00", b"\xef\xbb\xbf",
     b"\xe2\x82", b"\xac", b"\xff", "\u2028".encode(), b"message", b"DONE"]
)
sse_streams = st.one_of(
    st.lists(_SSE_TOKENS, max_size=60).map(b"".join),
    st.binary(max_size=300),
)


def _cuts(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


def _run_sse(module: ModuleType, pieces: list[bytes], raw: bool, limit: int) -> Any:
    decoder = module.SSEDecoder(max_event_size=limit)
    feed = decoder.feed_raw if raw else decoder.feed
    out: list[Any] = []
    try:
        for piece in pieces:
            out += feed(piece)
        out += decoder.close()
    except SSEError as exc:
        return ("error", str(exc), out + list(exc.events))
    if not raw:
        out = [(e.event, e.data, e.id, e.retry) for e in out]
    return ("ok", out, decoder.last_event_id, decoder.retry, decoder.pending)


@SETTINGS
@given(data=sse_streams, cuts=st.lists(st.integers(min_value=0), max_size=12),
       raw=st.booleans(), limit=st.sampled_from([4, 16, 1 << 20]))
def test_sse_twins_agree(both_sse: tuple[ModuleType, ModuleType], data: bytes,
                         cuts: list[int], raw: bool, limit: int) -> None:
    py, c = both_sse
    pieces = _cuts(data, cuts)
    expected = _run_sse(py, pieces, raw, limit)
    assert _run_sse(c, pieces, raw, limit) == expected
    # Any split gives the same result as feeding everything at once.
    assert _run_sse(py, [data], raw, limit)[:2] == expected[:2] or expected[0] == "error"


def _run_es(module: ModuleType, pieces: list[bytes], raw: bool = False) -> Any:
    decoder = module.EventStreamDecoder(max_message_size=4096, max_headers_size=512)
    feed = decoder.feed_raw if raw else decoder.feed
    out: list[Any] = []

    def pairs(items: list[Any]) -> list[Any]:
        return items if raw else [(m.headers, m.payload) for m in items]

    try:
        for piece in pieces:
            out += feed(piece)
        decoder.close()
    except (EventStreamError, StreamTruncatedError) as exc:
        messages = getattr(exc, "messages", [])
        return (type(exc).__name__, str(exc), pairs(out + list(messages)))
    return ("ok", pairs(out))


_header_values = st.one_of(
    st.booleans(),
    st.integers(-(2**7), 2**7 - 1).map(literllm.eventstream.Int8Header),
    st.integers(-(2**15), 2**15 - 1).map(literllm.eventstream.Int16Header),
    st.integers(-(2**31), 2**31 - 1).map(literllm.eventstream.Int32Header),
    st.integers(-(2**63), 2**63 - 1).map(literllm.eventstream.Int64Header),
    st.binary(max_size=20),
    st.text(max_size=20),
)
_frames = st.builds(
    literllm.encode_event_message,
    st.dictionaries(st.text(min_size=1, max_size=8), _header_values, max_size=4),
    st.binary(max_size=100),
)


@st.composite
def eventstream_bodies(draw: st.DrawFn) -> bytes:
    body = b"".join(draw(st.lists(_frames, max_size=4)))
    if draw(st.booleans()) and body:
        # Corrupt it: flip a bit, drop a tail, or splice garbage in.
        how = draw(st.sampled_from(["flip", "truncate", "splice"]))
        pos = draw(st.integers(0, len(body) - 1))
        if how == "flip":
            body = body[:pos] + bytes([body[pos] ^ (1 << draw(st.integers(0, 7)))]) + body[pos + 1 :]
        elif how == "truncate":
            body = body[:pos]
        else:
            body = body[:pos] + draw(st.binary(min_size=1, max_size=20)) + body[pos:]
    return body


@SETTINGS
@given(body=st.one_of(eventstream_bodies(), st.binary(max_size=200)),
       cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_eventstream_twins_agree_and_fail_typed(
    both_eventstream: tuple[ModuleType, ModuleType], body: bytes, cuts: list[int]
) -> None:
    py, c = both_eventstream
    pieces = _cuts(body, cuts)
    # Only EventStreamError / StreamTruncatedError may escape (anything else fails the test).
    expected = _run_es(py, pieces)
    assert _run_es(c, pieces) == expected
    whole = _run_es(py, [body])
    assert whole[0] == expected[0] and whole[1] == expected[1]
    # feed_raw: the same frames and errors, each as (header block, payload), in both twins.
    raw = _run_es(py, pieces, raw=True)
    assert _run_es(c, pieces, raw=True) == raw
    # ... and the frames feed gives, up to any error of its header parsing (feed_raw leaves
    # the headers unparsed, so it goes on), with the same framing and checksum errors.
    raw_payloads = [payload for _, payload in raw[-1]]
    payloads = [payload for _, payload in expected[-1]]
    assert raw_payloads[: len(payloads)] == payloads
    if raw[0] != "ok" and len(raw_payloads) == len(payloads):
        assert raw[:2] == expected[:2]
    for block, payload in raw[-1][: len(payloads)]:
        assert (py._parse_headers(block), payload) in expected[-1]


_NDJSON_TOKENS = st.sampled_from(
    [b"{", b"}", b'"a"', b":", b"1", b"\r", b"\n", b"\r\n", b" ", b"x", b"\xff", b"[]"]
)
ndjson_streams = st.one_of(
    st.lists(_NDJSON_TOKENS, max_size=60).map(b"".join), st.binary(max_size=300)
)


def _run_ndjson(module: ModuleType, pieces: list[bytes], limit: int) -> Any:
    from literllm import NDJSONError

    decoder = module.NDJSONDecoder(max_line_size=limit)
    out: list[bytes] = []
    try:
        for piece in pieces:
            out += decoder.feed(piece)
            pending = decoder.pending
        out += decoder.close()
    except NDJSONError as exc:
        return ("error", str(exc), out + list(exc.lines))
    return ("ok", out, pending if pieces else False)


@SETTINGS
@given(data=ndjson_streams, cuts=st.lists(st.integers(min_value=0), max_size=12),
       limit=st.sampled_from([1, 4, 16, 1 << 20]))
def test_ndjson_twins_agree(both_ndjson: tuple[ModuleType, ModuleType], data: bytes,
                            cuts: list[int], limit: int) -> None:
    py, c = both_ndjson
    pieces = _cuts(data, cuts)
    expected = _run_ndjson(py, pieces, limit)
    assert _run_ndjson(c, pieces, limit) == expected
    if expected[0] == "ok":  # the split never matters
        assert _run_ndjson(py, [data], limit)[1] == expected[1]
