"""Every aiohttp internal literllm relies on (``literllm/_aiohttp_internals.py``), checked
against the installed aiohttp with real objects: a release that moves one fails here, by
name, instead of quietly degrading the client."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import aiohttp
import pytest

from literllm import LlmClient
from literllm._aiohttp_internals import (
    abandon_session,
    connection_closed,
    connection_error,
    limit_connection_reads,
    read_limited_transport,
    session_loop,
    set_read_size,
    take_unread,
)
from literllm.testing import Fault, LocalProvider

KEY = "sk-internals-test"
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def _post(session: aiohttp.ClientSession, server: LocalProvider) -> Any:
    return session.post(server.base_url + "/chat/completions", json=CHAT,
                        headers={"Authorization": f"Bearer {KEY}"})


async def test_the_body_buffer_the_client_drains_after_a_failure() -> None:
    async with (
        LocalProvider(api_key=KEY) as server,
        aiohttp.ClientSession() as session,
        _post(session, server) as response,
    ):
        content = response.content
        await asyncio.sleep(0.05)  # let the body arrive unread
        assert isinstance(getattr(content, "_buffer", None), collections.deque), (
            "aiohttp.StreamReader._buffer is gone or changed: literllm's "
            "take_unread() would lose chunks that arrived before a connection failure"
        )
        assert callable(getattr(content, "_read_nowait_chunk", None)), (
            "aiohttp.StreamReader._read_nowait_chunk is gone"
        )
        buffered = sum(len(piece) for piece in content._buffer)
        assert buffered > 0
        assert len(take_unread(content)) == buffered and not content._buffer


async def test_the_connection_future_that_tells_a_lost_connection() -> None:
    # A stalled body keeps its connection (a whole one is released at its end).
    stalled = Fault(stall_after_events=2)
    async with (
        LocalProvider(api_key=KEY, fault=stalled) as server,
        aiohttp.ClientSession() as session,
        _post(session, server) as response,
    ):
        watched = connection_closed(response)
        assert watched is not None, (
            "ClientResponse.connection.protocol.closed is gone: a connection aiohttp's "
            "parser drops after the headers would wait for the idle timeout"
        )
        closed, protocol = watched
        assert isinstance(closed, asyncio.Future) and not closed.done()
        assert callable(getattr(protocol, "exception", None))
        assert connection_error(protocol) is None
        response.close()
        await asyncio.sleep(0)
        assert closed.done()


async def test_the_session_loop_and_the_connector_parts_an_abandoned_session_needs() -> None:
    async with LocalProvider(api_key=KEY) as server:
        session = aiohttp.ClientSession()
        assert session_loop(session) is asyncio.get_running_loop(), (
            "aiohttp.ClientSession._loop is gone: a client reused from a new asyncio.run() "
            "would not notice its old session belongs to an ended loop"
        )
        async with session.get(server.root_url + "/nothing-here") as response:
            await response.read()
        connector = session.connector
        assert connector is not None
        assert isinstance(getattr(connector, "_conns", None), dict), "TCPConnector._conns"
        assert hasattr(connector, "_acquired"), "TCPConnector._acquired"
        assert callable(getattr(connector, "_close", None)), "TCPConnector._close"
        ((protocol, _),) = [entry for idle in connector._conns.values() for entry in idle]
        sock = getattr(protocol.transport, "_sock", None)
        assert sock is not None, "the connection's transport._sock is gone"
        abandon_session(session)
        assert sock.fileno() == -1 and connector.closed and session.closed


async def test_the_parts_that_bound_one_read_from_the_socket() -> None:
    import asyncio.selector_events
    import asyncio.sslproto
    import functools

    connector = aiohttp.TCPConnector()
    factory = getattr(connector, "_factory", None)
    assert isinstance(factory, functools.partial) and isinstance(factory.func, type), (
        "TCPConnector._factory is no longer a partial of the protocol class: a stream's "
        "first read from the socket takes up to 256 KiB of its body again"
    )
    assert isinstance(asyncio.selector_events._SelectorSocketTransport.max_size, int)
    assert isinstance(asyncio.sslproto.SSLProtocol.max_size, int), "SSLProtocol.max_size"
    assert callable(asyncio.sslproto._SSLProtocolTransport.set_read_buffer_limits)
    limit_connection_reads(connector)
    async with (
        LocalProvider(api_key=KEY) as server,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        for size in (5000, 3000):  # the second on the pooled connection
            async with session.post(
                server.base_url + "/chat/completions", json=CHAT, read_bufsize=size,
                headers={"Authorization": f"Bearer {KEY}"},
            ) as response:
                transport = read_limited_transport(response)
                assert transport.max_size == size, (
                    "aiohttp no longer calls protocol.set_response_params(read_bufsize=...) "
                    "before each request"
                )
                set_read_size(transport, 7000)
                assert transport.max_size == 7000
                assert await response.read()
    set_read_size(None, 1)  # a released response: nothing to tell


def test_a_body_that_is_not_aiohttps_has_nothing_unread() -> None:
    assert take_unread(object()) == b""
    assert connection_closed(object()) is None


@pytest.mark.parametrize("twice", [False, True])
def test_a_client_closed_from_a_later_event_loop_leaves_no_socket(twice: bool) -> None:
    """Used from one asyncio.run() (or two), closed from the next: the sessions of ended
    loops are abandoned with their sockets closed, none left to the garbage collector."""
    import gc
    import warnings

    from conftest import local_provider_in_a_thread

    async def one(client: LlmClient) -> str:
        stream = await client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "x"}])
        return (await stream.final()).choices[0].message.content or ""

    with local_provider_in_a_thread(KEY) as url:
        client = LlmClient(api_key=KEY, base_url=url)
        assert asyncio.run(one(client))
        if twice:
            assert asyncio.run(one(client))  # the first loop's session is abandoned here
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            asyncio.run(client.close())
            gc.collect()
    assert client._session is None
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
