"""Every aiohttp (and asyncio transport) internal literllm relies on, in one place.

aiohttp's public API leaves four needs uncovered; each is met here through a private
attribute, read defensively (a missing one degrades to the public behaviour, never to a
crash), and ``tests/test_aiohttp_internals.py`` checks each against the installed aiohttp
so that a release that moves one fails loudly there rather than quietly in production:

- ``StreamReader._buffer`` / ``_read_nowait_chunk``: the bytes a body received but nobody
  read yet, when the connection fails (``readany()`` raises before it returns them, in
  aiohttp 3.10-3.14, losing chunks that did arrive);
- ``ClientResponse.connection.protocol.closed``: the one signal that a connection died when
  aiohttp's parser rejected bytes after the headers without telling the body;
- ``ClientSession._loop``, ``TCPConnector._conns`` / ``_acquired`` / ``_close`` and a
  transport's ``_sock``: dropping a session whose event loop has ended, sockets closed;
- ``TCPConnector._factory`` (the protocol made for each connection), asyncio's
  ``_SelectorSocketTransport.max_size`` and, over TLS, ``_SSLProtocolTransport._ssl_protocol``
  (its ``max_size`` and ``_ssl_buffer``): how much one read from the socket takes. asyncio
  takes up to 256 KiB a read (and over TLS keeps a 256 KiB buffer per connection), so a
  body that has arrived is in memory whole before any per-response limit can apply.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ._config import log

if TYPE_CHECKING:
    import asyncio

    import aiohttp

__all__ = [
    "abandon_session",
    "connection_closed",
    "connection_error",
    "limit_connection_reads",
    "read_limited_transport",
    "session_loop",
    "set_read_size",
    "take_unread",
]


def limit_connection_reads(connector: aiohttp.TCPConnector) -> None:
    """Make each connection of ``connector`` take at most the request's ``read_bufsize``
    from its socket in one read, from the first (the one that brings the headers) on."""
    factory = getattr(connector, "_factory", None)
    if not isinstance(factory, functools.partial) or not isinstance(factory.func, type):
        log().debug("aiohttp's connector makes its protocols differently: reads not limited")
        return
    connector._factory = functools.partial(
        _read_limited_protocol(factory.func), *factory.args, **factory.keywords
    )


@functools.cache
def _read_limited_protocol(base: type) -> type:
    class ReadLimitedProtocol(base):  # type: ignore[misc]
        reads_limited = True

        # aiohttp calls this for every request on the connection, before sending it.
        def set_response_params(self, *args: Any, **params: Any) -> None:
            super().set_response_params(*args, **params)
            set_read_size(self.transport, params.get("read_bufsize", _AIOHTTP_READ_BUFSIZE))

    ReadLimitedProtocol.__qualname__ = ReadLimitedProtocol.__name__ = (
        f"ReadLimited{base.__name__}"
    )
    return ReadLimitedProtocol


_AIOHTTP_READ_BUFSIZE = 2**16


def set_read_size(transport: Any, size: int) -> None:
    """Make one read of ``transport`` take at most ``size`` bytes (a plain asyncio socket
    transport, or asyncio's TLS transport: the bytes it decrypts at once, its buffer for
    encrypted bytes, and how many it holds before pausing the socket). Other transports
    (uvloop's) are left as they are."""
    if transport is None:
        return
    ssl_protocol = getattr(transport, "_ssl_protocol", None)
    if ssl_protocol is not None:
        if not isinstance(getattr(ssl_protocol, "max_size", None), int):
            return
        ssl_protocol.max_size = size
        buffer = getattr(ssl_protocol, "_ssl_buffer", None)
        if isinstance(buffer, bytearray) and len(buffer) > size:
            # get_buffer() hands out views of this buffer only as long as max_size; the
            # 256 KiB it was made with would otherwise stay resident for the connection.
            ssl_protocol._ssl_buffer = bytearray(size)
            ssl_protocol._ssl_buffer_view = memoryview(ssl_protocol._ssl_buffer)
        limits = getattr(transport, "set_read_buffer_limits", None)
        if callable(limits):
            limits(high=size)
        return
    if isinstance(getattr(type(transport), "max_size", None), int):
        transport.max_size = size


def read_limited_transport(response: Any) -> Any:
    """The transport under a response's connection when ``limit_connection_reads`` set up
    its connector (then the next request on it starts at its own read size again); ``None``
    otherwise: released, not aiohttp's, or a session of the caller's, left as it is."""
    connection = getattr(response, "connection", None)
    if not getattr(getattr(connection, "protocol", None), "reads_limited", False):
        return None
    return getattr(connection, "transport", None)


def take_unread(content: Any) -> bytes:
    """What the body delivered but nobody read yet (``b""`` for a body that is not
    aiohttp's, or holds nothing)."""
    if not getattr(content, "_buffer", None):
        return b""
    pieces: list[bytes] = []
    try:
        while content._buffer:
            pieces.append(content._read_nowait_chunk(-1))
    except Exception:
        log().debug("could not take the unread part of a failed body", exc_info=True)
    return b"".join(pieces)


def connection_closed(response: Any) -> tuple[asyncio.Future[Any], Any] | None:
    """The future aiohttp's protocol resolves when the response's connection is lost, and
    that protocol (``None``: nothing to watch, as for a transport='s response)."""
    connection = getattr(response, "connection", None)
    protocol = getattr(connection, "protocol", None)
    closed = getattr(protocol, "closed", None)
    if closed is None or not hasattr(closed, "add_done_callback"):
        return None
    return closed, protocol


def connection_error(response_or_protocol: Any) -> BaseException | None:
    """The error aiohttp's protocol recorded for a lost connection, if any."""
    exception = getattr(response_or_protocol, "exception", None)
    return exception() if callable(exception) else None


def session_loop(session: aiohttp.ClientSession) -> asyncio.AbstractEventLoop | None:
    """The event loop a session was made on (``None`` when aiohttp no longer says)."""
    return getattr(session, "_loop", None)


def abandon_session(session: aiohttp.ClientSession) -> None:
    """Drop a session whose event loop has ended (it can no longer be closed properly).

    aiohttp's connector skips closing when its loop is closed; the sockets of its idle and
    acquired connections are closed here directly, so none is left for the garbage collector.
    """
    connector = session.connector
    session.detach()
    if connector is None:
        return
    protocols = [proto for idle in getattr(connector, "_conns", {}).values() for proto, _ in idle]
    protocols += list(getattr(connector, "_acquired", ()))
    for proto in protocols:
        transport = getattr(proto, "transport", None)
        sock = getattr(transport, "_sock", None)
        if sock is not None:
            sock.close()
            transport._sock = None  # type: ignore[union-attr]  # (its loop will never do it)
    try:
        connector._close()  # marks it closed; nothing is awaited
    except Exception:
        log().debug("closing a connector of an ended event loop failed", exc_info=True)
