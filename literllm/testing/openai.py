"""OpenAI chat completions (and Azure OpenAI) as the local server speaks them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._builders import ScriptedReply
from ._wire import WireFormat, compact, split_sse_events

__all__ = ["AzureWire", "OpenAIWire", "reply_chunks"]

_AUTH_ERROR = {
    "error": {
        "message": "Incorrect API key provided.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}


def reply_chunks(reply: ScriptedReply) -> list[dict[str, Any]]:
    """The chunk objects OpenAI streams for ``reply`` (role, reasoning, text, calls, usage)."""
    base = {"id": reply.id, "object": "chat.completion.chunk", "created": 1782955818,
            "model": reply.model, "system_fingerprint": "fp_local"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                     "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
    chunks += [chunk({"reasoning_content": piece}) for piece in reply.reasoning]
    chunks += [chunk({"content": piece}) for piece in reply.text]
    for index, call in enumerate(reply.tool_calls):
        chunks.append(chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                             "function": {"name": call.name, "arguments": ""}}]}))
        chunks += [chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                   for piece in call.arguments]
    chunks.append(chunk({}, reply.finish_reason))
    usage: dict[str, Any] = {
        "prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens}
    if reply.cached_tokens:
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
    if reply.reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
    chunks.append({**base, "choices": [], "usage": usage})
    return chunks


def sse_body(objects: Any, *, done: bool = True) -> bytes:
    """An SSE body of ``data:`` events, one per JSON object, then ``data: [DONE]``."""
    parts = [b"data: " + compact(o) + b"\n\n" for o in objects]
    if done:
        parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def completion_from_stream(body: bytes) -> dict[str, Any]:
    """The non-streaming reply equivalent to a streamed body: content, reasoning, tool calls
    (merged by index, arguments joined), finish reason and usage of choice 0."""
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    first: dict[str, Any] = {}
    finish = None
    usage = None
    for event in split_sse_events(body):
        data = event.strip()[len(b"data: ") :]
        if data == b"[DONE]":
            continue
        obj = json.loads(data)
        first = first or obj
        usage = obj.get("usage") or usage
        for choice in obj.get("choices", ()):
            delta = choice.get("delta") or {}
            content.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            for call in delta.get("tool_calls") or ():
                entry = calls.setdefault(
                    call.get("index", 0),
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                entry["id"] = entry["id"] or call.get("id") or ""
                function = call.get("function") or {}
                entry["function"]["name"] += function.get("name") or ""
                entry["function"]["arguments"] += function.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content) or None}
    if any(reasoning):
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = [calls[index] for index in sorted(calls)]
    message["refusal"] = None
    return {
        "id": first.get("id", "chatcmpl-local"),
        "object": "chat.completion",
        "created": first.get("created", 0),
        "model": first.get("model", "local"),
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish or "stop"}
        ],
        "usage": usage,
        "system_fingerprint": first.get("system_fingerprint"),
    }


class OpenAIWire:
    """``POST /v1/chat/completions``, ``Authorization: Bearer``."""

    name = "openai"
    content_type = "text/event-stream; charset=utf-8"
    stream = "OpenAIChatStream"  # the stream adapter its bodies are for

    def variants(self) -> list[WireFormat]:
        """The other wires this provider's models may be answered in (OpenAI's
        Responses-only models)."""
        from .openai_responses import ResponsesWire

        return [ResponsesWire()]
    base_path = "/v1"  # what a client's base_url ends with (the paths hang under it)

    def routes(self) -> list[str]:
        return ["/v1/chat/completions"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("Authorization") == f"Bearer {api_key}"

    def auth_error(self) -> tuple[int, Any]:
        return 401, _AUTH_ERROR

    def request_error(self, message: str) -> Any:
        return {"error": {"message": message, "type": "invalid_request_error", "param": None,
                          "code": None}}

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return bool(payload.get("stream"))

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return str(payload.get("model", ""))

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or "messages" not in payload:
            return "messages is required"
        return None

    def stream_body(self, reply: ScriptedReply) -> bytes:
        return sse_body(reply_chunks(reply))

    def completion(self, reply: ScriptedReply) -> Any:
        return completion_from_stream(self.stream_body(reply))

    def split_events(self, body: bytes) -> list[bytes]:
        return split_sse_events(body)

    def is_terminal(self, event: bytes) -> bool:
        return event.startswith(b"data: [DONE]")

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        return b"data: " + json.dumps({"error": error}).encode() + b"\n\n"

    def malformed_event(self) -> bytes:
        return b'data: {"id": "broken", "choices": [\n\n'


class AzureWire(OpenAIWire):
    """``POST /openai/deployments/{deployment}/chat/completions?api-version=``, ``api-key``."""

    name = "azure"
    base_path = ""

    def routes(self) -> list[str]:
        return ["/openai/deployments/{deployment}/chat/completions"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("api-key") == api_key

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return match.get("deployment", "")

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if "api-version" not in query:
            return "api-version query parameter is required"
        return super().problem(query, payload)
