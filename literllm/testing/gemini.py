"""Gemini (AI Studio) and Vertex AI ``generateContent`` as the local server speaks them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._builders import ScriptedReply
from ._wire import WireFormat, compact, split_sse_events
from .anthropic import AnthropicWire

__all__ = ["GeminiWire", "VertexClaudeWire", "VertexWire"]

_FINISH = {"stop": "STOP", "tool_calls": "STOP", "length": "MAX_TOKENS",
           "content_filter": "SAFETY"}
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_ERROR_CODES = {"server_error": 500, "rate_limit_exceeded": 429, "rate_limit_error": 429,
                "overloaded_error": 503, "invalid_request_error": 400}


def _event(obj: Any) -> bytes:
    return b"data: " + compact(obj) + b"\r\n\r\n"  # Gemini frames its SSE with CRLF


class GeminiWire:
    """``POST /v1beta/models/{model}:streamGenerateContent?alt=sse``, ``x-goog-api-key``."""

    name = "gemini"
    stream = "GeminiStream"
    content_type = "text/event-stream"

    def routes(self) -> list[str]:
        return ["/v1beta/models/{model_action}"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("x-goog-api-key") == api_key

    def auth_error(self) -> tuple[int, Any]:
        return 400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid "
                               "API key.", "status": "INVALID_ARGUMENT"}}

    def request_error(self, message: str) -> Any:
        return {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return path.endswith(":streamGenerateContent")

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return match.get("model_action", "").partition(":")[0]

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or "contents" not in payload:
            return "contents is required"
        return None

    def _usage(self, reply: ScriptedReply) -> dict[str, Any]:
        # promptTokenCount includes the cached part; candidates exclude the thoughts.
        usage = {"promptTokenCount": reply.prompt_tokens,
                 "candidatesTokenCount": reply.completion_tokens - reply.reasoning_tokens,
                 "totalTokenCount": reply.prompt_tokens + reply.completion_tokens}
        if reply.cached_tokens:
            usage["cachedContentTokenCount"] = reply.cached_tokens
        if reply.reasoning_tokens:
            usage["thoughtsTokenCount"] = reply.reasoning_tokens
        return usage

    def _parts(self, reply: ScriptedReply) -> list[list[dict[str, Any]]]:
        parts: list[list[dict[str, Any]]] = [
            [{"text": piece, "thought": True}] for piece in reply.reasoning
        ]
        parts += [[{"text": piece}] for piece in reply.text]
        # Thinking models sign their function calls; the signature must come back with them.
        calls = [{"functionCall": {"name": c.name, "args": json.loads(c.arguments_text or "{}")},
                  "thoughtSignature": reply.signature} for c in reply.tool_calls]
        if calls:
            parts.append(calls)
        return parts or [[{"text": ""}]]

    def stream_body(self, reply: ScriptedReply) -> bytes:
        chunks = self._parts(reply)
        events = []
        for number, parts in enumerate(chunks):
            candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
            obj: dict[str, Any] = {"candidates": [candidate]}
            if number == len(chunks) - 1:
                candidate["finishReason"] = _FINISH[reply.finish_reason]
                obj["usageMetadata"] = self._usage(reply)
            else:
                obj["usageMetadata"] = {"promptTokenCount": reply.prompt_tokens,
                                        "totalTokenCount": reply.prompt_tokens}
            obj["modelVersion"] = reply.model
            obj["responseId"] = reply.id
            events.append(_event(obj))
        return b"".join(events)

    def completion(self, reply: ScriptedReply) -> Any:
        parts: list[dict[str, Any]] = []
        if reply.reasoning:
            parts.append({"text": reply.reasoning_text, "thought": True})
        if reply.text:
            parts.append({"text": reply.content})
        parts += [{"functionCall": {"name": c.name, "args": json.loads(c.arguments_text or "{}")},
                   "thoughtSignature": reply.signature} for c in reply.tool_calls]
        return {"candidates": [{"content": {"parts": parts, "role": "model"},
                                "finishReason": _FINISH[reply.finish_reason], "index": 0}],
                "usageMetadata": self._usage(reply), "modelVersion": reply.model,
                "responseId": reply.id}

    def split_events(self, body: bytes) -> list[bytes]:
        return split_sse_events(body)

    def is_terminal(self, event: bytes) -> bool:
        return b'"finishReason"' in event

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        code = error.get("code")
        if not isinstance(code, int):
            code = _ERROR_CODES.get(str(error.get("type")), 500)
        return _event({"error": {"code": code, "message": error.get("message", ""),
                                 "status": _STATUS.get(code, "UNKNOWN")}})

    def malformed_event(self) -> bytes:
        return b'data: {"candidates": [{"content": \r\n\r\n'


class VertexWire(GeminiWire):
    """``POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:...``, Bearer."""

    name = "vertex_ai"

    def variants(self) -> list[WireFormat]:
        """Claude on Vertex: Anthropic's events from ``streamRawPredict``."""
        return [VertexClaudeWire()]

    def routes(self) -> list[str]:
        return ["/v1/projects/{project}/locations/{location}/publishers/google/models/"
                "{model_action}"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("Authorization") == f"Bearer {api_key}"

    def auth_error(self) -> tuple[int, Any]:
        return 401, {"error": {"code": 401, "message": "Request had invalid authentication "
                               "credentials.", "status": "UNAUTHENTICATED"}}


class VertexClaudeWire(AnthropicWire):
    """Claude on Vertex AI: ``.../publishers/anthropic/models/{model}:streamRawPredict``,
    Bearer, Anthropic's events; the body carries ``anthropic_version`` and no ``model``."""

    name = "vertex_ai_claude"

    def routes(self) -> list[str]:
        return ["/v1/projects/{project}/locations/{location}/publishers/anthropic/models/"
                "{model_action}"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("Authorization") == f"Bearer {api_key}"

    def auth_error(self) -> tuple[int, Any]:
        return VertexWire().auth_error()

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return path.endswith(":streamRawPredict")

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return match.get("model_action", "").partition(":")[0]

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if isinstance(payload, dict) and "model" in payload:
            return "model: Extra inputs are not permitted (the URL names the model)"
        if not isinstance(payload, dict) or payload.get("anthropic_version") != (
            "vertex-2023-10-16"
        ):
            return "anthropic_version: must be vertex-2023-10-16"
        return super().problem(query, payload)
