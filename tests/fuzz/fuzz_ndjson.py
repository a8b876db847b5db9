"""Fuzz the NDJSON decoder twins against each other (``python tests/fuzz/fuzz_ndjson.py -help=1``)."""

from __future__ import annotations

import atheris

with atheris.instrument_imports():
    from _harness import main, outcome, pieces, split

    from literllm._parsers import _ndjson_c, _ndjson_py
    from literllm.errors import NDJSONError


def decode(module: object, parts: list[bytes], limit: int) -> list[object]:
    decoder = module.NDJSONDecoder(max_line_size=limit)  # type: ignore[attr-defined]
    out: list[object] = []
    for part in parts:
        out += decoder.feed(part)
    pending = decoder.pending
    return [out + decoder.close(), pending]


def test_one_input(data: bytes) -> None:
    cuts, payload = split(data)
    parts = pieces(payload, cuts)
    limit = 1 + (data[0] % 64) if data else 4096
    py = outcome(lambda: decode(_ndjson_py, parts, limit), (NDJSONError,))
    c = outcome(lambda: decode(_ndjson_c, parts, limit), (NDJSONError,))
    assert py == c, (py, c)


if __name__ == "__main__":
    main(test_one_input)
