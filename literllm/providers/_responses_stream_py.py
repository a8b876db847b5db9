"""OpenAI Responses API SSE events to chunks, pure Python: the reference twin.

``_responses_stream_c`` builds the common event (``response.output_text.delta``) in C and
hands every other event to this twin's ``on_event``, so both give the same chunks and errors
for every input. Mapping rules: see ``responses.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import StreamTruncatedError
from ..types import ChatCompletionChunk, Delta
from ._base import SSETransport
from ._chunks import ChunkMaker, decode_json, malformed, string, usage
from ._events import provider_error_event

__all__ = ["ResponsesStream", "finish_reason", "responses_usage"]

_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def responses_usage(raw: Any) -> Any:
    if not isinstance(raw, Mapping):
        return None
    cached = (raw.get("input_tokens_details") or {}).get("cached_tokens")
    reasoning = (raw.get("output_tokens_details") or {}).get("reasoning_tokens")
    return usage(int(raw.get("input_tokens") or 0), int(raw.get("output_tokens") or 0), raw,
                 cached=cached, reasoning=reasoning, total=raw.get("total_tokens"))


def finish_reason(response: Mapping[str, Any], calls: bool) -> str:
    if response.get("status") == "incomplete":
        reason = str((response.get("incomplete_details") or {}).get("reason") or "length")
        return _INCOMPLETE.get(reason, reason)
    return "tool_calls" if calls else "stop"


class ResponsesStream:
    """Chunks from one Responses API SSE response."""

    __slots__ = ("_calls", "_done", "_make", "_reasoning_items", "_transport", "feed",
                 "text_parts")
    content_type = SSETransport.content_type

    def __init__(self, model: str) -> None:
        self._transport = SSETransport()
        self.feed = self._transport.feed
        self._make = ChunkMaker(model)
        self._done = False
        # output index -> [tool call index, any argument piece sent]
        self._calls: dict[int, list[Any]] = {}
        self._reasoning_items: list[dict[str, Any]] = []
        self.text_parts: list[str] = []

    @property
    def done(self) -> bool:
        """A terminal event (``response.completed`` or ``response.incomplete``) arrived."""
        return self._done

    @property
    def message_raw(self) -> dict[str, Any]:
        """The reasoning items a reply must carry when it goes back as the next turn."""
        return {"reasoning_items": list(self._reasoning_items)} if self._reasoning_items else {}

    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        data = event[1]
        obj = decode_json(data)
        try:
            kind = obj["type"]
            if kind == "response.output_text.delta":
                text = string(obj["delta"])
                if not text:
                    return None
                self.text_parts.append(text)
                return self._make.content(text, obj)
            return self._other(kind, obj, data)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise malformed(data, exc) from exc

    def _other(self, kind: str, obj: dict[str, Any], data: bytes) -> ChatCompletionChunk | None:
        make = self._make
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            piece = string(obj["delta"])
            return make.delta(Delta(None, None, None, None, piece, obj), obj) if piece else None
        if kind == "response.function_call_arguments.delta":
            call = self._calls.get(obj["output_index"])
            piece = string(obj["delta"])
            if call is None or not piece:
                return None
            call[1] = True
            return make.tool_call(call[0], obj, arguments=piece)
        if kind == "response.output_item.added":
            item = obj["item"]
            if item.get("type") != "function_call":
                return None
            index = len(self._calls)
            self._calls[obj["output_index"]] = [index, bool(item.get("arguments"))]
            return make.tool_call(index, obj, call_id=string(item["call_id"]),
                                  name=string(item["name"]), arguments=item.get("arguments") or "")
        if kind in ("response.function_call_arguments.done", "response.output_item.done"):
            return self._item_done(kind, obj)
        if kind == "response.refusal.delta":
            piece = string(obj["delta"])
            return make.delta(Delta(None, None, None, piece, None, obj), obj)
        if kind == "response.created":
            response = obj["response"]
            make.id = string(response.get("id") or "")
            make.model = response.get("model") or make.model
            make.created = int(response.get("created_at") or make.created)
            return make.delta(Delta("assistant", "", None, None, None, obj), obj)
        if kind in ("response.completed", "response.incomplete"):
            response = obj["response"]
            self._done = True
            return make.delta(
                Delta(None, None, None, None, None, obj), obj,
                finish_reason=finish_reason(response, bool(self._calls)),
                usage=responses_usage(response.get("usage")),
            )
        if kind == "response.failed":
            response = obj["response"]
            raise provider_error_event(response.get("error") or {}, data)
        if kind == "error":
            raise provider_error_event(obj.get("error", obj), data)
        return None  # in_progress, content parts, ...: nothing to deliver

    def _item_done(self, kind: str, obj: dict[str, Any]) -> ChatCompletionChunk | None:
        item = obj.get("item") or obj
        if kind == "response.output_item.done" and item.get("type") == "reasoning":
            self._reasoning_items.append(item)
            return None
        call = self._calls.get(obj["output_index"])
        if call is None or call[1]:
            return None
        # No argument delta came: the whole arguments are on the done event.
        call[1] = True
        arguments = item.get("arguments")
        if arguments is None:
            return None
        return self._make.tool_call(call[0], obj, arguments=string(arguments))

    def finish(self) -> None:
        """The body ended: complete only after ``response.completed`` (or ``.incomplete``)."""
        self._transport.check_end(self._done)
        if not self._done:
            raise StreamTruncatedError("stream ended before response.completed")
