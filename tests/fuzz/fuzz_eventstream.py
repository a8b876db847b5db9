"""Fuzz the EventStream decoder twins against each other."""

from __future__ import annotations

import zlib

import atheris

with atheris.instrument_imports():
    from _harness import main, outcome, pieces, split

    from literllm._parsers import _eventstream_c, _eventstream_py
    from literllm.errors import EventStreamError


def decode(module: object, parts: list[bytes], raw: bool = False) -> list[object]:
    decoder = module.EventStreamDecoder(  # type: ignore[attr-defined]
        max_message_size=1 << 16, max_headers_size=1 << 12
    )
    out: list[object] = []
    for part in parts:
        if raw:
            out += decoder.feed_raw(part)
        else:
            out += [(dict(m.headers), m.payload) for m in decoder.feed(part)]
    decoder.close()
    return out


def with_valid_crcs(payload: bytes) -> bytes:
    """Half the inputs get correct CRCs, so the fuzzer reaches the header parser."""
    if len(payload) < 16:
        return payload
    total = len(payload).to_bytes(4, "big")
    prelude = total + payload[4:8]
    prelude += zlib.crc32(prelude).to_bytes(4, "big")
    body = prelude + payload[12:-4]
    return body + zlib.crc32(body).to_bytes(4, "big")


def test_one_input(data: bytes) -> None:
    cuts, payload = split(data)
    if data[:1] and data[0] & 0x80:
        payload = with_valid_crcs(payload)
    parts = pieces(payload, cuts)
    raw = bool(data[:1]) and bool(data[0] & 0x40)  # half the inputs through feed_raw
    py = outcome(lambda: decode(_eventstream_py, parts, raw), (EventStreamError,))
    c = outcome(lambda: decode(_eventstream_c, parts, raw), (EventStreamError,))
    assert py == c, (py, c)


if __name__ == "__main__":
    main(test_one_input)
