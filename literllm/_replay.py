"""``replay()``: a recorded response body through the same adapter code as a live stream.

No network: the body's bytes go to the provider's stream adapter (the same ``feed`` /
``on_event`` / ``finish`` the client uses) and the chunks come out as they would live, with
the same errors: a body cut short raises ``StreamTruncatedError``, a bad CRC or bad JSON
``MalformedChunkError``, each with what arrived before (``chunks_received``, ``text`` and
``accumulated``, the ``ChatCompletion`` so far).
"""

from __future__ import annotations

import os
import random
import stat
from collections.abc import Iterator
from typing import IO, Any

from ._accumulate import StreamAccumulator, completion_of
from .errors import ConfigurationError, MalformedChunkError, StreamError
from .formats import StreamFormat, format_for_content_type, sniff_format
from .providers import get_provider, provider_names
from .types import ChatCompletion, ChatCompletionChunk

__all__ = [
    "MAX_REPLAY_SIZE",
    "Source",
    "read_regular_file",
    "read_source",
    "replay",
    "replay_completion",
    "replay_events",
]

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
# The largest recorded body replay() reads: far above any real stream (the client's own
# max_response_size default is 64 MiB), far below what would exhaust memory.
MAX_REPLAY_SIZE = 256 * 1024 * 1024
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def read_regular_file(path: str | os.PathLike[str], limit: int, *, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``ConfigurationError`` for
    anything else (a FIFO, a device such as /dev/zero, a folder, a file too large)."""
    name = os.fspath(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(name, _READ_FLAGS)
    except OSError as exc:
        raise ConfigurationError(f"cannot read the {what} {name!r}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigurationError(
                f"the {what} {name!r} is not a regular file; replay reads only regular files"
            )
        if info.st_size > limit:
            raise ConfigurationError(
                f"the {what} {name!r} is larger than {limit:,} bytes ({info.st_size:,})"
            )
        pieces: list[bytes] = []
        size = 0
        # Bounded however the file grows meanwhile.
        while piece := os.read(fd, min(limit + 1 - size, 1 << 20)):
            pieces.append(piece)
            size += len(piece)
            if size > limit:
                raise ConfigurationError(f"the {what} {name!r} is larger than {limit:,} bytes")
        return b"".join(pieces)
    except OSError as exc:
        raise ConfigurationError(f"cannot read the {what} {name!r}: {exc.strerror}") from None
    finally:
        os.close(fd)


def read_source(source: Source, limit: int = MAX_REPLAY_SIZE) -> bytes:
    """The bytes of a path (a regular file), a bytes-like object or a binary file object,
    at most ``limit`` of them."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        return read_regular_file(source, limit, what="recording")
    else:
        read = getattr(source, "read", None)
        if read is None:
            raise ConfigurationError(
                f"replay() takes a path, bytes or a binary file, not {type(source).__name__}"
            )
        data = read(limit + 1)
        if not isinstance(data, bytes):
            raise ConfigurationError("replay() needs a file opened in binary mode ('rb')")
    if len(data) > limit:
        raise ConfigurationError(f"the recording is larger than {limit:,} bytes")
    return data


def _from_sidecar(source: Source, provider: str | None, model: str) -> tuple[str, str]:
    if isinstance(source, str | os.PathLike):
        from ._record import read_sidecar, sidecar_path

        sidecar = read_sidecar(source) or {}
        for field in ("provider", "model"):
            value = sidecar.get(field)
            if value is not None and not isinstance(value, str):
                raise ConfigurationError(
                    f"the sidecar {sidecar_path(source)!r}: {field!r} must be a string, "
                    f"not {type(value).__name__}"
                )
        provider = provider or sidecar.get("provider")
        model = model or sidecar.get("model") or ""
    if provider is not None and not isinstance(provider, str):
        raise ConfigurationError(f"provider= must be a string, not {type(provider).__name__}")
    if not provider:
        raise ConfigurationError(
            "replay() needs provider= (the body's wire format) for a source without a sidecar"
        )
    return provider, model


def _pieces(data: bytes, split: int | tuple[str, int] | None) -> Iterator[bytes]:
    if split is None:
        yield data
        return
    if isinstance(split, tuple):  # ("seed", n): random sizes of 1..4096 bytes
        rng = random.Random(split[1])
        position = 0
        while position < len(data):
            size = rng.randint(1, 4096 if rng.random() < 0.5 else 17)
            yield data[position : position + size]
            position += size
        return
    if split < 1:
        raise ConfigurationError("split must be a positive number of bytes")
    for position in range(0, len(data), split):
        yield data[position : position + split]


def _stream_adapter(provider: str, model: str, data: bytes) -> Any:
    adapter = get_provider(provider).load_adapter().new_stream(model, None)
    expected = format_for_content_type(adapter.content_type)
    found = sniff_format(data)
    if found is not None and found is not expected:
        speakers = ", ".join(repr(name) for name in _providers_of(found)[:4]) or "none"
        raise ConfigurationError(
            f"this body is in the {found.name} wire format, and {provider!r} streams "
            f"{expected.name}; replay it with a provider that streams {found.name} "
            f"({speakers}, ...)"
        )
    return adapter


def _speakers() -> list[tuple[str, StreamFormat]]:
    """One provider per stream adapter, with the wire format it streams (in registry order;
    adapters that cannot be built here, such as one whose extra is missing, left out)."""
    found: list[tuple[str, StreamFormat]] = []
    seen: set[str] = set()
    for name in provider_names(builtin_order=True):
        provider = get_provider(name)
        if provider.adapter in seen:
            continue
        seen.add(provider.adapter)
        try:
            content_type = provider.load_adapter().new_stream("", None).content_type
        except Exception:  # a provider that cannot replay here is not a candidate
            continue
        found.append((name, format_for_content_type(content_type)))
    return found


def _providers_of(stream_format: StreamFormat) -> list[str]:
    return [name for name, spoken in _speakers() if spoken is stream_format]


def replay(
    source: Source,
    provider: str | None = None,
    *,
    split: int | tuple[str, int] | None = None,
    model: str = "",
) -> Iterator[ChatCompletionChunk]:
    """The chunks a recorded response body streams, as the live client would yield them.

    Args:
        source: the recorded body: a path, bytes, or a binary file object.
        provider: whose wire format it is (``"openai"``, ``"anthropic"``, ``"bedrock"``, ...);
            for a path recorded with ``record_to=``, read from its sidecar when not given.
        split: re-cut the input to reproduce chunk-boundary bugs: a fixed piece size in
            bytes, or ``("seed", n)`` for random sizes drawn with seed ``n``.
        model: the model name chunks carry where the format does not name one.

    Raises the live stream's errors (``StreamError`` subclasses) and ``ConfigurationError``
    for an unreadable source, an unknown provider, or a body of the other wire format.
    """
    data = read_source(source)
    provider, model = _from_sidecar(source, provider, model)
    adapter = _stream_adapter(provider, model, data)
    yield from _play(adapter, data, provider, split, StreamAccumulator())


def replay_completion(
    source: Source,
    provider: str | None = None,
    *,
    split: int | tuple[str, int] | None = None,
    model: str = "",
) -> ChatCompletion:
    """The ``ChatCompletion`` a recorded body adds up to, as ``await stream.final()`` gives it
    live (its message's ``raw`` holds what sending it back needs: thinking blocks with their
    signatures, Gemini's parts). Same arguments and errors as ``replay()``."""
    data = read_source(source)
    provider, model = _from_sidecar(source, provider, model)
    adapter = _stream_adapter(provider, model, data)
    received = StreamAccumulator()
    for _chunk in _play(adapter, data, provider, split, received):
        pass
    return completion_of(received, adapter)


def _play(
    adapter: Any,
    data: bytes,
    provider: str,
    split: int | tuple[str, int] | None,
    received: StreamAccumulator,
    *,
    guess_format: bool = True,
) -> Iterator[ChatCompletionChunk]:
    """The chunks of ``data`` through ``adapter``, each added to ``received``; the live
    stream's errors, told what came before (and, for a body that failed before any of the
    reply came through, which other wire format it plays as)."""
    try:
        for piece in _pieces(data, split):
            failure: MalformedChunkError | None = None
            try:
                events = adapter.feed(piece)
            except MalformedChunkError as exc:
                failure, events = exc, exc.events
            except Exception as exc:  # as live: a decoder bug still ends as a StreamError
                raise MalformedChunkError(f"undecodable stream: {exc!r}") from exc
            for event in events:
                try:
                    chunk = adapter.on_event(event)
                    if chunk is not None:
                        received.add(chunk)
                except StreamError:
                    raise
                except Exception as exc:
                    raise MalformedChunkError(f"could not build a chunk: {exc!r}") from exc
                if chunk is not None:
                    yield chunk
            if failure is not None:
                raise failure
        adapter.finish()
    except StreamError as exc:
        if guess_format and not _said_anything(completion_of(received, adapter)):
            other = _format_of(data, provider)
            if other is not None:
                raise ConfigurationError(
                    f"this body is not {provider!r}'s wire format: it replays as {other!r}'s "
                    f"(replay it with provider={other!r}); as {provider!r}: {exc.message}"
                ) from exc
        text = "".join(part for part in adapter.text_parts if isinstance(part, str))
        exc.chunks_received = received.chunks
        exc.text = text
        exc.provider = provider
        exc.accumulated = completion_of(received, adapter)
        exc.message = f"{exc.message} (after {received.chunks} chunks, {len(text)} characters)"
        exc.args = (exc.message,)
        raise


def _format_of(data: bytes, provider: str) -> str | None:
    """The first other provider of the same wire format that plays ``data`` through to its
    end and finds a reply in it, if any: whose body a body that is not ``provider``'s is."""
    own = get_provider(provider)
    spoken = format_for_content_type(own.load_adapter().new_stream("", None).content_type)
    for candidate in _providers_of(spoken):
        other = get_provider(candidate)
        if other.adapter == own.adapter:
            continue
        adapter = other.load_adapter().new_stream("", None)
        received = StreamAccumulator()
        try:
            for _chunk in _play(adapter, data, candidate, None, received, guess_format=False):
                pass
        except Exception:
            continue
        if _said_anything(completion_of(received, adapter)):
            return candidate
    return None


def _said_anything(completion: ChatCompletion) -> bool:
    """Whether a reply holds any text, reasoning or tool call (a body read in another wire
    format by a lenient adapter holds none)."""
    return any(choice.message.content or choice.message.reasoning_content
               or choice.message.tool_calls for choice in completion.choices)


def replay_events(
    source: Source,
    provider: str | None = None,
    *,
    split: int | tuple[str, int] | None = None,
    shown: bool = False,
) -> Iterator[Any]:
    """The transport events of a recorded body (SSE ``(event, data)`` pairs, EventStream
    messages, NDJSON lines), for debugging the layer under the adapter; with ``shown``, each
    as JSON-able data, as its wire format shows it. Each also goes through the adapter, so a
    body that ends early, or an error event, raises as ``replay()`` would, after the events
    before it."""
    data = read_source(source)
    provider, model = _from_sidecar(source, provider, "")
    adapter = _stream_adapter(provider, model, data)
    show = format_for_content_type(adapter.content_type).show_event if shown else None
    for piece in _pieces(data, split):
        for event in adapter.feed(piece):
            yield event if show is None else show(event)
            # Through the adapter too: its state says whether the body ended complete, and
            # an error event raises its typed error (after it was shown).
            adapter.on_event(event)
    adapter.finish()
