"""OpenAI chat completions, and every provider that speaks it (Groq, Mistral, vLLM, ...).

Requests go to ``POST {base_url}/chat/completions``. The stream adapter
(``OpenAIChatStream``) has a pure-Python twin and a compiled one; the compiled one is used
whenever the compiled parsers are (``literllm.IMPLEMENTATION == "c"``): the selector in
``literllm._parsers`` picks "c" only when this twin is built too, so a process never mixes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import ConfigurationError, MalformedChunkError
from ..types import (
    AssistantMessageParam,
    ChatCompletion,
    Choice,
    FunctionCall,
    Message,
    MessageParam,
    ToolCall,
)
from ._auth import KeyHeader
from ._base import ErrorDetails, HttpRequest, error_details, header, join_url
from ._events import quote
from ._openai_stream_py import mistral_parts, usage_from

if TYPE_CHECKING:
    from . import Provider
    from ._base import Auth
    from ._openai_stream_py import OpenAIChatStream
    from .responses import ResponsesAdapter, ResponsesStream
elif IMPLEMENTATION == "c":
    from ._openai_stream_c import OpenAIChatStream
else:
    from ._openai_stream_py import OpenAIChatStream

__all__ = ["OpenAIChatAdapter", "OpenAIChatStream", "outbound_messages"]

_REQUEST_ID_HEADERS = ("x-request-id", "request-id")
# Every model responses_only() accepts has one of these in its name.
_RESPONSES_WORDS = ("-pro", "codex", "deep-research", "computer-use")


def outbound_messages(messages: Sequence[MessageParam | Message]) -> Sequence[Any]:
    """The messages as sent: a ``Message`` reply becomes its assistant turn."""
    if not any(isinstance(m, Message) for m in messages):
        return messages
    return [_assistant_turn(m) if isinstance(m, Message) else m for m in messages]


def _assistant_turn(message: Message) -> AssistantMessageParam:
    turn = message.to_dict()
    # Reasoning is the provider's output, not an input it takes back (DeepSeek answers 400).
    turn.pop("reasoning_content", None)
    return turn


class OpenAIChatAdapter:
    """Requests and responses of ``POST {base_url}/chat/completions``."""

    option_names: frozenset[str] = frozenset()

    __slots__ = ("_provider",)
    path = "/chat/completions"

    def __init__(self, provider: Provider) -> None:
        self._provider = provider

    def url(
        self, model: str, base_url: str | None, options: Mapping[str, Any], stream: bool
    ) -> str:
        base = base_url or self._provider.base_url
        if not base:
            name = self._provider.name
            raise ConfigurationError(
                f"{name}/ is OpenAI's format at a server of your own: give its URL as "
                f"provider_options={{{name!r}: {{'base_url': ...}}}} or base_url=",
                provider=name,
            )
        return join_url(base, self.path)

    def _responses(self, model: str) -> ResponsesAdapter | None:
        """The Responses API adapter, for an OpenAI model that exists only there."""
        if self._provider.name != "openai" or not any(
            word in model for word in _RESPONSES_WORDS
        ):
            return None  # without importing the Responses API for every other model
        from .responses import ResponsesAdapter, responses_only

        return ResponsesAdapter(self._provider) if responses_only(model) else None

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
        responses = self._responses(model)
        if responses is not None:
            return responses.chat_request(
                model, messages, params, extra_body=extra_body, stream=stream,
                base_url=base_url, options=options,
            )
        url = self.url(model, base_url, options, stream)
        body = self.request_body(model, messages, params, extra_body, stream, options)
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        return HttpRequest("POST", url, headers, orjson.dumps(body))

    def request_body(  # noqa: PLR0917  (the chat_request arguments a body is made of)
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        params: Mapping[str, Any],
        extra_body: Mapping[str, Any],
        stream: bool,
        options: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The JSON body (a subclass reshapes it for a platform of the same family)."""
        body: dict[str, Any] = {"model": model, "messages": outbound_messages(messages)}
        body.update(params)
        for ours, theirs in self._provider.renames:
            if ours in body and theirs not in body:
                body[theirs] = body.pop(ours)
        body.update(extra_body)
        if stream:
            body["stream"] = True
            if self._provider.stream_usage and "stream_options" not in body:
                body["stream_options"] = {"include_usage": True}
        else:
            body.pop("stream_options", None)
        return body

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        if key is None:
            return None
        return KeyHeader(self._provider.auth_header, key, self._provider.auth_prefix)

    def new_stream(
        self, model: str, request_id: str | None
    ) -> OpenAIChatStream | ResponsesStream:
        responses = self._responses(model)
        if responses is not None:
            return responses.new_stream(model, request_id)
        return OpenAIChatStream()

    def error_details(self, status: int, body: bytes) -> ErrorDetails:
        return error_details(status, body)

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return header(headers, *_REQUEST_ID_HEADERS)

    def parse_completion(self, body: bytes, model: str) -> ChatCompletion:
        responses = self._responses(model)
        if responses is not None:
            return responses.parse_completion(body, model)
        try:
            obj = orjson.loads(body)
            choices = []
            for raw in obj["choices"]:
                m = raw.get("message") or {}
                content = m.get("content")
                reasoning = m.get("reasoning_content") or m.get("reasoning")
                if content.__class__ is list:
                    content, thinking = mistral_parts(content)
                    reasoning = reasoning or thinking
                calls = [
                    ToolCall(
                        t.get("id") or "",
                        FunctionCall(
                            (t.get("function") or {}).get("name") or "",
                            (t.get("function") or {}).get("arguments") or "",
                        ),
                        t.get("type") or "function",
                    )
                    for t in m.get("tool_calls") or ()
                ]
                message = Message(
                    m.get("role") or "assistant",
                    content,
                    calls or None,
                    m.get("refusal"),
                    reasoning,
                    m,
                )
                choices.append(
                    Choice(
                        raw.get("index", 0), message, raw.get("finish_reason"), raw.get("logprobs")
                    )
                )
            usage = obj.get("usage")
            return ChatCompletion(
                obj.get("id") or "",
                obj.get("object") or "chat.completion",
                obj.get("created") or 0,
                obj.get("model") or "",
                choices,
                usage_from(usage) if usage else None,
                obj.get("system_fingerprint"),
                obj,
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
            raise MalformedChunkError(
                f"response is not a chat.completion ({exc!r}): {quote(body)}", raw=body
            ) from exc
