"""OpenAI chat completions, and every provider that speaks it (Groq, Mistral, vLLM, ...).

Requests go to ``POST {base_url}/chat/completions``. The stream adapter
(``OpenAIChatStream``) has a pure-Python twin and a compiled one; the compiled one is used
whenever the compiled parsers are (``literllm.IMPLEMENTATION == "c"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .._parsers import IMPLEMENTATION
from ..errors import MalformedChunkError
from ..types import (
    AssistantMessageParam,
    ChatCompletion,
    Choice,
    FunctionCall,
    Message,
    MessageParam,
    ToolCall,
)
from ._base import HttpRequest
from ._openai_stream_py import mistral_parts, quote, usage_from

if TYPE_CHECKING:
    from ._openai_stream_py import OpenAIChatStream
elif IMPLEMENTATION == "c":
    try:
        from ._openai_stream_c import OpenAIChatStream
    except ImportError:
        from ._openai_stream_py import OpenAIChatStream
else:
    from ._openai_stream_py import OpenAIChatStream

__all__ = ["OpenAIChatAdapter", "OpenAIChatStream"]


def _outbound(messages: Sequence[MessageParam | Message]) -> Sequence[Any]:
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

    __slots__ = ()

    def chat_request(
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        params: Mapping[str, Any],
        *,
        stream: bool,
        stream_usage: bool,
    ) -> HttpRequest:
        body: dict[str, Any] = {"model": model, "messages": _outbound(messages)}
        body.update(params)
        if stream:
            body["stream"] = True
            if stream_usage and "stream_options" not in body:
                body["stream_options"] = {"include_usage": True}
        else:
            body.pop("stream_options", None)
        return HttpRequest("/chat/completions", orjson.dumps(body))

    def new_stream(self) -> OpenAIChatStream:
        return OpenAIChatStream()

    def parse_completion(self, body: bytes) -> ChatCompletion:
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
