"""Amazon Bedrock's Converse API: ``POST {base_url}/model/{modelId}/converse-stream``.

Wire reference: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html.
The body is AWS EventStream (decoded by literllm's own decoder, both CRCs checked): frames
whose ``:message-type`` is ``event`` name their ``:event-type`` (``messageStart``,
``contentBlockStart``/``Delta``/``Stop``, ``messageStop``, then ``metadata`` with usage);
``exception`` frames carry a failure by ``:exception-type``. Complete at ``messageStop``;
the ``metadata`` frame after it supplies usage.

Auth: a Bedrock API key (``api_key=`` or ``AWS_BEARER_TOKEN_BEDROCK``) as a bearer token, else
SigV4 with botocore's credential chain (``pip install 'literllm[bedrock]'``). Region from
``provider_options={"bedrock": {"region": ...}}``, else ``AWS_REGION``/``AWS_DEFAULT_REGION``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import ConfigurationError, MalformedChunkError
from ..types import ChatCompletion, Message, MessageParam
from ._auth import KeyHeader, SigV4
from ._base import HttpRequest, error_details, header, join_url
from ._bedrock_stream_py import converse_usage, finish_reason
from ._chunks import (
    add_turn,
    completion,
    image_source,
    messages_of,
    require,
    text_of,
    tool_arguments,
    tool_call,
    unsupported,
)
from ._events import quote

if TYPE_CHECKING:
    from . import Provider
    from ._base import Auth, ErrorDetails
    from ._bedrock_stream_py import BedrockStream
elif IMPLEMENTATION == "c":
    from ._bedrock_stream_c import BedrockStream
else:
    from ._bedrock_stream_py import BedrockStream

__all__ = ["BedrockAdapter", "BedrockStream"]

_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "tools",
    "tool_choice", "reasoning_effort", "stream_options",
})
_THINKING_BUDGET = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}


def _image(part: Mapping[str, Any]) -> dict[str, Any]:
    source, media_type, data = image_source((part.get("image_url") or {}).get("url") or "")
    if source != "base64":
        raise ConfigurationError(
            "Bedrock takes images as data: URLs (base64), not links", provider="bedrock"
        )
    return {"image": {"format": media_type.partition("/")[2] or "png",
                      "source": {"bytes": data}}}


_CACHE_POINT = {"cachePoint": {"type": "default"}}


def _cache_point(source: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Converse's prompt-caching breakpoint where the caller put a ``cache_control``: a
    ``cachePoint`` block after the content it ends."""
    return [dict(_CACHE_POINT)] if source.get("cache_control") is not None else []


def _blocks(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            blocks.append({"text": part.get("text") or ""})
        elif kind == "image_url":
            blocks.append(_image(part))
        else:
            blocks.append(dict(part))
            continue
        blocks += _cache_point(part)
    return blocks


def _assistant_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for thinking in message.get("thinking_blocks") or ():
        blocks.append({"reasoningContent": {"reasoningText": {
            "text": thinking.get("thinking") or "", "signature": thinking.get("signature")}}})
    blocks += _blocks(text_of(message.get("content")))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        try:
            arguments = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            arguments = {"arguments": function.get("arguments")}
        blocks.append({"toolUse": {"toolUseId": call.get("id"), "name": function.get("name"),
                                   "input": arguments}})
    return blocks


def _message_cache_point(
    blocks: list[dict[str, Any]], message: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A message-level ``cache_control`` (LiteLLM's shorthand): a ``cachePoint`` at its end,
    unless its last part already ended with one."""
    if not blocks or "cachePoint" in blocks[-1]:
        return []
    return _cache_point(message)


def translate_messages(
    messages: Sequence[MessageParam | Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages) in Converse's shape; tool results are user turns."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]], message: Mapping[str, Any]) -> None:
        add_turn(turns, role, blocks + _message_cache_point(blocks, message))

    for message in messages_of(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            blocks = _blocks(message.get("content"))
            system += blocks + _message_cache_point(blocks, message)
        elif role == "user":
            add("user", _blocks(message.get("content")), message)
        elif role == "assistant":
            add("assistant", _assistant_blocks(message), message)
        elif role == "tool":
            add("user", [{"toolResult": {"toolUseId": message.get("tool_call_id"),
                                         "content": [{"text": text_of(message.get("content"))}]}}],
                message)
        else:
            raise ConfigurationError(f"message role {role!r} is not one Bedrock takes")
    return system, turns


def request_body(
    model: str, messages: Sequence[MessageParam | Message], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The Converse body for OpenAI-named ``params``."""
    require(params, "bedrock", _SUPPORTED)
    system, turns = translate_messages(messages)
    body: dict[str, Any] = {"messages": turns}
    if system:
        body["system"] = system
    inference: dict[str, Any] = {}
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
    if max_tokens:
        inference["maxTokens"] = max_tokens
    if "temperature" in params:
        inference["temperature"] = params["temperature"]
    if "top_p" in params:
        inference["topP"] = params["top_p"]
    stop = params.get("stop")
    if stop is not None:
        inference["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if inference:
        body["inferenceConfig"] = inference
    tools = params.get("tools")
    choice = params.get("tool_choice")
    if tools and choice != "none":
        specs: list[dict[str, Any]] = []
        for tool in tools:
            f = tool.get("function") or {}
            specs.append({"toolSpec": {
                "name": f.get("name"), "description": f.get("description") or f.get("name"),
                "inputSchema": {"json": f.get("parameters") or {"type": "object"}}}})
            specs += _cache_point(tool)
        config: dict[str, Any] = {"tools": specs}
        if choice == "required":
            config["toolChoice"] = {"any": {}}
        elif choice == "auto":
            config["toolChoice"] = {"auto": {}}
        elif isinstance(choice, Mapping):
            config["toolChoice"] = {"tool": {"name": (choice.get("function") or {}).get("name")}}
        body["toolConfig"] = config
    effort = params.get("reasoning_effort")
    if effort is not None and effort != "none":
        if "anthropic." in model:
            budget = _THINKING_BUDGET.get(effort, 2048)
            body["additionalModelRequestFields"] = {
                "thinking": {"type": "enabled", "budget_tokens": budget}}
            inference = body.setdefault("inferenceConfig", {})
            inference["maxTokens"] = max(inference.get("maxTokens") or 0, budget + 1024)
        elif "amazon.nova" in model:
            level = effort if effort in ("low", "medium", "high") else "medium"
            body["additionalModelRequestFields"] = {
                "reasoningConfig": {"type": "enabled", "maxReasoningEffort": level}}
        else:
            raise unsupported("bedrock", [f"reasoning_effort for {model}"])
    return body


def region_of(options: Mapping[str, Any]) -> str:
    region = (options.get("region") or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION"))
    if not region:
        raise ConfigurationError(
            "Bedrock needs a region: provider_options={'bedrock': {'region': ...}} or "
            "AWS_REGION",
            provider="bedrock",
        )
    return str(region)


class BedrockAdapter:
    """Requests and responses of Bedrock's ``Converse`` and ``ConverseStream``."""

    __slots__ = ("_provider",)
    option_names = frozenset({"region", "profile"})

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
        invoked = invoke_model_id(model)
        if invoked is None:
            body = request_body(model, messages, params)  # (its errors before the region's)
            body.update(extra_body)
        base = base_url or options.get("base_url")
        if not base:
            base = self._provider.base_url.format(region=region_of(options))
        if invoked is not None:
            from .anthropic_hosted import bedrock_invoke_request

            return bedrock_invoke_request(
                join_url(base, f"/model/{url_quote(invoked, safe='')}"), invoked, messages,
                params, extra_body=extra_body, stream=stream,
            )
        # The model id (an ARN, a cross-region profile "us.anthropic...") is one path segment.
        path = f"/model/{url_quote(model, safe='')}/{'converse-stream' if stream else 'converse'}"
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/vnd.amazon.eventstream" if stream else "application/json",
        }
        return HttpRequest("POST", join_url(base, path), headers, orjson.dumps(body))

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        if key is not None:
            return KeyHeader("Authorization", key, "Bearer ")  # a Bedrock API key
        return SigV4("bedrock", region_of(options), profile=options.get("profile"))

    def new_stream(self, model: str, request_id: str | None) -> Any:
        invoked = invoke_model_id(model)
        if invoked is not None:
            from .anthropic_hosted import BedrockInvokeStream

            return BedrockInvokeStream(invoked)
        return BedrockStream(model, request_id)

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        return error_details(status, body)  # {"message": "..."}

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "x-amzn-RequestId", "x-amzn-requestid")

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        invoked = invoke_model_id(model)
        if invoked is not None:
            from .anthropic import parse_message

            return parse_message(body, invoked)
        try:
            obj = orjson.loads(body)
            text: list[str] = []
            thinking: list[str] = []
            thinking_blocks: list[dict[str, Any]] = []
            calls = []
            for block in obj["output"]["message"]["content"]:
                if "text" in block:
                    text.append(block["text"])
                elif "reasoningContent" in block:
                    reasoning = block["reasoningContent"].get("reasoningText") or {}
                    thinking.append(reasoning.get("text") or "")
                    thinking_blocks.append({"type": "thinking", "thinking": reasoning.get(
                        "text") or "", "signature": reasoning.get("signature")})
                elif "toolUse" in block:
                    use = block["toolUse"]
                    calls.append(tool_call(use["toolUseId"], use["name"],
                                           tool_arguments(use.get("input"))))
            raw_usage = obj.get("usage") or {}
            return completion(
                id="",
                model=model,
                content="".join(text) or None,
                reasoning="".join(thinking) or None,
                tool_calls=calls,
                finish_reason=finish_reason(obj.get("stopReason")),
                usage=converse_usage(raw_usage),
                raw=obj,
                message_raw={"role": "assistant", "content": "".join(text) or None,
                             "thinking_blocks": thinking_blocks},
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedChunkError(
                f"response is not a Converse reply ({exc!r}): {quote(body)}", raw=body
            ) from exc


INVOKE_PREFIX = "invoke/"


def invoke_model_id(model: str) -> str | None:
    """The model id of ``bedrock/invoke/{modelId}`` (InvokeModel, Claude's Messages API);
    ``None`` for a Converse model."""
    return model[len(INVOKE_PREFIX):] if model.startswith(INVOKE_PREFIX) else None
