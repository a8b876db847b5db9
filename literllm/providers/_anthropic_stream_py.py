"""Anthropic Messages SSE events to chunks, pure Python: the reference twin.

``_anthropic_stream_c`` builds the common event (a ``text_delta``) in C and hands every other
event to this twin's ``on_event``, so both give the same chunks and errors for every input.
Mapping rules: see ``anthropic.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import StreamTruncatedError
from ..types import ChatCompletionChunk, Delta, Usage
from ._base import SSETransport
from ._chunks import ChunkMaker, decode_json, malformed, string, tool_arguments, usage
from ._events import provider_error_event

__all__ = ["AnthropicStream", "anthropic_usage", "finish_reason", "prompt_tokens"]

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: str | None) -> str | None:
    """OpenAI's finish reason for an Anthropic stop reason (unknown ones kept as they are)."""
    if stop_reason is None:
        return None
    return _FINISH.get(stop_reason, stop_reason)


def prompt_tokens(start: Mapping[str, Any], update: Mapping[str, Any]) -> int:
    """Input tokens, cache writes and reads included (``update`` wins where it repeats)."""
    total = 0
    for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        value = update.get(name)
        if value is None:
            value = start.get(name)
        total += value or 0
    return total


def anthropic_usage(
    start: Mapping[str, Any], update: Mapping[str, Any], completion: int
) -> Usage:
    """``Usage`` from ``message_start``'s usage and a later one (``update`` wins): cache reads
    and writes counted in the prompt, and named in ``prompt_tokens_details``."""
    merged = {**start, **update}
    return usage(
        prompt_tokens(start, update),
        completion,
        merged,
        cached=merged.get("cache_read_input_tokens"),
        cache_write=merged.get("cache_creation_input_tokens"),
    )


_CLIENT_TOOL = 1
_OTHER = 0


class AnthropicStream:
    """Chunks from one Messages API SSE response."""

    __slots__ = (
        "_blocks", "_done", "_make", "_start_usage", "_stopped", "_thinking", "_thinking_blocks",
        "_tools", "_transport", "feed", "text_parts",
    )
    content_type = SSETransport.content_type

    def __init__(self, model: str) -> None:
        self._transport = SSETransport()
        self.feed = self._transport.feed
        self._make = ChunkMaker(model)
        self._done = False
        self._stopped = False
        self._start_usage: Mapping[str, Any] = {}
        # content block index -> [tool call index, initial input, any argument piece sent]
        self._blocks: dict[int, list[Any]] = {}
        self._tools = 0
        self.text_parts: list[str] = []
        # Thinking blocks as they build (index -> [thinking pieces, signature]), and in order:
        # a reply sent back with thinking on must carry them, signatures and all.
        self._thinking: dict[int, list[Any]] = {}
        self._thinking_blocks: list[Any] = []

    @property
    def done(self) -> bool:
        """``message_stop`` has arrived."""
        return self._done

    @property
    def message_raw(self) -> dict[str, Any]:
        """What the reply's ``Message.raw`` needs to go back as a turn, as ``chat()``'s has:
        its thinking blocks (text and signature, or redacted data), in order."""
        blocks = []
        for block in self._thinking_blocks:
            if isinstance(block, list):  # [pieces, signature]
                blocks.append({"type": "thinking", "thinking": "".join(block[0]),
                               "signature": block[1]})
            else:
                blocks.append(block)
        return {"thinking_blocks": blocks} if blocks else {}

    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        data = event[1]
        obj = decode_json(data)
        try:
            kind = obj["type"]
            if kind == "content_block_delta":
                delta = obj["delta"]
                delta_type = delta["type"]
                if delta_type == "text_delta":
                    text = string(delta["text"])
                    self.text_parts.append(text)
                    return self._make.content(text, obj)
                if delta_type == "thinking_delta":
                    thinking = string(delta["thinking"])
                    self._thinking_block(obj["index"])[0].append(thinking)
                    return self._make.delta(Delta(None, None, None, None, thinking, delta), obj)
                if delta_type == "signature_delta":
                    self._thinking_block(obj["index"])[1] = string(delta["signature"])
                if delta_type == "input_json_delta":
                    block = self._blocks.get(obj["index"])
                    piece = delta["partial_json"]
                    if block is None or not piece:
                        return None  # a server tool's input, or an empty piece
                    block[2] = True
                    return self._make.tool_call(block[0], obj, arguments=piece)
                # signature_delta, citations_delta, ...: reachable in delta.extra
                return self._make.delta(Delta(None, None, None, None, None, delta), obj)
            return self._other(kind, obj, data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise malformed(data, exc) from exc

    def _thinking_block(self, index: Any) -> list[Any]:
        block = self._thinking.get(index)
        if block is None:
            block = self._thinking[index] = [[], None]
            self._thinking_blocks.append(block)
        return block

    def _other(self, kind: str, obj: dict[str, Any], data: bytes) -> ChatCompletionChunk | None:
        make = self._make
        if kind == "ping":
            return None
        if kind == "message_start":
            message = obj["message"]
            make.id = message.get("id") or ""
            make.model = message.get("model") or make.model
            self._start_usage = message.get("usage") or {}
            return make.delta(Delta("assistant", "", None, None, None, message), obj)
        if kind == "content_block_start":
            block = obj["content_block"]
            block_type = block.get("type")
            if block_type == "tool_use":
                index = self._tools
                self._tools += 1
                self._blocks[obj["index"]] = [index, block.get("input"), False]
                return make.tool_call(
                    index, obj, call_id=block.get("id") or "", name=block.get("name") or "",
                    arguments="",
                )
            if block_type == "thinking":
                self._thinking_block(obj["index"])
                return None
            if block_type == "redacted_thinking":
                self._thinking_blocks.append(dict(block))
                return None
            if block_type == "text" and block.get("text"):
                text = string(block["text"])
                self.text_parts.append(text)
                return make.content(text, obj)
            return None
        if kind == "content_block_stop":
            block = self._blocks.get(obj["index"])
            if block is not None and not block[2]:
                # No input_json_delta carried anything: the input is the block's initial one.
                block[2] = True
                return make.tool_call(block[0], obj, arguments=tool_arguments(block[1] or {}))
            return None
        if kind == "message_delta":
            stop = (obj.get("delta") or {}).get("stop_reason")
            raw_usage = obj.get("usage") or {}
            self._stopped = True
            chunk_usage = anthropic_usage(
                self._start_usage, raw_usage, raw_usage.get("output_tokens") or 0
            )
            return make.delta(
                Delta(None, None, None, None, None, obj.get("delta")), obj,
                finish_reason=finish_reason(stop), usage=chunk_usage,
            )
        if kind == "message_stop":
            self._done = True
            return None
        if kind == "error":
            raise provider_error_event(obj.get("error", obj), data)
        return None  # an event type newer than this adapter

    def finish(self) -> None:
        """The body ended: complete only after ``message_stop``."""
        self._transport.check_end(self._done)
        if not self._done:
            where = "after message_delta" if self._stopped else "before its stop reason"
            raise StreamTruncatedError(f"stream ended before message_stop ({where})")
