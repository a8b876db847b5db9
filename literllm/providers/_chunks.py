"""Building OpenAI-shaped chunks and completions for the adapters of non-OpenAI formats.

Every chunk a stream yields carries the response's ``id`` and ``model``; ``_ChunkMaker``
holds them once per response so each event costs three dataclass ``__init__`` calls.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ..errors import ConfigurationError, MalformedChunkError
from ..types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    Delta,
    FunctionCall,
    FunctionDelta,
    Message,
    MessageParam,
    StreamChoice,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._events import decode_json, quote

__all__ = [
    "CHUNK_OBJECT",
    "ChunkMaker",
    "add_turn",
    "completion",
    "decode_json",
    "image_source",
    "optional_string",
    "require",
    "string",
    "text_of",
    "tool_arguments",
    "unsupported",
    "usage",
]

CHUNK_OBJECT = "chat.completion.chunk"


def malformed(data: bytes, exc: BaseException) -> MalformedChunkError:
    failure = MalformedChunkError(
        f"event does not have the expected shape ({exc!r}): {quote(data)}", raw=data
    )
    failure.__cause__ = exc
    return failure


def string(value: Any) -> str:
    """``value`` if it is text; ``TypeError`` (reported as a malformed event) if not."""
    if value.__class__ is not str:
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def optional_string(value: Any) -> str | None:
    return None if value is None else string(value)


def usage(
    prompt: int,
    completion: int,
    raw: Mapping[str, Any] | None,
    *,
    cached: int | None = None,
    cache_write: int | None = None,
    reasoning: int | None = None,
    total: int | None = None,
) -> Usage:
    """``Usage`` in OpenAI's terms: ``prompt`` counts cached input too; cache reads go to
    ``prompt_tokens_details.cached_tokens``, cache writes to
    ``prompt_tokens_details.cache_creation_tokens`` (LiteLLM's name), reasoning to
    ``completion_tokens_details.reasoning_tokens``."""
    prompt_details: dict[str, int] | None = None
    if cached is not None or cache_write is not None:
        prompt_details = {"cached_tokens": cached or 0}
        if cache_write is not None:
            prompt_details["cache_creation_tokens"] = cache_write
    completion_details = None if reasoning is None else {"reasoning_tokens": reasoning}
    return Usage(
        prompt, completion, prompt + completion if total is None else total,
        prompt_details, completion_details, raw,
    )


class ChunkMaker:
    """Chunks of one response: the same ``id``, ``created`` and ``model`` on every one."""

    __slots__ = ("created", "id", "model")

    def __init__(self, model: str) -> None:
        self.id = ""
        self.model = model
        self.created = int(time.time())

    def content(self, text: str, raw: Mapping[str, Any]) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            self.id,
            CHUNK_OBJECT,
            self.created,
            self.model,
            [StreamChoice(0, Delta(None, text, None, None, None, raw))],
            None,
            None,
            raw,
        )

    def delta(
        self,
        delta: Delta,
        raw: Mapping[str, Any],
        *,
        finish_reason: str | None = None,
        usage: Usage | None = None,
    ) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            self.id,
            CHUNK_OBJECT,
            self.created,
            self.model,
            [StreamChoice(0, delta, finish_reason)],
            usage,
            None,
            raw,
        )

    def tool_call(
        self,
        index: int,
        raw: Mapping[str, Any],
        *,
        call_id: str | None = None,
        name: str | None = None,
        arguments: str | None = None,
    ) -> ChatCompletionChunk:
        call = ToolCallDelta(
            index, call_id, "function" if call_id is not None else None,
            FunctionDelta(name, arguments), raw,
        )
        return self.delta(Delta(None, None, [call], None, None, raw), raw)


def completion(
    *,
    id: str,
    model: str,
    content: str | None,
    reasoning: str | None,
    tool_calls: Sequence[ToolCall],
    finish_reason: str | None,
    usage: Usage | None,
    raw: Mapping[str, Any],
    message_raw: Mapping[str, Any],
) -> ChatCompletion:
    message = Message("assistant", content, list(tool_calls) or None, None, reasoning, message_raw)
    return ChatCompletion(
        id,
        "chat.completion",
        int(time.time()),
        model,
        [Choice(0, message, finish_reason)],
        usage,
        None,
        raw,
    )


def tool_call(call_id: str, name: str, arguments: str) -> ToolCall:
    return ToolCall(call_id, FunctionCall(name, arguments))


def tool_arguments(value: Any) -> str:
    """Tool arguments as compact JSON text (providers that send them parsed)."""
    return orjson.dumps(value).decode() if value is not None else "{}"


def text_of(content: Any) -> str:
    """A message's content as text: a string, or its text parts joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text") or "" for part in content if part.get("type") == "text")


def image_source(url: str) -> tuple[str, str, str]:
    """``("base64", media_type, data)`` for a ``data:`` URL, else ``("url", "", url)``."""
    if url.startswith("data:"):
        header, _, data = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if encoding != "base64":
            raise ConfigurationError("image data URLs must be base64 encoded")
        return "base64", media_type, data
    return "url", "", url


def unsupported(provider: str, names: Sequence[str]) -> ConfigurationError:
    listed = ", ".join(sorted(names))
    return ConfigurationError(
        f"{provider} does not take {listed}; leave it out, or send a field of the "
        "provider's own with extra_body=",
        provider=provider,
    )


def require(params: Mapping[str, Any], provider: str, supported: frozenset[str]) -> None:
    """Raise ``ConfigurationError`` for parameters the provider has no counterpart for."""
    left = [name for name in params if name not in supported]
    if left:
        raise unsupported(provider, left)


def add_turn(
    turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]], key: str = "content"
) -> None:
    """Append a turn, merged into the last one when it has the same role: Anthropic, Bedrock
    and Gemini want user and assistant turns to alternate (tool results are user turns)."""
    if turns and turns[-1]["role"] == role:
        turns[-1][key].extend(blocks)
    else:
        turns.append({"role": role, key: list(blocks)})


def messages_of(messages: Sequence[MessageParam | Message]) -> list[Mapping[str, Any]]:
    """Every message as a mapping (a ``Message`` reply keeps its ``raw`` for the adapters)."""
    out: list[Mapping[str, Any]] = []
    for message in messages:
        if isinstance(message, Message):
            turn: dict[str, Any] = dict(message.to_dict())
            if message.raw:
                # What an adapter needs back (thinking blocks, signatures) lives in raw.
                for key, value in message.raw.items():
                    turn.setdefault(key, value)
            out.append(turn)
        else:
            out.append(message)
    return out
