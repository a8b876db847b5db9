"""OpenAI chat completions, and every provider that speaks it (Groq, Mistral, vLLM, ...).

Wire reference: https://platform.openai.com/docs/api-reference/chat/streaming. A stream is SSE
``data:`` events holding ``chat.completion.chunk`` objects, ended by ``data: [DONE]``; an error
inside the stream arrives as ``{"error": {...}}`` (or an ``event: error``). Mistral sends
``delta.content`` as a list of typed parts for its reasoning models.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableSequence, Sequence
from typing import Any, Literal

import orjson

from ..errors import MalformedChunkError, StreamTruncatedError, stream_error_class_for_status
from ..types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    Delta,
    FunctionCall,
    FunctionDelta,
    Message,
    StreamChoice,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._base import HttpRequest

__all__ = ["OpenAIChatAdapter", "OpenAIChatStream"]

_DONE = b"[DONE]"
_NO_DELTA: dict[str, Any] = {}
_MESSAGE = b"message"
_QUOTE = 200

# An error event names its kind in "type" or "code"; these are the ones whose status is clear.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "tokens": 429,
    "server_error": 500,
    "internal_error": 500,
    "internal_server_error": 500,
    "api_error": 500,
    "overloaded_error": 529,
    "service_unavailable": 503,
    "service_unavailable_error": 503,
}


def _usage(raw: Mapping[str, Any]) -> Usage:
    prompt = raw.get("prompt_tokens") or 0
    completion = raw.get("completion_tokens") or 0
    return Usage(
        prompt,
        completion,
        raw.get("total_tokens") or prompt + completion,
        raw.get("prompt_tokens_details"),
        raw.get("completion_tokens_details"),
        raw,
    )


def _mistral_parts(parts: list[Any]) -> tuple[str | None, str | None]:
    """Mistral's list content: text parts are content, thinking parts are reasoning."""
    text: list[str] = []
    thinking: list[str] = []
    for part in parts:
        kind = part.get("type")
        if kind == "text":
            text.append(part.get("text") or "")
        elif kind == "thinking":
            for inner in part.get("thinking") or ():
                if inner.get("type") == "text":
                    thinking.append(inner.get("text") or "")
    return ("".join(text) if text else None, "".join(thinking) if thinking else None)


def _quote(raw: bytes) -> str:
    text = raw[:_QUOTE].decode("utf-8", "replace")
    return text + ("..." if len(raw) > _QUOTE else "")


def provider_error_event(error: Any, raw: bytes) -> Exception:
    """The typed ``ProviderStreamError`` for an error object sent inside a stream."""
    status: int | None = None
    message = _quote(raw)
    if isinstance(error, dict):
        for key in ("status", "status_code", "code"):
            value = error.get(key)
            if isinstance(value, int) and 100 <= value <= 599:
                status = value
                break
        if status is None:
            for key in ("type", "code"):
                value = error.get(key)
                if isinstance(value, str) and value in _ERROR_STATUS:
                    status = _ERROR_STATUS[value]
                    break
        message = str(error.get("message") or message)
    elif isinstance(error, str):
        message = error
    cls = stream_error_class_for_status(status)
    return cls(f"provider error inside the stream: {message}", status_code=status, body=error)


class OpenAIChatStream:
    """Chunks from one chat-completions SSE response (``feed_raw`` pairs in, chunks out)."""

    transport: Literal["sse", "eventstream"] = "sse"
    __slots__ = ("_done", "_open", "_seen", "text_parts")

    def __init__(self) -> None:
        self._done = False
        self._seen: set[int] = set()  # choice indexes that have appeared
        self._open: set[int] = set()  # ... and have no finish_reason yet
        self.text_parts: list[str] = []

    @property
    def done(self) -> bool:
        return self._done

    def on_events(
        self, events: Sequence[tuple[bytes, bytes]], out: MutableSequence[ChatCompletionChunk]
    ) -> None:
        # NOTE: the hot path of the whole client; measured with `python -m literllm.bench`.
        # Chunk building is inlined and a delta holding only "content" (nearly every chunk)
        # skips the general field lookups.
        loads = orjson.loads
        append = out.append
        add_text = self.text_parts.append
        seen = self._seen
        for event_type, data in events:
            if data == _DONE:
                self._done = True
                return
            try:
                obj = loads(data)
            except orjson.JSONDecodeError as exc:
                raise MalformedChunkError(
                    f"chunk is not valid JSON ({exc}): {_quote(data)}", raw=data
                ) from exc
            if obj.__class__ is not dict:
                raise MalformedChunkError(f"chunk is not a JSON object: {_quote(data)}", raw=data)
            if "error" in obj or (event_type != _MESSAGE and event_type == b"error"):
                raise provider_error_event(obj.get("error", obj), data)
            try:
                choices = []
                for raw_choice in obj["choices"]:
                    d = raw_choice.get("delta") or _NO_DELTA
                    if (
                        len(d) == 1
                        and "content" in d
                        and (content := d["content"]).__class__ is not list
                    ):
                        delta = Delta(None, content, None, None, None, d)
                    else:
                        delta = self._delta(d)
                        content = delta.content
                    if content:
                        add_text(content)
                    index = raw_choice.get("index", 0)
                    finish = raw_choice.get("finish_reason")
                    if index not in seen:
                        seen.add(index)
                        self._open.add(index)
                    if finish is not None:
                        self._open.discard(index)
                    choices.append(StreamChoice(index, delta, finish, raw_choice.get("logprobs")))
                usage = obj.get("usage")
                append(
                    ChatCompletionChunk(
                        obj.get("id") or "",
                        obj.get("object") or "chat.completion.chunk",
                        obj.get("created") or 0,
                        obj.get("model") or "",
                        choices,
                        _usage(usage) if usage else None,
                        obj.get("system_fingerprint"),
                        obj,
                    )
                )
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                raise MalformedChunkError(
                    f"chunk does not have the chat.completion.chunk shape ({exc!r}): "
                    f"{_quote(data)}",
                    raw=data,
                ) from exc

    @staticmethod
    def _delta(d: Mapping[str, Any]) -> Delta:
        content = d.get("content")
        reasoning = d.get("reasoning_content")
        if reasoning is None:
            reasoning = d.get("reasoning")
        if content.__class__ is list:
            content, thinking = _mistral_parts(content)
            reasoning = thinking if reasoning is None else reasoning
        tool_calls = d.get("tool_calls")
        if tool_calls:
            tool_calls = [
                ToolCallDelta(
                    t.get("index", i),
                    t.get("id"),
                    t.get("type"),
                    FunctionDelta(f.get("name"), f.get("arguments"))
                    if (f := t.get("function")) is not None
                    else None,
                    t,
                )
                for i, t in enumerate(tool_calls)
            ]
        return Delta(d.get("role"), content, tool_calls, d.get("refusal"), reasoning, d)

    def finish(self) -> None:
        if self._done:
            return
        if self._seen and not self._open:
            # Every choice has its finish_reason: complete without [DONE] (some compatible
            # servers never send it).
            return
        missing = "no chunk at all" if not self._seen else "choices without finish_reason"
        raise StreamTruncatedError(f"stream ended before data: [DONE] ({missing})")


class OpenAIChatAdapter:
    """Requests and responses of ``POST {base_url}/chat/completions``."""

    __slots__ = ()

    def chat_request(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        *,
        stream: bool,
        stream_usage: bool,
    ) -> HttpRequest:
        body: dict[str, Any] = {"model": model, "messages": messages}
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
                    content, thinking = _mistral_parts(content)
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
                _usage(usage) if usage else None,
                obj.get("system_fingerprint"),
                obj,
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
            raise MalformedChunkError(
                f"response is not a chat.completion ({exc!r}): {_quote(body)}", raw=body
            ) from exc
