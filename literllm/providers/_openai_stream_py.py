"""OpenAI chat-completion chunks from SSE events, pure Python: the reference twin.

Wire reference: https://platform.openai.com/docs/api-reference/chat/streaming. A stream is SSE
``data:`` events holding ``chat.completion.chunk`` objects, ended by ``data: [DONE]``; an error
inside the stream arrives as ``{"error": {...}}`` (or an ``event: error``). Mistral sends
``delta.content`` as a list of typed parts for its reasoning models.

``_openai_stream_c`` compiles the common chunk shape and calls ``decode_event`` and
``build_chunk`` from here for everything else, so both twins agree on every input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..errors import MalformedChunkError, StreamTruncatedError
from ..types import ChatCompletionChunk, Delta, FunctionDelta, StreamChoice, ToolCallDelta, Usage
from ._base import SSE_CONTENT_TYPE, SSETransport
from ._events import DONE, decode_json, provider_error_event, quote

__all__ = [
    "OpenAIChatStream",
    "build_chunk",
    "check_complete",
    "decode_event",
    "mistral_parts",
    "usage_from",
]

_NO_DELTA: Final[dict[str, Any]] = {}


def usage_from(raw: Mapping[str, Any]) -> Usage:
    """``Usage`` from an OpenAI usage object."""
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


def mistral_parts(parts: list[Any]) -> tuple[str | None, str | None]:
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


def decode_event(event_type: bytes, data: bytes) -> dict[str, Any]:
    """The JSON object of one event; raises for bad JSON and for provider error events."""
    obj = decode_json(data)
    # NOTE: some servers send "error": null in every chunk; only a value is an error.
    if obj.get("error") is not None or event_type == b"error":
        raise provider_error_event(obj.get("error") or obj, data)
    return obj


def _delta(d: Mapping[str, Any]) -> Delta:
    content = d.get("content")
    reasoning = d.get("reasoning_content")
    if reasoning is None:
        reasoning = d.get("reasoning")
    if content.__class__ is list:
        content, thinking = mistral_parts(content)
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


def build_chunk(
    obj: dict[str, Any], data: bytes, text_parts: list[str], seen: set[int], open_: set[int]
) -> ChatCompletionChunk:
    """A chunk from one decoded event; records its text and which choices are still open."""
    try:
        choices = []
        for raw_choice in obj["choices"]:
            d = raw_choice.get("delta") or _NO_DELTA
            # Nearly every chunk's delta holds only "content": skip the general lookups.
            if len(d) == 1 and "content" in d and (content := d["content"]).__class__ is not list:
                delta = Delta(None, content, None, None, None, d)
            else:
                delta = _delta(d)
                content = delta.content
            if content is not None and content.__class__ is not str:
                raise TypeError(f"delta.content is {type(content).__name__}, not a string")
            if delta.reasoning_content is not None and delta.reasoning_content.__class__ is not str:
                raise TypeError("delta.reasoning_content is not a string")
            if content:
                text_parts.append(content)
            index = raw_choice.get("index", 0)
            finish = raw_choice.get("finish_reason")
            if index not in seen:
                seen.add(index)
                open_.add(index)
            if finish is not None:
                open_.discard(index)
            choices.append(StreamChoice(index, delta, finish, raw_choice.get("logprobs")))
        usage = obj.get("usage")
        if not usage and (groq := obj.get("x_groq")).__class__ is dict:
            # Groq puts usage only here when stream_options.include_usage was not asked for.
            usage = groq.get("usage")
        return ChatCompletionChunk(
            obj.get("id") or "",
            obj.get("object") or "chat.completion.chunk",
            obj.get("created") or 0,
            obj.get("model") or "",
            choices,
            usage_from(usage) if usage else None,
            obj.get("system_fingerprint"),
            obj,
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise MalformedChunkError(
            f"chunk does not have the chat.completion.chunk shape ({exc!r}): {quote(data)}",
            raw=data,
        ) from exc


def check_complete(done: bool, seen: set[int], open_: set[int]) -> None:
    """Raise ``StreamTruncatedError`` unless a stream that ended here was complete."""
    if done:
        return
    if seen and not open_:
        # Every choice has its finish_reason: complete without [DONE] (some compatible
        # servers never send it).
        return
    missing = "no chunk at all" if not seen else "choices without finish_reason"
    raise StreamTruncatedError(f"stream ended before data: [DONE] ({missing})")


class OpenAIChatStream:
    """Chunks from one chat-completions SSE response (bytes in, chunks out)."""

    content_type = SSE_CONTENT_TYPE
    __slots__ = ("_done", "_open", "_seen", "_transport", "feed", "text_parts")

    def __init__(self) -> None:
        self._done = False
        self._seen: set[int] = set()  # choice indexes that have appeared
        self._open: set[int] = set()  # ... and have no finish_reason yet
        self._transport = SSETransport()
        self.feed = self._transport.feed
        """``(event_type, data)`` pairs from response bytes."""
        self.text_parts: list[str] = []
        """Content received so far, in pieces."""

    @property
    def done(self) -> bool:
        """``data: [DONE]`` has arrived."""
        return self._done

    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        """The chunk of one ``(event_type, data)`` pair; ``None`` for ``data: [DONE]``."""
        event_type, data = event
        if data == DONE:
            self._done = True
            return None
        obj = decode_event(event_type, data)
        return build_chunk(obj, data, self.text_parts, self._seen, self._open)

    def finish(self) -> None:
        """The body ended: complete after ``[DONE]`` or once every choice has finished."""
        self._transport.check_end(self._done)
        check_complete(self._done, self._seen, self._open)
