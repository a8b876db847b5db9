"""Cohere's v2 Chat API: ``POST {base_url}/v2/chat``, SSE events out.

Wire reference: https://docs.cohere.com/v2/docs/streaming. Events: ``message-start`` (the
id), ``content-start``/``-delta``/``-end`` (text, or ``thinking`` for reasoning models),
``tool-plan-delta`` (the model's plan: kept in ``delta.extra["tool_plan"]``, neither content
nor reasoning), ``tool-call-start``/``-delta``/``-end``, ``citation-*``, then ``message-end``
(finish reason and usage; ``ERROR`` with the error when generation failed) and a bare
``data: [DONE]``. Complete at ``message-end``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import MalformedChunkError
from ..types import ChatCompletion, Message, MessageParam
from ._auth import KeyHeader
from ._base import ErrorDetails, HttpRequest, error_details, header, join_url
from ._chunks import (
    completion,
    messages_of,
    require,
    text_of,
    tool_call,
)
from ._cohere_stream_py import cohere_usage, finish_reason
from ._events import quote

if TYPE_CHECKING:
    from . import Provider
    from ._base import Auth
    from ._cohere_stream_py import CohereStream
elif IMPLEMENTATION == "c":
    from ._cohere_stream_c import CohereStream
else:
    from ._cohere_stream_py import CohereStream

__all__ = ["CohereAdapter", "CohereStream"]

_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
    "presence_penalty", "frequency_penalty", "tools", "tool_choice", "response_format",
    "reasoning_effort", "logprobs", "stream_options",
})
_THINKING_BUDGET = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384, "xhigh": 31000}


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    role = message.get("role")
    if role == "developer":
        role = "system"
    if role == "assistant":
        out: dict[str, Any] = {"role": "assistant"}
        text = text_of(message.get("content"))
        if text:
            out["content"] = text
        if message.get("tool_calls"):
            out["tool_calls"] = [
                {"id": c.get("id"), "type": "function", "function": dict(c.get("function") or {})}
                for c in message["tool_calls"]
            ]
            if message.get("tool_plan"):
                out["tool_plan"] = message["tool_plan"]
        return out
    if role == "tool":
        return {"role": "tool", "tool_call_id": message.get("tool_call_id"),
                "content": text_of(message.get("content"))}
    content = message.get("content")
    if isinstance(content, str) or content is None:
        return {"role": role, "content": content or ""}
    return {"role": role, "content": [dict(part) for part in content]}


def request_body(
    model: str, messages: Sequence[MessageParam | Message], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The v2 chat body for OpenAI-named ``params``."""
    require(params, "cohere", _SUPPORTED)
    turns = [_message(message) for message in messages_of(messages)]
    body: dict[str, Any] = {"model": model, "messages": turns}
    for ours, theirs in (("temperature", "temperature"), ("top_p", "p"), ("seed", "seed"),
                         ("presence_penalty", "presence_penalty"),
                         ("frequency_penalty", "frequency_penalty"), ("logprobs", "logprobs")):
        if ours in params:
            body[theirs] = params[ours]
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
    if max_tokens:
        body["max_tokens"] = max_tokens
    stop = params.get("stop")
    if stop is not None:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if params.get("tools"):
        body["tools"] = [{"type": "function", "function": dict(tool.get("function") or {})}
                         for tool in params["tools"]]
    choice = params.get("tool_choice")
    if choice in ("required", "none"):
        body["tool_choice"] = choice.upper()
    response_format = params.get("response_format")
    if response_format and response_format.get("type") in ("json_object", "json_schema"):
        schema = (response_format.get("json_schema") or {}).get("schema")
        body["response_format"] = {"type": "json_object", **({"json_schema": schema}
                                                             if schema else {})}
    effort = params.get("reasoning_effort")
    if effort is not None:
        body["thinking"] = ({"type": "disabled"} if effort == "none" else
                            {"type": "enabled", "token_budget": _THINKING_BUDGET.get(effort, 4096)})
    return body


class CohereAdapter:
    """Requests and responses of ``POST {base_url}/v2/chat``."""

    option_names: frozenset[str] = frozenset()

    __slots__ = ("_provider",)

    def __init__(self, provider: Provider) -> None:
        self._provider = provider

    def chat_request(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        params: Mapping[str, Any],
        *,
        extra_body: Mapping[str, Any],
        stream: bool,
        base_url: str | None,
        options: Mapping[str, Any],
    ) -> HttpRequest:
        body = request_body(model, messages, params)
        body["stream"] = stream
        body.update(extra_body)
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        url = join_url(base_url or options.get("base_url") or self._provider.base_url,
                       "/v2/chat")
        return HttpRequest("POST", url, headers, orjson.dumps(body))

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        return KeyHeader("Authorization", key, "Bearer ") if key is not None else None

    def new_stream(self, model: str, request_id: str | None) -> CohereStream:
        return CohereStream(model)

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        return error_details(status, body)  # {"id": ..., "message": "..."}

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "x-request-id", "x-trial-endpoint-call-id")

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        try:
            obj = orjson.loads(body)
            message = obj["message"]
            text: list[str] = []
            thinking: list[str] = []
            for part in message.get("content") or ():
                if part.get("type") == "text":
                    text.append(part.get("text") or "")
                elif part.get("type") == "thinking":
                    thinking.append(part.get("thinking") or "")
            calls = [tool_call(c["id"], c["function"]["name"], c["function"].get("arguments")
                               or "{}") for c in message.get("tool_calls") or ()]
            return completion(
                id=obj.get("id") or "",
                model=model,
                content="".join(text) or None,
                reasoning="".join(thinking) or None,
                tool_calls=calls,
                finish_reason=finish_reason(obj.get("finish_reason")),
                usage=cohere_usage(obj["usage"]) if obj.get("usage") else None,
                raw=obj,
                message_raw={"role": "assistant", "content": "".join(text) or None,
                             "tool_plan": message.get("tool_plan")},
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedChunkError(
                f"response is not a Cohere chat reply ({exc!r}): {quote(body)}", raw=body
            ) from exc
