"""Bedrock ConverseStream EventStream messages to chunks, pure Python: the reference twin.

``_bedrock_stream_c`` builds the common message (a text ``contentBlockDelta``) in C and hands
every other message to this twin's ``on_event``, so both give the same chunks and errors.
Mapping rules: see ``bedrock.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from ..errors import MalformedChunkError, StreamTruncatedError
from ..errors import stream_error_class_for_status as stream_error_class
from ..types import ChatCompletionChunk, Delta, Usage
from ._base import EventStreamTransport
from ._chunks import ChunkMaker, malformed, optional_string, usage
from ._events import http_status, quote

__all__ = [
    "EXCEPTION_STATUS",
    "BedrockStream",
    "converse_usage",
    "exception_frame_error",
    "finish_reason",
]

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
def finish_reason(stop_reason: str | None) -> str | None:
    """OpenAI's finish reason for a Converse stop reason (unknown ones kept as they are)."""
    if stop_reason is None:
        return None
    return _FINISH.get(stop_reason, stop_reason)


def converse_usage(raw: Mapping[str, Any]) -> Usage:
    """``Usage`` from Converse's ``usage`` object. ``inputTokens`` leaves out the cache reads
    and writes, which OpenAI's ``prompt_tokens`` counts: they are added back."""
    read = raw.get("cacheReadInputTokens")
    write = raw.get("cacheWriteInputTokens")
    prompt = (raw.get("inputTokens") or 0) + (read or 0) + (write or 0)
    output = raw.get("outputTokens") or 0
    return usage(prompt, output, raw, cached=read, cache_write=write,
                 total=raw.get("totalTokens") or prompt + output)


class BedrockStream:
    """Chunks from one ConverseStream response (EventStream messages in)."""

    __slots__ = ("_blocks", "_done", "_make", "_reasoning", "_stopped", "_tools", "_transport",
                 "feed", "text_parts")
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
        # Reasoning blocks as they build: index -> [text pieces, signature, redacted data].
        self._reasoning: dict[int, list[Any]] = {}

    @property
    def done(self) -> bool:
        """``messageStop`` and the ``metadata`` after it have arrived."""
        return self._done

    @property
    def message_raw(self) -> dict[str, Any]:
        """What the reply's ``Message.raw`` needs to go back as a turn, as ``chat()``'s has:
        its reasoning blocks (text and signature), in order."""
        blocks = [
            {"type": "thinking", "thinking": "".join(pieces), "signature": signature}
            for pieces, signature, redacted in self._reasoning.values() if redacted is None
        ]
        return {"thinking_blocks": blocks} if blocks else {}

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
                text = optional_string(delta.get("text"))
                if text is not None:
                    self.text_parts.append(text)
                    return self._make.content(text, obj)
                use = delta.get("toolUse")
                if use is not None:
                    block = self._blocks.get(obj["contentBlockIndex"])
                    piece = use.get("input") or ""
                    if block is None:
                        # A server-run tool's input: kept in delta.extra, never a tool call.
                        return self._make.delta(Delta(None, None, None, None, None, delta), obj)
                    if not piece:
                        return None
                    block[1] = True
                    return self._make.tool_call(block[0], obj, arguments=piece)
                reasoning = delta.get("reasoningContent")
                if reasoning is not None:
                    text = optional_string(reasoning.get("text"))
                    block = self._reasoning.setdefault(obj["contentBlockIndex"], [[], None, None])
                    if text:
                        block[0].append(text)
                    if reasoning.get("signature") is not None:
                        block[1] = optional_string(reasoning["signature"])
                    if reasoning.get("redactedContent") is not None:
                        block[2] = reasoning["redactedContent"]
                    return self._make.delta(
                        Delta(None, None, None, None, text, reasoning), obj
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
            start = obj.get("start") or {}
            use = start.get("toolUse")
            if use is None or use.get("type") == "server_tool_use":
                # Bedrock runs some tools itself (Nova's code interpreter) and streams their
                # result later: not the caller's to run. Kept in delta.extra, as the result.
                if use is None and "toolResult" not in start:
                    return None
                return make.delta(Delta(None, None, None, None, None, start), obj)
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
            chunk = make.delta(Delta(), obj, usage=converse_usage(raw_usage))
            chunk.choices = []
            return chunk
        return None

    def _failure(self, headers: Mapping[str, Any], payload: bytes) -> Exception:
        return exception_frame_error(headers, payload)

    def finish(self) -> None:
        """The body ended: complete once ``messageStop`` has arrived."""
        self._transport.check_end(self._done)
        if not self._stopped:
            raise StreamTruncatedError("stream ended before messageStop")


def exception_frame_error(headers: Mapping[str, Any], payload: bytes) -> Exception:
    """The typed error of an EventStream exception frame (``:exception-type``, its JSON
    ``message``; the status from the API reference's table, else ``originalStatusCode``)."""
    kind = headers.get(":exception-type") or headers.get(":error-code") or "unknown"
    try:
        body = orjson.loads(payload) if payload else {}
    except orjson.JSONDecodeError:
        body = {"message": payload.decode("utf-8", "replace")}
    message = (body.get("message") if isinstance(body, dict) else None) or headers.get(
        ":error-message") or str(kind)
    status = EXCEPTION_STATUS.get(str(kind))
    if status is None and isinstance(body, dict):
        status = http_status(body.get("originalStatusCode"))
    cls = stream_error_class(status)
    return cls(f"provider error inside the stream: {kind}: {message}",
               status_code=status, body={"type": kind, **(body if isinstance(body, dict)
                                                           else {})})
