"""``python -m literllm.bench --instructions``: instructions per chunk, counted by callgrind.

Instruction counts do not depend on what else the machine is doing, so they compare across
noisy runs (CI machines are noisy) where CPU seconds cannot. For each wire format, literllm's
client and the raw-aiohttp floor each stream the same body from the local server (which
runs in its own process, untraced) under ``valgrind --tool=callgrind``, twice: with ``N``
and with ``3N`` chunks. Ir per chunk is the difference over the chunks between: interpreter
start, imports and first-call costs appear in both runs and cancel.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from .client import (
    FORMATS,
    _adapter_runner,
    _aiohttp_runner,
    _async_generator_runner,
    _literllm_runner,
    local_server,
)

__all__ = ["run_instruction_counts"]

_TOTALS = re.compile(rb"^(?:summary|totals):\s+(\d+)", re.M)


def _child(kind: str, provider: str, suffix: str, root_url: str, n_chunks: int) -> int:
    """Stream once (in the traced process); print the items streamed."""
    runner = {"literllm": _literllm_runner, "floor": _aiohttp_runner,
              "asyncgen": _async_generator_runner, "adapter": _adapter_runner}[kind]
    run, close = runner(provider, suffix)
    loop = asyncio.new_event_loop()
    try:
        count, _ = loop.run_until_complete(run(root_url, f"chunks-{n_chunks}"))
        loop.run_until_complete(close())
    finally:
        loop.close()
    print(count)
    return 0


def _counted(
    kind: str, provider: str, suffix: str, root_url: str, n_chunks: int
) -> tuple[int, int]:
    """(instructions, items) of one traced stream."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "-q",
             sys.executable, "-m", "literllm.bench._instructions",
             kind, provider, suffix, root_url, str(n_chunks)],
            capture_output=True, check=False,
            # One hash seed: imports then run the same instructions in both runs.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if done.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(
                f"callgrind run failed ({kind} {provider}): {done.stderr.decode()[-500:]}"
            )
        with open(out, "rb") as file:
            match = _TOTALS.search(file.read())
    if match is None:
        raise RuntimeError("callgrind wrote no instruction total")
    return int(match.group(1)), int(done.stdout.split()[-1])


def _per_chunk(kind: str, provider: str, suffix: str, root_url: str, n_chunks: int) -> float:
    small, small_items = _counted(kind, provider, suffix, root_url, n_chunks)
    large, large_items = _counted(kind, provider, suffix, root_url, 3 * n_chunks)
    return (large - small) / max(large_items - small_items, 1)


def run_instruction_counts(*, quick: bool, skipped: list[str]) -> list[Any]:
    """Print and return Ir per chunk for literllm and the floor, per wire format."""
    from .__main__ import Result

    if shutil.which("valgrind") is None:
        skipped.append("instructions: valgrind is not installed (apt-get install valgrind)")
        print("\n  instructions: skipped, valgrind is not installed")
        return []
    n_chunks = 200 if quick else 1000
    results: list[Any] = []
    print(f"\nInstructions per chunk (callgrind; {n_chunks} and {3 * n_chunks}-chunk streams, "
          "the difference over the chunks between)")
    print("  adapter: the stream adapter alone on the floor's reads; async-gen: the floor's "
          "reads through an async generator of prebuilt objects; ChatStream: literllm minus "
          "the floor, the adapter's share and the async generator's")
    print(f"  {'format':<38} {'literllm':>9} {'floor':>7} {'x floor':>8} {'adapter':>8} "
          f"{'async-gen':>10} {'ChatStream':>11}")
    with local_server() as base_url:
        root_url = base_url.removesuffix("/v1")
        for title, provider, suffix in FORMATS:
            ours, floor, adapter, generator = (
                _per_chunk(kind, provider, suffix, root_url, n_chunks)
                for kind in ("literllm", "floor", "adapter", "asyncgen")
            )
            adapter_share = adapter - floor
            generator_share = generator - floor
            stream_share = ours - floor - adapter_share - generator_share
            print(f"  {title:<38} {ours:>9,.0f} {floor:>7,.0f} {ours / floor:>7.1f}x "
                  f"{adapter_share:>8,.0f} {generator_share:>10,.0f} {stream_share:>11,.0f}")
            results.append(Result(
                f"instructions-{provider}", "literllm", "1-16KiB", 0.0, 0, 3 * n_chunks,
                {"ir_per_chunk": ours, "floor_ir_per_chunk": floor, "x_floor": ours / floor,
                 "adapter_ir_per_chunk": adapter_share,
                 "async_generator_ir_per_chunk": generator_share,
                 "chat_stream_ir_per_chunk": stream_share},
            ))
    return results


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
