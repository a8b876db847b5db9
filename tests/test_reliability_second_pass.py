"""The second hostile review, each failure on a real local server (raw sockets where aiohttp's
own server will not misbehave): secrets in the exception chain, proxies and their
credentials, NO_PROXY, recording destinations, untrusted replay files, wrong-typed chunk
fields (both twins), framing errors after the headers, timers and threads that outlive their
stream or client, and the pool wait.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import logging
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import local_provider_in_a_thread
from test_reliability import (
    KEY,
    MESSAGES,
    RawHandler,
    client_for,
    collect,
    everything_said,
    sends,
)

import literllm.formats as base
from literllm import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    LlmClient,
    MalformedChunkError,
    ProxyError,
    StreamError,
    StreamTruncatedError,
    Timeout,
    replay,
)
from literllm._accumulate_py import StreamAccumulator as PyAccumulator
from literllm._proxy import proxy_config_from_env
from literllm.providers import get_provider
from literllm.testing import Fault, LocalProvider, encode_event_message

PROXY_USER, PROXY_PASSWORD = "proxyuser", "pr0xy-s3cret-Pw"
PROXY_BASIC = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece)


def openai_event(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def text_event(text: str, finish: str | None = None) -> bytes:
    return openai_event({"id": "c", "object": "chat.completion.chunk", "created": 1,
                         "model": "m", "choices": [{"index": 0, "delta": {"content": text},
                                                    "finish_reason": finish}]})


def tool_event(index: Any, arguments: Any = "{}", **extra: Any) -> bytes:
    call = {"index": index, "id": "call_1", "type": "function",
            "function": {"name": "f", "arguments": arguments}}
    return openai_event({"id": "c", "object": "chat.completion.chunk", "created": 1,
                         "model": "m", "choices": [{"index": 0, "delta": {"tool_calls": [call],
                                                                          **extra},
                                                    "finish_reason": None}]})


@pytest.fixture
async def server() -> AsyncIterator[LocalProvider]:
    async with LocalProvider(api_key=KEY) as provider:
        yield provider


# --- 1. secrets in the exception chain ----------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 2OO OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream"
        b"\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
    ],
    ids=["bad-status-line", "bad-chunk-size", "header-over-limit"],
)
async def test_rejected_responses_keep_no_key_in_args_or_pickles(
    raw_server: Callable[[RawHandler], Awaitable[str]], raw: bytes
) -> None:
    url = await raw_server(sends(raw))
    async with client_for(url) as client:
        with pytest.raises((APIConnectionError, StreamError)) as caught:
            await collect(client)
    error = caught.value
    assert KEY not in everything_said(error, None)
    link: BaseException | None = error
    while link is not None:
        assert KEY not in repr(link.args)
        link = link.__cause__ or link.__context__
    # What multiprocessing and error trackers do with an exception.
    assert KEY.encode() not in pickle.dumps(error)


# --- 2. proxies -----------------------------------------------------------------------------


class Proxy:
    """A loopback HTTP proxy: forwards absolute-URI requests, refuses CONNECT, or answers
    every request with 407 (quoting the Proxy-Authorization it was sent, as some do)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.seen: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)  # type: ignore[arg-type]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.seen.append(head)
            auth = next((line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                         if line.lower().startswith(b"proxy-authorization:")), b"")
            if self.mode == "407" or head.startswith(b"CONNECT"):
                body = b"denied; you sent Proxy-Authorization: " + auth
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=x\r\nContent-Length: %d\r\n"
                             b"Content-Type: text/plain\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                return
            # Forward: POST http://host:port/path HTTP/1.1 -> the target, origin form.
            request_line, _, rest = head.partition(b"\r\n")
            method, target, version = request_line.split(b" ")
            hostport = target.split(b"/")[2].decode()
            path = b"/" + b"/".join(target.split(b"/")[3:])
            host, port = hostport.rsplit(":", 1)
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
            try:
                lines = [line for line in rest.split(b"\r\n")
                         if not line.lower().startswith(b"proxy-")]
                upstream_writer.write(b" ".join([method, path, version]) + b"\r\n"
                                      + b"\r\n".join(lines))
                length = next((int(line.split(b":")[1]) for line in lines
                               if line.lower().startswith(b"content-length:")), 0)
                upstream_writer.write(await reader.readexactly(length))
                await upstream_writer.drain()
                while data := await upstream_reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            finally:
                upstream_writer.close()
                await asyncio.gather(upstream_writer.wait_closed(), return_exceptions=True)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def proxy_factory() -> AsyncIterator[Callable[[str], Awaitable[tuple[Proxy, str]]]]:
    proxies: list[Proxy] = []

    async def start(mode: str) -> tuple[Proxy, str]:
        proxy = Proxy(mode)
        proxies.append(proxy)
        return proxy, await proxy.start()

    yield start
    for proxy in proxies:
        await proxy.stop()


def assert_no_proxy_secret(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    """Neither the proxy password nor its base64 login in anything the error or logs say."""
    said = everything_said(error, caplog)
    for secret in (PROXY_PASSWORD, PROXY_BASIC):
        assert secret not in said
        assert secret.encode() not in pickle.dumps(error)
    link: BaseException | None = error
    while link is not None:
        assert PROXY_PASSWORD not in repr(link.args) + repr(vars(link))
        link = link.__cause__ or link.__context__


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


async def test_a_working_proxy_carries_the_stream(
    server: LocalProvider, proxy_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, address = await proxy_factory("forward")
    _clear_proxy_env(monkeypatch)
    # No scheme: http://, as in curl.
    monkeypatch.setenv("HTTP_PROXY", f"{PROXY_USER}:{PROXY_PASSWORD}@{address}")
    async with client_for(server.base_url) as client:
        chunks = await collect(client)
    assert chunks and server.completed == 1
    assert len(proxy.seen) == 1
    assert f"Proxy-Authorization: Basic {PROXY_BASIC}".encode() in proxy.seen[0]


async def test_proxy_407_is_a_proxy_error_without_credentials(
    server: LocalProvider, proxy_factory: Any, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy, address = await proxy_factory("407")
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("http_proxy", f"http://{PROXY_USER}:{PROXY_PASSWORD}@{address}")
    caplog.set_level(logging.DEBUG, logger="literllm")
    async with client_for(server.base_url, max_retries=2) as client:
        with pytest.raises(ProxyError) as caught:
            await collect(client)
    assert caught.value.status_code == 407
    assert len(proxy.seen) == 1, "a refused proxy login is not retried"
    assert_no_proxy_secret(caught.value, caplog)


async def _fail_through_https_proxy(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, address: str,
    expected: type[Exception], retries: int,
) -> Any:
    """Stream to an https URL through a proxy with a login; the error, said secret-free."""
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"http://{PROXY_USER}:{PROXY_PASSWORD}@{address}")
    caplog.set_level(logging.DEBUG, logger="literllm")
    async with client_for("https://127.0.0.1:9/v1", max_retries=retries) as client:
        with pytest.raises(expected) as caught:
            await collect(client)
    assert_no_proxy_secret(caught.value, caplog)
    return caught.value


async def test_refused_connect_is_not_retried_and_shows_no_credentials(
    proxy_factory: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    proxy, address = await proxy_factory("forward")  # refuses CONNECT with 407
    error = await _fail_through_https_proxy(monkeypatch, caplog, address, ProxyError, 2)
    assert error.status_code == 407
    assert len(proxy.seen) == 1 and proxy.seen[0].startswith(b"CONNECT 127.0.0.1:9 ")


async def test_unreachable_proxy_error_and_retry_log_show_no_password(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await _fail_through_https_proxy(monkeypatch, caplog, "127.0.0.1:9", APIConnectionError, 1)
    assert any("retry 1" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("no_proxy", "direct"), [
    ("127.0.0.0/8", True), ("127.0.0.1", True), ("*", True), ("localhost, 127.0.0.1/32", True),
    ("PORT", True), ("127.0.0.1:1", False), (".0.0.1", False), ("10.0.0.0/8", False),
])
async def test_no_proxy_forms_on_a_live_request(
    server: LocalProvider, proxy_factory: Any, monkeypatch: pytest.MonkeyPatch,
    no_proxy: str, direct: bool,
) -> None:
    proxy, address = await proxy_factory("407")
    _clear_proxy_env(monkeypatch)
    port = server.base_url.split(":")[2].split("/")[0]
    monkeypatch.setenv("HTTP_PROXY", f"http://{address}")
    monkeypatch.setenv("NO_PROXY", no_proxy.replace("PORT", f"127.0.0.1:{port}"))
    async with client_for(server.base_url) as client:
        if direct:
            assert await collect(client)
            assert proxy.seen == []
        else:
            with pytest.raises(ProxyError):
                await collect(client)
            assert len(proxy.seen) == 1


@pytest.mark.parametrize(
    ("no_proxy", "url", "direct"),
    [
        ("example.com", "https://example.com/v1", True),
        ("example.com", "https://api.example.com/v1", True),
        (".example.com", "https://example.com/v1", True),
        ("*.example.com", "https://api.example.com/v1", True),
        ("example.com", "https://badexample.com/v1", False),
        ("EXAMPLE.com.", "https://Example.COM/v1", True),
        ("10.0.0.0/8", "http://10.1.2.3:8000/v1", True),
        ("10.0.0.0/8", "http://11.1.2.3/v1", False),
        ("10.0.0.0/8", "http://10.example.com/v1", False),
        ("::1", "http://[::1]:8000/v1", True),
        ("[::1]", "http://[::1]:8000/v1", True),
        ("fd00::/8", "http://[fd12::1]/v1", True),
        ("fd00::/8", "http://10.0.0.1/v1", False),
        ("example.com:8443", "https://example.com:8443/v1", True),
        ("example.com:8443", "https://example.com/v1", False),
        ("example.com:443", "https://example.com/v1", True),
        ("[::1]:8000", "http://[::1]:8000/v1", True),
        ("[::1]:8000", "http://[::1]:9000/v1", False),
        ("*", "https://anything.test/v1", True),
        ("other.test,*", "https://anything.test/v1", True),
        ("", "https://example.com/v1", False),
        ("other.test example.com", "https://example.com/v1", True),
    ],
)
def test_no_proxy_rules_follow_curl(no_proxy: str, url: str, direct: bool) -> None:
    config = proxy_config_from_env({"HTTPS_PROXY": "proxy:3128", "HTTP_PROXY": "proxy:3128",
                                    "NO_PROXY": no_proxy})
    assert (config.proxy_for(url) is None) is direct


def test_proxy_variables() -> None:
    config = proxy_config_from_env({"https_proxy": "http://u:p%40ss@proxy:3128",
                                    "HTTPS_PROXY": "http://other:1"})
    proxy = config.proxy_for("https://api.test/v1")
    assert proxy is not None and proxy.url == "http://proxy:3128"
    assert (proxy.login, proxy.password) == ("u", "p@ss")
    assert "p@ss" not in repr(proxy)
    assert base64.b64encode(b"u:p@ss").decode() in proxy.secrets
    assert config.proxy_for("http://api.test/v1") is None
    fallback = proxy_config_from_env({"ALL_PROXY": "proxy:1080"})
    assert fallback.proxy_for("http://x.test/")  == fallback.proxy_for("https://x.test/")
    with pytest.raises(ConfigurationError) as caught:
        proxy_config_from_env({"HTTPS_PROXY": "socks5://u:secretpw@proxy:1080"})
    assert "secretpw" not in str(caught.value)


# --- 4, 5. recordings ----------------------------------------------------------------------


async def test_clients_recording_into_one_folder_keep_every_recording(
    server: LocalProvider, tmp_path: Path
) -> None:
    clients = [LlmClient(api_key=KEY, base_url=server.base_url, record_dir=tmp_path)
               for _ in range(4)]
    try:
        await asyncio.gather(*(collect(client) for client in clients for _ in range(3)))
    finally:
        for client in clients:
            await client.close()
    bodies = sorted(tmp_path.glob("*.sse"))
    assert len(bodies) == 12
    for body in bodies:
        sidecar = json.loads(Path(f"{body}.json").read_text())
        assert sidecar["outcome"] == "complete"
        assert "".join(c.choices[0].delta.content or "" for c in replay(body) if c.choices)


async def test_no_recording_is_written_through_a_symlink(
    server: LocalProvider, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    folder = tmp_path / "recordings"
    folder.mkdir()
    for planted in (folder / "body.sse", folder / "other.sse.json"):
        planted.symlink_to(outside)
    (folder / "other.sse").write_bytes(b"")
    async with client_for(server.base_url) as client:
        for target in (folder / "body.sse", folder / "other.sse"):
            with pytest.raises(ConfigurationError, match="symbolic link"):
                await collect(client, record_to=target)
    assert outside.read_text() == "precious"
    assert server.requests == [], "a destination is checked before the request is sent"


@pytest.mark.parametrize("problem", ["missing-folder", "name-too-long", "sidecar-is-a-folder",
                                     "fifo"])
async def test_a_bad_destination_fails_before_anything_is_sent(
    server: LocalProvider, tmp_path: Path, problem: str
) -> None:
    target = tmp_path / "body.sse"
    if problem == "missing-folder":
        target = tmp_path / "missing" / "body.sse"
    elif problem == "name-too-long":
        target = tmp_path / ("x" * 252)  # the sidecar's name is 257 bytes, over NAME_MAX
    elif problem == "sidecar-is-a-folder":
        (tmp_path / "body.sse.json").mkdir()
    else:
        os.mkfifo(target)
    async with client_for(server.base_url) as client:
        with pytest.raises(ConfigurationError, match="cannot record to"):
            await collect(client, record_to=target)
        with pytest.raises(ConfigurationError):
            async with LlmClient(api_key=KEY, base_url=server.base_url,
                                 record_dir=tmp_path / "missing") as other:
                await collect(other)
    assert server.requests == []
    leftovers = {path.name for path in tmp_path.iterdir()}
    assert "body.sse" not in leftovers or problem == "fifo"


async def test_a_failed_request_leaves_no_recording(server: LocalProvider, tmp_path: Path) -> None:
    server.fault = Fault(status=400, body={"error": {"message": "no"}})
    existing = tmp_path / "kept.sse"
    existing.write_bytes(b"an older recording")
    async with LlmClient(api_key=KEY, base_url=server.base_url, record_dir=tmp_path / "d",
                         max_retries=0) as client:
        (tmp_path / "d").mkdir()
        with pytest.raises(Exception, match="HTTP 400"):
            await collect(client)
        with pytest.raises(Exception, match="HTTP 400"):
            await collect(client, record_to=existing)
    assert list((tmp_path / "d").iterdir()) == []
    assert existing.read_bytes() == b"an older recording"
    assert not Path(f"{existing}.json").exists()


def test_a_full_disk_ends_the_recording_not_the_stream(tmp_path: Path) -> None:
    # RLIMIT_FSIZE in a child process: the test process's own files must not hit it.
    script = textwrap.dedent(f"""
        import asyncio, resource, warnings, json
        from literllm import LlmClient, RecordingWarning
        from literllm.testing import LocalProvider

        async def main():
            async with LocalProvider(api_key="k") as server:
                client = LlmClient(api_key="k", base_url=server.base_url)
                resource.setrlimit(resource.RLIMIT_FSIZE, (3000, resource.RLIM_INFINITY))
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    stream = await client.chat_stream(
                        "openai/gpt-4o", [{{"role": "user", "content": "x"}}],
                        record_to={str(tmp_path / "body.sse")!r})
                    text = "".join([c.choices[0].delta.content or "" async for c in stream
                                    if c.choices])
                await client.close()  # must not raise
                kinds = [w.category.__name__ for w in caught]
                print(json.dumps({{"text": len(text), "warnings": kinds,
                                   "completed": server.completed}}))

        asyncio.run(main())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["completed"] == 1 and outcome["text"] > 0
    assert outcome["warnings"] == ["RecordingWarning"]
    assert (tmp_path / "body.sse").stat().st_size <= 3000


async def test_record_to_replaces_an_existing_recording(
    server: LocalProvider, tmp_path: Path
) -> None:
    target = tmp_path / "body.sse"
    target.write_bytes(b"x" * 100_000)
    async with client_for(server.base_url) as client:
        chunks = await collect(client, record_to=target)
    assert [c.choices[0].delta.content for c in replay(target) if c.choices] == [
        c.choices[0].delta.content for c in chunks if c.choices]


# --- 6. replaying untrusted files ----------------------------------------------------------


def _recording(tmp_path: Path) -> Path:
    body = tmp_path / "body.sse"
    body.write_bytes(text_event("hi", "stop") + b"data: [DONE]\n\n")
    return body


@pytest.mark.parametrize("sidecar", [{"provider": 7}, {"provider": ["openai"]},
                                     {"provider": "openai", "model": {"x": 1}}, [1, 2], "x"])
def test_a_sidecar_of_the_wrong_shape_is_a_configuration_error(
    tmp_path: Path, sidecar: Any
) -> None:
    body = _recording(tmp_path)
    Path(f"{body}.json").write_text(json.dumps(sidecar))
    with pytest.raises(ConfigurationError, match="sidecar"):
        list(replay(body))
    result = subprocess.run([sys.executable, "-m", "literllm", "replay", str(body)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "ConfigurationError" in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
@pytest.mark.parametrize("which", ["sidecar", "body"])
def test_replay_reads_only_regular_files(tmp_path: Path, kind: str, which: str) -> None:
    body = _recording(tmp_path)
    target = Path(f"{body}.json") if which == "sidecar" else body
    target.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    started = time.monotonic()
    with pytest.raises(ConfigurationError):
        list(replay(body, "openai"))  # provider= given: the sidecar is still never waited on
    assert time.monotonic() - started < 5


def test_replay_bounds_what_it_reads(tmp_path: Path) -> None:
    from literllm._replay import read_source

    body = _recording(tmp_path)
    with pytest.raises(ConfigurationError, match="larger than"):
        read_source(body, limit=10)
    with pytest.raises(ConfigurationError, match="larger than"):
        read_source(b"x" * 11, limit=10)
    with body.open("rb") as file, pytest.raises(ConfigurationError, match="larger than"):
        read_source(file, limit=10)
    Path(f"{body}.json").write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(ConfigurationError, match="larger than"):
        list(replay(body))


# --- 7. wrong-typed fields -----------------------------------------------------------------

_DONE = b"data: [DONE]\n\n"
_STOP = text_event("", "stop")

WRONG_OPENAI = {
    "tool-index-list": tool_event([0]) + _STOP + _DONE,
    "tool-index-object": tool_event({"i": 0}) + _STOP + _DONE,
    "tool-index-mixed-null": tool_event(0) + tool_event(None) + _STOP + _DONE,
    "tool-index-mixed-string": tool_event(0) + tool_event("1") + _STOP + _DONE,
    "tool-arguments-object": tool_event(0, {"a": 1}) + _STOP + _DONE,
    "refusal-number": tool_event(0, "{}", refusal=5) + _STOP + _DONE,
    "choice-index-string": openai_event({"id": "c", "object": "chat.completion.chunk",
                                         "created": 1, "model": "m", "choices": [
                                             {"index": "0", "delta": {"content": "a"},
                                              "finish_reason": None}]}) + _STOP + _DONE,
    "usage-tokens-string": text_event("a") + openai_event(
        {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
         "choices": [], "usage": {"prompt_tokens": "1", "completion_tokens": 1}}) + _DONE,
}


def _anthropic_body(partial: Any) -> bytes:
    def event(kind: str, obj: dict[str, Any]) -> bytes:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **obj})}\n\n".encode()

    return (
        event("message_start", {"message": {"id": "m1", "type": "message", "role": "assistant",
                                            "model": "claude", "content": [],
                                            "usage": {"input_tokens": 1, "output_tokens": 0}}})
        + event("content_block_start", {"index": 0, "content_block": {
            "type": "tool_use", "id": "t1", "name": "f", "input": {}}})
        + event("content_block_delta", {"index": 0, "delta": {"type": "input_json_delta",
                                                               "partial_json": partial}})
        + event("content_block_stop", {"index": 0})
        + event("message_delta", {"delta": {"stop_reason": "tool_use"},
                                  "usage": {"output_tokens": 1}})
        + event("message_stop", {})
    )


def _cohere_body(arguments: Any) -> bytes:
    def event(kind: str, obj: dict[str, Any]) -> bytes:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **obj})}\n\n".encode()

    return (
        event("message-start", {"id": "m1", "delta": {"message": {"role": "assistant"}}})
        + event("tool-call-start", {"index": 0, "delta": {"message": {"tool_calls": {
            "id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}}}}})
        + event("tool-call-delta", {"index": 0, "delta": {"message": {"tool_calls": {
            "function": {"arguments": arguments}}}}})
        + event("tool-call-end", {"index": 0})
        + event("message-end", {"delta": {"finish_reason": "TOOL_CALL",
                                          "usage": {"tokens": {"input_tokens": 1,
                                                               "output_tokens": 1}}}})
        + b"data: [DONE]\n\n"
    )


def _bedrock_body(tool_input: Any) -> bytes:
    def frame(kind: str, obj: dict[str, Any]) -> bytes:
        return encode_event_message({":event-type": kind, ":content-type": "application/json",
                                     ":message-type": "event"}, json.dumps(obj).encode())

    return (
        frame("messageStart", {"role": "assistant"})
        + frame("contentBlockStart", {"contentBlockIndex": 0, "start": {
            "toolUse": {"toolUseId": "t1", "name": "f"}}})
        + frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {
            "toolUse": {"input": tool_input}}})
        + frame("contentBlockStop", {"contentBlockIndex": 0})
        + frame("messageStop", {"stopReason": "tool_use"})
        + frame("metadata", {"usage": {"inputTokens": 1, "outputTokens": 1,
                                       "totalTokens": 2}})
    )


WRONG_BODIES = [
    *[pytest.param("openai", body, id=f"openai-{name}") for name, body in WRONG_OPENAI.items()],
    pytest.param("anthropic", _anthropic_body({"a": 1}), id="anthropic-partial-json-object"),
    pytest.param("anthropic", _anthropic_body(7), id="anthropic-partial-json-number"),
    pytest.param("cohere", _cohere_body({"a": 1}), id="cohere-arguments-object"),
    pytest.param("bedrock", _bedrock_body({"a": 1}), id="bedrock-tooluse-input-object"),
    pytest.param("bedrock", _bedrock_body(["x"]), id="bedrock-tooluse-input-list"),
]

def _adapter(provider: str, twin: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A stream adapter of ``provider`` on the ``twin`` parsers (and adapter twin, where the
    adapter has one)."""
    import importlib

    sse = importlib.import_module(f"literllm._parsers._sse_{twin}")
    eventstream = importlib.import_module(f"literllm._parsers._eventstream_{twin}")
    monkeypatch.setattr(base, "SSEDecoder", sse.SSEDecoder)
    monkeypatch.setattr(base, "EventStreamDecoder", eventstream.EventStreamDecoder)
    if provider == "openai":
        return importlib.import_module(f"literllm.providers._openai_stream_{twin}").OpenAIChatStream()
    if provider == "anthropic":
        module = importlib.import_module(f"literllm.providers._anthropic_stream_{twin}")
        return module.AnthropicStream("m")
    if provider == "bedrock":
        module = importlib.import_module(f"literllm.providers._bedrock_stream_{twin}")
        return module.BedrockStream("m")
    return get_provider(provider).load_adapter().new_stream("m", None)


@pytest.fixture(params=["py", pytest.param("c", marks=pytest.mark.c_extension)])
def twin(request: pytest.FixtureRequest) -> str:
    if request.param == "c":
        try:
            import literllm._accumulate_c
            import literllm._parsers._sse_c  # noqa: F401
        except ImportError as exc:
            if os.environ.get("LITERLLM_REQUIRE_EXTENSIONS"):
                raise
            pytest.skip(f"compiled twin not built: {exc}")
    return str(request.param)


def _accumulator(twin: str) -> Any:
    if twin == "c":
        from literllm._accumulate_c import StreamAccumulator

        return StreamAccumulator()
    return PyAccumulator()


@pytest.mark.parametrize(("provider", "body"), WRONG_BODIES)
def test_wrong_typed_fields_are_malformed_in_every_split(
    provider: str, body: bytes, twin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for size in (None, 1, 7, 64):
        adapter = _adapter(provider, twin, monkeypatch)
        accumulator = _accumulator(twin)
        pieces = [body] if size is None else [body[i:i + size] for i in range(0, len(body), size)]
        with pytest.raises(MalformedChunkError, match="not"):
            for piece in pieces:
                for event in adapter.feed(piece):
                    try:
                        chunk = adapter.on_event(event)
                    except MalformedChunkError:
                        raise
                    except Exception as exc:  # what ChatStream makes of an adapter's raw error
                        raise MalformedChunkError(repr(exc)) from exc
                    if chunk is not None:
                        accumulator.add(chunk)
            adapter.finish()
        # What was accumulated before stays buildable.
        accumulator.completion()


@pytest.mark.parametrize(("provider", "body"), WRONG_BODIES)
def test_replay_of_wrong_typed_fields_is_malformed(provider: str, body: bytes) -> None:
    with pytest.raises(MalformedChunkError) as caught:
        list(replay(body, provider))
    assert caught.value.accumulated is not None
    # Cut after the bad chunk: the first error, not a truncation, is what is reported.
    with pytest.raises(MalformedChunkError):
        list(replay(body[: len(body) - 3], provider))


@pytest.mark.parametrize("name", ["tool-index-list", "tool-index-mixed-null",
                                  "tool-arguments-object", "choice-index-string"])
async def test_wrong_typed_fields_live_release_the_connection(
    raw_server: Callable[[RawHandler], Awaitable[str]], name: str
) -> None:
    good = text_event("fine", "stop") + _DONE
    answers = iter([WRONG_OPENAI[name], good])

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            body = next(answers)
            writer.write(HEAD + chunked(body) + b"0\r\n\r\n")
            await writer.drain()
            try:
                await reader.readuntil(b"\r\n\r\n")  # the next request on this connection
            except (asyncio.IncompleteReadError, ConnectionError):
                return

    url = await raw_server(handler)
    async with client_for(url, max_connections=1, timeout=Timeout(connect=2, idle=2)) as client:
        stream = await client.chat_stream("openai/m", MESSAGES)
        with pytest.raises(MalformedChunkError) as caught:
            await stream.final()
        assert isinstance(caught.value.accumulated, object)
        assert client._slots is not None and client._slots.in_use == 0
        # The one connection is free again: the next stream gets it.
        chunks = await collect(client)
        assert chunks[0].choices[0].delta.content == "fine"


# --- 8. timers and threads -----------------------------------------------------------------


async def test_finished_streams_leave_no_timer(server: LocalProvider) -> None:
    from literllm._stream import _idle_timer_fired

    loop = asyncio.get_running_loop()

    def idle_timers() -> int:
        return sum(1 for handle in loop._scheduled  # type: ignore[attr-defined]
                   if handle._callback is _idle_timer_fired and not handle.cancelled())

    async with client_for(server.base_url) as client:
        for _ in range(20):
            await collect(client)  # read to the end
        for _ in range(5):
            async with await client.chat_stream("openai/gpt-4o", MESSAGES) as stream:
                await stream.__anext__()  # left early
        server.fault = Fault(cut_after_events=2)
        for _ in range(5):
            with pytest.raises(StreamError):
                await collect(client)  # failed
        assert idle_timers() == 0


def _threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "literllm-sync-client")


def test_a_dropped_sync_client_is_cleaned_up() -> None:
    from literllm import SyncLlmClient

    with local_provider_in_a_thread(KEY) as base_url:
        fds_before = len(os.listdir("/proc/self/fd"))
        threads_before = _threads()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Unclosed client session" would fail here
            for _ in range(3):
                client = SyncLlmClient(api_key=KEY, base_url=base_url, max_retries=0)
                assert list(client.chat_stream("openai/gpt-4o", MESSAGES))
                del client
                gc.collect()
            deadline = time.monotonic() + 10
            while _threads() > threads_before and time.monotonic() < deadline:
                time.sleep(0.05)
        assert _threads() == threads_before
        assert len(os.listdir("/proc/self/fd")) <= fds_before


# --- 9. framing errors after the first chunk -----------------------------------------------


@pytest.mark.parametrize("size", [b"zz", b"-4", b"0x10", b"1" * 20])
async def test_a_bad_chunk_size_after_the_first_chunk_fails_at_once(
    raw_server: Callable[[RawHandler], Awaitable[str]], size: bytes
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD + chunked(text_event("one")))
        await writer.drain()
        await asyncio.sleep(0.2)  # a later packet than the chunks before it
        writer.write(size + b"\r\n" + text_event("two") + b"\r\n")
        await writer.drain()
        await asyncio.sleep(3600)

    url = await raw_server(handler)
    async with client_for(url, timeout=Timeout(connect=2, idle=30)) as client:
        started = time.monotonic()
        stream = await client.chat_stream("openai/m", MESSAGES)
        with pytest.raises(StreamTruncatedError, match="framing") as caught:
            async for _chunk in stream:
                pass
        assert time.monotonic() - started < 5, "not left to the idle timeout"
        assert caught.value.chunks_received == 1 and caught.value.text == "one"
        assert client._slots is not None and client._slots.in_use == 0


# --- 10. the pool wait ----------------------------------------------------------------------


async def test_waiting_for_the_pool_is_not_a_connect_timeout() -> None:
    async with LocalProvider(api_key=KEY, delay=0.05) as server, client_for(
        server.base_url, max_connections=1, timeout=Timeout(connect=0.3, idle=10)
    ) as client:
        first = await client.chat_stream("openai/gpt-4o", MESSAGES)
        second = asyncio.create_task(collect(client))
        await asyncio.sleep(0.6)  # longer than connect: the second still waits
        assert not second.done()
        assert len(server.requests) == 1
        await first.final()
        assert await second


async def test_a_pool_timeout_is_its_own_kind_and_sends_nothing() -> None:
    async with LocalProvider(api_key=KEY, delay=0.05) as server, client_for(
        server.base_url, max_connections=1, max_retries=2,
        timeout=Timeout(connect=5, idle=10, pool=0.2),
    ) as client:
        first = await client.chat_stream("openai/gpt-4o", MESSAGES)
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            await collect(client)
        assert caught.value.timeout_kind == "pool"
        assert "max_connections" in str(caught.value)
        assert time.monotonic() - started < 1.5, "a pool timeout is not retried"
        assert len(server.requests) == 1
        await first.aclose()
        assert await collect(client)


async def test_slots_come_back_on_every_way_out(server: LocalProvider) -> None:
    async with client_for(server.base_url, max_connections=2,
                          timeout=Timeout(connect=2, idle=2, pool=1)) as client:
        assert client._slots is not None
        await collect(client)  # read to the end
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        await stream.aclose()  # closed early
        async for _chunk in await client.chat_stream("openai/gpt-4o", MESSAGES):
            break  # dropped
        gc.collect()
        server.fault = Fault(status=500, body={"error": {"message": "x"}})
        with pytest.raises(Exception, match="HTTP 500"):
            await collect(client)  # an error status
        server.fault = Fault(cut_after_events=2)
        with pytest.raises(StreamError):
            await collect(client)  # cut
        server.fault = Fault(stall_after_events=1)
        task = asyncio.create_task(collect(client))
        await asyncio.sleep(0.2)
        task.cancel()  # cancelled
        server.fault = None
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.chat("openai/gpt-4o", MESSAGES)  # not streamed
        assert client._slots.in_use == 0


def test_timeout_pool_is_validated() -> None:
    with pytest.raises(ConfigurationError):
        LlmClient(api_key=KEY, timeout=Timeout(pool=-1))
    with pytest.raises(ConfigurationError):
        LlmClient(api_key=KEY, max_connections=0)
    assert Timeout(pool=3).pool == 3.0



def _text_chunk(**fields: Any) -> Any:
    from literllm.types import ChatCompletionChunk, Delta, StreamChoice

    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [StreamChoice(0, Delta(None, "a"))]}
    return ChatCompletionChunk(**{**base, **fields})


@pytest.mark.parametrize("fields", [
    {"id": 7}, {"model": None}, {"created": "now"}, {"system_fingerprint": 5},
    {"choices": "x"}, {"created": True},
])
def test_both_accumulators_refuse_a_wrong_typed_chunk_alike(twin: str, fields: Any) -> None:
    accumulator = _accumulator(twin)
    accumulator.add(_text_chunk())
    with pytest.raises(MalformedChunkError):
        accumulator.add(_text_chunk(**fields))
    # Nothing of the refused chunk was merged; what came before is intact.
    accumulator.add(_text_chunk())
    assert accumulator.chunks == 2
    assert accumulator.completion().choices[0].message.content == "aa"
