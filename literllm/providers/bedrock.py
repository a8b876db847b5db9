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

from ..errors import ConfigurationError, MalformedChunkError, StreamTruncatedError
from ..errors import stream_error_class_for_status as stream_error_class
from ..types import ChatCompletion, ChatCompletionChunk, Delta, Message, MessageParam
from ._auth import KeyHeader, SigV4
from ._base import EventStreamTransport, HttpRequest, error_details, header, join_url
from ._chunks import (
    ChunkMaker,
    completion,
    image_source,
    malformed,
    messages_of,
    require,
    text_of,
    tool_arguments,
    tool_call,
    unsupported,
    usage,
)
from ._openai_stream_py import quote

if TYPE_CHECKING:
    from ..types import Usage
    from . import Provider
    from ._base import Auth, ErrorDetails

__all__ = ["BedrockAdapter", "BedrockStream"]

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
# ConverseStream's exception frames, by :exception-type, and their HTTP statuses (from the
# API reference's Errors section).
EXCEPTION_STATUS = {
    "throttlingException": 429,
    "modelStreamErrorException": 424,
    "internalServerException": 500,
    "serviceUnavailableException": 503,
    "validationException": 400,
    "modelTimeoutException": 408,
    "accessDeniedException": 403,
    "resourceNotFoundException": 404,
    "modelNotReadyException": 429,
}
_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "tools",
    "tool_choice", "reasoning_effort", "stream_options",
})
_THINKING_BUDGET = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}


def finish_reason(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return _FINISH.get(stop_reason, stop_reason)


def _image(part: Mapping[str, Any]) -> dict[str, Any]:
    source, media_type, data = image_source((part.get("image_url") or {}).get("url") or "")
    if source != "base64":
        raise ConfigurationError(
            "Bedrock takes images as data: URLs (base64), not links", provider="bedrock"
        )
    return {"image": {"format": media_type.partition("/")[2] or "png",
                      "source": {"bytes": data}}}


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


def translate_messages(
    messages: Sequence[MessageParam | Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, messages) in Converse's shape; tool results are user turns."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})

    for message in messages_of(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            system.append({"text": text_of(message.get("content"))})
        elif role == "user":
            add("user", _blocks(message.get("content")))
        elif role == "assistant":
            add("assistant", _assistant_blocks(message))
        elif role == "tool":
            add("user", [{"toolResult": {"toolUseId": message.get("tool_call_id"),
                                         "content": [{"text": text_of(message.get("content"))}]}}])
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
        config: dict[str, Any] = {"tools": [
            {"toolSpec": {"name": f.get("name"), "description": f.get("description") or f.get(
                "name"), "inputSchema": {"json": f.get("parameters") or {"type": "object"}}}}
            for f in (tool.get("function") or {} for tool in tools)
        ]}
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
        body.update(extra_body)
        base = base_url or options.get("base_url")
        if not base:
            base = self._provider.base_url.format(region=region_of(options))
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

    def new_stream(self, model: str, request_id: str | None) -> BedrockStream:
        return BedrockStream(model, request_id)

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        return error_details(status, body)  # {"message": "..."}

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "x-amzn-RequestId", "x-amzn-requestid")

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
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
                usage=_usage(raw_usage),
                raw=obj,
                message_raw={"role": "assistant", "content": "".join(text) or None,
                             "thinking_blocks": thinking_blocks},
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedChunkError(
                f"response is not a Converse reply ({exc!r}): {quote(body)}", raw=body
            ) from exc


def _usage(raw: Mapping[str, Any]) -> Usage:
    return usage(raw.get("inputTokens") or 0, raw.get("outputTokens") or 0, raw)


class BedrockStream:
    """Chunks from one ConverseStream response (EventStream messages in)."""

    __slots__ = ("_blocks", "_done", "_make", "_stopped", "_tools", "_transport", "feed",
                 "text_parts")
    content_type = EventStreamTransport.content_type

    def __init__(self, model: str, request_id: str | None = None) -> None:
        self._transport = EventStreamTransport()
        self.feed = self._transport.feed
        self._make = ChunkMaker(model)
        self._make.id = request_id or ""  # ConverseStream's events name no response id
        self._done = False
        self._stopped = False
        self._blocks: dict[int, list[Any]] = {}  # block index -> [tool index, any input sent]
        self._tools = 0
        self.text_parts: list[str] = []

    @property
    def done(self) -> bool:
        """``messageStop`` and the ``metadata`` after it have arrived."""
        return self._done

    def on_event(self, message: Any) -> ChatCompletionChunk | None:
        headers = message.headers
        payload = message.payload
        kind = headers.get(":message-type")
        if kind != "event":
            raise self._failure(headers, payload)
        event_type = headers.get(":event-type")
        try:
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise MalformedChunkError(
                f"{event_type} payload is not valid JSON ({exc}): {quote(payload)}", raw=payload
            ) from exc
        try:
            if event_type == "contentBlockDelta":
                delta = obj["delta"]
                text = delta.get("text")
                if text is not None:
                    self.text_parts.append(text)
                    return self._make.content(text, obj)
                use = delta.get("toolUse")
                if use is not None:
                    block = self._blocks.get(obj["contentBlockIndex"])
                    piece = use.get("input") or ""
                    if block is None or not piece:
                        return None
                    block[1] = True
                    return self._make.tool_call(block[0], obj, arguments=piece)
                reasoning = delta.get("reasoningContent")
                if reasoning is not None:
                    return self._make.delta(
                        Delta(None, None, None, None, reasoning.get("text"), reasoning), obj
                    )
                return self._make.delta(Delta(None, None, None, None, None, delta), obj)
            return self._other(event_type, obj)
        except (KeyError, TypeError, AttributeError) as exc:
            raise malformed(payload, exc) from exc

    def _other(self, event_type: str | None, obj: dict[str, Any]) -> ChatCompletionChunk | None:
        make = self._make
        if event_type == "messageStart":
            return make.delta(Delta(obj.get("role") or "assistant", "", None, None, None, obj),
                              obj)
        if event_type == "contentBlockStart":
            use = (obj.get("start") or {}).get("toolUse")
            if use is None:
                return None
            index = self._tools
            self._tools += 1
            self._blocks[obj["contentBlockIndex"]] = [index, False]
            return make.tool_call(index, obj, call_id=use.get("toolUseId") or "",
                                  name=use.get("name") or "", arguments="")
        if event_type == "contentBlockStop":
            block = self._blocks.get(obj["contentBlockIndex"])
            if block is not None and not block[1]:
                block[1] = True
                return make.tool_call(block[0], obj, arguments="{}")
            return None
        if event_type == "messageStop":
            self._stopped = True
            return make.delta(Delta(None, None, None, None, None, obj), obj,
                              finish_reason=finish_reason(obj.get("stopReason")))
        if event_type == "metadata":
            self._done = self._stopped
            raw_usage = obj.get("usage")
            if raw_usage is None:
                return None
            chunk = make.delta(Delta(), obj, usage=_usage(raw_usage))
            chunk.choices = []
            return chunk
        return None

    def _failure(self, headers: Mapping[str, Any], payload: bytes) -> Exception:
        kind = headers.get(":exception-type") or headers.get(":error-code") or "unknown"
        try:
            body = orjson.loads(payload) if payload else {}
        except orjson.JSONDecodeError:
            body = {"message": payload.decode("utf-8", "replace")}
        message = (body.get("message") if isinstance(body, dict) else None) or headers.get(
            ":error-message") or str(kind)
        status = EXCEPTION_STATUS.get(str(kind))
        if status is None and isinstance(body, dict):
            status = body.get("originalStatusCode")
        cls = stream_error_class(status if isinstance(status, int) else None)
        return cls(f"provider error inside the stream: {kind}: {message}",
                   status_code=status, body={"type": kind, **(body if isinstance(body, dict)
                                                               else {})})

    def finish(self) -> None:
        """The body ended: complete once ``messageStop`` has arrived."""
        self._transport.check_end(self._done)
        if not self._stopped:
            raise StreamTruncatedError("stream ended before messageStop")
