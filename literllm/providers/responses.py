"""OpenAI's Responses API: ``POST {base_url}/responses``, typed SSE events out.

``openai_responses/{model}`` and ``azure_responses/{deployment}``; ``openai/`` models that
exist only there (``o1-pro``, ``o3-pro``, ``gpt-5-pro``, the codex and deep-research models,
``computer-use-preview``) are sent there by the OpenAI adapter itself, so they keep the
``openai`` provider's key, options and base URL.

Wire reference: https://platform.openai.com/docs/api-reference/responses-streaming and
openai-python's ``types/responses``. A stream is ``response.created``, then per output item
``response.output_item.added`` / deltas / ``response.output_item.done``, and one terminal
event: ``response.completed``, ``response.incomplete`` or ``response.failed`` (no
``[DONE]``). An ``error`` event reports a failure mid-stream.

Mapping:
- ``response.output_text.delta`` is content, ``response.refusal.delta`` refusal,
  ``response.reasoning_summary_text.delta`` (and ``response.reasoning_text.delta``, the raw
  reasoning open-weight models send) ``reasoning_content``;
- each ``function_call`` output item is a tool call, numbered in the order the calls
  started: ``response.output_item.added`` gives its id and name,
  ``response.function_call_arguments.delta`` its arguments;
- ``response.completed`` gives usage and the finish reason (``tool_calls`` when a call was
  made), ``response.incomplete`` ``length`` (``max_output_tokens``) or ``content_filter``;
- ``response.failed`` and ``error`` raise a ``ProviderStreamError`` typed by their code.

Requests: messages become input items (a tool call is a ``function_call`` item, its result a
``function_call_output``; a reply sent back carries its reasoning items, with
``encrypted_content`` when ``store`` is false, which asks for it), tools lose their
``function`` wrapper, ``response_format`` becomes ``text.format``, ``reasoning_effort``
``reasoning.effort`` and ``max_tokens`` ``max_output_tokens``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as quote_url

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import ConfigurationError, MalformedChunkError
from ..types import ChatCompletion, Message, MessageParam
from ._auth import KeyHeader
from ._base import (
    SSE_CONTENT_TYPE,
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
    string,
    text_of,
    tool_call,
)
from ._events import provider_error_event, quote
from ._responses_stream_py import finish_reason, responses_usage

if TYPE_CHECKING:
    from . import Provider
    from ._base import Auth
    from ._responses_stream_py import ResponsesStream

__all__ = [
    "AzureResponsesAdapter",
    "ResponsesAdapter",
    "ResponsesStream",
    "request_body",
    "responses_only",
]

# Models served by the Responses API alone (dated snapshots included).
_RESPONSES_ONLY = re.compile(
    r"^(?:o1-pro|o3-pro|gpt-5(?:\.\d+)?-pro|o3-deep-research|o4-mini-deep-research"
    r"|computer-use-preview|[\w.-]*codex[\w.-]*)(?:-\d{4}-\d{2}-\d{2})?$"
)
_SUPPORTED = frozenset({
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "tools", "tool_choice",
    "parallel_tool_calls", "response_format", "reasoning_effort", "user", "metadata",
    "service_tier", "store", "stream_options", "top_logprobs", "safety_identifier",
    "prompt_cache_key", "verbosity",
})
_PASSED = ("temperature", "top_p", "parallel_tool_calls", "user", "metadata", "service_tier",
           "store", "top_logprobs", "safety_identifier", "prompt_cache_key")


def responses_only(model: str) -> bool:
    """Whether an OpenAI model exists only on the Responses API."""
    return _RESPONSES_ONLY.match(model) is not None


# --- requests ---------------------------------------------------------------------------------


def _input_parts(content: Any) -> Any:
    if content is None or isinstance(content, str):
        return content or ""
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "input_text", "text": part.get("text") or ""})
        elif kind == "image_url":
            image = part.get("image_url") or {}
            parts.append({"type": "input_image", "image_url": image.get("url") or "",
                          "detail": image.get("detail") or "auto"})
        elif kind == "file":
            file = dict(part.get("file") or {})
            parts.append({"type": "input_file", **file})
        else:
            parts.append(dict(part))  # a Responses part already (input_audio, ...)
    return parts


def _reasoning_items(turn: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = []
    for item in turn.get("reasoning_items") or ():
        kept = {key: value for key, value in item.items() if key != "status"}
        kept.setdefault("summary", [])
        items.append(kept)
    return items


def input_items(messages: Sequence[MessageParam | Message]) -> list[dict[str, Any]]:
    """OpenAI chat messages as Responses API input items."""
    items: list[dict[str, Any]] = []
    for turn in messages_of(messages):
        role = turn.get("role")
        if role == "tool":
            items.append({"type": "function_call_output", "call_id": turn.get("tool_call_id"),
                          "output": text_of(turn.get("content"))})
            continue
        if role == "assistant":
            items.extend(_reasoning_items(turn))
            text = text_of(turn.get("content"))
            if text:
                items.append({"role": "assistant", "content": text})
            for call in turn.get("tool_calls") or ():
                function = call.get("function") or {}
                items.append({"type": "function_call", "call_id": call.get("id"),
                              "name": function.get("name"),
                              "arguments": function.get("arguments") or "{}"})
            continue
        items.append({"role": role, "content": _input_parts(turn.get("content"))})
    return items


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type") != "function" or "function" not in tool:
        return dict(tool)  # a built-in tool (web_search, file_search, ...) as it is
    function = tool["function"]
    out = {"type": "function", "name": function.get("name")}
    for key in ("description", "parameters", "strict"):
        if key in function:
            out[key] = function[key]
    return out


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, Mapping) and choice.get("type") == "function" and "function" in choice:
        return {"type": "function", "name": (choice.get("function") or {}).get("name")}
    return choice


def _text_format(response_format: Mapping[str, Any]) -> dict[str, Any]:
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = dict(response_format.get("json_schema") or {})
        return {"type": "json_schema", "name": schema.pop("name", "response"), **schema}
    return {"type": kind}


def request_body(
    model: str,
    messages: Sequence[MessageParam | Message],
    params: Mapping[str, Any],
    provider: str = "openai_responses",
) -> dict[str, Any]:
    """The ``/responses`` body for a chat call's messages and OpenAI-named parameters."""
    require(params, provider, _SUPPORTED)
    body: dict[str, Any] = {"model": model, "input": input_items(messages)}
    for name in _PASSED:
        if name in params:
            body[name] = params[name]
    limit = params.get("max_completion_tokens", params.get("max_tokens"))
    if limit is not None:
        body["max_output_tokens"] = limit
    if params.get("tools"):
        body["tools"] = [_tool(tool) for tool in params["tools"]]
    if "tool_choice" in params:
        body["tool_choice"] = _tool_choice(params["tool_choice"])
    text: dict[str, Any] = {}
    if params.get("response_format"):
        text["format"] = _text_format(params["response_format"])
    if params.get("verbosity"):
        text["verbosity"] = params["verbosity"]
    if text:
        body["text"] = text
    if params.get("reasoning_effort") is not None:
        body["reasoning"] = {"effort": params["reasoning_effort"]}
    if params.get("store") is False:
        # Unstored reasoning can go back in the next turn only as its encrypted content.
        body["include"] = ["reasoning.encrypted_content"]
    return body


# --- the adapters -----------------------------------------------------------------------------


class ResponsesAdapter:
    """Requests and responses of ``POST {base_url}/responses``."""

    option_names: frozenset[str] = frozenset()

    __slots__ = ("_provider",)

    def __init__(self, provider: Provider) -> None:
        self._provider = provider

    def url(self, base_url: str | None, options: Mapping[str, Any]) -> str:
        # base_url is the resolved one (provider_options, the client's, OPENAI_BASE_URL).
        return join_url(base_url or self._provider.base_url, "/responses")

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
        params = {name: value for name, value in params.items() if name != "stream_options"}
        body = request_body(model, messages, params, self._provider.name)
        body["stream"] = stream
        body.update(extra_body)
        headers = {"Content-Type": "application/json",
                   "Accept": SSE_CONTENT_TYPE if stream else "application/json"}
        return HttpRequest("POST", self.url(base_url, options), headers, orjson.dumps(body))

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        if key is None:
            return None
        return KeyHeader(self._provider.auth_header, key, self._provider.auth_prefix)

    def new_stream(self, model: str, request_id: str | None) -> ResponsesStream:
        return ResponsesStream(model)

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        return error_details(status, body)

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, "x-request-id", "request-id", "apim-request-id")

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        try:
            obj = orjson.loads(body)
            if obj.__class__ is not dict or not isinstance(obj.get("output"), list):
                raise TypeError("no output list")
            return _completion(obj, model)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedChunkError(
                f"response is not a Responses API response ({exc!r}): {quote(body)}", raw=body
            ) from exc


class AzureResponsesAdapter(ResponsesAdapter):
    """The Responses API on an Azure OpenAI resource: ``{endpoint}/openai/v1/responses``
    (the v1 API, which takes no ``api-version``), or ``{endpoint}/openai/responses`` with
    ``provider_options={"azure_responses": {"api_version": ...}}``; the key in ``api-key``;
    the model is the deployment's name."""

    __slots__ = ()
    option_names = frozenset({"api_version"})

    def url(self, base_url: str | None, options: Mapping[str, Any]) -> str:
        endpoint = base_url or options.get("base_url") or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ConfigurationError(
                "azure_responses needs the resource's endpoint: base_url=, "
                "provider_options={'azure_responses': {'base_url': ...}} or "
                "AZURE_OPENAI_ENDPOINT",
                provider=self._provider.name,
            )
        version = options.get("api_version")
        if version:
            return join_url(str(endpoint), "/openai/responses",
                            f"api-version={quote_url(str(version), safe='')}")
        return join_url(str(endpoint), "/openai/v1/responses")

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        return KeyHeader("api-key", key) if key is not None else None


# --- the reply --------------------------------------------------------------------------------


def _summary_text(item: Mapping[str, Any]) -> str:
    parts = [*(item.get("summary") or ()), *(item.get("content") or ())]
    return "".join(string(part.get("text") or "") for part in parts)


def _completion(obj: dict[str, Any], model: str) -> ChatCompletion:
    if obj.get("status") == "failed":
        raise provider_error_event(obj.get("error") or {}, orjson.dumps(obj))
    text: list[str] = []
    reasoning: list[str] = []
    refusal: list[str] = []
    calls = []
    reasoning_items = []
    for item in obj["output"]:
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or ():
                if part.get("type") == "output_text":
                    text.append(string(part.get("text")))
                elif part.get("type") == "refusal":
                    refusal.append(string(part.get("refusal")))
        elif kind == "function_call":
            calls.append(tool_call(string(item["call_id"]), string(item["name"]),
                                   string(item.get("arguments") or "{}")))
        elif kind == "reasoning":
            reasoning.append(_summary_text(item))
            reasoning_items.append(item)
    reply = completion(
        id=obj.get("id") or "",
        model=obj.get("model") or model,
        content="".join(text) or None,
        reasoning="".join(reasoning) or None,
        tool_calls=calls,
        finish_reason=finish_reason(obj, bool(calls)),
        usage=responses_usage(obj.get("usage")),
        raw=obj,
        message_raw={"role": "assistant", "content": "".join(text) or None,
                     **({"reasoning_items": reasoning_items} if reasoning_items else {})},
    )
    reply.created = int(obj.get("created_at") or reply.created)
    if refusal:
        reply.choices[0].message.refusal = "".join(refusal)
    return reply


if not TYPE_CHECKING:
    if IMPLEMENTATION == "c":
        from ._responses_stream_c import ResponsesStream
    else:
        from ._responses_stream_py import ResponsesStream
