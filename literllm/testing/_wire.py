"""What the local server needs of each provider's wire format (one module per provider)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from ._builders import ScriptedReply

__all__ = ["WireFormat", "compact", "split_sse_events", "sse_event"]


def compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def sse_event(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + compact(data) + b"\n\n"


def split_sse_events(body: bytes) -> list[bytes]:
    """An SSE body's events, each keeping its blank-line terminator."""
    events = re.split(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)", body)
    return [e for e in events if e]


class WireFormat(Protocol):
    """One provider's side of the conversation, byte for byte."""

    name: str
    content_type: str

    def routes(self) -> list[str]:
        """The POST paths it answers (aiohttp patterns)."""
        ...

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool: ...

    def auth_error(self) -> tuple[int, Any]: ...

    def request_error(self, message: str) -> Any:
        """The provider's 400 body for a request it refuses, saying ``message``."""
        ...

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool: ...

    def model(self, match: Mapping[str, str], payload: Any) -> str: ...

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        """Why this is not a chat request of this format (answered with a 400), or None."""
        ...

    def stream_body(self, reply: ScriptedReply) -> bytes: ...

    def completion(self, reply: ScriptedReply) -> Any: ...

    def split_events(self, body: bytes) -> list[bytes]: ...

    def is_terminal(self, event: bytes) -> bool:
        """The event after which the stream is complete (left out by ``Fault(no_done=True)``)."""
        ...

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        """The provider's mid-stream error carrying ``Fault.error_object``."""
        ...

    def malformed_event(self) -> bytes: ...
