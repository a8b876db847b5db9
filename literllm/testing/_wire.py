"""What the local server needs of each provider's wire format (one module per provider)."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._builders import ScriptedReply

if TYPE_CHECKING:
    from ..providers import Provider

__all__ = [
    "WireFormat",
    "compact",
    "load_wire",
    "split_sse_events",
    "sse_event",
    "wire_of",
    "wires_of_registry",
]


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
    """One provider's side of the conversation, byte for byte.

    A provider's registry entry names its wire (``Provider.test_wire``); the local server
    answers every wire the registry names, and their ``variants()``. ``stream`` is the name
    of the stream adapter class its bodies are for: where a provider's adapter streams a
    model with another class (Claude on Vertex, OpenAI's Responses-only models), the variant
    whose ``stream`` it is answers that model. Optional: ``variants()`` (none by default) and
    ``base_path`` (what a client's ``base_url`` ends with, ``""`` by default).
    """

    name: str
    content_type: str
    stream: str

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


_LOADED: dict[str, WireFormat] = {}


def load_wire(path: str) -> WireFormat:
    """The wire a registry entry names (``module:Class``), built once."""
    wire = _LOADED.get(path)
    if wire is None:
        module, _, name = path.partition(":")
        wire = _LOADED[path] = getattr(importlib.import_module(module), name)()
    return wire


def _with_variants(wire: WireFormat) -> list[WireFormat]:
    variants = getattr(wire, "variants", None)
    return [wire, *(variants() if variants is not None else ())]


def wires_of_registry() -> dict[str, WireFormat]:
    """Every wire the provider registry names, and their variants, by name."""
    from ..providers import get_provider, provider_names

    found: dict[str, WireFormat] = {}
    for name in provider_names(builtin_order=True):
        for wire in _with_variants(load_wire(get_provider(name).test_wire)):
            found.setdefault(wire.name, wire)
    return found


def wire_of(provider: Provider, stream_class: str) -> WireFormat:
    """The wire that answers ``provider`` when its adapter streams with ``stream_class``."""
    wires = _with_variants(load_wire(provider.test_wire))
    for wire in wires:
        if getattr(wire, "stream", None) == stream_class:
            return wire
    return wires[0]
