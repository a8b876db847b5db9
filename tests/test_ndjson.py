"""The NDJSON line splitter, both twins: lines in any split, limits, the end of the body."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from conftest import splits

from literllm import NDJSONError

BODY = (b'{"message":{"content":"Hel"},"done":false}\n'
        b'{"message":{"content":"lo"},"done":false}\r\n'
        b"\n"
        b'{"done":true,"done_reason":"stop","eval_count":2}\n')
LINES = [b'{"message":{"content":"Hel"},"done":false}',
         b'{"message":{"content":"lo"},"done":false}',
         b'{"done":true,"done_reason":"stop","eval_count":2}']


def decode(module: ModuleType, pieces: list[bytes], limit: int = 1 << 20) -> list[bytes]:
    decoder = module.NDJSONDecoder(max_line_size=limit)
    out: list[bytes] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out + decoder.close()


def test_lines_in_every_split(ndjson: ModuleType) -> None:
    for name, pieces in splits(BODY):
        assert decode(ndjson, pieces) == LINES, name
    assert [json.loads(line) for line in LINES][-1]["done"] is True


def test_crlf_split_between_cr_and_lf_and_blank_lines(ndjson: ModuleType) -> None:
    assert decode(ndjson, [b'{"a":1}\r', b'\n\r\n\n{"b":2}\n']) == [b'{"a":1}', b'{"b":2}']


def test_an_unterminated_last_line_comes_at_close_once(ndjson: ModuleType) -> None:
    decoder = ndjson.NDJSONDecoder()
    assert decoder.feed(b'{"a":1}\n{"b":') == [b'{"a":1}']
    assert decoder.pending
    assert decoder.close() == [b'{"b":']
    assert decoder.close() == [] and not decoder.pending
    with pytest.raises(NDJSONError, match="after close"):
        decoder.feed(b"{}\n")


def test_the_line_limit_holds_exactly_and_bounds_memory(ndjson: ModuleType) -> None:
    assert decode(ndjson, [b"x" * 8 + b"\r\n"], limit=8) == [b"x" * 8]
    decoder = ndjson.NDJSONDecoder(max_line_size=8)
    with pytest.raises(NDJSONError, match="longer than max_line_size") as info:
        decoder.feed(b"ok\n" + b"y" * 9)  # over before its line ends: no waiting for LF
    assert info.value.lines == (b"ok",)
    assert not decoder.pending
    with pytest.raises(NDJSONError):  # the decoder stays failed
        decoder.feed(b"\n")
    decoder = ndjson.NDJSONDecoder(max_line_size=8)
    assert decoder.feed(b"y" * 8 + b"\r") == []  # the CR may be the line's ending
    assert decoder.feed(b"\n") == [b"y" * 8]
    with pytest.raises(ValueError):
        ndjson.NDJSONDecoder(max_line_size=0)
    assert ndjson.NDJSONDecoder().max_line_size == 16 * 1024 * 1024


def test_bytes_like_input(ndjson: ModuleType) -> None:
    decoder = ndjson.NDJSONDecoder()
    assert decoder.feed(bytearray(b"{}\n")) == [b"{}"]
    assert decoder.feed(memoryview(b'{"x":1}\n[1]\n')) == [b'{"x":1}', b"[1]"]
