"""Ollama's native chat API: ``POST {base_url}/api/chat``, streamed as NDJSON.

``ollama_chat/{model}`` (LiteLLM's prefix); ``ollama/`` stays the OpenAI-compatible ``/v1``
layer, which flattens what this one carries: ``message.thinking`` (reasoning) and tool calls
with parsed arguments.

- **Request:** messages as Ollama takes them (text content, images as base64 beside it,
  assistant tool calls with parsed ``arguments``, tool results with ``tool_name``); the
  sampling parameters in ``options`` (``max_tokens`` is ``num_predict``); ``tools`` as they
  are; ``response_format`` as ``format`` (``"json"`` or the schema); ``reasoning_effort`` as
  ``think`` (``"none"`` is false, the levels are sent as they are: gpt-oss takes them, other
  thinking models take ``true``, see ``extra_body={"think": True}``).
- **Stream:** one JSON object per line. ``message.content`` is content,
  ``message.thinking`` reasoning, ``message.tool_calls`` whole tool calls (each its own
  index); the last line has ``done: true`` with ``done_reason``, ``prompt_eval_count`` and
  ``eval_count`` (usage). A body that ends before it is truncated; an ``{"error": ...}`` line
  raises a typed ``ProviderStreamError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import ConfigurationError, MalformedChunkError
from ..types import ChatCompletion
from ._base import (
    NDJSON_CONTENT_TYPE,
    ErrorDetails,
    HttpRequest,
    error_details,
    header,
    join_url,
)
from ._chunks import (
    completion,
    messages_of,
    require,
    text_of,
    tool_arguments,
    tool_call,
)
from ._events import quote
from ._ollama_stream_py import FINISH, ollama_usage

if TYPE_CHECKING:
    from ..providers import Provider
    from ..types import Message, MessageParam
    from ._base import Auth
    from ._ollama_stream_py import OllamaStream

__all__ = ["OllamaChatAdapter", "OllamaStream"]

_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
    "presence_penalty", "frequency_penalty", "tools", "tool_choice", "response_format",
    "reasoning_effort", "stream_options", "user", "metadata",
})
_OPTIONS = {"temperature": "temperature", "top_p": "top_p", "seed": "seed",
            "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty"}


def _images(parts: Sequence[Any]) -> list[str]:
    images = []
    for part in parts:
        if isinstance(part, Mapping) and part.get("type") == "image_url":
            url = str((part.get("image_url") or {}).get("url", ""))
            head, comma, data = url.partition(",")
            if not (url.startswith("data:") and comma and head.endswith(";base64")):
                raise ConfigurationError(
                    "Ollama takes images as data (data:image/...;base64,...), not URLs",
                    provider="ollama_chat",
                )
            images.append(data)
    return images


def translate_messages(messages: Sequence[MessageParam | Message]) -> list[dict[str, Any]]:
    """OpenAI-shaped messages as Ollama's ``/api/chat`` takes them."""
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> function name, for the tool results
    for turn in messages_of(messages):
        role = turn.get("role")
        content = turn.get("content")
        entry: dict[str, Any] = {
            "role": "system" if role == "developer" else role,
            "content": text_of(content) if content is not None else "",
        }
        if isinstance(content, list):
            images = _images(content)
            if images:
                entry["images"] = images
        if role == "assistant":
            thinking = turn.get("reasoning_content")
            if thinking:
                entry["thinking"] = thinking
            calls = []
            for call in list(turn.get("tool_calls") or []):
                function = call.get("function") or {}
                try:
                    arguments = orjson.loads(function.get("arguments") or "{}")
                except orjson.JSONDecodeError:
                    raise ConfigurationError(
                        "an assistant tool call's arguments are not JSON", provider="ollama_chat"
                    ) from None
                names[str(call.get("id"))] = str(function.get("name"))
                calls.append({"function": {"name": function.get("name"),
                                           "arguments": arguments}})
            if calls:
                entry["tool_calls"] = calls
        elif role == "tool":
            name = names.get(str(turn.get("tool_call_id")))
            if name:
                entry["tool_name"] = name
        out.append(entry)
    return out


def request_body(
    model: str, messages: Sequence[MessageParam | Message], params: Mapping[str, Any]
) -> dict[str, Any]:
    require(params, "ollama_chat", _SUPPORTED)
    body: dict[str, Any] = {"model": model, "messages": translate_messages(messages)}
    options = {ours: params[name] for name, ours in _OPTIONS.items() if name in params}
    limit = params.get("max_tokens") or params.get("max_completion_tokens")
    if limit is not None:
        options["num_predict"] = limit
    stop = params.get("stop")
    if stop is not None:
        options["stop"] = [stop] if isinstance(stop, str) else list(stop)
    if options:
        body["options"] = options
    if params.get("tools"):
        body["tools"] = list(params["tools"])
    response_format = params.get("response_format")
    if response_format:
        kind = response_format.get("type")
        if kind == "json_object":
            body["format"] = "json"
        elif kind == "json_schema":
            body["format"] = (response_format.get("json_schema") or {}).get("schema") or "json"
    effort = params.get("reasoning_effort")
    if effort is not None:
        body["think"] = False if effort == "none" else (
            "high" if effort == "xhigh" else "low" if effort == "minimal" else effort
        )
    return body


class OllamaChatAdapter:
    """Requests and responses of ``POST {base_url}/api/chat``."""

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
        base = base_url or options.get("base_url") or self._provider.base_url
        headers = {"Content-Type": "application/json",
                   "Accept": NDJSON_CONTENT_TYPE if stream else "application/json"}
        return HttpRequest("POST", join_url(base, "/api/chat"), headers, orjson.dumps(body))

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        from ._auth import KeyHeader

        return KeyHeader("Authorization", key, "Bearer ") if key is not None else None

    def new_stream(self, model: str, request_id: str | None) -> OllamaStream:
        return OllamaStream(model)

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        return error_details(status, body)  # {"error": "model 'x' not found"}

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "x-request-id")

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        try:
            obj = orjson.loads(body)
            message = obj["message"]
            calls = [
                tool_call(str(call.get("id") or f"call_{number}"),
                          call["function"]["name"],
                          tool_arguments(call["function"].get("arguments")))
                for number, call in enumerate(message.get("tool_calls") or [])
            ]
            return completion(
                id="",
                model=obj.get("model") or model,
                content=message.get("content") or None,
                reasoning=message.get("thinking") or None,
                tool_calls=calls,
                finish_reason="tool_calls" if calls else FINISH.get(
                    obj.get("done_reason") or "stop", obj.get("done_reason")),
                usage=ollama_usage(obj),
                raw=obj,
                message_raw={"role": "assistant", "content": message.get("content") or None},
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedChunkError(
                f"response is not an Ollama chat reply ({exc!r}): {quote(body)}", raw=body
            ) from exc


if not TYPE_CHECKING:
    if IMPLEMENTATION == "c":
        from ._ollama_stream_c import OllamaStream
    else:
        from ._ollama_stream_py import OllamaStream
