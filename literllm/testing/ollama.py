"""Ollama's native ``/api/chat`` as the local server speaks it: NDJSON, one object a line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._builders import ScriptedReply
from ._wire import compact

__all__ = ["OllamaWire"]

_DONE_REASON = {"stop": "stop", "length": "length", "tool_calls": "stop",
                "content_filter": "stop"}


def _line(obj: Any) -> bytes:
    return compact(obj) + b"\n"


class OllamaWire:
    """``POST /api/chat``; no key by default (a Bearer token when the server has one)."""

    name = "ollama"
    stream = "OllamaStream"
    content_type = "application/x-ndjson"

    def routes(self) -> list[str]:
        return ["/api/chat"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("Authorization") == f"Bearer {api_key}"

    def auth_error(self) -> tuple[int, Any]:
        return 401, {"error": "unauthorized"}

    def request_error(self, message: str) -> Any:
        return {"error": message}

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return payload.get("stream", True) is not False  # Ollama streams unless told not to

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return str(payload.get("model", ""))

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or not payload.get("model"):
            return "model is required"
        if not isinstance(payload.get("messages"), list):
            return "messages is required"
        return None

    def _head(self, reply: ScriptedReply) -> dict[str, Any]:
        return {"model": reply.model, "created_at": "2026-12-05T00:00:00Z"}

    def _done(self, reply: ScriptedReply) -> dict[str, Any]:
        return {"done": True, "done_reason": _DONE_REASON[reply.finish_reason],
                "total_duration": 1200000, "prompt_eval_count": reply.prompt_tokens,
                "eval_count": reply.completion_tokens}

    def _calls(self, reply: ScriptedReply) -> list[dict[str, Any]]:
        return [{"id": call.id, "function": {"name": call.name,
                                              "arguments": json.loads(call.arguments_text or "{}")}}
                for call in reply.tool_calls]

    def stream_body(self, reply: ScriptedReply) -> bytes:
        lines = []
        for piece in reply.reasoning:
            lines.append({**self._head(reply), "message": {"role": "assistant", "content": "",
                                                          "thinking": piece}, "done": False})
        for piece in reply.text:
            lines.append({**self._head(reply), "message": {"role": "assistant",
                                                          "content": piece}, "done": False})
        if reply.tool_calls:
            lines.append({**self._head(reply), "message": {
                "role": "assistant", "content": "", "tool_calls": self._calls(reply)},
                "done": False})
        lines.append({**self._head(reply), "message": {"role": "assistant", "content": ""},
                      **self._done(reply)})
        return b"".join(_line(line) for line in lines)

    def completion(self, reply: ScriptedReply) -> Any:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.reasoning:
            message["thinking"] = reply.reasoning_text
        if reply.tool_calls:
            message["tool_calls"] = self._calls(reply)
        return {**self._head(reply), "message": message, **self._done(reply)}

    def split_events(self, body: bytes) -> list[bytes]:
        return [line + b"\n" for line in body.split(b"\n") if line]

    def is_terminal(self, event: bytes) -> bool:
        return b'"done":true' in event

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        return _line({"error": error.get("message", "")})

    def malformed_event(self) -> bytes:
        return b'{"message":{"role":"assistant","content":"x\n'
