"""A hypothesis state machine over a hostile server: random statuses, content types, stalls,
cuts and garbage (also in later packets, and wrong-typed fields), a proxy that refuses or
forwards, recording destinations that cannot be written, replay files that are not files,
and a caller who misuses streams and the client and contends for one pooled connection.

Whatever happens, the caller sees only typed errors (``APIError``/``APIConnectionError``
before the first chunk, ``StreamError`` while iterating, ``ConfigurationError`` before
anything is sent), a timeout only where the server stalled, nothing hangs past its timeout
plus a margin, no key or proxy password in any error, and no connection, pool slot or idle
timer is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from literllm import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ConfigurationError,
    LiterLlmError,
    LlmClient,
    ProxyError,
    StreamError,
    StreamTimeoutError,
    Timeout,
    replay,
)
from literllm._stream import _idle_timer_fired

KEY = "sk-hostile-canary-0123456789"
PROXY_PASSWORD = "hostile-proxy-pw-42"
IDLE = 0.25
MARGIN = 2.0
MESSAGES = [{"role": "user", "content": "hi"}]


def _chunk(text: str, finish: str | None = None) -> bytes:
    obj = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
           "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


statuses = st.sampled_from([200, 200, 200, 200, 301, 400, 401, 404, 429, 500, 503, 529, 999])
content_types = st.sampled_from([
    "text/event-stream", "text/event-stream", "text/event-stream; charset=utf-8",
    "application/json", "text/html", "",
])
pieces = st.lists(
    st.one_of(
        st.builds(_chunk, st.text(max_size=8)),
        st.just(b"data: [DONE]\n\n"),
        st.just(_chunk("", "stop")),
        st.just(b": ping\n\n"),
        st.binary(max_size=40),  # garbage
        st.just(b'data: {"error": {"message": "' + KEY.encode() + b'", "code": 500}}\n\n'),
        st.just(b"retry: " + b"9" * 5000 + b"\n"),
        st.just(b'data: {"choices": [{"delta": {"content": 7}}]}\n\n'),
        # Wrong-typed fields: indexes that are lists, objects or text, arguments not text.
        st.sampled_from([
            b'data: {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": [0]}]}}]}\n\n',
            b'data: {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": {"a": 1}}]}}]}'
            b"\n\n",
            b'data: {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": null}]}}]}\n\n',
            b'data: {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function":'
            b' {"arguments": {"x": 1}}}]}}]}\n\n',
            b'data: {"choices": [{"index": "0", "delta": {"content": "a"}}]}\n\n',
            b'data: {"choices": [{"index": 0, "delta": {"refusal": 5}}]}\n\n',
            b'data: {"choices": [], "usage": {"prompt_tokens": "1"}}\n\n',
        ]),
    ),
    max_size=8,
)
# "late-*": in a later packet than the body before it, after a pause.
endings = st.sampled_from(["eof", "cut", "stall", "chunked-garbage", "late-chunk-size",
                           "late-garbage"])
framings = st.sampled_from(["chunked", "length", "close"])


class HostileServer:
    """A raw HTTP server answering each request with the next scripted behaviour."""

    def __init__(self) -> None:
        self.script: dict[str, Any] = {}
        self.proxy_mode = "forward"
        self.requests = 0
        self.proxied: list[bytes] = []
        self.handlers: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"

    async def stop(self) -> None:
        for task in self.handlers:
            task.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.handlers.add(task)  # type: ignore[arg-type]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            if head.startswith((b"POST http://", b"CONNECT ")):
                # Asked as a proxy (the client's HTTP_PROXY names this server too).
                self.proxied.append(head)
                if self.proxy_mode == "407":
                    auth = b"".join(line for line in head.split(b"\r\n")
                                    if line.lower().startswith(b"proxy-authorization"))
                    quoted = b"you sent " + auth
                    writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(quoted), quoted))
                    await writer.drain()
                    return
            script = self.script
            body = b"".join(script["pieces"])
            head = f"HTTP/1.1 {script['status']} X\r\n"
            if script["content_type"]:
                head += f"Content-Type: {script['content_type']}\r\n"
            if script["status"] == 301:
                head += "Location: http://127.0.0.1:9/elsewhere\r\n"
            if script["status"] == 429:
                head += "Retry-After: 0\r\n"
            framing = script["framing"]
            if framing == "chunked":
                head += "Transfer-Encoding: chunked\r\n\r\n"
                payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in script["pieces"] if p)
                tail = b"0\r\n\r\n"
            elif framing == "length":
                head += f"Content-Length: {len(body) + (7 if script['ending'] == 'cut' else 0)}"
                head += "\r\n\r\n"
                payload, tail = body, b""
            else:
                head += "Connection: close\r\n\r\n"
                payload, tail = body, b""
            writer.write(head.encode() + payload)
            await writer.drain()
            ending = script["ending"]
            if ending == "stall":
                await asyncio.sleep(3600)
            elif ending == "chunked-garbage" and framing == "chunked":
                writer.write(b"zz\r\nnot a chunk\r\n")
            elif ending.startswith("late-"):
                await asyncio.sleep(0.05)
                bad = script.get("late", b"zz")
                writer.write(bad + b"\r\n" if framing == "chunked" else bad)
                await writer.drain()
                await asyncio.sleep(3600 if ending == "late-chunk-size" else 0)
            elif ending == "eof":
                writer.write(tail)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@settings(max_examples=25, stateful_step_count=5, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
class HostileServerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.server = HostileServer()
        self.base_url = self.loop.run_until_complete(self.server.start())
        self.folder = Path(tempfile.mkdtemp(prefix="literllm-hostile-"))
        self.environ = {name: os.environ.pop(name) for name in list(os.environ)
                        if name.lower() in ("http_proxy", "https_proxy", "all_proxy",
                                            "no_proxy")}
        self.client = self._client()
        self.stalled = False

    def _client(self) -> LlmClient:
        return LlmClient(api_key=KEY, base_url=self.base_url, max_retries=1,
                         timeout=Timeout(connect=2, idle=IDLE))

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.client.close())
        self.run(self.server.stop())
        self.loop.close()
        os.environ.pop("HTTP_PROXY", None)
        os.environ.update(self.environ)
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)

    def _check_said(self, error: BaseException) -> None:
        said = repr(error) + str(error) + repr(vars(error))
        link = error.__cause__ or error.__context__
        while link is not None:
            said += repr(link) + repr(link.args)
            link = link.__cause__ or link.__context__
        for secret in (KEY, PROXY_PASSWORD):
            assert secret not in said, secret
        with contextlib.suppress(Exception):  # an error that cannot be pickled shows nothing
            assert KEY.encode() not in pickle.dumps(error)

    @rule(mode=st.sampled_from(["none", "forward", "407", "dead"]))
    def use_proxy(self, mode: str) -> None:
        """Send the next requests through a proxy (or none), with a login in its URL."""
        self.run(self.client.close())
        os.environ.pop("HTTP_PROXY", None)
        if mode != "none":
            port = self.base_url.split(":")[2].split("/")[0] if mode != "dead" else "9"
            os.environ["HTTP_PROXY"] = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{port}"
        self.server.proxy_mode = mode
        self.client = self._client()

    @rule(kind=st.sampled_from(["fifo", "dev-zero", "folder", "sidecar-fifo",
                                "sidecar-not-text", "sidecar-list", "good"]))
    def replay_a_file(self, kind: str) -> None:
        """Replay what an untrusted folder holds: only regular files, within bounds."""
        body = self.folder / f"replay-{kind}-{time.monotonic_ns()}.sse"
        sidecar = Path(f"{body}.json")
        good = (b'data: {"choices": [{"index": 0, "delta": {"content": "a"}, '
                b'"finish_reason": "stop"}]}\n\ndata: [DONE]\n\n')
        if kind == "fifo":
            os.mkfifo(body)
        elif kind == "dev-zero":
            body.symlink_to("/dev/zero")
        elif kind == "folder":
            body.mkdir()
        else:
            body.write_bytes(good)
        if kind == "sidecar-fifo":
            os.mkfifo(sidecar)
        elif kind == "sidecar-not-text":
            sidecar.write_text(json.dumps({"provider": 7}))
        elif kind == "sidecar-list":
            sidecar.write_text("[]")
        started = time.monotonic()
        try:
            chunks = list(replay(body, "openai"))
        except ConfigurationError:
            assert kind != "good"
        else:
            assert kind == "good" and chunks
        assert time.monotonic() - started < MARGIN

    @rule(texts=st.lists(st.text(max_size=5), min_size=1, max_size=4),
          late=st.sampled_from([b"zz", b"-4", b"0x10", b"\xff\xfe", b"1" * 30]))
    def framing_breaks_in_a_later_packet(self, texts: list[str], late: bytes) -> None:
        """A bad chunk size after the chunks before it: a StreamError at once, not the idle
        timeout (the server stalls after it)."""
        self.server.script = {"status": 200, "content_type": "text/event-stream",
                              "pieces": [_chunk(text) for text in texts],
                              "ending": "late-chunk-size", "framing": "chunked", "late": late}
        self.stalled = False
        # A client of its own: a pooled connection whose server stalled in an earlier step
        # would cost this one a retry.
        shared, self.client = self.client, LlmClient(
            api_key=KEY, base_url=self.base_url, max_retries=0, trust_env=False,
            timeout=Timeout(connect=2, idle=IDLE),
        )
        started = time.monotonic()
        try:
            self.run(self._exchange(len(texts) + 1, "none", None))
        finally:
            self.run(self.client.close())
            self.client = shared
        assert time.monotonic() - started < IDLE, "a framing error waited for the idle timeout"

    @rule(read=st.integers(0, 2))
    def contend_for_one_connection(self, read: int) -> None:
        """Two streams, one connection: the second waits for the pool (its own timeout)."""
        self.server.script = {"status": 200, "content_type": "text/event-stream",
                              "pieces": [_chunk("x")] * 2, "ending": "stall",
                              "framing": "chunked"}
        self.stalled = True
        self.run(self._contend(read))

    async def _contend(self, read: int) -> None:
        async with LlmClient(api_key=KEY, base_url=self.base_url, max_retries=1,
                             max_connections=1, trust_env=False,
                             timeout=Timeout(connect=2, idle=IDLE * 4, pool=IDLE)) as client:
            first = await client.chat_stream("openai/m", MESSAGES)
            before = self.server.requests
            try:
                for _ in range(read):
                    await first.__anext__()
                with contextlib.suppress(LiterLlmError):
                    await client.chat_stream("openai/m", MESSAGES)
                    raise AssertionError("the second stream had no connection to use")
                assert self.server.requests == before, "a pool wait sent nothing"
            finally:
                await first.aclose()
            assert client._slots is not None and client._slots.in_use == 0

    @rule(status=statuses, content_type=content_types, body=pieces, ending=endings,
          framing=framings, read=st.integers(0, 10),
          misuse=st.sampled_from(["none", "aclose", "second-consumer", "close-client",
                                  "drop"]),
          record=st.sampled_from([None, None, "ok", "missing-folder", "symlink",
                                  "sidecar-folder"]),
          late=st.sampled_from([b"zz", b"-4", b"0x10", b"\xff\xfe"]))
    def request(  # noqa: PLR0917  (hypothesis passes the rule's draws by name)
        self, status: int, content_type: str, body: list[bytes], ending: str,
        framing: str, read: int, misuse: str, record: str | None, late: bytes,
    ) -> None:
        self.server.script = {"status": status, "content_type": content_type, "pieces": body,
                              "ending": ending, "framing": framing, "late": late}
        # Where a timeout is the right answer: the server went silent.
        self.stalled = ending == "stall" or (ending == "late-chunk-size" and framing != "chunked")
        started = time.monotonic()
        self.run(self._exchange(read, misuse, self._destination(record)))
        # Two attempts, each within the idle timeout, plus the backoff between them.
        assert time.monotonic() - started < 2 * IDLE + 1.0 + MARGIN

    def _destination(self, record: str | None) -> Path | None:
        if record is None:
            return None
        target = self.folder / f"rec-{time.monotonic_ns()}.sse"
        if record == "missing-folder":
            return self.folder / "missing" / target.name
        if record == "symlink":
            target.symlink_to(self.folder / "outside")
        elif record == "sidecar-folder":
            Path(f"{target}.json").mkdir()
        return target

    async def _exchange(self, read: int, misuse: str, record_to: Path | None) -> None:
        requests = self.server.requests
        try:
            stream = await self.client.chat_stream("openai/m", MESSAGES, record_to=record_to)
        except LiterLlmError as exc:
            self._check_said(exc)
            if isinstance(exc, ConfigurationError):
                assert record_to is not None and not record_to.name.startswith("ok"), repr(exc)
                assert self.server.requests == requests, "nothing is sent after a bad destination"
                assert not (self.folder / "outside").exists()
                return
            assert isinstance(exc, APIError | APIConnectionError), repr(exc)
            assert not isinstance(exc, StreamError), repr(exc)
            if isinstance(exc, APITimeoutError):
                assert self.stalled, f"a timeout where the server did not stall: {exc!r}"
            if self.server.proxy_mode == "407" and "HTTP_PROXY" in os.environ:
                assert isinstance(exc, ProxyError), repr(exc)
                assert self.server.requests == requests + 1, "a refused login is not retried"
            return
        try:
            count = 0
            async for _chunk in stream:
                count += 1
                if count == 1 and misuse == "second-consumer":
                    other = asyncio.ensure_future(stream.__anext__())
                    await asyncio.sleep(0)
                    with contextlib.suppress(StreamError, StopAsyncIteration, TimeoutError):
                        await asyncio.wait_for(other, IDLE * 4)
                if count >= read:
                    break
            if misuse == "aclose":
                await stream.aclose()
            elif misuse == "close-client":
                await self.client.close()
                self.client = self._client()
            elif misuse == "drop":
                del stream
                return
        except LiterLlmError as exc:
            assert isinstance(exc, StreamError), repr(exc)
            assert isinstance(exc.text, str) and exc.chunks_received >= 0
            self._check_said(exc)
            if isinstance(exc, StreamTimeoutError):
                assert self.stalled, f"a timeout where the server did not stall: {exc!r}"
        finally:
            if "stream" in locals():
                await stream.aclose()
        if record_to is not None:
            sidecar = json.loads(Path(f"{record_to}.json").read_text())
            assert sidecar["outcome"] != "in progress"

    @invariant()
    def nothing_left_behind(self) -> None:
        session = self.client._session
        if session is not None and session.connector is not None:
            assert not session.connector._acquired  # type: ignore[attr-defined]
        slots = self.client._slots
        assert slots is None or slots.in_use == 0
        timers = [handle for handle in self.loop._scheduled  # type: ignore[attr-defined]
                  if handle._callback is _idle_timer_fired and not handle.cancelled()]
        assert not timers


@pytest.mark.slow
def test_hostile_server_state_machine() -> None:
    HostileServerMachine.TestCase().runTest()
