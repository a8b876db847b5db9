"""The AWS EventStream decoder, both twins, and the encoder: vectors, captures, errors, limits."""

from __future__ import annotations

import base64
import datetime
import json
import pickle
import struct
import time
import uuid
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import crcmod.predefined
import pytest
from conftest import conformance, splits
from hypothesis import given, settings
from hypothesis import strategies as st

import literllm
from literllm import (
    ChecksumError,
    EventStreamError,
    EventStreamTruncatedError,
    StreamTruncatedError,
    encode_event_message,
)
from literllm.eventstream import Int8Header, Int16Header, Int32Header, Int64Header

# crcmod is the independent second opinion on every CRC (the decoders use zlib).
_crc32 = crcmod.predefined.mkCrcFun("crc-32")


def _crcs_ok(frame: bytes) -> bool:
    total, _ = struct.unpack_from(">II", frame)
    prelude_crc = struct.unpack_from(">I", frame, 8)[0]
    message_crc = struct.unpack_from(">I", frame, total - 4)[0]
    return _crc32(frame[:8]) == prelude_crc and _crc32(frame[: total - 4]) == message_crc


def _decode(module: ModuleType, pieces: list[bytes], **kwargs: Any) -> list[Any]:
    decoder = module.EventStreamDecoder(**kwargs)
    out = []
    for piece in pieces:
        out += decoder.feed(piece)
    decoder.close()
    return out


def _frames(body: bytes) -> list[bytes]:
    frames, pos = [], 0
    while pos < len(body):
        total = struct.unpack_from(">I", body, pos)[0]
        frames.append(body[pos : pos + total])
        pos += total
    return frames


# --- the official AWS vectors and our extra ones (shared data) ------------------------------


def _json_header_value(header: dict[str, Any]) -> Any:
    kind, value = header["type"], header["value"]
    if kind in (6, 7, 9):
        raw = base64.b64decode(value)
        if kind == 7:
            return raw.decode("utf-8")
        return uuid.UUID(bytes=raw) if kind == 9 else raw
    if kind == 8:
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            milliseconds=value
        )
    return value


WIDTHS = {2: Int8Header, 3: Int16Header, 4: Int32Header, 5: Int64Header}


def _positive_vectors() -> list[tuple[str, Path, Path]]:
    base = conformance("eventstream")
    found = []
    for prefix in (base, base / "extra"):
        for encoded in sorted((prefix / "encoded" / "positive").iterdir()):
            found.append((encoded.name, encoded, prefix / "decoded" / "positive" / encoded.name))
    return found


def test_positive_vectors_every_split(eventstream: ModuleType) -> None:
    vectors = _positive_vectors()
    assert len(vectors) == 7
    for name, encoded, decoded in vectors:
        data = encoded.read_bytes()
        expected = json.loads(decoded.read_text("utf-8"))
        assert _crcs_ok(data), name
        assert struct.unpack_from(">I", data, 8)[0] == expected["prelude_crc"] & 0xFFFFFFFF
        assert struct.unpack_from(">I", data, len(data) - 4)[0] == expected["message_crc"] & 0xFFFFFFFF
        for how, pieces in splits(data, bytewise=len(data) < 10_000):
            [message] = _decode(eventstream, pieces)
            assert message.payload == base64.b64decode(expected["payload"]), (name, how)
            assert list(message.headers) == [h["name"] for h in expected["headers"]]
            for header in expected["headers"]:
                value = message.headers[header["name"]]
                assert value == _json_header_value(header), (name, header["name"])
                if header["type"] in WIDTHS:
                    assert type(value) is WIDTHS[header["type"]]
                elif header["type"] in (0, 1):
                    assert type(value) is bool
        # Re-encoding what was decoded is byte-exact (wire widths and order are kept).
        assert encode_event_message(message.headers, message.payload) == data, name


def test_all_positives_concatenated(eventstream: ModuleType) -> None:
    vectors = _positive_vectors()
    body = b"".join(encoded.read_bytes() for _, encoded, _ in vectors)
    expected = [_decode(eventstream, [encoded.read_bytes()])[0] for _, encoded, _ in vectors]
    for how, pieces in splits(body, bytewise=False, seeds=6):
        assert _decode(eventstream, pieces) == expected, how


@pytest.mark.parametrize(
    ("name", "kind", "after"),
    [
        ("corrupted_length", "prelude", 12),
        ("corrupted_header_len", "prelude", 12),
        ("corrupted_headers", "message", None),
        ("corrupted_payload", "message", None),
    ],
)
def test_official_negative_vectors(eventstream: ModuleType, name: str, kind: str, after: int | None) -> None:
    data = conformance("eventstream", "encoded", "negative", name).read_bytes()
    text = conformance("eventstream", "decoded", "negative", name).read_text().strip()
    assert text.lower().startswith(kind)
    with pytest.raises(ChecksumError) as info:
        _decode(eventstream, [data])
    assert info.value.kind == kind
    assert f"0x{info.value.expected:08x}" in str(info.value)
    # Byte by byte: the prelude error comes after exactly 12 bytes; the message error after
    # exactly total_length bytes.
    decoder = eventstream.EventStreamDecoder()
    fed = 0
    with pytest.raises(ChecksumError):
        for i in range(len(data)):
            fed += 1
            decoder.feed(data[i : i + 1])
    total = struct.unpack_from(">I", data)[0]
    assert fed == (after if after is not None else total)


EXTRA_NEGATIVES = {
    "unknown_header_type_10": (EventStreamError, "unknown header value type"),
    "header_value_overruns_headers": (EventStreamError, "extends past headers_length"),
    "headers_length_exceeds_message": (EventStreamError, "larger than total_length - 16"),
    "total_length_below_minimum": (EventStreamError, "below the 16-byte minimum"),
    "truncated_at_eof": (EventStreamTruncatedError, "stream ended inside a message"),
    "trailing_partial_prelude": (EventStreamTruncatedError, "stream ended inside a message"),
}


@pytest.mark.parametrize("name", sorted(EXTRA_NEGATIVES))
def test_extra_negative_vectors(eventstream: ModuleType, name: str) -> None:
    manifest = json.loads(conformance("eventstream", "extra", "manifest.json").read_text())
    assert name in {entry["name"] for entry in manifest}
    data = conformance("eventstream", "extra", "encoded", "negative", name).read_bytes()
    cls, text = EXTRA_NEGATIVES[name]
    for how, pieces in splits(data):
        with pytest.raises(cls, match=text) as info:
            _decode(eventstream, pieces)
        assert not isinstance(info.value, ChecksumError), how
    if name == "trailing_partial_prelude":
        decoder = eventstream.EventStreamDecoder()
        assert len(decoder.feed(data)) == 1
        with pytest.raises(StreamTruncatedError, match="3 bytes"):
            decoder.close()


def test_bedrock_captures(eventstream: ModuleType) -> None:
    folder = conformance("providers", "bedrock")
    captures = sorted(folder.glob("*.bin"))
    assert captures
    for capture in captures:
        body = capture.read_bytes()
        expected = json.loads(capture.with_suffix(".expected.json").read_text())
        whole = _decode(eventstream, [body])
        assert len(whole) == expected["transport_events"]
        assert all(_crcs_ok(frame) for frame in _frames(body))
        assert whole[0].headers[":event-type"] == "messageStart"
        assert {m.headers[":message-type"] for m in whole} == {"event"}
        for how, pieces in splits(body):
            assert _decode(eventstream, pieces) == whole, (capture.name, how)


# --- our own frames (no shared data needed) -----------------------------------------------

EDGE_HEADERS: dict[str, Any] = {
    "true": True,
    "false": False,
    "i8min": Int8Header(-128),
    "i8max": Int8Header(127),
    "i16min": Int16Header(-32768),
    "i16max": Int16Header(32767),
    "i32min": Int32Header(-(2**31)),
    "i32max": Int32Header(2**31 - 1),
    "i64min": Int64Header(-(2**63)),
    "i64max": Int64Header(2**63 - 1),
    "bytes": b"\x00\xffabc",
    "empty-bytes": b"",
    "string": "h\u00e9llo \U0001f985",
    "empty-string": "",
    "ts": datetime.datetime(2024, 5, 17, 12, 30, 45, 123000, tzinfo=datetime.UTC),
    "ts-negative": datetime.datetime(1969, 7, 20, 20, 17, 40, tzinfo=datetime.UTC),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "n" * 255: "longest name",
    "\u00fcnicode-name": 1,
}


def test_round_trip_every_header_type(eventstream: ModuleType) -> None:
    frame = encode_event_message(EDGE_HEADERS, b"payload \x00\x01")
    assert _crcs_ok(frame)
    for how, pieces in splits(frame):
        [message] = _decode(eventstream, pieces)
        assert message.headers == EDGE_HEADERS, how
        assert list(message.headers) == list(EDGE_HEADERS)
        assert message.payload == b"payload \x00\x01"
        assert type(message.headers["\u00fcnicode-name"]) is Int32Header
    assert encode_event_message(message.headers, message.payload) == frame


def test_plain_int_widths() -> None:
    frame = encode_event_message({"small": 5, "big": 2**40}, b"")
    message = _decode(__import__("literllm._parsers._eventstream_py", fromlist=["x"]), [frame])[0]
    assert type(message.headers["small"]) is Int32Header
    assert type(message.headers["big"]) is Int64Header
    with pytest.raises(OverflowError):
        Int8Header(128)


def test_encoder_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        encode_event_message({"": True})
    with pytest.raises(ValueError):
        encode_event_message({"x" * 256: True})
    with pytest.raises(ValueError):
        encode_event_message({"ts": datetime.datetime(2024, 1, 1)})  # naive
    with pytest.raises(TypeError):
        encode_event_message({"f": 1.5})  # type: ignore[dict-item]


def _with_crcs(prelude_and_body: bytes) -> bytes:
    """Recompute both CRCs of a hand-built frame, so only structure can be wrong."""
    total, headers_length = struct.unpack_from(">II", prelude_and_body)
    prelude = struct.pack(">II", total, headers_length)
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + prelude_and_body[12:]
    return message + struct.pack(">I", zlib.crc32(message))


def _raw_frame(headers: bytes, payload: bytes = b"", *, total: int | None = None,
               headers_length: int | None = None) -> bytes:
    real_total = 16 + len(headers) + len(payload)
    prelude = struct.pack(">II", total if total is not None else real_total,
                          headers_length if headers_length is not None else len(headers))
    return _with_crcs(prelude + b"\0\0\0\0" + headers + payload)


STRUCTURAL = {
    "name_length_zero": (_raw_frame(b"\x00\x00"), "name length 0"),
    "headers_length_one": (_raw_frame(b"\x01", b"abc"), "headers_length 1"),
    "bad_utf8_name": (_raw_frame(b"\x01\xff\x00"), "not valid UTF-8"),
    "bad_utf8_value": (_raw_frame(b"\x01a\x07\x00\x02\xc3\x28"), "not valid UTF-8"),
    "duplicate": (_raw_frame(b"\x01a\x00\x01a\x01"), "duplicate header 'a'"),
    "type_missing": (_raw_frame(b"\x02ab"), "extends past"),
    "name_overruns": (_raw_frame(b"\x09ab\x00"), "extends past"),
    "int_overruns": (_raw_frame(b"\x01a\x05\x00\x00", b"\x00" * 10), "extends past"),
    "uuid_overruns": (_raw_frame(b"\x01a\x09" + b"\x00" * 8, b"\x00" * 10), "extends past"),
    "timestamp_range": (_raw_frame(b"\x01t\x08" + struct.pack(">q", 2**62)), "out of range"),
    "unknown_type_255": (_raw_frame(b"\x01a\xff"), "unknown header value type 255"),
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_errors(eventstream: ModuleType, name: str) -> None:
    frame, text = STRUCTURAL[name]
    assert _crcs_ok(frame)
    for how, pieces in splits(frame, seeds=2):
        with pytest.raises(EventStreamError, match=text) as info:
            _decode(eventstream, pieces)
        assert not isinstance(info.value, ChecksumError), how


def test_feed_raw_gives_blocks_and_payloads_with_the_same_framing_checks(
    eventstream: ModuleType,
) -> None:
    frames = [encode_event_message({":event-type": "chunk", "n": Int16Header(i)}, b"p%d" % i)
              for i in range(5)]
    body = b"".join(frames)
    for how, pieces in splits(body, seeds=2):
        decoder = eventstream.EventStreamDecoder()
        pairs = [pair for piece in pieces for pair in decoder.feed_raw(piece)]
        decoder.close()
        assert pairs == [(frame[12:-4 - 2], frame[-6:-4]) for frame in frames], how
        assert all(type(block) is bytes and type(payload) is bytes for block, payload in pairs)
    # The header block is not parsed: a duplicate header passes, as feed would not let it.
    duplicate, _ = STRUCTURAL["duplicate"]
    assert eventstream.EventStreamDecoder().feed_raw(duplicate) == [(b"\x01a\x00\x01a\x01", b"")]
    # The framing and checksum errors are feed's, with the pairs before them.
    bad = bytearray(frames[0])
    bad[-1] ^= 1
    decoder = eventstream.EventStreamDecoder()
    with pytest.raises(ChecksumError, match="message") as info:
        decoder.feed_raw(frames[1] + bytes(bad))
    assert info.value.messages == [(frames[1][12:-6], b"p1")]
    with pytest.raises(EventStreamError, match="exceeds max_message_size"):
        eventstream.EventStreamDecoder(max_message_size=16).feed_raw(frames[0])
    decoder = eventstream.EventStreamDecoder()
    decoder.feed_raw(frames[0][:-1])
    with pytest.raises(EventStreamError, match="ended inside"):
        decoder.close()


def test_every_bit_flip_is_a_checksum_error(eventstream: ModuleType) -> None:
    frame = encode_event_message({":event-type": "chunk", "n": Int16Header(3)}, b'{"a": 1}')
    for bit in range(len(frame) * 8):
        broken = bytearray(frame)
        broken[bit // 8] ^= 1 << (bit % 8)
        decoder = eventstream.EventStreamDecoder()
        with pytest.raises(EventStreamError) as info:
            decoder.feed(bytes(broken))
            decoder.close()
        # A flip in the length fields can make the frame look longer: then the prelude CRC
        # still catches it first. Every flip is a checksum error, never a structural one.
        assert isinstance(info.value, ChecksumError), bit


def test_size_caps_raise_from_feed_after_prelude(eventstream: ModuleType) -> None:
    big = encode_event_message({"a": True}, b"x" * 5000)
    decoder = eventstream.EventStreamDecoder(max_message_size=4096)
    with pytest.raises(EventStreamError, match="exceeds max_message_size") as info:
        decoder.feed(big[:12])  # only the prelude: the cap is known already
    assert not isinstance(info.value, ChecksumError)
    headers = encode_event_message({"h": "v" * 300}, b"")
    with pytest.raises(EventStreamError, match="max_headers_size"):
        eventstream.EventStreamDecoder(max_headers_size=100).feed(headers[:12])
    exact = encode_event_message({}, b"x" * (4096 - 16))
    assert len(_decode(eventstream, [exact], max_message_size=4096)) == 1


def test_error_carries_messages_and_kills_decoder(eventstream: ModuleType) -> None:
    good = encode_event_message({"n": Int8Header(1)}, b"one")
    bad = bytearray(encode_event_message({}, b"two"))
    bad[-1] ^= 1
    decoder = eventstream.EventStreamDecoder()
    with pytest.raises(ChecksumError) as info:
        decoder.feed(good + good + bytes(bad))
    assert [m.payload for m in info.value.messages] == [b"one", b"one"]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, literllm.LiterLlmError)
    for call in (lambda: decoder.feed(good), decoder.close):
        with pytest.raises(ChecksumError) as again:
            call()
        assert str(again.value) == str(info.value)
        assert again.value.messages == []


def test_truncation_at_close(eventstream: ModuleType) -> None:
    frame = encode_event_message({"a": "b"}, b"payload")
    for cut in range(1, len(frame)):
        decoder = eventstream.EventStreamDecoder()
        assert decoder.feed(frame[:cut]) == []
        assert decoder.buffered == cut
        with pytest.raises(EventStreamTruncatedError, match=f"{cut} bytes") as info:
            decoder.close()
        assert isinstance(info.value, StreamTruncatedError)
        assert isinstance(info.value, EventStreamError)
    decoder = eventstream.EventStreamDecoder()
    decoder.feed(frame)
    decoder.close()
    with pytest.raises(RuntimeError):
        decoder.feed(frame)


def test_input_types(eventstream: ModuleType) -> None:
    frame = encode_event_message({"a": "b"}, b"p")
    for value in (bytearray(frame), memoryview(frame), memoryview(b"xx" + frame)[2:]):
        assert _decode(eventstream, [value])[0].payload == b"p"
    strided = memoryview(bytes(b for c in frame for b in (c, 0)))[::2]
    assert _decode(eventstream, [strided])[0].payload == b"p"
    with pytest.raises(TypeError):
        eventstream.EventStreamDecoder().feed("text")


def test_messages_equal_across_twins(both_eventstream: tuple[ModuleType, ModuleType]) -> None:
    py, c = both_eventstream
    frame = encode_event_message(EDGE_HEADERS, b"x")
    assert _decode(py, [frame]) == _decode(c, [frame])
    assert "EventStreamMessage(headers=" in repr(_decode(c, [frame])[0])
    for module in both_eventstream:
        message = _decode(module, [frame])[0]
        assert pickle.loads(pickle.dumps(message)) == message


def test_messages_of_a_repeated_header_block_each_have_headers_of_their_own(
    eventstream: ModuleType,
) -> None:
    """The compiled decoder shares one dict among the messages of a repeated block and
    copies it when asked: what one caller changes, no other message sees."""
    headers = {":event-type": "contentBlockDelta", ":message-type": "event"}
    other = {":event-type": "messageStop", ":message-type": "event"}
    frames = [encode_event_message(h, b"%d" % n)
              for n, h in enumerate([headers, headers, headers, other, headers])]
    decoder = eventstream.EventStreamDecoder()
    first, second = decoder.feed(b"".join(frames[:2]))
    first.headers[":event-type"] = "changed"
    first.headers["x"] = 1
    assert second.headers == headers and second.headers is not first.headers
    third, stop, fifth = decoder.feed(b"".join(frames[2:]))
    assert third.headers == fifth.headers == headers and stop.headers == other
    assert third.headers is third.headers  # one copy per message, kept
    fifth.headers = {"set": "by hand"}
    assert fifth.headers == {"set": "by hand"} and fifth.payload == b"4"
    assert pickle.loads(pickle.dumps(third)) == third
    assert first.headers == {**headers, ":event-type": "changed", "x": 1}


@pytest.mark.slow
def test_16mib_payload_in_4kib_pieces_is_linear(eventstream: ModuleType) -> None:
    """16 MiB in 4 KiB pieces costs about what it does in 1 MiB pieces (no per-feed copying)."""
    payload = bytes(range(256)) * (16 * 1024 * 1024 // 256)
    frame = encode_event_message({":event-type": "chunk"}, payload)
    view = memoryview(frame)

    def best_of(piece: int) -> float:
        times = []
        for _ in range(2):
            decoder = eventstream.EventStreamDecoder(max_message_size=32 * 1024 * 1024)
            start = time.perf_counter()
            out = []
            for pos in range(0, len(frame), piece):
                out += decoder.feed(view[pos : pos + piece])
            decoder.close()
            times.append(time.perf_counter() - start)
            assert out[0].payload == payload
        return min(times)

    large, small = best_of(1024 * 1024), best_of(4096)
    assert small < 4 * large + 0.2, (small, large)


# --- the compiled decoder's CRC (zlib's, 16-byte blocks folded with PCLMULQDQ) ------------

_FOLD_LENGTHS = [*range(0, 300), 511, 512, 513, 1000, 4096, 65536 + 7]


@pytest.fixture
def compiled_crc() -> Any:
    if literllm.IMPLEMENTATION != "c":
        pytest.skip("the compiled EventStream decoder is not built")
    from literllm._parsers import _eventstream_c

    return _eventstream_c


def test_the_crc_folds_on_x86_64(compiled_crc: Any) -> None:
    """The folded path is the one the other CRC tests exercise on this kind of machine."""
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("folding is for x86-64")
    assert compiled_crc._crc32_folds() is True


def test_the_decoder_crc_is_zlibs_for_every_length_and_seed(compiled_crc: Any) -> None:
    import random

    rnd = random.Random(2026)
    for length in _FOLD_LENGTHS:
        data = rnd.randbytes(length)
        assert compiled_crc._crc32(data) == zlib.crc32(data) == _crc32(data), length
        for _ in range(4):
            seed = rnd.getrandbits(32)
            assert compiled_crc._crc32(data, seed) == zlib.crc32(data, seed), (length, seed)


@settings(max_examples=500, deadline=None)
@given(data=st.binary(min_size=0, max_size=700), seed=st.integers(0, 2**32 - 1))
def test_the_decoder_crc_agrees_with_zlib_on_any_bytes(data: bytes, seed: int) -> None:
    if literllm.IMPLEMENTATION != "c":
        pytest.skip("the compiled EventStream decoder is not built")
    from literllm._parsers import _eventstream_c

    assert _eventstream_c._crc32(data, seed) == zlib.crc32(data, seed)


def test_frames_of_every_length_decode_and_any_flipped_bit_fails(
    eventstream: ModuleType,
) -> None:
    """Frames of 32 to 370 bytes (every path of the message CRC: zlib alone, one 64-byte
    block, further 64- and 16-byte blocks, a tail) decode, and a flipped bit anywhere after
    the prelude is a ChecksumError."""
    for size in range(0, 340, 7):
        frame = encode_event_message({":event-type": "x"}, b"p" * size)
        (message,) = _decode(eventstream, [frame])
        assert message.payload == b"p" * size
        for bit in range(12 * 8, (len(frame) - 4) * 8, 61):
            broken = bytearray(frame)
            broken[bit // 8] ^= 1 << (bit % 8)
            with pytest.raises(ChecksumError):
                _decode(eventstream, [bytes(broken)])
