"""A stream's read window: a reader that falls behind leaves the rest of the body in the
network (TCP flow control) instead of in this process; one that keeps up reads in large
pieces; the next request on a pooled connection starts narrow again. Over plain HTTP and
TLS, against a real local server whose body is written whole at once."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest

from literllm import LlmClient
from literllm._aiohttp_internals import read_limited_transport
from literllm._stream import READ_WINDOW, READ_WINDOW_MAX
from literllm.testing import LocalProvider, ReplayTransport, ScriptedReply

KEY = "sk-read-window-test"
MESSAGES = [{"role": "user", "content": "hi"}]
PIECES = [f"piece {n} " for n in range(6000)]  # an SSE body of about 1.3 MB
WHOLE = (1 << 22, 1 << 22)  # the server writes the body in one go


def _text(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def _tls() -> tuple[ssl.SSLContext, ssl.SSLContext] | None:
    try:
        import trustme
    except ImportError:
        return None
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


@pytest.fixture(params=["http", "https"])
def contexts(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    if request.param == "http":
        return None, None
    tls = _tls()
    if tls is None:
        pytest.skip("trustme is not installed (pip install -e '.[test]')")
    return tls


@contextlib.asynccontextmanager
async def _client_of_a_whole_body_server(contexts: tuple[Any, Any]) -> AsyncIterator[LlmClient]:
    server_context, client_context = contexts
    async with (
        LocalProvider(api_key=KEY, reply=ScriptedReply(text=PIECES), pieces=WHOLE,
                      ssl_context=server_context) as server,
        LlmClient(api_key=KEY, base_url=server.base_url, ssl=client_context or True) as client,
    ):
        yield client


def _read_size(transport: Any) -> int:
    """What one read of the connection takes from the socket (asyncio's, plain or TLS)."""
    ssl_protocol = getattr(transport, "_ssl_protocol", None)
    return int((transport if ssl_protocol is None else ssl_protocol).max_size)


async def test_a_reader_that_stops_leaves_the_rest_of_the_body_in_the_network(
    contexts: tuple[Any, Any],
) -> None:
    async with _client_of_a_whole_body_server(contexts) as client:
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        first = await stream.__anext__()
        await asyncio.sleep(0.3)  # the server has written everything it could meanwhile
        body = stream._response.content
        # What aiohttp took in: the window this stream read, aiohttp's buffer (twice the
        # window) and the last delivery before it paused: one read from the socket, or over
        # TLS what asyncio decrypted at once (the encrypted bytes it holds, up to a window,
        # and one read). Before the window, a first read took up to 256 KiB.
        assert body.total_bytes <= 5 * READ_WINDOW
        transport = read_limited_transport(stream._response)
        assert _read_size(transport) == READ_WINDOW
        if contexts[0] is not None:
            # asyncio's TLS keeps a 256 KiB buffer per connection unless told otherwise.
            assert len(transport._ssl_protocol._ssl_buffer) <= READ_WINDOW
        assert stream._window == READ_WINDOW
        rest = [chunk async for chunk in stream]
        assert _text([first, *rest]) == "".join(PIECES)
        assert [c for c in rest if c.choices][-1].choices[0].finish_reason == "stop"


async def test_a_reader_that_keeps_up_widens_its_window_and_the_next_request_starts_narrow(
    contexts: tuple[Any, Any],
) -> None:
    async with _client_of_a_whole_body_server(contexts) as client:
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        transport = read_limited_transport(stream._response)
        received = []
        async for chunk in stream:
            received.append(chunk)
            if len(received) == 4000:
                assert stream._window == _read_size(transport) == READ_WINDOW_MAX
        assert _text(received) == "".join(PIECES)

        again = await client.chat_stream("openai/gpt-4o", MESSAGES)
        assert read_limited_transport(again._response) is transport  # the pooled connection
        assert again._window == _read_size(transport) == READ_WINDOW
        assert _text([chunk async for chunk in again]) == "".join(PIECES)


async def test_a_body_that_trickles_in_keeps_the_narrow_window() -> None:
    reply = ScriptedReply(text=PIECES[:40])
    async with (
        LocalProvider(api_key=KEY, reply=reply, pieces=(64, 128), delay=0.02) as server,
        LlmClient(api_key=KEY, base_url=server.base_url) as client,
    ):
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        assert _text([chunk async for chunk in stream]) == "".join(PIECES[:40])
        # About 5 KB/s, a model's pace: a window's worth takes far longer than WIDEN_SECONDS
        # to arrive (a pause of the reader's would have to last most of a second to let it
        # gather one).
        assert stream._window == READ_WINDOW


async def test_an_offline_piece_longer_than_a_read_is_split_without_loss() -> None:
    text = "".join(PIECES[:3000])
    async with LlmClient(transport=ReplayTransport(text, pieces=(1 << 20, 1 << 20))) as client:
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        assert _text([chunk async for chunk in stream]) == text


async def test_a_session_of_the_callers_keeps_its_own_read_size() -> None:
    import aiohttp

    async with (
        LocalProvider(api_key=KEY, reply=ScriptedReply(text=PIECES), pieces=WHOLE) as server,
        aiohttp.ClientSession() as session,
        LlmClient(api_key=KEY, base_url=server.base_url, session=session) as client,
    ):
        stream = await client.chat_stream("openai/gpt-4o", MESSAGES)
        transport = stream._response.connection.transport
        assert read_limited_transport(stream._response) is None
        assert _text([chunk async for chunk in stream]) == "".join(PIECES)
        assert stream._window == READ_WINDOW_MAX  # aiohttp's buffer followed the reads
        assert transport.max_size == type(transport).max_size  # the socket's was not touched
