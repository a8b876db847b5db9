"""OpenAI's Responses API (and Azure's) as the local server speaks it: typed SSE events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._builders import ScriptedReply
from ._wire import split_sse_events, sse_event

__all__ = ["AzureResponsesWire", "ResponsesWire"]

_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


def _item_events(index: int, added: dict[str, Any], deltas: list[dict[str, Any]],
                 done: dict[str, Any]) -> list[bytes]:
    events = [sse_event({"type": "response.output_item.added", "output_index": index,
                         "item": added}, "response.output_item.added")]
    events += [sse_event({"output_index": index, "item_id": added["id"], **delta},
                         delta["type"]) for delta in deltas]
    events.append(sse_event({"type": "response.output_item.done", "output_index": index,
                             "item": done}, "response.output_item.done"))
    return events


class ResponsesWire:
    """``POST /v1/responses``, ``Authorization: Bearer``; events named as their ``type``."""

    name = "openai_responses"
    content_type = "text/event-stream; charset=utf-8"
    stream = "ResponsesStream"
    base_path = "/v1"

    def routes(self) -> list[str]:
        return ["/v1/responses"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("Authorization") == f"Bearer {api_key}"

    def auth_error(self) -> tuple[int, Any]:
        return 401, {"error": {"message": "Incorrect API key provided.",
                               "type": "invalid_request_error", "param": None,
                               "code": "invalid_api_key"}}

    def request_error(self, message: str) -> Any:
        return {"error": {"message": message, "type": "invalid_request_error", "param": None,
                          "code": None}}

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return bool(payload.get("stream"))

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return str(payload.get("model", ""))

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or not payload.get("model"):
            return "Missing required parameter: 'model'."
        if "messages" in payload:
            return "Unsupported parameter: 'messages'. In the Responses API, use 'input'."
        return None

    def _response(self, reply: ScriptedReply, status: str, output: list[Any]) -> dict[str, Any]:
        usage = None
        if status != "in_progress":
            usage = {"input_tokens": reply.prompt_tokens,
                     "input_tokens_details": {"cached_tokens": reply.cached_tokens},
                     "output_tokens": reply.completion_tokens,
                     "output_tokens_details": {"reasoning_tokens": reply.reasoning_tokens},
                     "total_tokens": reply.prompt_tokens + reply.completion_tokens}
        incomplete = None
        if status == "incomplete":
            incomplete = {"reason": _INCOMPLETE[reply.finish_reason]}
        return {"id": f"resp_{reply.id}", "object": "response", "created_at": 1782955818,
                "status": status, "error": None, "incomplete_details": incomplete,
                "model": reply.model, "output": output, "usage": usage}

    def _status(self, reply: ScriptedReply) -> str:
        return "incomplete" if reply.finish_reason in _INCOMPLETE else "completed"

    def _items(self, reply: ScriptedReply) -> list[tuple[dict[str, Any], list[dict[str, Any]],
                                                         dict[str, Any]]]:
        """Each output item as (added, deltas, done)."""
        items: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]] = []
        if reply.reasoning:
            summary = [{"type": "summary_text", "text": reply.reasoning_text}]
            items.append((
                {"id": "rs_local", "type": "reasoning", "summary": []},
                [{"type": "response.reasoning_summary_text.delta", "summary_index": 0,
                  "delta": piece} for piece in reply.reasoning],
                {"id": "rs_local", "type": "reasoning", "summary": summary,
                 "encrypted_content": reply.signature},
            ))
        if reply.text:
            items.append((
                {"id": "msg_local", "type": "message", "status": "in_progress",
                 "role": "assistant", "content": []},
                [{"type": "response.output_text.delta", "content_index": 0, "delta": piece,
                  "logprobs": []} for piece in reply.text],
                {"id": "msg_local", "type": "message", "status": "completed",
                 "role": "assistant", "content": [{"type": "output_text",
                                                   "text": reply.content, "annotations": []}]},
            ))
        for number, call in enumerate(reply.tool_calls):
            item = {"id": f"fc_{number}", "type": "function_call", "status": "in_progress",
                    "call_id": call.id, "name": call.name, "arguments": ""}
            items.append((
                item,
                [{"type": "response.function_call_arguments.delta", "delta": piece}
                 for piece in call.arguments],
                {**item, "status": "completed", "arguments": call.arguments_text},
            ))
        return items

    def stream_body(self, reply: ScriptedReply) -> bytes:
        items = self._items(reply)
        created = self._response(reply, "in_progress", [])
        events = [sse_event({"type": "response.created", "response": created},
                            "response.created"),
                  sse_event({"type": "response.in_progress", "response": created},
                            "response.in_progress")]
        for index, (added, deltas, done) in enumerate(items):
            events += _item_events(index, added, deltas, done)
        status = self._status(reply)
        final = self._response(reply, status, [done for _, _, done in items])
        kind = f"response.{status}"
        events.append(sse_event({"type": kind, "response": final}, kind))
        numbered = []
        for number, event in enumerate(events):  # every event carries its sequence number
            head, _, data = event.partition(b"data: ")
            obj = json.loads(data)
            obj["sequence_number"] = number
            numbered.append(head + b"data: " + json.dumps(obj).encode() + b"\n\n")
        return b"".join(numbered)

    def completion(self, reply: ScriptedReply) -> Any:
        return self._response(reply, self._status(reply),
                              [done for _, _, done in self._items(reply)])

    def split_events(self, body: bytes) -> list[bytes]:
        return split_sse_events(body)

    def is_terminal(self, event: bytes) -> bool:
        return event.startswith((b"event: response.completed", b"event: response.incomplete"))

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        code = error.get("code", error.get("type"))
        return sse_event({"type": "error", "code": code, "message": error.get("message"),
                          "param": error.get("param")}, "error")

    def malformed_event(self) -> bytes:
        return b'event: response.output_text.delta\ndata: {"type": "response.output_te\n\n'


class AzureResponsesWire(ResponsesWire):
    """``POST /openai/v1/responses`` (or ``/openai/responses?api-version=``), ``api-key``."""

    name = "azure_responses"
    base_path = ""

    def routes(self) -> list[str]:
        return ["/openai/v1/responses", "/openai/responses"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        return headers.get("api-key") == api_key
