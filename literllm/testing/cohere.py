"""Cohere's v2 chat API as the local server speaks it (``POST /v2/chat``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._builders import ScriptedReply
from ._wire import split_sse_events, sse_event

__all__ = ["CohereWire"]

_FINISH = {"stop": "COMPLETE", "length": "MAX_TOKENS", "tool_calls": "TOOL_CALL",
           "content_filter": "ERROR"}


class CohereWire:
    """``Authorization: Bearer``; ``stream: true`` in the body; ``data: [DONE]`` at the end."""

    name = "cohere"
    stream = "CohereStream"
    content_type = "text/event-stream"

    def routes(self) -> list[str]:
        return ["/v2/chat"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("Authorization") == f"Bearer {api_key}"

    def auth_error(self) -> tuple[int, Any]:
        return 401, {"id": "local", "message": "invalid api token"}

    def request_error(self, message: str) -> Any:
        return {"id": "local-error", "message": message}

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return bool(payload.get("stream"))

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return str(payload.get("model", ""))

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or "messages" not in payload or "model" not in payload:
            return "model and messages are required"
        return None

    def _usage(self, reply: ScriptedReply) -> dict[str, Any]:
        tokens = {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens}
        return {"billed_units": dict(tokens), "tokens": tokens}

    def stream_body(self, reply: ScriptedReply) -> bytes:
        def event(obj: dict[str, Any]) -> bytes:
            return sse_event(obj, obj["type"])

        parts = [event({"id": reply.id, "type": "message-start", "delta": {"message": {
            "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [],
            "citations": []}}})]
        index = 0
        for kind, pieces in (("thinking", reply.reasoning), ("text", reply.text)):
            if not pieces:
                continue
            parts.append(event({"type": "content-start", "index": index, "delta": {
                "message": {"content": {"type": kind, kind: ""}}}}))
            parts += [event({"type": "content-delta", "index": index, "delta": {
                "message": {"content": {kind: piece}}}}) for piece in pieces]
            parts.append(event({"type": "content-end", "index": index}))
            index += 1
        for number, call in enumerate(reply.tool_calls):
            parts.append(event({"type": "tool-call-start", "index": number, "delta": {
                "message": {"tool_calls": {"id": call.id, "type": "function",
                                           "function": {"name": call.name, "arguments": ""}}}}}))
            parts += [event({"type": "tool-call-delta", "index": number, "delta": {
                "message": {"tool_calls": {"function": {"arguments": piece}}}}})
                for piece in call.arguments]
            parts.append(event({"type": "tool-call-end", "index": number}))
        parts.append(event({"type": "message-end", "delta": {
            "finish_reason": _FINISH[reply.finish_reason], "usage": self._usage(reply)}}))
        parts.append(b"data: [DONE]\n\n")
        return b"".join(parts)

    def completion(self, reply: ScriptedReply) -> Any:
        content: list[dict[str, Any]] = []
        if reply.reasoning:
            content.append({"type": "thinking", "thinking": reply.reasoning_text})
        if reply.text:
            content.append({"type": "text", "text": reply.content})
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments_text}}
                for c in reply.tool_calls
            ]
        return {"id": reply.id, "finish_reason": _FINISH[reply.finish_reason],
                "message": message, "usage": self._usage(reply)}

    def split_events(self, body: bytes) -> list[bytes]:
        return split_sse_events(body)

    def is_terminal(self, event: bytes) -> bool:
        return event.startswith(b"event: message-end")

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        # Cohere ends a failed generation with message-end, finish_reason ERROR and the error.
        return sse_event({"type": "message-end", "delta": {
            "finish_reason": "ERROR", "error": error.get("message", "")}}, "message-end")

    def malformed_event(self) -> bytes:
        return b'event: content-delta\ndata: {"type":"content-delta","index":0,"del\n\n'
