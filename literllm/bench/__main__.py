"""``python -m literllm.bench``: literllm's parsers (both twins) and client against the peers.

Every row is the median of ``--runs`` runs over the same bytes in the same process. Peers
(openai-python, httpx-sse, botocore, liter-llm) are measured when installed
(``pip install -e '.[bench]'``) and listed as skipped otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from .. import __version__
from .._parsers import IMPLEMENTATION
from ..testing import WIRE_FORMATS
from ..testing._builders import (
    bedrock_converse_stream,
    openai_chat_stream,
    split_random,
    text_reply,
)
from ._peers import peer_unavailable

__all__ = ["Result", "main"]

PIECE_SIZES = {"1-16KiB": (1024, 16 * 1024), "1-64B": (1, 64)}


@dataclass
class Result:
    """One benchmark row."""

    section: str
    name: str
    pieces: str
    seconds: float
    bytes: int
    items: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e6

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds


def progress(text: str) -> None:
    """One progress line on stderr, rewritten in place on a terminal."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K  running {text}")
    else:
        sys.stderr.write(f"  running {text}\n")
    sys.stderr.flush()


def done_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


def _median_time(run: Callable[[], int], runs: int) -> tuple[float, int]:
    times = []
    items = 0
    for _ in range(runs):
        start = time.perf_counter()
        items = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), items


def _twins(topic: str, impl: str) -> list[tuple[str, Any]]:
    found = []
    for name in ("c", "py") if impl == "all" else (impl,):
        try:
            found.append((name, importlib.import_module(f"literllm._parsers._{topic}_{name}")))
        except ImportError:
            print(f"  ({topic} {name} twin not available)", file=sys.stderr)
    return found


# --- SSE ---------------------------------------------------------------------------------


def _sse_runners(impl: str) -> dict[str, Callable[[list[bytes]], int] | str]:
    runners: dict[str, Callable[[list[bytes]], int] | str] = {}
    for name, module in _twins("sse", impl):

        def raw(pieces: list[bytes], module: Any = module) -> int:
            feed = module.SSEDecoder().feed_raw
            return sum(len(feed(piece)) for piece in pieces)

        def events(pieces: list[bytes], module: Any = module) -> int:
            feed = module.SSEDecoder().feed
            return sum(len(feed(piece)) for piece in pieces)

        runners[f"literllm {name} feed_raw"] = raw
        runners[f"literllm {name} feed"] = events
    runners["openai SSEDecoder"] = _openai_sse_runner()
    runners["anthropic SSEDecoder"] = _anthropic_sse_runner()
    runners["httpx-sse"] = _httpx_sse_runner()
    return runners


def _anthropic_sse_runner() -> Callable[[list[bytes]], int] | str:
    try:
        import anthropic
        from anthropic._streaming import SSEDecoder
    except ImportError as exc:
        return peer_unavailable("anthropic", "anthropic", exc)

    def run(pieces: list[bytes]) -> int:
        return sum(1 for _ in SSEDecoder().iter_bytes(iter(pieces)))

    run.version = anthropic.__version__  # type: ignore[attr-defined]
    return run


def _openai_sse_runner() -> Callable[[list[bytes]], int] | str:
    try:
        import openai
        from openai._streaming import SSEDecoder
    except ImportError as exc:
        return peer_unavailable("openai", "openai", exc)

    def run(pieces: list[bytes]) -> int:
        return sum(1 for _ in SSEDecoder().iter_bytes(iter(pieces)))

    run.version = openai.__version__  # type: ignore[attr-defined]
    return run


def _httpx_sse_runner() -> Callable[[list[bytes]], int] | str:
    try:
        import codecs

        import httpx_sse
        from httpx_sse._decoders import SSEDecoder, SSELineDecoder
    except ImportError as exc:
        return peer_unavailable("httpx_sse", "httpx-sse", exc)

    def run(pieces: list[bytes]) -> int:
        # What EventSource.iter_sse does: incremental UTF-8, line splitting, then events.
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        lines = SSELineDecoder()
        decoder = SSEDecoder()
        count = 0
        for piece in pieces:
            for line in lines.decode(text.decode(piece)):
                if decoder.decode(line) is not None:
                    count += 1
        return count

    run.version = httpx_sse.__version__  # type: ignore[attr-defined]
    return run


# --- EventStream ---------------------------------------------------------------------------


def _eventstream_runners(impl: str) -> dict[str, Callable[[list[bytes]], int] | str]:
    runners: dict[str, Callable[[list[bytes]], int] | str] = {}
    for name, module in _twins("eventstream", impl):

        def run(pieces: list[bytes], module: Any = module) -> int:
            decoder = module.EventStreamDecoder()
            count = sum(len(decoder.feed(piece)) for piece in pieces)
            decoder.close()
            return count

        def run_raw(pieces: list[bytes], module: Any = module) -> int:
            decoder = module.EventStreamDecoder()
            count = sum(len(decoder.feed_raw(piece)) for piece in pieces)
            decoder.close()
            return count

        runners[f"literllm {name}"] = run
        runners[f"literllm {name} feed_raw"] = run_raw
    try:
        import botocore
        from botocore.eventstream import EventStreamBuffer
    except ImportError as exc:
        runners["botocore EventStreamBuffer"] = peer_unavailable("botocore", "botocore", exc)
    else:

        def boto(pieces: list[bytes]) -> int:
            buffer = EventStreamBuffer()
            count = 0
            for piece in pieces:
                buffer.add_data(piece)
                for _ in buffer:
                    count += 1
            return count

        boto.version = botocore.__version__  # type: ignore[attr-defined]
        runners["botocore EventStreamBuffer"] = boto
    return runners


def _run_section(
    section: str,
    body: bytes,
    runners: dict[str, Callable[[list[bytes]], int] | str],
    runs: int,
    skipped: list[str],
) -> list[Result]:
    results = []
    for label, (low, high) in PIECE_SIZES.items():
        pieces = split_random(body, low, high, seed=7)
        for name, runner in runners.items():
            if isinstance(runner, str):
                if label == next(iter(PIECE_SIZES)):
                    skipped.append(f"{section}: {name}: {runner}")
                continue
            progress(f"{section}: {name}, {label} pieces")
            seconds, items = _median_time(partial(runner, pieces), runs)
            extra = {"version": getattr(runner, "version", __version__)}
            results.append(Result(section, name, label, seconds, len(body), items, extra))
    return results


def _print_table(title: str, results: Sequence[Result], baseline: str) -> None:
    print(f"\n{title}")
    header = f"  {'decoder':<28} {'pieces':>8} {'MB/s':>10} {'items/s':>12} {'vs ' + baseline:>16}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for result in results:
        base = next(
            (r for r in results if r.name.startswith(baseline) and r.pieces == result.pieces), None
        )
        ratio = f"{base.seconds / result.seconds:.1f}x" if base else "-"
        print(
            f"  {result.name:<28} {result.pieces:>8} {result.mb_per_s:>10.1f} "
            f"{result.items_per_s:>12,.0f} {ratio:>16}"
        )


def _print_crc_share(body: bytes, frames: Sequence[Result]) -> None:
    """The compiled decoder's rate as a share of ``zlib.crc32`` over the same bytes (a
    decoder checks two CRCs a frame, so the CRC alone bounds it)."""
    import time
    import zlib

    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        zlib.crc32(body)
    crc_mb_per_s = len(body) * rounds / (time.perf_counter() - start) / 1e6
    shares = []
    for name, label in (("literllm c", "messages"), ("literllm c feed_raw", "feed_raw pairs")):
        ours = [r for r in frames if r.name == name]
        if ours:
            best = max(r.mb_per_s for r in ours)
            shares.append(f"{label} {best / crc_mb_per_s:.0%}")
    if shares:
        print(f"  zlib.crc32 over the same bytes: {crc_mb_per_s:,.0f} MB/s; the compiled "
              f"decoder at its best split runs at {', '.join(shares)} of that")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m literllm.bench", description=__doc__)
    parser.add_argument("--impl", choices=("c", "py", "all"), default="all")
    parser.add_argument("--runs", type=int, default=5, help="runs per row (median reported)")
    parser.add_argument("--quick", action="store_true", help="small workloads, 1 run (smoke)")
    parser.add_argument(
        "--only",
        choices=("sse", "eventstream", "client", "soak", "all"),
        default="all",
        help="which section to run",
    )
    parser.add_argument(
        "--instructions", action="store_true",
        help="also count instructions per chunk under valgrind's callgrind (client, every "
             "format; stable on noisy machines, a few minutes)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--plot", metavar="PATH", help="also draw the results as a PNG (needs matplotlib)"
    )
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    scale = 10 if args.quick else 1

    print(
        f"literllm {__version__}  IMPLEMENTATION={IMPLEMENTATION}  "
        f"Python {platform.python_version()} ({platform.machine()})  runs={runs} (median)"
    )
    skipped: list[str] = []
    results: list[Result] = []

    if args.only in ("sse", "all"):
        body = openai_chat_stream(10_000 // scale)
        sse = _run_section("sse", body, _sse_runners(args.impl), runs, skipped)
        done_progress()
        n_events = 10_000 // scale + 1
        _print_table(
            f"SSE decoder: OpenAI chat stream, {len(body) / 1e6:.2f} MB, {n_events:,} events",
            sse,
            "openai",
        )
        results += sse
        body = WIRE_FORMATS["anthropic"].stream_body(text_reply(10_000 // scale))
        anthropic_sse = _run_section(
            "sse-anthropic", body, _sse_runners(args.impl), runs, skipped
        )
        done_progress()
        _print_table(
            f"SSE decoder: Anthropic Messages stream, {len(body) / 1e6:.2f} MB, "
            f"{len(WIRE_FORMATS['anthropic'].split_events(body)):,} events",
            anthropic_sse,
            "anthropic",
        )
        results += anthropic_sse

    if args.only in ("eventstream", "all"):
        body = bedrock_converse_stream(10_000 // scale)
        frames = _run_section("eventstream", body, _eventstream_runners(args.impl), runs, skipped)
        done_progress()
        _print_table(
            f"EventStream decoder: Bedrock ConverseStream, {len(body) / 1e6:.2f} MB, "
            f"{10_000 // scale:,} messages, CRCs checked",
            frames,
            "botocore",
        )
        _print_crc_share(body, frames)
        results += frames

    if args.only in ("client", "all"):
        from .client import run_client_benchmarks

        results += run_client_benchmarks(quick=args.quick, runs=runs, skipped=skipped)

    if args.instructions:
        from ._instructions import run_instruction_counts

        results += run_instruction_counts(quick=args.quick, skipped=skipped)

    if args.only in ("soak", "all"):
        from .client import run_soak

        results += run_soak(quick=args.quick)

    for line in skipped:
        print(f"  skipped: {line}")
    if args.json:
        payload = {
            "version": __version__,
            "implementation": IMPLEMENTATION,
            "python": platform.python_version(),
            "results": [
                {**asdict(r), "mb_per_s": r.mb_per_s, "items_per_s": r.items_per_s}
                for r in results
            ],
            "skipped": skipped,
        }
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
        print(f"\nwrote {args.json}")
    if args.plot:
        from ._plot import plot

        try:
            plot(results, args.plot)
        except ImportError:
            print("--plot needs matplotlib: pip install 'literllm[plot]'", file=sys.stderr)
            return 2
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
