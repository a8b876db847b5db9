"""A hypothesis state machine over a hostile server: random statuses, content types, stalls,
cuts and garbage, and a caller who misuses streams and the client.

Whatever happens, the caller sees only typed errors (``APIError``/``APIConnectionError``
before the first chunk, ``StreamError`` while iterating), nothing hangs past its timeout
plus a margin, and no connection is left checked out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from literllm import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    LiterLlmError,
    LlmClient,
    StreamError,
    Timeout,
)

KEY = "sk-hostile-canary-0123456789"
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
    ),
    max_size=8,
)
endings = st.sampled_from(["eof", "cut", "stall", "chunked-garbage"])
framings = st.sampled_from(["chunked", "length", "close"])


class HostileServer:
    """A raw HTTP server answering each request with the next scripted behaviour."""

    def __init__(self) -> None:
        self.script: dict[str, Any] = {}
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
            await reader.readuntil(b"\r\n\r\n")
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
        self.client = self._client()

    def _client(self) -> LlmClient:
        return LlmClient(api_key=KEY, base_url=self.base_url, max_retries=1,
                         timeout=Timeout(connect=2, idle=IDLE))

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.client.close())
        self.run(self.server.stop())
        self.loop.close()

    @rule(status=statuses, content_type=content_types, body=pieces, ending=endings,
          framing=framings, read=st.integers(0, 10),
          misuse=st.sampled_from(["none", "aclose", "second-consumer", "close-client",
                                  "drop"]))
    def request(  # noqa: PLR0917  (hypothesis passes the rule's draws by name)
        self, status: int, content_type: str, body: list[bytes], ending: str,
        framing: str, read: int, misuse: str,
    ) -> None:
        self.server.script = {"status": status, "content_type": content_type, "pieces": body,
                              "ending": ending, "framing": framing}
        started = time.monotonic()
        self.run(self._exchange(read, misuse))
        # Two attempts, each within the idle timeout, plus the backoff between them.
        assert time.monotonic() - started < 2 * IDLE + 1.0 + MARGIN

    async def _exchange(self, read: int, misuse: str) -> None:
        try:
            stream = await self.client.chat_stream("openai/m", MESSAGES)
        except LiterLlmError as exc:
            assert isinstance(exc, APIError | APIConnectionError), repr(exc)
            assert not isinstance(exc, StreamError | ConfigurationError), repr(exc)
            assert KEY not in str(exc)
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
            assert KEY not in str(exc)
        finally:
            if "stream" in locals():
                await stream.aclose()

    @invariant()
    def no_connection_checked_out(self) -> None:
        session = self.client._session
        if session is not None and session.connector is not None:
            assert not session.connector._acquired  # type: ignore[attr-defined]


@pytest.mark.slow
def test_hostile_server_state_machine() -> None:
    HostileServerMachine.TestCase().runTest()
