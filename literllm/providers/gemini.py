"""Google Gemini ``generateContent``: AI Studio (``gemini/``) and Vertex AI (``vertex_ai/``).

Wire reference: https://ai.google.dev/api/generate-content. ``:streamGenerateContent?alt=sse``
streams SSE events, each a whole ``GenerateContentResponse`` (CRLF-framed); parts are
``text`` (``thought: true`` for reasoning) or ``functionCall`` (whole ``args``, so a call's
arguments arrive as one piece of JSON text). Complete when a candidate has a
``finishReason``; ``STOP`` with function calls is ``tool_calls``. Errors mid-stream arrive as
``{"error": {"code", "message", "status"}}``.

AI Studio: ``POST {base_url}/v1beta/models/{model}:streamGenerateContent``, ``x-goog-api-key``.
Vertex AI: ``POST {base_url}/v1/projects/{p}/locations/{l}/publishers/google/models/{m}:...``,
an OAuth bearer token from google-auth (``pip install 'literllm[vertex]'``) unless
``api_key=`` passes a token; project and location from ``provider_options={"vertex_ai":
{"project": ..., "location": ...}}`` or ``VERTEXAI_PROJECT``/``GOOGLE_CLOUD_PROJECT`` and
``VERTEXAI_LOCATION``/``GOOGLE_CLOUD_LOCATION`` (default ``us-central1``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import ConfigurationError, MalformedChunkError
from ..types import (
    ChatCompletion,
    Message,
    MessageParam,
    ToolCall,
)
from ._auth import GoogleOAuth, KeyHeader
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
from ._gemini_stream_py import finish_reason, gemini_usage

if TYPE_CHECKING:
    from . import Provider
    from ._base import Auth
    from ._gemini_stream_py import GeminiStream
elif IMPLEMENTATION == "c":
    from ._gemini_stream_c import GeminiStream
else:
    from ._gemini_stream_py import GeminiStream

__all__ = ["GeminiAdapter", "GeminiStream", "VertexAdapter"]

_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "n", "seed",
    "presence_penalty", "frequency_penalty", "tools", "tool_choice", "response_format",
    "reasoning_effort", "stream_options",
})
# Thinking budgets for reasoning_effort (Gemini 2.5's documented range: 128-32768 tokens).
_THINKING_BUDGET = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576,
                    "xhigh": 32768}
_IMAGE_TYPES = {"png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def _user_parts(content: Any) -> list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return [{"text": content or ""}]
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            parts.append({"text": part.get("text") or ""})
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url") or ""
            source, media_type, data = image_source(url)
            if source == "base64":
                parts.append({"inlineData": {"mimeType": media_type, "data": data}})
            else:
                extension = url.rpartition(".")[2].lower()
                parts.append({"fileData": {"mimeType": _IMAGE_TYPES.get(extension, "image/jpeg"),
                                           "fileUri": url}})
        else:
            parts.append(dict(part))
    return parts


def translate_messages(
    messages: Sequence[MessageParam | Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system parts, contents); a tool result answers the call it names, by function name."""
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}

    def add(role: str, parts: list[dict[str, Any]]) -> None:
        add_turn(contents, role, parts, "parts")

    for message in messages_of(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            system.append({"text": text_of(message.get("content"))})
        elif role == "user":
            add("user", _user_parts(message.get("content")))
        elif role == "assistant":
            for call in message.get("tool_calls") or ():
                names[call.get("id") or ""] = (call.get("function") or {}).get("name") or ""
            if isinstance(message.get("parts"), list):
                # A Gemini reply sent back as it came (its raw parts): thought signatures,
                # which Gemini wants back with function calls, stay in place.
                add("model", [dict(part) for part in message["parts"]])
                continue
            parts: list[dict[str, Any]] = []
            text = text_of(message.get("content"))
            if text:
                parts.append({"text": text})
            for call in message.get("tool_calls") or ():
                function = call.get("function") or {}
                try:
                    args = orjson.loads(function.get("arguments") or "{}")
                except orjson.JSONDecodeError:
                    args = {"arguments": function.get("arguments")}
                part: dict[str, Any] = {"functionCall": {"name": function.get("name"),
                                                         "args": args}}
                signature = call.get("thought_signature")
                if signature:
                    part["thoughtSignature"] = signature
                parts.append(part)
            add("model", parts or [{"text": ""}])
        elif role == "tool":
            call_id = message.get("tool_call_id") or ""
            add("user", [{"functionResponse": {
                "name": names.get(call_id, call_id),
                "response": {"result": text_of(message.get("content"))}}}])
        else:
            raise ConfigurationError(f"message role {role!r} is not one Gemini takes")
    return system, contents


def request_body(
    messages: Sequence[MessageParam | Message], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``generateContent`` body for OpenAI-named ``params``."""
    require(params, "gemini", _SUPPORTED)
    system, contents = translate_messages(messages)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    config: dict[str, Any] = {}
    for ours, theirs in (("temperature", "temperature"), ("top_p", "topP"), ("n", "candidateCount"),
                         ("seed", "seed"), ("presence_penalty", "presencePenalty"),
                         ("frequency_penalty", "frequencyPenalty")):
        if ours in params:
            config[theirs] = params[ours]
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
    if max_tokens:
        config["maxOutputTokens"] = max_tokens
    stop = params.get("stop")
    if stop is not None:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    response_format = params.get("response_format")
    if response_format and response_format.get("type") in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
        schema = (response_format.get("json_schema") or {}).get("schema")
        if schema:
            config["responseJsonSchema"] = schema
    effort = params.get("reasoning_effort")
    if effort is not None:
        budget = _THINKING_BUDGET.get(effort, 8192)
        config["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": budget > 0}
    if config:
        body["generationConfig"] = config
    tools = params.get("tools")
    if tools:
        body["tools"] = [{"functionDeclarations": [
            {key: value for key, value in (("name", f.get("name")),
                                           ("description", f.get("description")),
                                           ("parameters", f.get("parameters"))) if value}
            for f in (tool.get("function") or {} for tool in tools)
        ]}]
    choice = params.get("tool_choice")
    if choice is not None:
        if isinstance(choice, Mapping):
            calling = {"mode": "ANY",
                       "allowedFunctionNames": [(choice.get("function") or {}).get("name")]}
        else:
            calling = {"mode": {"auto": "AUTO", "required": "ANY", "none": "NONE"}.get(
                choice, "AUTO")}
        body["toolConfig"] = {"functionCallingConfig": calling}
    return body


class GeminiAdapter:
    """Requests and responses of AI Studio's ``generateContent``."""

    __slots__ = ("_provider",)
    option_names = frozenset({"cached_content"})

    def __init__(self, provider: Provider) -> None:
        self._provider = provider

    def model_path(self, model: str, options: Mapping[str, Any]) -> str:
        return f"/v1beta/models/{model}"

    def base(self, base_url: str | None, options: Mapping[str, Any]) -> str:
        return str(base_url or options.get("base_url") or self._provider.base_url)

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
        body = request_body(messages, params)
        cached = options.get("cached_content")
        if cached:
            # A context cache made beforehand (cachedContents.create): "cachedContents/..."
            body["cachedContent"] = cached
        body.update(extra_body)
        action = ":streamGenerateContent" if stream else ":generateContent"
        url = join_url(self.base(base_url, options), self.model_path(model, options) + action,
                       "alt=sse" if stream else "")
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        return HttpRequest("POST", url, headers, orjson.dumps(body))

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        return KeyHeader("x-goog-api-key", key) if key is not None else None

    def new_stream(self, model: str, request_id: str | None) -> GeminiStream:
        return GeminiStream(model)

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        # {"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED"}}; Google's
        # errors come as a one-element list from some endpoints.
        try:
            parsed = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list) and parsed:
            body = orjson.dumps(parsed[0])
        return error_details(status, body)

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "x-request-id", "x-goog-request-id")

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        try:
            obj = orjson.loads(body)
            text: list[str] = []
            thinking: list[str] = []
            calls: list[ToolCall] = []
            candidate = (obj.get("candidates") or [{}])[0]
            for part in (candidate.get("content") or {}).get("parts") or ():
                if "functionCall" in part:
                    call = part["functionCall"]
                    calls.append(tool_call(call.get("id") or f"call_{len(calls)}",
                                           call["name"], tool_arguments(call.get("args"))))
                elif "text" in part:
                    (thinking if part.get("thought") else text).append(part["text"])
            reason = candidate.get("finishReason")
            if reason is None and (obj.get("promptFeedback") or {}).get("blockReason"):
                reason = "SAFETY"
            return completion(
                id=obj.get("responseId") or "",
                model=obj.get("modelVersion") or model,
                content="".join(text) or None,
                reasoning="".join(thinking) or None,
                tool_calls=calls,
                finish_reason=finish_reason(reason, bool(calls)),
                usage=gemini_usage(obj["usageMetadata"]) if obj.get("usageMetadata") else None,
                raw=obj,
                message_raw=candidate.get("content") or {},
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise MalformedChunkError(
                f"response is not a GenerateContentResponse ({exc!r}): {quote(body)}", raw=body
            ) from exc


class VertexAdapter(GeminiAdapter):
    """Requests of Vertex AI's ``generateContent`` (same bodies as AI Studio's)."""

    __slots__ = ()
    option_names = frozenset({"project", "location", "cached_content"})

    @staticmethod
    def _location(options: Mapping[str, Any]) -> str:
        return str(options.get("location") or os.environ.get("VERTEXAI_LOCATION")
                   or os.environ.get("GOOGLE_CLOUD_LOCATION") or "us-central1")

    def base(self, base_url: str | None, options: Mapping[str, Any]) -> str:
        if base_url or options.get("base_url"):
            return str(base_url or options.get("base_url"))
        location = self._location(options)
        if location == "global":
            return "https://aiplatform.googleapis.com"
        return self._provider.base_url.format(location=location)

    def model_path(self, model: str, options: Mapping[str, Any]) -> str:
        project = (options.get("project") or os.environ.get("VERTEXAI_PROJECT")
                   or os.environ.get("GOOGLE_CLOUD_PROJECT"))
        if not project:
            raise ConfigurationError(
                "Vertex AI needs a project: provider_options={'vertex_ai': {'project': ...}} "
                "or VERTEXAI_PROJECT",
                provider="vertex_ai",
            )
        return (f"/v1/projects/{project}/locations/{self._location(options)}"
                f"/publishers/google/models/{model}")

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        if key is not None:
            return KeyHeader("Authorization", key, "Bearer ")  # an access token passed in
        return GoogleOAuth()

    # Claude on Vertex AI (``vertex_ai/claude-*``): Anthropic's Messages body and events over
    # Vertex's rawPredict, with Vertex's URL and Google OAuth (``anthropic_vertex``).

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
        if not is_claude(model):
            return super().chat_request(
                model, messages, params, extra_body=extra_body, stream=stream,
                base_url=base_url, options=options,
            )
        from .anthropic_hosted import claude_request

        path = self.model_path(model, options).replace(
            "/publishers/google/", "/publishers/anthropic/"
        )
        return claude_request(
            join_url(self.base(base_url, options), path), model, messages, params,
            extra_body=extra_body, stream=stream,
        )

    def new_stream(self, model: str, request_id: str | None) -> Any:
        if not is_claude(model):
            return super().new_stream(model, request_id)
        from .anthropic import AnthropicStream

        return AnthropicStream(model)

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        if not is_claude(model):
            return super().parse_completion(body, model)
        from .anthropic import parse_message

        return parse_message(body, model)


def is_claude(model: str) -> bool:
    """A Vertex AI model served by Anthropic's publisher (its Messages API)."""
    return model.startswith("claude")
