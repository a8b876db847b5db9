"""Ollama ``/api/chat`` NDJSON lines to chunks, pure Python: the reference twin.

``_ollama_stream_c`` builds the common line (content only, not the last) in C and hands
every other line to this twin's ``on_event``, so both give the same chunks and errors for
every input. Mapping rules: see ``ollama.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import MalformedChunkError, StreamTruncatedError
from ..types import ChatCompletionChunk, Delta, FunctionDelta, ToolCallDelta
from ._base import NDJSON_CONTENT_TYPE, NDJSONTransport
from ._chunks import ChunkMaker, decode_json, tool_arguments, usage
from ._events import provider_error_event, quote

__all__ = ["FINISH", "OllamaStream", "ollama_usage"]

FINISH = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop"}


def ollama_usage(obj: Mapping[str, Any]) -> Any:
    prompt = obj.get("prompt_eval_count")
    output = obj.get("eval_count")
    if prompt is None and output is None:
        return None
    return usage(int(prompt or 0), int(output or 0), None)


class OllamaStream:
    """Chunks from one ``/api/chat`` NDJSON response."""

    __slots__ = ("_done", "_make", "_tools", "_transport", "feed", "text_parts")
    content_type = NDJSON_CONTENT_TYPE

    def __init__(self, model: str) -> None:
        self._transport = NDJSONTransport()
        self.feed = self._transport.feed
        self._make = ChunkMaker(model)
        self._done = False
        self._tools = 0
        self.text_parts: list[str] = []

    @property
    def done(self) -> bool:
        """The ``done: true`` line has arrived."""
        return self._done

    def on_event(self, line: bytes) -> ChatCompletionChunk | None:
        obj = decode_json(line)
        message = obj.get("message")
        if (
            message.__class__ is dict and len(message) == 2 and obj.get("done") is False
            and message.get("content").__class__ is str
        ):
            # The common line ({"role": "assistant", "content": "..."}): no thinking, no calls.
            content = message["content"]
            if not content:
                return None
            self.text_parts.append(content)
            return self._make.content(content, obj)
        if "error" in obj:
            error = obj["error"]
            raise provider_error_event(
                error if isinstance(error, Mapping) else {"message": str(error)}, line
            )
        try:
            message = obj.get("message") or {}
            content = message.get("content") or None
            thinking = message.get("thinking") or None
            calls = None
            if message.get("tool_calls"):
                calls = []
                for call in message["tool_calls"]:
                    function = call["function"]
                    calls.append(ToolCallDelta(
                        self._tools, str(call.get("id") or f"call_{self._tools}"), "function",
                        FunctionDelta(function["name"],
                                      tool_arguments(function.get("arguments"))),
                        call,
                    ))
                    self._tools += 1
            if content is not None and not isinstance(content, str):
                raise TypeError("message.content is not a string")
            if thinking is not None and not isinstance(thinking, str):
                raise TypeError("message.thinking is not a string")
            if content:
                self.text_parts.append(content)
            if obj.get("done") is True:
                self._done = True
                reason = obj.get("done_reason") or "stop"
                finish = "tool_calls" if self._tools else FINISH.get(reason, reason)
                return self._make.delta(
                    Delta("assistant", content, calls, None, thinking, obj), obj,
                    finish_reason=finish, usage=ollama_usage(obj),
                )
            if content is None and thinking is None and calls is None:
                return None
            return self._make.delta(Delta("assistant", content, calls, None, thinking, obj), obj)
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedChunkError(
                f"an Ollama line is not a chat chunk ({exc!r}): {quote(line)}", raw=line
            ) from exc

    def finish(self) -> None:
        """The body ended: complete only after the ``done`` line."""
        cut = bool(self._transport.rest())
        if not self._done:
            where = " (inside a line)" if cut else ""
            raise StreamTruncatedError(f"stream ended before its done line{where}")
