"""Cohere v2 chat SSE events to chunks, pure Python: the reference twin.

``_cohere_stream_c`` builds the common event (a ``content-delta`` with text) in C and hands
every other event to this twin's ``on_event``, so both give the same chunks and errors for
every input. Mapping rules: see ``cohere.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ProviderStreamError, StreamTruncatedError
from ..types import ChatCompletionChunk, Delta, Usage
from ._base import SSETransport
from ._chunks import ChunkMaker, decode_json, malformed, optional_string, usage
from ._events import DONE

__all__ = ["CohereStream", "cohere_usage", "finish_reason"]

_FINISH = {"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length",
           "TOOL_CALL": "tool_calls"}


def finish_reason(value: str | None) -> str | None:
    if value is None:
        return None
    return _FINISH.get(value, value.lower())


def cohere_usage(raw: Mapping[str, Any]) -> Usage:
    tokens = raw.get("tokens") or raw.get("billed_units") or {}
    return usage(int(tokens.get("input_tokens") or 0), int(tokens.get("output_tokens") or 0), raw)


class CohereStream:
    """Chunks from one v2 chat SSE response."""

    __slots__ = ("_done", "_make", "_tools", "_transport", "feed", "text_parts")
    content_type = SSETransport.content_type

    def __init__(self, model: str) -> None:
        self._transport = SSETransport()
        self.feed = self._transport.feed
        self._make = ChunkMaker(model)
        self._done = False
        self._tools: dict[int, int] = {}  # Cohere's tool call index -> ours
        self.text_parts: list[str] = []

    @property
    def done(self) -> bool:
        """``message-end`` has arrived."""
        return self._done

    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        data = event[1]
        if data == DONE:
            return None
        obj = decode_json(data)
        try:
            kind = obj["type"]
            make = self._make
            if kind == "content-delta":
                content = obj["delta"]["message"]["content"]
                text = optional_string(content.get("text"))
                if text is not None:
                    self.text_parts.append(text)
                    return make.content(text, obj)
                return make.delta(
                    Delta(None, None, None, None, optional_string(content.get("thinking")),
                          content),
                    obj,
                )
            if kind == "tool-plan-delta":
                plan = obj["delta"]["message"]
                return make.delta(Delta(None, None, None, None, None, plan), obj)
            if kind == "tool-call-start":
                call = obj["delta"]["message"]["tool_calls"]
                index = self._tools.setdefault(obj.get("index", len(self._tools)), len(self._tools))
                function = call.get("function") or {}
                return make.tool_call(index, obj, call_id=call.get("id") or "",
                                      name=function.get("name") or "",
                                      arguments=function.get("arguments") or "")
            if kind == "tool-call-delta":
                index = self._tools[obj.get("index", 0)]
                piece = obj["delta"]["message"]["tool_calls"]["function"].get("arguments")
                return make.tool_call(index, obj, arguments=piece) if piece else None
            if kind == "message-start":
                make.id = obj.get("id") or ""
                return make.delta(Delta("assistant", "", None, None, None, obj), obj)
            if kind == "message-end":
                delta = obj.get("delta") or {}
                reason = delta.get("finish_reason")
                if reason == "ERROR" or delta.get("error"):
                    raise ProviderStreamError(
                        f"provider error inside the stream: {delta.get('error') or reason}",
                        body=delta,
                    )
                self._done = True
                raw_usage = delta.get("usage")
                return make.delta(Delta(None, None, None, None, None, delta), obj,
                                  finish_reason=finish_reason(reason),
                                  usage=cohere_usage(raw_usage) if raw_usage else None)
            return None  # content-start/-end, tool-call-end, citations, newer events
        except (KeyError, TypeError, AttributeError) as exc:
            raise malformed(data, exc) from exc

    def finish(self) -> None:
        """The body ended: complete only after ``message-end``."""
        self._transport.check_end(self._done)
        if not self._done:
            raise StreamTruncatedError("stream ended before message-end")
