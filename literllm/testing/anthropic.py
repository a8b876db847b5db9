"""Anthropic's Messages API as the local server speaks it (``POST /v1/messages``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._builders import ScriptedReply
from ._wire import split_sse_events, sse_event

__all__ = ["AnthropicWire"]

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
         "content_filter": "refusal"}


def _block_events(index: int, block: dict[str, Any], deltas: list[dict[str, Any]]) -> bytes:
    events = [sse_event({"type": "content_block_start", "index": index, "content_block": block},
                        "content_block_start")]
    events += [sse_event({"type": "content_block_delta", "index": index, "delta": delta},
                         "content_block_delta") for delta in deltas]
    events.append(sse_event({"type": "content_block_stop", "index": index}, "content_block_stop"))
    return b"".join(events)


class AnthropicWire:
    """The key and ``anthropic-version`` checked; events named as their ``type``."""

    name = "anthropic"
    stream = "AnthropicStream"
    content_type = "text/event-stream; charset=utf-8"

    def routes(self) -> list[str]:
        return ["/v1/messages"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        # The API takes the key in x-api-key, or as a bearer token (as newer SDKs send it).
        key_sent = headers.get("x-api-key") == api_key or (
            headers.get("Authorization") == f"Bearer {api_key}"
        )
        return key_sent and bool(headers.get("anthropic-version"))

    def auth_error(self) -> tuple[int, Any]:
        return 401, {"type": "error", "error": {"type": "authentication_error",
                                                "message": "invalid x-api-key"}}

    def request_error(self, message: str) -> Any:
        return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return bool(payload.get("stream"))

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return str(payload.get("model", ""))

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or "messages" not in payload:
            return "messages: Field required"
        if "max_tokens" not in payload:
            return "max_tokens: Field required"
        return None

    def _usage(self, reply: ScriptedReply) -> dict[str, Any]:
        # Anthropic counts cache reads and writes apart from input_tokens.
        return {"input_tokens": reply.prompt_tokens - reply.cached_tokens
                - reply.cache_write_tokens,
                "cache_creation_input_tokens": reply.cache_write_tokens,
                "cache_read_input_tokens": reply.cached_tokens,
                "output_tokens": reply.completion_tokens}

    def stream_body(self, reply: ScriptedReply) -> bytes:
        start = {"type": "message_start", "message": {
            "id": reply.id, "type": "message", "role": "assistant", "model": reply.model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {**self._usage(reply), "output_tokens": 1}}}
        parts = [sse_event(start, "message_start"), sse_event({"type": "ping"}, "ping")]
        index = 0
        if reply.reasoning:
            deltas = [{"type": "thinking_delta", "thinking": p} for p in reply.reasoning]
            deltas.append({"type": "signature_delta", "signature": reply.signature})
            parts.append(_block_events(index, {"type": "thinking", "thinking": ""}, deltas))
            index += 1
        if reply.text:
            deltas = [{"type": "text_delta", "text": piece} for piece in reply.text]
            parts.append(_block_events(index, {"type": "text", "text": ""}, deltas))
            index += 1
        for call in reply.tool_calls:
            deltas = [{"type": "input_json_delta", "partial_json": ""}]
            deltas += [{"type": "input_json_delta", "partial_json": p} for p in call.arguments]
            block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
            parts.append(_block_events(index, block, deltas))
            index += 1
        parts.append(sse_event({"type": "message_delta", "delta": {
            "stop_reason": _STOP[reply.finish_reason], "stop_sequence": None},
            "usage": {"output_tokens": reply.completion_tokens}}, "message_delta"))
        parts.append(sse_event({"type": "message_stop"}, "message_stop"))
        return b"".join(parts)

    def completion(self, reply: ScriptedReply) -> Any:
        content: list[dict[str, Any]] = []
        if reply.reasoning:
            content.append({"type": "thinking", "thinking": reply.reasoning_text,
                            "signature": reply.signature})
        if reply.text:
            content.append({"type": "text", "text": reply.content})
        content += [{"type": "tool_use", "id": c.id, "name": c.name,
                     "input": json.loads(c.arguments_text or "{}")} for c in reply.tool_calls]
        return {"id": reply.id, "type": "message", "role": "assistant", "model": reply.model,
                "content": content, "stop_reason": _STOP[reply.finish_reason],
                "stop_sequence": None, "usage": self._usage(reply)}

    def split_events(self, body: bytes) -> list[bytes]:
        return split_sse_events(body)

    def is_terminal(self, event: bytes) -> bool:
        return event.startswith(b"event: message_stop")

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        return sse_event({"type": "error", "error": dict(error)}, "error")

    def malformed_event(self) -> bytes:
        return b'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'
