"""Every aiohttp internal literllm relies on, in one place (and nowhere else).

aiohttp's public API leaves three needs uncovered; each is met here through a private
attribute, read defensively (a missing one degrades to the public behaviour, never to a
crash), and ``tests/test_aiohttp_internals.py`` checks each against the installed aiohttp
so that a release that moves one fails loudly there rather than quietly in production:

- ``StreamReader._buffer`` / ``_read_nowait_chunk``: the bytes a body received but nobody
  read yet, when the connection fails (``readany()`` raises before it returns them, in
  aiohttp 3.10-3.14, losing chunks that did arrive);
- ``ClientResponse.connection.protocol.closed``: the one signal that a connection died when
  aiohttp's parser rejected bytes after the headers without telling the body;
- ``ClientSession._loop``, ``TCPConnector._conns`` / ``_acquired`` / ``_close`` and a
  transport's ``_sock``: dropping a session whose event loop has ended, sockets closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._config import log

if TYPE_CHECKING:
    import asyncio

    import aiohttp

__all__ = [
    "abandon_session",
    "connection_closed",
    "connection_error",
    "session_loop",
    "take_unread",
]


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
