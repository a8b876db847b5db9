"""Fuzz the SSE decoder twins against each other (``python tests/fuzz/fuzz_sse.py -help=1``)."""

from __future__ import annotations

import atheris

with atheris.instrument_imports():
    from _harness import main, outcome, pieces, split

    from literllm._parsers import _sse_c, _sse_py
    from literllm.errors import SSEError


def decode(module: object, parts: list[bytes], raw: bool) -> list[object]:
    decoder = module.SSEDecoder(max_event_size=4096)  # type: ignore[attr-defined]
    out: list[object] = []
    for part in parts:
        if raw:
            out += decoder.feed_raw(part)
        else:
            out += [(e.event, e.data, e.id, e.retry) for e in decoder.feed(part)]
    if not raw:
        out += [(e.event, e.data, e.id, e.retry) for e in decoder.close()]
    return [out, decoder.pending, decoder.last_event_id, decoder.retry]


def test_one_input(data: bytes) -> None:
    cuts, payload = split(data)
    parts = pieces(payload, cuts)
    raw = bool(data[:1]) and data[0] & 0x80 != 0
    py = outcome(lambda: decode(_sse_py, parts, raw), (SSEError,))
    c = outcome(lambda: decode(_sse_c, parts, raw), (SSEError,))
    assert py == c, (py, c)


if __name__ == "__main__":
    main(test_one_input)
