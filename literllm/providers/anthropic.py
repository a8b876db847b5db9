"""Anthropic's Messages API: ``POST {base_url}/v1/messages``, SSE events out.

Wire reference: https://docs.anthropic.com/en/api/messages-streaming. A stream is
``message_start``, per content block ``content_block_start`` / ``_delta`` / ``_stop``,
``message_delta`` (stop reason, cumulative usage) and ``message_stop``, with ``ping``s between
and ``error`` events for failures mid-stream (``overloaded_error`` arrives that way, with
status 200 on the response). Complete at ``message_stop``.

Mapping (as ``shared/conformance/providers/README.md`` writes it): ``text_delta`` is content,
``thinking_delta`` reasoning (a ``signature_delta`` chunk carries the signature in
``delta.extra``); each client ``tool_use`` block is a tool call numbered in the order the
calls started; server-side blocks (``server_tool_use``, ``*_tool_result``, ...) are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import MalformedChunkError
from ..types import ChatCompletion, Message, MessageParam
from ._anthropic_stream_py import anthropic_usage, finish_reason
from ._auth import KeyHeader
from ._base import ErrorDetails, HttpRequest, error_details, header, join_url
from ._chunks import (
    add_turn,
    completion,
    image_source,
    messages_of,
    require,
    text_of,
    tool_arguments,
    tool_call,
)
from ._events import quote

if TYPE_CHECKING:
    from . import Provider
    from ._anthropic_stream_py import AnthropicStream
    from ._base import Auth
elif IMPLEMENTATION == "c":
    from ._anthropic_stream_c import AnthropicStream
else:
    from ._anthropic_stream_py import AnthropicStream

__all__ = ["AnthropicAdapter", "AnthropicStream"]

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
# LiteLLM's mapping of OpenAI's reasoning_effort to a thinking budget.
_THINKING_BUDGET = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}
_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "user", "tools",
    "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort", "metadata",
    "service_tier", "stream_options",
})


def _cached(block: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """``block`` with the ``cache_control`` of the part or message it came from, if any."""
    cache = source.get("cache_control")
    if cache is not None:
        block["cache_control"] = dict(cache)
    return block


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            blocks.append(_cached({"type": "text", "text": part.get("text") or ""}, part))
        elif kind == "image_url":
            image = part.get("image_url") or {}
            source, media_type, data = image_source(image.get("url") or "")
            if source == "base64":
                block = {"type": "image", "source": {
                    "type": "base64", "media_type": media_type, "data": data}}
            else:
                block = {"type": "image", "source": {"type": "url", "url": data}}
            blocks.append(_cached(block, part))
        else:
            blocks.append(dict(part))  # an Anthropic block of the caller's own
    return blocks


def _with_message_cache(
    blocks: list[dict[str, Any]], message: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A message-level ``cache_control`` (LiteLLM's shorthand) marks its last block."""
    if blocks and message.get("cache_control") is not None:
        _cached(blocks[-1], message)
    return blocks


def _tool_result_content(content: Any) -> str | list[dict[str, Any]]:
    """A tool result's content: text, or text blocks where a part carries cache_control."""
    if isinstance(content, list | tuple) and any(
        isinstance(part, Mapping) and part.get("cache_control") is not None for part in content
    ):
        return _content_blocks(content)
    return text_of(content)


def _assistant_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [dict(b) for b in message.get("thinking_blocks") or ()]
    content = message.get("content")
    if isinstance(content, list | tuple):
        blocks += [block for block in _content_blocks(content) if block.get("text")]
    else:
        text = text_of(content)
        if text:
            blocks.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        try:
            arguments = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            arguments = {"arguments": function.get("arguments")}
        blocks.append({"type": "tool_use", "id": call.get("id"),
                       "name": function.get("name"), "input": arguments})
    return blocks


def translate_messages(
    messages: Sequence[MessageParam | Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages) in Anthropic's shape; tool results become user turns and
    consecutive turns of one role merge, as the API requires them to alternate."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]], message: Mapping[str, Any]) -> None:
        add_turn(turns, role, _with_message_cache(blocks, message))

    for message in messages_of(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            # Kept as blocks (not one string): each may carry its own cache_control.
            system += _with_message_cache(_content_blocks(message.get("content")), message)
        elif role == "user":
            add("user", _content_blocks(message.get("content")), message)
        elif role == "assistant":
            add("assistant", _assistant_blocks(message), message)
        elif role == "tool":
            result = {"type": "tool_result", "tool_use_id": message.get("tool_call_id"),
                      "content": _tool_result_content(message.get("content"))}
            add("user", [result], message)
        else:
            raise MalformedChunkError(f"message role {role!r} is not one Anthropic takes")
    return system, turns


def _tool_choice(choice: Any, parallel: bool | None) -> dict[str, Any]:
    if isinstance(choice, str):
        out: dict[str, Any] = {"type": {"auto": "auto", "required": "any", "none": "none"}.get(
            choice, choice)}
    elif isinstance(choice, Mapping):
        out = {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    else:
        out = {"type": "auto"}
    if parallel is False:
        out["disable_parallel_tool_use"] = True
    return out


def request_body(
    model: str, messages: Sequence[MessageParam | Message], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The Messages API body for OpenAI-named ``params``."""
    require(params, "anthropic", _SUPPORTED)
    system, turns = translate_messages(messages)
    body: dict[str, Any] = {
        "model": model,
        "messages": turns,
        "max_tokens": params.get("max_tokens") or params.get("max_completion_tokens")
        or DEFAULT_MAX_TOKENS,
    }
    if system:
        body["system"] = system
    for name in ("temperature", "top_p", "service_tier"):
        if name in params:
            body[name] = params[name]
    stop = params.get("stop")
    if stop is not None:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if "user" in params:
        body["metadata"] = {"user_id": params["user"]}
    tools = params.get("tools")
    if tools:
        body["tools"] = [
            _cached(
                {"name": f.get("name"), "description": f.get("description", ""),
                 "input_schema": f.get("parameters") or {"type": "object", "properties": {}}},
                tool if tool.get("cache_control") is not None else f,
            )
            for tool, f in ((tool, tool.get("function") or {}) for tool in tools)
        ]
    if "tool_choice" in params or "parallel_tool_calls" in params:
        body["tool_choice"] = _tool_choice(
            params.get("tool_choice"), params.get("parallel_tool_calls")
        )
    effort = params.get("reasoning_effort")
    if effort is not None and effort != "none":
        budget = _THINKING_BUDGET.get(effort, 2048)
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        body["max_tokens"] = max(body["max_tokens"], budget + 1)
    response_format = params.get("response_format")
    if response_format and response_format.get("type") in ("json_schema", "json_object"):
        schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
        body["output_format"] = {"type": "json_schema", "schema": schema}
    return body


class AnthropicAdapter:
    """Requests and responses of ``POST {base_url}/v1/messages``."""

    option_names = frozenset({"api_version"})

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
        if stream:
            body["stream"] = True
        body.update(extra_body)
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
            "anthropic-version": options.get("api_version", API_VERSION),
        }
        if "output_format" in body:
            headers["anthropic-beta"] = "structured-outputs-2025-11-13"
        url = join_url(base_url or options.get("base_url") or self._provider.base_url,
                       "/v1/messages")
        return HttpRequest("POST", url, headers, orjson.dumps(body))

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        return KeyHeader("x-api-key", key) if key is not None else None

    def new_stream(self, model: str, request_id: str | None) -> AnthropicStream:
        return AnthropicStream(model)

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        # {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        return error_details(status, body)

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "request-id", "x-request-id")

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        return parse_message(body, model)


def parse_message(body: bytes, model: str) -> ChatCompletion:
    """A non-streamed Messages API reply as a ``ChatCompletion``."""
    try:
        obj = orjson.loads(body)
        text: list[str] = []
        thinking: list[str] = []
        thinking_blocks: list[Any] = []
        calls = []
        for block in obj["content"]:
            kind = block.get("type")
            if kind == "text":
                text.append(block.get("text") or "")
            elif kind in ("thinking", "redacted_thinking"):
                thinking.append(block.get("thinking") or "")
                thinking_blocks.append(block)
            elif kind == "tool_use":
                calls.append(tool_call(block["id"], block["name"],
                                       tool_arguments(block.get("input"))))
        raw_usage = obj.get("usage") or {}
        message_raw = {"role": "assistant", "content": "".join(text) or None,
                       "thinking_blocks": thinking_blocks}
        return completion(
            id=obj.get("id") or "",
            model=obj.get("model") or model,
            content="".join(text) or None,
            reasoning="".join(thinking) or None,
            tool_calls=calls,
            finish_reason=finish_reason(obj.get("stop_reason")),
            usage=anthropic_usage(raw_usage, {}, raw_usage.get("output_tokens") or 0),
            raw=obj,
            message_raw=message_raw,
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedChunkError(
            f"response is not an Anthropic message ({exc!r}): {quote(body)}", raw=body
        ) from exc
