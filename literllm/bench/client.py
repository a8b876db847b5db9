"""End-to-end rows of ``python -m literllm.bench``: clients streaming from the local server.

The server (``python -m literllm.testing``) runs in its own process, so the CPU time measured
here (``time.process_time``) is the client's alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from .. import __version__
from ._peers import peer_unavailable

if TYPE_CHECKING:
    from ..formats import StreamFormat
    from ..providers._base import HttpRequest
    from ..types import MessageParam

__all__ = ["run_client_benchmarks"]

API_KEY = "sk-bench"
FLOOR = "raw aiohttp (floor)"
MESSAGES: list[MessageParam] = [{"role": "user", "content": "Stream me a long answer."}]


@contextlib.contextmanager
def local_server() -> Iterator[str]:
    """Start ``python -m literllm.testing`` in another process; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "literllm.testing", "--api-key", API_KEY, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"local server did not start: {line!r}")
        yield line.split(" ", 1)[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


Runner = Callable[[str, str], Awaitable[tuple[int, float]]]
"""``run(root_url, model) -> (items streamed, seconds to the first)``."""


async def _count(items: AsyncIterator[Any], start: float) -> tuple[int, float]:
    """How many items a stream yields, and the seconds from ``start`` to the first."""
    first = 0.0
    count = 0
    async for _item in items:
        if not count:
            first = time.perf_counter() - start
        count += 1
    return count, first

# The formats measured end to end: (title, provider prefix, literllm's base_url suffix).
FORMATS = (
    ("OpenAI chat completions (SSE)", "openai", "/v1"),
    ("Anthropic Messages (SSE)", "anthropic", ""),
    ("Bedrock ConverseStream (EventStream)", "bedrock", ""),
    ("Gemini streamGenerateContent (SSE)", "gemini", ""),
    ("Cohere v2 chat (SSE)", "cohere", ""),
    ("Ollama native /api/chat (NDJSON)", "ollama_chat", ""),
    ("OpenAI Responses API (SSE)", "openai_responses", "/v1"),
)


def _literllm_runner(
    provider: str, suffix: str, *, stats: bool = False, fallbacks: bool = False,
    **options: Any,
) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """literllm's client; ``options`` (hooks, limits) and ``stats``/``fallbacks`` measure
    what the service features cost."""
    from ..client import LlmClient

    clients: dict[str, LlmClient] = {}
    provider_options = {"bedrock": {"region": "us-east-1"}, **options.pop("provider_options", {})}
    extra: dict[str, Any] = {"fallbacks": ["anthropic/unused"]} if fallbacks else {}

    async def run(root_url: str, model: str) -> tuple[int, float]:
        llm = clients.get(root_url)
        if llm is None:
            # Bedrock here takes a Bedrock API key (bearer), so no SigV4 cost is measured.
            llm = clients[root_url] = LlmClient(
                api_key=API_KEY, base_url=root_url + suffix,
                provider_options=provider_options, **options,
            )
        start = time.perf_counter()
        stream = await llm.chat_stream(f"{provider}/{model}", MESSAGES, **extra)
        counted = await _count(stream, start)
        if stats:
            _ = stream.stats  # built once, at the end, as a service would
        return counted

    async def close() -> None:
        for llm in clients.values():
            await llm.close()

    return run, close


def _sync_runner(provider: str, suffix: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """literllm's SyncLlmClient, driven from a worker thread (its loop is its own)."""
    from ..sync import SyncLlmClient

    clients: dict[str, SyncLlmClient] = {}

    def stream(root_url: str, model: str) -> tuple[int, float]:
        client = clients.get(root_url)
        if client is None:
            client = clients[root_url] = SyncLlmClient(api_key=API_KEY, base_url=root_url + suffix)
        start = time.perf_counter()
        first = 0.0
        count = 0
        for _chunk in client.chat_stream(f"{provider}/{model}", MESSAGES):
            if not count:
                first = time.perf_counter() - start
            count += 1
        return count, first

    async def run(root_url: str, model: str) -> tuple[int, float]:
        return await asyncio.get_running_loop().run_in_executor(None, stream, root_url, model)

    async def close() -> None:
        for client in clients.values():
            client.close()

    return run, close


def _litellm_runner() -> tuple[Runner, Callable[[], Awaitable[None]]] | str:
    try:
        import litellm
    except ImportError as exc:
        return peer_unavailable("litellm", "litellm", exc)

    async def run(root_url: str, model: str) -> tuple[int, float]:
        start = time.perf_counter()
        acompletion: Any = litellm.acompletion
        stream = await acompletion(model=f"openai/{model}", messages=MESSAGES, stream=True,
                                   api_base=root_url + "/v1", api_key=API_KEY)
        return await _count(stream, start)

    async def close() -> None:
        return None

    run.version = getattr(litellm, "__version__", "?")  # type: ignore[attr-defined]
    return run, close


async def _floor_request(
    provider: str, url: str, model: str
) -> tuple[HttpRequest, StreamFormat]:
    """The request literllm sends (built and signed by the provider's own adapter, so the
    floor reads the very body literllm reads) and the wire format it streams."""
    from ..formats import format_for_content_type
    from ..providers import get_provider

    adapter = get_provider(provider).load_adapter()
    request = adapter.chat_request(model, MESSAGES, {}, extra_body={}, stream=True,
                                   base_url=url, options={"region": "us-east-1"})
    auth = adapter.auth(API_KEY, {})
    if auth is not None:
        request = await auth.apply(request)
    return request, format_for_content_type(adapter.new_stream(model, None).content_type)


def _floor_runner(
    provider: str,
    suffix: str,
    consume: Callable[[Any, StreamFormat, str, float], Awaitable[tuple[int, float]]],
) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """literllm's own request sent over a plain aiohttp session; ``consume(response,
    stream_format, model, start)`` reads the response and says what it counted."""
    import aiohttp

    session: list[aiohttp.ClientSession] = []

    async def run(root_url: str, model: str) -> tuple[int, float]:
        if not session:
            session.append(aiohttp.ClientSession())
        request, stream_format = await _floor_request(provider, root_url + suffix, model)
        start = time.perf_counter()
        async with session[0].post(
            request.url, data=request.body, headers=request.headers
        ) as response:
            return await consume(response, stream_format, model, start)

    async def close() -> None:
        for s in session:
            await s.close()

    return run, close


def _aiohttp_runner(provider: str, suffix: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """The floor: the body read as raw bytes, events counted by the wire format's marker."""

    async def consume(
        response: Any, stream_format: StreamFormat, model: str, start: float
    ) -> tuple[int, float]:
        marker = stream_format.event_marker
        first = 0.0
        count = 0
        async for data in response.content.iter_any():
            if not first:
                first = time.perf_counter() - start
            count += data.count(marker)
        return count, first

    return _floor_runner(provider, suffix, consume)


def _async_generator_runner(
    provider: str, suffix: str
) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """The floor's reads, with an async generator yielding one prebuilt object per event:
    what delivering chunks through ``async for`` costs by itself."""
    prebuilt = object()

    async def events(content: Any, marker: bytes) -> AsyncIterator[object]:
        async for data in content.iter_any():
            for _ in range(data.count(marker)):
                yield prebuilt

    async def consume(
        response: Any, stream_format: StreamFormat, model: str, start: float
    ) -> tuple[int, float]:
        return await _count(events(response.content, stream_format.event_marker), start)

    return _floor_runner(provider, suffix, consume)


def _adapter_runner(provider: str, suffix: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """The floor's reads, each read then fed to the provider's stream adapter directly (no
    ChatStream, no accumulator): what the adapter costs by itself."""
    from ..providers import get_provider

    async def consume(
        response: Any, stream_format: StreamFormat, model: str, start: float
    ) -> tuple[int, float]:
        stream = get_provider(provider).load_adapter().new_stream(model, None)
        on_event = stream.on_event
        first = 0.0
        count = 0
        async for data in response.content.iter_any():
            for event in stream.feed(data):
                if on_event(event) is not None:
                    if not count:
                        first = time.perf_counter() - start
                    count += 1
        return count, first

    return _floor_runner(provider, suffix, consume)


def _anthropic_runner() -> tuple[Runner, Callable[[], Awaitable[None]]] | str:
    try:
        import anthropic
    except ImportError as exc:
        return peer_unavailable("anthropic", "anthropic", exc)
    clients: dict[str, Any] = {}

    async def run(root_url: str, model: str) -> tuple[int, float]:
        client = clients.get(root_url)
        if client is None:
            client = clients[root_url] = anthropic.AsyncAnthropic(
                api_key=API_KEY, base_url=root_url, max_retries=0
            )
        start = time.perf_counter()
        create: Any = client.messages.create
        stream = await create(model=model, max_tokens=1024, messages=MESSAGES, stream=True)
        return await _count(stream, start)

    async def close() -> None:
        for client in clients.values():
            await client.close()

    run.version = anthropic.__version__  # type: ignore[attr-defined]
    return run, close


def _openai_runner() -> tuple[Runner, Callable[[], Awaitable[None]]] | str:
    try:
        import openai
    except ImportError as exc:
        return peer_unavailable("openai", "openai", exc)
    clients: dict[str, Any] = {}

    async def run(root_url: str, model: str) -> tuple[int, float]:
        client = clients.get(root_url)
        if client is None:
            client = clients[root_url] = openai.AsyncOpenAI(
                api_key=API_KEY, base_url=root_url + "/v1", max_retries=0
            )
        start = time.perf_counter()
        # Any: the peer's own types differ between its versions (or it is not installed).
        create: Any = client.chat.completions.create
        stream = await create(model=model, messages=MESSAGES, stream=True)
        return await _count(stream, start)

    async def close() -> None:
        for client in clients.values():
            await client.close()

    run.version = openai.__version__  # type: ignore[attr-defined]
    return run, close


def _liter_llm_runner() -> tuple[Runner, Callable[[], Awaitable[None]]] | str:
    try:
        import liter_llm
        from liter_llm.api import chat_stream, create_client
        from liter_llm.options import ChatCompletionRequest
    except ImportError as exc:
        return peer_unavailable("liter_llm", "liter-llm", exc)
    clients: dict[str, Any] = {}

    async def run(root_url: str, model: str) -> tuple[int, float]:
        client = clients.get(root_url)
        if client is None:
            client = clients[root_url] = create_client(api_key=API_KEY, base_url=root_url + "/v1")
        new_request: Any = ChatCompletionRequest
        request = new_request(model=f"openai/{model}", messages=MESSAGES)
        start = time.perf_counter()
        return await _count(chat_stream(client, request), start)

    async def close() -> None:
        clients.clear()

    run.version = getattr(liter_llm, "__version__", "?")  # type: ignore[attr-defined]
    return run, close


def _import_costs() -> dict[str, float]:
    code = (
        "import time, sys\n"
        "t = time.perf_counter(); import literllm; i = time.perf_counter() - t\n"
        "t = time.perf_counter(); cls = literllm.LlmClient; f = time.perf_counter() - t\n"
        "t = time.perf_counter(); c = cls(api_key='x'); b = time.perf_counter() - t\n"
        "print(i * 1e3, f * 1e3, b * 1e6, int('aiohttp' in sys.modules))\n"
    )
    samples = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        samples.append([float(x) for x in out])
    return {
        "import_ms": statistics.median(s[0] for s in samples),
        "client_layer_ms": statistics.median(s[1] for s in samples),
        "build_client_us": statistics.median(s[2] for s in samples),
        "aiohttp_imported": max(s[3] for s in samples),
    }


async def _measure(
    runner: Runner, base_url: str, model: str, runs: int
) -> tuple[int, float, float, float, float]:
    """Items a run yields, and the medians of CPU, wall and TTFC seconds per run; last, the
    minor page faults per item over all the runs (pages the heap gave back to the kernel and
    took again: system time that moves with the heap's layout, not with the code)."""
    await runner(base_url, model)  # warm up: connection, server-side body cache
    cpu, wall, ttfc = [], [], []
    count = 0
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        count, first = await runner(base_url, model)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        ttfc.append(first)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
    return (count, statistics.median(cpu), statistics.median(wall), statistics.median(ttfc),
            faults / max(count * runs, 1))


async def _concurrent(runner: Runner, base_url: str, streams: int, model: str) -> tuple[int, float]:
    await asyncio.gather(*(runner(base_url, model) for _ in range(min(streams, 20))))
    start = time.perf_counter()
    results = await asyncio.gather(*(runner(base_url, model) for _ in range(streams)))
    return sum(count for count, _ in results), time.perf_counter() - start


def _rss_mib() -> float:
    """This process's resident set size now (Linux), in MiB."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return pages * resource.getpagesize() / (1024 * 1024)


async def _load(root_url: str, *, quick: bool) -> dict[str, Any]:
    """Many streams at once, then many one after another, on one client: errors, wall time,
    memory, and whether every connection went back to the pool."""
    from ..client import LlmClient

    concurrent, sequential, chunks = (100, 100, 200) if quick else (1000, 1000, 200)
    model = f"openai/chunks-{chunks}"
    client = LlmClient(api_key=API_KEY, base_url=root_url + "/v1", max_retries=0)

    async def one() -> int:
        async with await client.chat_stream(model, MESSAGES) as stream:
            return sum(1 for _ in [c async for c in stream])

    peak = before = _rss_mib()
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, _rss_mib())
            await asyncio.sleep(0.02)

    sampler = asyncio.ensure_future(sample())
    start = time.perf_counter()
    outcomes = await asyncio.gather(*(one() for _ in range(concurrent)), return_exceptions=True)
    concurrent_wall = time.perf_counter() - start
    sampling = False
    await sampler
    after = _rss_mib()
    concurrent_errors = sum(1 for o in outcomes if o != chunks)
    start = time.perf_counter()
    sequential_errors = 0
    for _ in range(sequential):
        try:
            if await one() != chunks:
                sequential_errors += 1
        except Exception:
            sequential_errors += 1
    sequential_wall = time.perf_counter() - start
    session = client._session
    checked_out = len(getattr(getattr(session, "connector", None), "_acquired", ()))
    await client.close()
    return {
        "concurrent": concurrent,
        "sequential": sequential,
        "chunks": chunks,
        "concurrent_wall": concurrent_wall,
        "concurrent_errors": concurrent_errors,
        "concurrent_rss_growth_mib": after - before,
        "concurrent_rss_peak_growth_mib": peak - before,
        "sequential_wall": sequential_wall,
        "sequential_errors": sequential_errors,
        "checked_out": checked_out,
    }


async def _held_memory(root_url: str, *, streams: int, chunks: int, floor: bool) -> float:
    """KiB of RSS per open stream while ``streams`` streams each hold their response after
    their first chunk (a slow consumer), the rest of each body arrived meanwhile. The floor
    is raw aiohttp holding its response after its first read."""
    import gc

    import aiohttp

    from ..client import LlmClient

    model = f"chunks-{chunks}"
    client = LlmClient(api_key=API_KEY, base_url=root_url + "/v1", max_retries=0,
                       max_connections=streams + 10)
    session = aiohttp.ClientSession()
    release = asyncio.Event()
    opened = 0

    async def held() -> int:
        nonlocal opened
        if floor:
            request, _ = await _floor_request("openai", root_url + "/v1", model)
            async with session.post(request.url, data=request.body,
                                    headers=request.headers) as response:
                await response.content.readany()
                opened += 1
                await release.wait()
                async for _data in response.content.iter_any():
                    pass
            return 0
        async with await client.chat_stream(f"openai/{model}", MESSAGES) as stream:
            await stream.__anext__()
            opened += 1
            await release.wait()
            return 1 + len([chunk async for chunk in stream])

    try:
        gc.collect()
        before = _rss_mib()
        tasks = [asyncio.ensure_future(held()) for _ in range(streams)]
        while opened < streams and not any(task.done() for task in tasks):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.5)  # the rest of every body arrives
        gc.collect()
        growth = _rss_mib() - before
        release.set()
        await asyncio.gather(*tasks)
    finally:
        release.set()
        await client.close()
        await session.close()
    return growth * 1024 / streams


def _held_memory_in_child(root_url: str, streams: int, floor: bool) -> float:
    """``_held_memory`` in a fresh interpreter: memory this process freed earlier would
    otherwise be reused and hide what the held streams take."""
    done = subprocess.run(
        [sys.executable, "-m", "literllm.bench.client", "held", root_url, str(streams),
         "floor" if floor else "literllm"],
        capture_output=True, text=True, check=True,
    )
    return float(done.stdout.split()[-1])


def _leftovers(loop: asyncio.AbstractEventLoop) -> dict[str, int]:
    """What is alive on this loop and in this process: timers, tasks, threads, descriptors."""
    try:
        fds = len(os.listdir("/proc/self/fd"))
    except OSError:
        fds = -1
    timers = sum(1 for handle in getattr(loop, "_scheduled", ()) if not handle.cancelled())
    tasks = len([t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task(loop)])
    return {"timers": timers, "tasks": tasks, "threads": threading.active_count(), "fds": fds}


async def _soak(root_url: str, *, sequential: int, concurrent: int, chunks: int) -> dict[str, Any]:
    """Many short streams on one client, one after another and then all at once (more than
    ``max_connections``: the rest wait for the pool), and what is left once it is closed."""
    from ..client import LlmClient

    loop = asyncio.get_running_loop()
    model = f"openai/chunks-{chunks}"
    await asyncio.sleep(0)
    before = _leftovers(loop)
    rss_before = _rss_mib()
    client = LlmClient(api_key=API_KEY, base_url=root_url + "/v1", max_retries=0)

    async def one() -> bool:
        try:
            async with await client.chat_stream(model, MESSAGES) as stream:
                return sum(1 for _ in [c async for c in stream]) == chunks
        except Exception:
            return False

    start = time.perf_counter()
    sequential_errors = 0
    for _ in range(sequential):
        sequential_errors += not await one()
    sequential_wall = time.perf_counter() - start
    rss_after_sequential = _rss_mib()
    start = time.perf_counter()
    outcomes = await asyncio.gather(*(one() for _ in range(concurrent)))
    concurrent_wall = time.perf_counter() - start
    rss_after = _rss_mib()
    await client.close()
    # aiohttp closes transports on the next loop iterations.
    for _ in range(3):
        await asyncio.sleep(0.05)
    after = _leftovers(loop)
    return {
        "sequential": sequential,
        "concurrent": concurrent,
        "chunks": chunks,
        "sequential_wall": sequential_wall,
        "sequential_errors": sequential_errors,
        "sequential_rss_growth_mib": rss_after_sequential - rss_before,
        "concurrent_wall": concurrent_wall,
        "concurrent_errors": sum(1 for ok in outcomes if not ok),
        "rss_growth_mib": rss_after - rss_before,
        **{f"{name}_left": after[name] - before[name] for name in before},
    }


def _raise_fd_limit(wanted: int) -> int:
    """Raise this process's descriptor limit towards ``wanted`` (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return int(soft)


def run_soak(*, quick: bool) -> list[Any]:
    """The soak row: 20,000 sequential and 5,000 concurrent streams on one client."""
    from .__main__ import Result

    sequential, concurrent, chunks = (2_000, 500, 20) if quick else (20_000, 5_000, 20)
    # Both ends hold a descriptor per open connection (max_connections = 1,000 by default).
    limit = _raise_fd_limit(4096)
    with local_server() as base_url:
        root_url = base_url.removesuffix("/v1")
        loop = asyncio.new_event_loop()
        try:
            soak = loop.run_until_complete(
                _soak(root_url, sequential=sequential, concurrent=concurrent, chunks=chunks)
            )
        finally:
            loop.close()
    waiting = ("1,000 connections, the rest wait for the pool" if concurrent > 1000
               else "one connection each")
    print(
        f"\n  soak: {soak['sequential']:,} sequential streams x {chunks} chunks on one client: "
        f"{soak['sequential_wall']:.1f} s, {soak['sequential_errors']} errors, RSS "
        f"{soak['sequential_rss_growth_mib']:+.1f} MiB; then {soak['concurrent']:,} concurrent "
        f"({waiting}): {soak['concurrent_wall']:.1f} s, "
        f"{soak['concurrent_errors']} errors; RSS {soak['rss_growth_mib']:+.1f} MiB in all\n"
        f"        left after close(): {soak['timers_left']} timers, {soak['tasks_left']} tasks, "
        f"{soak['threads_left']} threads, {soak['fds_left']} file descriptors"
        f"  (descriptor limit {limit:,})"
    )
    return [Result("client-soak", "literllm", f"{sequential}+{concurrent}x{chunks}",
                   soak["sequential_wall"] + soak["concurrent_wall"], 0,
                   (sequential + concurrent) * chunks, soak)]


def _format_rows(  # noqa: PLR0917  (one private caller)
    loop: asyncio.AbstractEventLoop,
    root_url: str,
    title: str,
    provider: str,
    suffix: str,
    n_chunks: int,
    runs: int,
    skipped: list[str],
) -> list[Any]:
    from .__main__ import Result, done_progress, progress

    print(
        f"\nClient end to end: {title}, {n_chunks:,} text deltas in 1-16 KiB writes from the "
        f"local server (another process); CPU of this process only"
    )
    header = (
        f"  {'client':<22} {'items/s':>12} {'CPU us/item':>12} {'TTFC ms':>9} "
        f"{'x floor/item':>13} {'CPU vs literllm':>16} {'faults/1k':>10}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    rows = []
    for name, entry in _runners(provider, suffix).items():
        if isinstance(entry, str):
            skipped.append(f"client {provider}: {name}: {entry}")
            continue
        runner, close = entry
        progress(f"client {provider}: {name}")
        try:
            count, cpu, wall, ttfc, faults = loop.run_until_complete(
                _measure(runner, root_url, f"chunks-{n_chunks}", runs)
            )
        except Exception as exc:  # a peer that cannot talk to the server: say so
            skipped.append(f"client {provider}: {name}: failed: {exc!r}"[:300])
            continue
        finally:
            loop.run_until_complete(close())
        rows.append((name, count, cpu, wall, ttfc, getattr(runner, "version", __version__),
                     faults))
    done_progress()
    by_name = {row[0]: row for row in rows}
    ours = by_name.get("literllm")
    features = [(name, by_name[f"literllm {name}"]) for name in FEATURE_ROWS
                if f"literllm {name}" in by_name]
    floor = by_name.get(FLOOR)
    results = []
    for name, count, cpu, wall, ttfc, version, faults in rows:
        per_item = cpu / max(count, 1)
        vs_floor = per_item / (floor[2] / max(floor[1], 1)) if floor else None
        ratio = f"{cpu / ours[2]:.1f}x" if ours and name != "literllm" else "-"
        floor_text = f"{vs_floor:.1f}x" if vs_floor is not None and name != FLOOR else "-"
        print(
            f"  {name:<22} {count / wall:>12,.0f} {per_item * 1e6:>12.2f} {ttfc * 1e3:>9.2f} "
            f"{floor_text:>13} {ratio:>16} {faults * 1000:>10.1f}"
        )
        results.append(
            Result(
                f"client-{provider}",
                name,
                "1-16KiB",
                wall,
                0,
                count,
                {
                    "cpu_seconds": cpu,
                    "cpu_us_per_item": per_item * 1e6,
                    "x_floor_per_item": vs_floor,
                    "cpu_vs_literllm": cpu / ours[2] if ours else None,
                    "ttfc_seconds": ttfc,
                    "page_faults_per_item": faults,
                    "version": version,
                },
            )
        )
    if ours and features:
        plain = ours[2] / max(ours[1], 1)
        shown = ", ".join(
            f"{name} {((row[2] / max(row[1], 1)) / plain - 1) * 100:+.1f}%"
            for name, row in features
        )
        print(f"  service features, CPU per chunk vs plain literllm: {shown}")
    return results


class _NoOpHooks:
    """Every hook method, doing nothing: what calling hooks costs."""

    def on_request(self, info: Any) -> None:
        pass

    def on_first_chunk(self, stats: Any) -> None:
        pass

    def on_end(self, stats: Any) -> None:
        pass

    def on_error(self, stats: Any, error: BaseException) -> None:
        pass


def _otel_hooks() -> Any:
    """OpenTelemetryHooks on the SDK's providers (spans and metrics really recorded, none
    exported), or the reason they cannot be measured."""
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError as exc:
        return peer_unavailable("opentelemetry.sdk", "opentelemetry-sdk", exc)
    from ..otel import OpenTelemetryHooks

    return OpenTelemetryHooks(
        tracer_provider=TracerProvider(),
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
    )


FEATURE_ROWS = ("+stats", "+hooks", "+otel", "+limits", "+fallbacks")


def _feature_runners(provider: str, suffix: str) -> dict[str, Any]:
    """One row per service feature, each on its own (the hooks and OpenTelemetry rows hold
    the per-chunk cost to within 5% of plain literllm)."""
    otel = _otel_hooks()
    limits = {provider: {"max_concurrency": 1000, "requests_per_minute": 1_000_000,
                         "tokens_per_minute": 10**12}}
    return {
        "literllm +stats": _literllm_runner(provider, suffix, stats=True),
        "literllm +hooks": _literllm_runner(provider, suffix, hooks=[_NoOpHooks()]),
        "literllm +otel": otel if isinstance(otel, str) else _literllm_runner(
            provider, suffix, hooks=[otel], stats=True),
        "literllm +limits": _literllm_runner(provider, suffix, provider_options=limits),
        "literllm +fallbacks": _literllm_runner(provider, suffix, fallbacks=True),
    }


def _runners(provider: str, suffix: str) -> dict[str, Any]:
    runners: dict[str, Any] = {
        "literllm": _literllm_runner(provider, suffix),
        FLOOR: _aiohttp_runner(provider, suffix),
    }
    if provider == "openai":
        runners.update(_feature_runners(provider, suffix))
        runners["literllm sync"] = _sync_runner(provider, suffix)
        runners["openai-python"] = _openai_runner()
        runners["liter-llm"] = _liter_llm_runner()
        runners["LiteLLM"] = _litellm_runner()
    elif provider == "anthropic":
        runners["anthropic"] = _anthropic_runner()
    return runners


def run_client_benchmarks(*, quick: bool, runs: int, skipped: list[str]) -> list[Any]:
    """Print and return the end-to-end rows."""
    from .__main__ import Result

    n_chunks = 500 if quick else 5000
    streams, per_stream = (20, 500) if quick else (200, 500)
    results: list[Result] = []
    with local_server() as base_url:
        root_url = base_url.removesuffix("/v1")
        loop = asyncio.new_event_loop()
        try:
            for title, provider, suffix in FORMATS:
                results += _format_rows(
                    loop, root_url, title, provider, suffix, n_chunks, runs, skipped
                )
            run, close = _literllm_runner("openai", "/v1")
            try:
                total, wall = loop.run_until_complete(
                    _concurrent(run, root_url, streams, f"chunks-{per_stream}")
                )
            finally:
                loop.run_until_complete(close())
            load = loop.run_until_complete(_load(root_url, quick=quick))
            held_streams = 100 if quick else 1000
            held = [_held_memory_in_child(root_url, held_streams, floor) for floor in (False, True)]
        finally:
            loop.close()
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n  concurrent: literllm {streams} streams x {per_stream} chunks: {wall:.3f} s wall, "
        f"{total / wall:,.0f} chunks/s, peak RSS of this process {peak_rss_mib:.0f} MiB"
    )
    results.append(
        Result(
            "client-concurrent",
            "literllm",
            f"{streams}x{per_stream}",
            wall,
            0,
            total,
            {"peak_rss_mib": peak_rss_mib},
        )
    )
    print(
        f"  load: {load['concurrent']:,} concurrent streams x {load['chunks']} chunks: "
        f"{load['concurrent_wall']:.2f} s wall, {load['concurrent_errors']} errors, "
        f"RSS +{load['concurrent_rss_growth_mib']:.0f} MiB (peak +"
        f"{load['concurrent_rss_peak_growth_mib']:.0f}); {load['sequential']:,} sequential "
        f"streams on one client: {load['sequential_wall']:.2f} s, "
        f"{load['sequential_errors']} errors; connections still checked out: "
        f"{load['checked_out']}"
    )
    print(
        f"  slow consumer: {held_streams:,} open streams of 200 chunks, each held after its "
        f"first chunk: RSS +{held[0]:.0f} KiB per stream (raw aiohttp holding its response "
        f"after one read: +{held[1]:.0f} KiB)"
    )
    results.append(Result("client-held", "literllm", f"{held_streams}x200", 0.0, 0,
                          held_streams, {"kib_per_stream": held[0],
                                         "floor_kib_per_stream": held[1]}))
    results.append(Result("client-load", "literllm", f"{load['concurrent']}x{load['chunks']}",
                          load["concurrent_wall"], 0, load["concurrent"] * load["chunks"], load))
    costs = _import_costs()
    print(
        f"  import literllm (parsers): {costs['import_ms']:.1f} ms; first use of "
        f"literllm.LlmClient (loads client, providers, types): {costs['client_layer_ms']:.1f} ms; "
        f"LlmClient(): {costs['build_client_us']:.1f} us; aiohttp imported by then: "
        f"{'yes' if costs['aiohttp_imported'] else 'no'}  (medians of 5 fresh interpreters)"
    )
    results.append(Result("startup", "literllm", "-", costs["import_ms"] / 1e3, 0, 1, costs))
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["held"]:
    print(asyncio.run(_held_memory(sys.argv[2], streams=int(sys.argv[3]), chunks=200,
                                   floor=sys.argv[4] == "floor")))
