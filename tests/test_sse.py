"""The SSE decoder, both twins: conformance cases, our own cases, limits, errors, API shape."""

from __future__ import annotations

import json
import pickle
import time
from types import ModuleType
from typing import Any

import pytest
from conftest import conformance, splits

import literllm
from literllm import SSEError


def _load_cases() -> list[Any]:
    try:
        cases_path = conformance("sse", "cases.json")
    except pytest.skip.Exception as exc:
        return [pytest.param(None, id="conformance-missing", marks=pytest.mark.skip(str(exc)))]
    cases = json.loads(cases_path.read_text("utf-8"))
    cases += json.loads(conformance("sse", "bytes_cases.json").read_text("utf-8"))
    return [pytest.param(case, id=case["name"]) for case in cases]


def _as_dicts(events: list[Any]) -> list[dict[str, Any]]:
    return [{"event": e.event, "data": e.data, "id": e.id, "retry": e.retry} for e in events]


def _decode(sse: ModuleType, pieces: list[bytes], **kwargs: Any) -> tuple[list[Any], Any]:
    decoder = sse.SSEDecoder(**kwargs)
    events = []
    for piece in pieces:
        events += decoder.feed(piece)
    events += decoder.close()
    return events, decoder


def _decode_raw(sse: ModuleType, pieces: list[bytes]) -> list[tuple[bytes, bytes]]:
    decoder = sse.SSEDecoder()
    out = []
    for piece in pieces:
        out += decoder.feed_raw(piece)
    decoder.close()
    return out


@pytest.mark.parametrize("case", _load_cases())
def test_conformance_case_every_split(sse: ModuleType, case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["input_hex"]) if "input_hex" in case else case["input"].encode()
    explicit = [c.encode() for c in case["chunks"]] if "chunks" in case else None
    # The two ~100 KiB cases are fed byte by byte only by the c twin (slow in pure Python).
    bytewise = len(data) < 20_000 or sse.__name__.endswith("_c")
    for how, pieces in splits(data, explicit=explicit, bytewise=bytewise):
        events, decoder = _decode(sse, pieces)
        assert _as_dicts(events) == case["events"], how
        if "final_last_event_id" in case:
            assert decoder.last_event_id == case["final_last_event_id"], how
        if "final_retry" in case:
            assert decoder.retry == case["final_retry"], how
        # The byte fast path dispatches the same events (BOM stripped, bytes undecoded).
        raw = _decode_raw(sse, pieces)
        assert [(t.decode("utf-8", "replace"), d.decode("utf-8", "replace")) for t, d in raw] == [
            (e["event"], e["data"]) for e in case["events"]
        ], how


# Our own cases, so that the suite stands on a fresh clone without ../shared.
OWN_CASES = [
    ("lf", b"data: a\n\n", [("message", "a", "", None)]),
    ("crlf", b"data: a\r\n\r\n", [("message", "a", "", None)]),
    ("cr", b"data: a\r\r", [("message", "a", "", None)]),
    ("multiline", b"data: a\ndata: b\n\n", [("message", "a\nb", "", None)]),
    ("empty_data", b"data\n\n", [("message", "", "", None)]),
    ("data_colon_only", b"data:\n\n", [("message", "", "", None)]),
    ("two_spaces", b"data:  a\n\n", [("message", " a", "", None)]),
    ("tab_kept", b"data:\ta\n\n", [("message", "\ta", "", None)]),
    ("comment", b": ping\ndata: a\n\n", [("message", "a", "", None)]),
    ("event_type", b"event: x\ndata: a\n\ndata: b\n\n", [("x", "a", "", None), ("message", "b", "", None)]),
    ("empty_event_type", b"event:\ndata: a\n\n", [("message", "a", "", None)]),
    ("id_persists", b"id: 1\ndata: a\n\ndata: b\n\n", [("message", "a", "1", None), ("message", "b", "1", None)]),
    ("id_reset", b"id: 1\ndata: a\n\nid\ndata: b\n\n", [("message", "a", "1", None), ("message", "b", "", None)]),
    ("id_nul_ignored", b"id: 1\n\nid: 2\x003\ndata: a\n\n", [("message", "a", "1", None)]),
    ("retry_in_block", b"retry: 100\ndata: a\n\ndata: b\n\n", [("message", "a", "", 100), ("message", "b", "", None)]),
    ("retry_bad", b"retry: 1e3\ndata: a\n\n", [("message", "a", "", None)]),
    ("retry_huge", b"retry: 123456789012345678901234567890\ndata: a\n\n",
     [("message", "a", "", 123456789012345678901234567890)]),
    ("no_dispatch_without_data", b"event: x\nid: 5\nretry: 9\n\n", []),
    ("unterminated_discarded", b"data: a\n\ndata: b\n", [("message", "a", "", None)]),
    ("unterminated_line_discarded", b"data: a\n\ndata: b", [("message", "a", "", None)]),
    ("bom_stripped", b"\xef\xbb\xbfdata: a\n\n", [("message", "a", "", None)]),
    ("second_bom_kept", b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n", [("message", "b", "", None)]),
    ("invalid_utf8", b"data: a\xff\xfeb\n\n", [("message", "a\ufffd\ufffdb", "", None)]),
    ("truncated_utf8_at_eol", b"data: \xe2\x82\n\n", [("message", "\ufffd", "", None)]),
    ("unicode_line_sep_not_eol", "data: a\u2028b\u0085c\n\n".encode(), [("message", "a\u2028b\u0085c", "", None)]),
    ("lf_cr_two_ends", b"data: a\n\rdata: b\n\n", [("message", "a", "", None), ("message", "b", "", None)]),
    ("unknown_field", b"foo: bar\n data: x\ndata: a\n\n", [("message", "a", "", None)]),
    ("no_colon_field", b"data\ndata\n\n", [("message", "\n", "", None)]),
    ("field_case_sensitive", b"Data: a\ndata: b\n\n", [("message", "b", "", None)]),
]


@pytest.mark.parametrize(("name", "data", "expected"), OWN_CASES, ids=[c[0] for c in OWN_CASES])
def test_own_cases_every_split(
    sse: ModuleType, name: str, data: bytes, expected: list[tuple[Any, ...]]
) -> None:
    for how, pieces in splits(data, seeds=8):
        events, _ = _decode(sse, pieces)
        assert [(e.event, e.data, e.id, e.retry) for e in events] == expected, (name, how)


def test_final_state(sse: ModuleType) -> None:
    events, decoder = _decode(sse, [b"id: 7\nretry: 250\ndata: a\n\nid: 8\n\nid: 9\nretry: 300\n"])
    assert len(events) == 1
    assert decoder.last_event_id == "8"  # id 9 sits in an unterminated block: not committed
    assert decoder.retry == 300  # a retry line applies as soon as it is complete
    assert decoder.pending


def test_trailing_cr_dispatches_without_waiting(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert [e.data for e in decoder.feed(b"\r")] == ["a"]
    # The LF that completes the CRLF arrives later and is not a second (blank) line.
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [sse.ServerSentEvent(data="b")]


def test_pending(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder()
    assert not decoder.pending
    decoder.feed(b"data: a")
    assert decoder.pending
    decoder.feed(b"\n")
    assert decoder.pending
    decoder.feed(b"\n")
    assert not decoder.pending
    decoder.feed(b": comment only\n")
    assert not decoder.pending
    decoder.feed(b"\xef")  # could still be... no: BOM only at stream start; this is a line
    assert decoder.pending


def test_pending_partial_bom(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder()
    decoder.feed(b"\xef\xbb")
    assert decoder.pending
    assert decoder.feed(b"\xbfdata: x\n\n") == [sse.ServerSentEvent(data="x")]


def test_feed_raw(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder()
    out = decoder.feed_raw(b"\xef\xbb\xbfevent: delta\ndata: {\"a\":1}\n\ndata: \xff\n\n")
    assert out == [(b"delta", b'{"a":1}'), (b"message", b"\xff")]
    assert all(type(t) is bytes and type(d) is bytes for t, d in out)


def test_mixing_modes_raises(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder()
    decoder.feed(b"data: a\n\n")
    with pytest.raises(RuntimeError, match="feed_raw"):
        decoder.feed_raw(b"data: a\n\n")
    other = sse.SSEDecoder()
    other.feed_raw(b"")
    with pytest.raises(RuntimeError):
        other.feed(b"")


def test_input_types(sse: ModuleType) -> None:
    data = b"data: hello\n\n"
    expected = [sse.ServerSentEvent(data="hello")]
    for value in (data, bytearray(data), memoryview(data), memoryview(b"x" + data)[1:]):
        assert sse.SSEDecoder().feed(value) == expected
    strided = memoryview(bytes(b for c in data for b in (c, 0)))[::2]
    assert sse.SSEDecoder().feed(strided) == expected
    for bad in ("data: a\n\n", 5, None):
        with pytest.raises(TypeError):
            sse.SSEDecoder().feed(bad)


def test_event_value_semantics(sse: ModuleType) -> None:
    event = sse.ServerSentEvent(event="x", data="d", id="1", retry=5)
    assert (event.event, event.data, event.id, event.retry) == ("x", "d", "1", 5)
    assert event == sse.ServerSentEvent(event="x", data="d", id="1", retry=5)
    assert event != sse.ServerSentEvent(event="x", data="d", id="1", retry=None)
    assert hash(event) == hash(sse.ServerSentEvent(event="x", data="d", id="1", retry=5))
    assert "data='d'" in repr(event)
    assert pickle.loads(pickle.dumps(event)) == event
    with pytest.raises(AttributeError):
        event.data = "other"  # type: ignore[misc]
    assert sse.ServerSentEvent() == sse.ServerSentEvent(event="message", data="", id="", retry=None)


def test_events_equal_across_twins(both_sse: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_sse
    data = b"id: 3\nevent: e\nretry: 10\ndata: x\n\n"
    from_py = py.SSEDecoder().feed(data)
    from_c = c.SSEDecoder().feed(data)
    assert from_py == from_c
    assert from_c == from_py
    assert type(from_py[0]) is not type(from_c[0])
    assert hash(from_py[0]) == hash(from_c[0])


# --- limits and errors --------------------------------------------------------------------


def test_line_limit_exact(sse: ModuleType) -> None:
    line = b": " + b"x" * 98  # a 100-byte comment line
    assert sse.SSEDecoder(max_event_size=100).feed(line + b"\ndata: a\n\n") == [
        sse.ServerSentEvent(data="a")
    ]
    with pytest.raises(SSEError, match="max_event_size \\(99 bytes\\)"):
        sse.SSEDecoder(max_event_size=99).feed(line + b"\n")


def test_line_limit_enforced_while_buffering(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder(max_event_size=1000)
    for _ in range(9):
        decoder.feed(b"x" * 100)
    with pytest.raises(SSEError):
        decoder.feed(b"x" * 101)  # no line end yet: the buffer itself is bounded


def test_data_limit_exact(sse: ModuleType) -> None:
    # three data lines of 30 bytes joined by two LFs: 92 bytes of event data
    block = b"data: " + b"a" * 30 + b"\n"
    assert [len(e.data) for e in sse.SSEDecoder(max_event_size=92).feed(block * 3 + b"\n")] == [92]
    with pytest.raises(SSEError, match="event data"):
        sse.SSEDecoder(max_event_size=91).feed(block * 3 + b"\n")


def test_error_carries_events_and_kills_decoder(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder(max_event_size=50)
    with pytest.raises(SSEError) as info:
        decoder.feed(b"data: one\n\ndata: two\n\n" + b"data: " + b"z" * 60 + b"\n")
    assert [e.data for e in info.value.events] == ["one", "two"]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, literllm.LiterLlmError)
    message = str(info.value)
    for call in (lambda: decoder.feed(b"data: ok\n\n"), decoder.close):
        with pytest.raises(SSEError) as again:
            call()
        assert str(again.value) == message


def test_error_in_feed_raw_carries_pairs(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder(max_event_size=20)
    with pytest.raises(SSEError) as info:
        decoder.feed_raw(b"data: a\n\n" + b"x" * 30)
    assert info.value.events == [(b"message", b"a")]


def test_invalid_limit(sse: ModuleType) -> None:
    with pytest.raises(ValueError):
        sse.SSEDecoder(max_event_size=0)
    assert sse.SSEDecoder(max_event_size=7).max_event_size == 7


def test_feed_after_close(sse: ModuleType) -> None:
    decoder = sse.SSEDecoder()
    assert decoder.close() == []
    with pytest.raises(RuntimeError):
        decoder.feed(b"data: a\n\n")


# --- size and time ------------------------------------------------------------------------

BIG = 64 * 1024 * 1024


def _feed_in_pieces(sse: ModuleType, data: bytes, piece: int) -> list[Any]:
    decoder = sse.SSEDecoder(max_event_size=128 * 1024 * 1024)
    out = []
    view = memoryview(data)
    for pos in range(0, len(data), piece):
        out += decoder.feed_raw(view[pos : pos + piece])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["one_line", "many_lines"])
def test_64mib_event_in_1kib_pieces(sse: ModuleType, shape: str) -> None:
    if shape == "one_line":
        data = b"data: " + b"a" * BIG + b"\n\n"
        expected_len = BIG
    else:
        line = b"data: " + b"a" * 1017 + b"\n"  # 1 KiB lines
        count = BIG // len(line)
        data = line * count + b"\n"
        expected_len = count * 1018 - 1
    out = _feed_in_pieces(sse, data, 1024)
    assert len(out) == 1
    assert len(out[0][1]) == expected_len


@pytest.mark.slow
def test_small_pieces_cost_no_more_than_large_ones(sse: ModuleType) -> None:
    """A 64 MiB event in 1 KiB pieces takes about as long as in 1 MiB pieces.

    If each feed rescanned or copied what was buffered before, the 65,536 small feeds would cost
    about a thousand times more than the 64 large ones; in linear time they only add per-call
    overhead. Comparing two splits of the same bytes cancels out memory and cache effects.
    """
    data = b"data: " + b"a" * BIG + b"\n\n"

    def best_of(piece: int) -> float:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            out = _feed_in_pieces(sse, data, piece)
            times.append(time.perf_counter() - start)
            assert len(out[0][1]) == BIG
        return min(times)

    large, small = best_of(1024 * 1024), best_of(1024)
    assert small < 4 * large + 0.2, (small, large)
