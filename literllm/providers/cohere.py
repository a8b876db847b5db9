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

from ..errors import MalformedChunkError, ProviderStreamError, StreamTruncatedError
from ..types import ChatCompletion, ChatCompletionChunk, Delta, Message, MessageParam
from ._auth import KeyHeader
from ._base import ErrorDetails, HttpRequest, SSETransport, error_details, header, join_url
from ._chunks import (
    ChunkMaker,
    completion,
    decode_json,
    malformed,
    messages_of,
    optional_string,
    require,
    text_of,
    tool_call,
    usage,
)
from ._events import DONE, quote

if TYPE_CHECKING:
    from ..types import Usage
    from . import Provider
    from ._base import Auth

__all__ = ["CohereAdapter", "CohereStream"]

_FINISH = {"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length",
           "TOOL_CALL": "tool_calls"}
_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
    "presence_penalty", "frequency_penalty", "tools", "tool_choice", "response_format",
    "reasoning_effort", "logprobs", "stream_options",
})
_THINKING_BUDGET = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384, "xhigh": 31000}


def finish_reason(value: str | None) -> str | None:
    if value is None:
        return None
    return _FINISH.get(value, value.lower())


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


def _usage(raw: Mapping[str, Any]) -> Usage:
    tokens = raw.get("tokens") or raw.get("billed_units") or {}
    return usage(int(tokens.get("input_tokens") or 0), int(tokens.get("output_tokens") or 0), raw)


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
                usage=_usage(obj["usage"]) if obj.get("usage") else None,
                raw=obj,
                message_raw={"role": "assistant", "content": "".join(text) or None,
                             "tool_plan": message.get("tool_plan")},
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedChunkError(
                f"response is not a Cohere chat reply ({exc!r}): {quote(body)}", raw=body
            ) from exc


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
                                  usage=_usage(raw_usage) if raw_usage else None)
            return None  # content-start/-end, tool-call-end, citations, newer events
        except (KeyError, TypeError, AttributeError) as exc:
            raise malformed(data, exc) from exc

    def finish(self) -> None:
        """The body ended: complete only after ``message-end``."""
        self._transport.check_end(self._done)
        if not self._done:
            raise StreamTruncatedError("stream ended before message-end")
