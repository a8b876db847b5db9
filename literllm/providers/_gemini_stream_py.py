"""Gemini ``streamGenerateContent?alt=sse`` events to chunks, pure Python: the reference twin.

``_gemini_stream_c`` builds the common event (one candidate continuing plain text, no finish
reason) in C and hands every other event to this twin's ``on_event``, so both give the same
chunks and errors for every input. Mapping rules: see ``gemini.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import StreamTruncatedError
from ..types import ChatCompletionChunk, Delta, FunctionDelta, ToolCallDelta, Usage
from ._base import SSETransport
from ._chunks import ChunkMaker, decode_json, malformed, string, tool_arguments, usage
from ._events import provider_error_event

__all__ = ["GeminiStream", "finish_reason", "gemini_usage"]

_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "LANGUAGE": "content_filter",
}

def finish_reason(value: str | None, called_tools: bool) -> str | None:
    if value is None:
        return None
    if value == "STOP" and called_tools:
        return "tool_calls"
    return _FINISH.get(value, value)


def gemini_usage(raw: Mapping[str, Any]) -> Usage:
    prompt = raw.get("promptTokenCount") or 0
    completion_tokens = (raw.get("candidatesTokenCount") or 0) + (
        raw.get("thoughtsTokenCount") or 0)
    total = raw.get("totalTokenCount") or prompt + completion_tokens
    return usage(prompt, completion_tokens, raw, cached=raw.get("cachedContentTokenCount"),
                 reasoning=raw.get("thoughtsTokenCount"), total=total)


class GeminiStream:
    """Chunks from one ``streamGenerateContent?alt=sse`` response."""

    __slots__ = ("_finished", "_make", "_parts", "_tools", "_transport", "feed", "text_parts")
    content_type = SSETransport.content_type

    def __init__(self, model: str) -> None:
        self._transport = SSETransport()
        self.feed = self._transport.feed
        self._make = ChunkMaker(model)
        self._finished = False
        self._tools = 0
        self.text_parts: list[str] = []
        # The reply's parts: [the part, its text pieces (None: not a text part), whether it
        # is a plain text run]; a run of text parts is one part, joined when asked for.
        self._parts: list[list[Any]] = []

    @property
    def done(self) -> bool:
        """Gemini closes the body after the last candidate; read to its end."""
        return False

    @property
    def message_raw(self) -> dict[str, Any]:
        """What the reply's ``Message.raw`` needs to go back as a turn, as ``chat()``'s has:
        its parts (thought signatures in place, as Gemini wants them back)."""
        if not self._parts:
            return {}
        parts = []
        for part, pieces, _plain in self._parts:
            parts.append(part if pieces is None else {**part, "text": "".join(pieces)})
        return {"role": "model", "parts": parts}

    def _keep_text(self, part: Mapping[str, Any], text: str) -> None:
        """A text part other than plain text continuing plain text (which ``on_event`` adds
        itself): it continues the run of text before it when it can."""
        last = self._parts[-1] if self._parts else None
        if (last is not None and last[1] is not None
                and bool(part.get("thought")) == bool(last[0].get("thought"))
                and "thoughtSignature" not in last[0]):
            last[1].append(text)
            if "thoughtSignature" in part:
                last[0]["thoughtSignature"] = part["thoughtSignature"]
                last[2] = False
            return
        self._parts.append([dict(part), [text], len(part) == 1])

    def on_event(self, event: tuple[bytes, bytes]) -> ChatCompletionChunk | None:
        data = event[1]
        obj = decode_json(data)
        if obj.get("error") is not None:
            raise provider_error_event(obj["error"], data)
        try:
            make = self._make
            make.id = obj.get("responseId") or make.id
            make.model = obj.get("modelVersion") or make.model
            candidates = obj.get("candidates")
            text: list[str] = []
            thinking: list[str] = []
            calls: list[ToolCallDelta] = []
            reason = None
            if candidates:
                candidate = candidates[0]
                kept = self._parts
                for part in (candidate.get("content") or {}).get("parts") or ():
                    if part.__class__ is not dict:
                        raise TypeError(f"a part is {type(part).__name__}, not an object")
                    if "text" in part:
                        piece = string(part["text"])
                        if len(part) == 1 and kept and kept[-1][2]:
                            kept[-1][1].append(piece)  # the common part: more plain text
                            text.append(piece)
                            continue
                        self._keep_text(part, piece)
                        (thinking if part.get("thought") else text).append(piece)
                        continue
                    kept.append([dict(part), None, False])
                    if "functionCall" in part:
                        call = part["functionCall"]
                        index = self._tools
                        self._tools += 1
                        calls.append(ToolCallDelta(
                            index, call.get("id") or f"call_{index}", "function",
                            FunctionDelta(call["name"], tool_arguments(call.get("args"))), part,
                        ))
                reason = candidate.get("finishReason")
            elif (obj.get("promptFeedback") or {}).get("blockReason"):
                reason = "SAFETY"
            content = "".join(text) if text else None
            if content:
                self.text_parts.append(content)
            finish = finish_reason(reason, self._tools > 0)
            if finish is not None:
                self._finished = True
            raw_usage = obj.get("usageMetadata")
            return make.delta(
                Delta(None, content, calls or None, None, "".join(thinking) if thinking else None,
                      obj),
                obj,
                finish_reason=finish,
                usage=gemini_usage(raw_usage) if raw_usage and self._finished else None,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise malformed(data, exc) from exc

    def finish(self) -> None:
        """The body ended: complete once a candidate had its ``finishReason``."""
        self._transport.check_end(self._finished)
        if not self._finished:
            raise StreamTruncatedError("stream ended before a candidate's finishReason")
