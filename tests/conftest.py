"""Fixtures shared by the suite: both parser twins, the shared conformance data, splitters."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st

import literllm

# ../shared beside the checkout (CI has it); a user's fresh clone may not.
SHARED = Path(__file__).resolve().parents[2] / "shared"
CONFORMANCE = SHARED / "conformance"
TWINS = ("py", "c")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-c-extensions",
        action="store_true",
        help="deselect the tests of the compiled (c) twins",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"literllm {literllm.__version__}: IMPLEMENTATION={literllm.IMPLEMENTATION}, "
        f"conformance data: {CONFORMANCE if CONFORMANCE.is_dir() else 'absent'}"
    )


def _twin(topic: str, name: str, config: pytest.Config, package: str = "_parsers") -> ModuleType:
    """The ``py`` or ``c`` twin ``literllm.{package}._{topic}_{name}`` (``package=""``: a
    top-level module)."""
    prefix = f"literllm.{package}." if package else "literllm."
    if name == "c":
        if config.getoption("--no-c-extensions"):
            pytest.skip("--no-c-extensions given")
        if package == "providers" and literllm.IMPLEMENTATION != "c":
            # They build the compiled chunk types, literllm.types' own only with "c"; the
            # run with the compiled twins compares them with the py twins.
            pytest.skip("compiled adapter twins are tested with IMPLEMENTATION 'c'")
        try:
            return importlib.import_module(f"{prefix}_{topic}_c")
        except ImportError as exc:
            if os.environ.get("LITERLLM_REQUIRE_EXTENSIONS"):
                raise
            pytest.skip(f"compiled twin not built: {exc}")
    return importlib.import_module(f"{prefix}_{topic}_py")


_TWIN_PARAMS = [pytest.param("py", id="py"), pytest.param("c", id="c", marks=pytest.mark.c_extension)]


@pytest.fixture(params=_TWIN_PARAMS, scope="session")
def sse(request: pytest.FixtureRequest) -> ModuleType:
    """The SSE twin under test (``py`` or ``c``)."""
    return _twin("sse", request.param, request.config)


@pytest.fixture(params=_TWIN_PARAMS, scope="session")
def eventstream(request: pytest.FixtureRequest) -> ModuleType:
    """The EventStream twin under test (``py`` or ``c``)."""
    return _twin("eventstream", request.param, request.config)


@pytest.fixture(params=_TWIN_PARAMS, scope="session")
def openai_stream(request: pytest.FixtureRequest) -> ModuleType:
    """The OpenAI stream adapter twin under test (``py`` or ``c``)."""
    return _twin("openai_stream", request.param, request.config, package="providers")


def _both_adapter_twins(topic: str, config: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) twins of a stream adapter, for differential tests."""
    return (_twin(topic, "py", config, package="providers"),
            _twin(topic, "c", config, package="providers"))


@pytest.fixture(scope="session")
def both_anthropic_stream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) Anthropic stream adapter twins."""
    return _both_adapter_twins("anthropic_stream", pytestconfig)


@pytest.fixture(scope="session")
def both_bedrock_stream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) Bedrock stream adapter twins."""
    return _both_adapter_twins("bedrock_stream", pytestconfig)


@pytest.fixture(scope="session")
def both_cohere_stream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) Cohere stream adapter twins."""
    return _both_adapter_twins("cohere_stream", pytestconfig)


@pytest.fixture(scope="session")
def both_gemini_stream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) Gemini stream adapter twins."""
    return _both_adapter_twins("gemini_stream", pytestconfig)


@pytest.fixture(scope="session")
def both_ollama_stream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) Ollama stream adapter twins."""
    return _both_adapter_twins("ollama_stream", pytestconfig)


@pytest.fixture(scope="session")
def both_responses_stream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) Responses API stream adapter twins."""
    return _both_adapter_twins("responses_stream", pytestconfig)


@pytest.fixture(scope="session")
def both_openai_stream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) OpenAI stream adapter twins."""
    return _both_adapter_twins("openai_stream", pytestconfig)


@pytest.fixture(scope="session")
def c_openai_stream(pytestconfig: pytest.Config) -> ModuleType:
    """The compiled OpenAI stream twin alone, for what only it has (its scanner)."""
    return _twin("openai_stream", "c", pytestconfig, package="providers")


@pytest.fixture(scope="session")
def both_sse(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) SSE twins, for differential tests."""
    return _twin("sse", "py", pytestconfig), _twin("sse", "c", pytestconfig)


@pytest.fixture(scope="session")
def both_eventstream(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) EventStream twins, for differential tests."""
    return _twin("eventstream", "py", pytestconfig), _twin("eventstream", "c", pytestconfig)


def conformance(*parts: str) -> Path:
    """A path in ../shared/conformance, or skip the test with the reason."""
    path = CONFORMANCE.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared conformance data not found at {path} (CI provides ../shared)")
    return path


def splits(data: bytes, *, seeds: int = 4, explicit: list[bytes] | None = None,
           bytewise: bool = True) -> Iterator[tuple[str, list[bytes]]]:
    """Whole, byte by byte, an explicit chunking, and seeded random splits (1..17 and large)."""
    yield "whole", [data]
    if bytewise:
        yield "bytewise", [data[i : i + 1] for i in range(len(data))]
    if explicit is not None:
        yield "explicit", explicit
    for seed in range(seeds):
        rng = random.Random(seed)
        high = 17 if seed % 2 == 0 else 4096
        pieces = []
        pos = 0
        while pos < len(data):
            size = rng.randint(1, high)
            pieces.append(data[pos : pos + size])
            pos += size
        yield f"random{seed}", pieces


# Edits for the scanners' differential tests: (how, where, byte), applied by ``mutated``.
BYTE_MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(0, 400),
              st.sampled_from([*b'"\\{}[]:,0123456789-.eEnulltrfas \n\t', 0, 0x7F, 0x80, 0xC3, 0xFF])),
    min_size=1, max_size=3,
)


def mutated(base: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    """``base`` with each byte edit applied in turn (positions taken modulo the length)."""
    data = bytearray(base)
    for how, position, byte in mutations:
        where = position % (len(data) + 1)
        if how == "insert":
            data[where:where] = bytes([byte])
        elif where < len(data):
            data[where:where + 1] = b"" if how == "delete" else bytes([byte])
    return bytes(data)


def accumulate(chunks: list[Any]) -> dict[str, Any]:
    """Merge chunks the way the conformance README says (OpenAI rules)."""
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish = None
    usage = None
    for chunk in chunks:
        if chunk.usage is not None:
            usage = {
                "prompt_tokens": chunk.usage.prompt_tokens,
                "completion_tokens": chunk.usage.completion_tokens,
                "total_tokens": chunk.usage.total_tokens,
            }
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                content.append(delta.content)
            if delta.reasoning_content:
                reasoning.append(delta.reasoning_content)
            for call in delta.tool_calls or ():
                entry = calls.setdefault(
                    call.index,
                    {"index": call.index, "id": None, "type": "function",
                     "function": {"name": None, "arguments": ""}},
                )
                entry["id"] = entry["id"] or call.id
                if call.function is not None:
                    entry["function"]["name"] = entry["function"]["name"] or call.function.name
                    entry["function"]["arguments"] += call.function.arguments or ""
            if choice.finish_reason is not None:
                finish = choice.finish_reason
    return {
        "content": "".join(content),
        "reasoning": "".join(reasoning) or None,
        "tool_calls": [calls[i] for i in sorted(calls)],
        "finish_reason": finish,
        "usage": usage,
    }


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[RawHandler], Awaitable[str]]]:
    """Start a raw TCP server with a handler; yields a starter returning its base_url."""
    servers: list[asyncio.Server] = []
    tasks: set[asyncio.Task[None]] = set()

    async def start(handler: RawHandler) -> str:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)  # type: ignore[arg-type]
            try:
                await reader.readuntil(b"\r\n\r\n")
                await handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)  # their writers closed
    for server in servers:
        server.close()
        await server.wait_closed()


@contextlib.contextmanager
def local_provider_in_a_thread(api_key: str) -> Iterator[str]:
    """A ``LocalProvider`` on an event loop in a thread of its own (for code under test that
    runs loops of its own: ``asyncio.run()`` twice, ``SyncLlmClient``); yields its base_url."""
    from literllm.testing import LocalProvider

    ready = threading.Event()
    holder: dict[str, Any] = {}

    def serve() -> None:
        async def main() -> None:
            async with LocalProvider(api_key=api_key) as provider:
                holder["url"] = provider.base_url
                holder["stop"] = asyncio.Event()
                holder["loop"] = asyncio.get_running_loop()
                ready.set()
                await holder["stop"].wait()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield holder["url"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)


def static_aws_credentials(monkeypatch: pytest.MonkeyPatch, access_key: str, secret: str) -> None:
    """Static AWS credentials for botocore's chain: no profile, no SSO, no instance metadata."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(params=_TWIN_PARAMS, scope="session")
def ndjson(request: pytest.FixtureRequest) -> ModuleType:
    """The NDJSON twin under test (``py`` or ``c``)."""
    return _twin("ndjson", request.param, request.config)


@pytest.fixture(scope="session")
def both_ndjson(pytestconfig: pytest.Config) -> tuple[ModuleType, ModuleType]:
    """(py, c) NDJSON twins, for differential tests."""
    return _twin("ndjson", "py", pytestconfig), _twin("ndjson", "c", pytestconfig)
