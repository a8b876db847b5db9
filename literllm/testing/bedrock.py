"""Bedrock's Converse and ConverseStream as the local server speaks them (EventStream frames
built with literllm's own encoder)."""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Mapping
from typing import Any

from .._parsers._eventstream_encoder import encode_event_message
from ._builders import ScriptedReply
from ._wire import WireFormat, compact, split_sse_events
from .anthropic import AnthropicWire

__all__ = ["BedrockInvokeWire", "BedrockWire"]

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
         "content_filter": "content_filtered"}
_EXCEPTIONS = {"server_error": "internalServerException",
               "rate_limit_exceeded": "throttlingException",
               "rate_limit_error": "throttlingException",
               "overloaded_error": "serviceUnavailableException",
               "invalid_request_error": "validationException"}
# AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/bedrock/aws4_request,
# SignedHeaders=content-type;host;x-amz-date, Signature=<64 hex>
_SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[A-Za-z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)"
    r"/bedrock/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=[0-9a-f]{64}"
)
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _frame(event_type: str, body: dict[str, Any], number: int) -> bytes:
    # Bedrock pads every payload with a "p" field (as in shared/conformance's captures).
    body = {**body, "p": _PADDING[: 1 + number % len(_PADDING)]}
    return encode_event_message(
        {":event-type": event_type, ":content-type": "application/json",
         ":message-type": "event"},
        compact(body),
    )


def signature_ok(headers: Mapping[str, str], access_key: str) -> bool:
    """A well-formed SigV4 ``Authorization`` for service bedrock, credential ``access_key``."""
    match = _SIGV4.fullmatch(headers.get("Authorization", ""))
    if match is None or match["key"] != access_key:
        return False
    signed = match["signed"].split(";")
    date = headers.get("X-Amz-Date", "")
    return "host" in signed and "x-amz-date" in signed and date.startswith(match["date"])


class BedrockWire:
    """``POST /model/{modelId}/converse-stream`` (and ``/converse``); SigV4 or a Bedrock key."""

    name = "bedrock"
    stream = "BedrockStream"

    def variants(self) -> list[WireFormat]:
        """Claude through InvokeModel: Anthropic's events inside EventStream chunks."""
        return [BedrockInvokeWire()]
    content_type = "application/vnd.amazon.eventstream"

    def routes(self) -> list[str]:
        return ["/model/{model_id}/converse-stream", "/model/{model_id}/converse"]

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        if headers.get("Authorization") == f"Bearer {api_key}":
            return True
        return signature_ok(headers, api_key)

    def auth_error(self) -> tuple[int, Any]:
        return 403, {"message": "The security token included in the request is invalid."}

    def request_error(self, message: str) -> Any:
        return {"message": message}

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return path.endswith("/converse-stream")

    def model(self, match: Mapping[str, str], payload: Any) -> str:
        return match.get("model_id", "")

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or "messages" not in payload or "model" in payload:
            return "Malformed input request: messages required, model belongs in the path"
        return None

    def _usage(self, reply: ScriptedReply) -> dict[str, Any]:
        # Converse counts cache reads and writes apart from inputTokens.
        usage: dict[str, Any] = {
            "inputTokens": reply.prompt_tokens - reply.cached_tokens - reply.cache_write_tokens,
            "outputTokens": reply.completion_tokens,
            "totalTokens": reply.prompt_tokens + reply.completion_tokens}
        if reply.cached_tokens or reply.cache_write_tokens:
            usage["cacheReadInputTokens"] = reply.cached_tokens
            usage["cacheWriteInputTokens"] = reply.cache_write_tokens
        return usage

    def stream_body(self, reply: ScriptedReply) -> bytes:
        frames: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
        index = 0
        if reply.reasoning:
            frames += [("contentBlockDelta", {"contentBlockIndex": index, "delta": {
                "reasoningContent": {"text": piece}}}) for piece in reply.reasoning]
            frames.append(("contentBlockDelta", {"contentBlockIndex": index, "delta": {
                "reasoningContent": {"signature": reply.signature}}}))
            frames.append(("contentBlockStop", {"contentBlockIndex": index}))
            index += 1
        if reply.text:
            frames += [("contentBlockDelta", {"contentBlockIndex": index,
                                              "delta": {"text": piece}}) for piece in reply.text]
            frames.append(("contentBlockStop", {"contentBlockIndex": index}))
            index += 1
        for call in reply.tool_calls:
            frames.append(("contentBlockStart", {"contentBlockIndex": index, "start": {
                "toolUse": {"toolUseId": call.id, "name": call.name}}}))
            frames += [("contentBlockDelta", {"contentBlockIndex": index, "delta": {
                "toolUse": {"input": piece}}}) for piece in call.arguments]
            frames.append(("contentBlockStop", {"contentBlockIndex": index}))
            index += 1
        frames.append(("messageStop", {"stopReason": _STOP[reply.finish_reason]}))
        frames.append(("metadata", {"usage": self._usage(reply), "metrics": {"latencyMs": 42}}))
        return b"".join(_frame(kind, body, n) for n, (kind, body) in enumerate(frames))

    def completion(self, reply: ScriptedReply) -> Any:
        content: list[dict[str, Any]] = []
        if reply.reasoning:
            content.append({"reasoningContent": {"reasoningText": {
                "text": reply.reasoning_text, "signature": reply.signature}}})
        if reply.text:
            content.append({"text": reply.content})
        content += [{"toolUse": {"toolUseId": c.id, "name": c.name,
                                 "input": json.loads(c.arguments_text or "{}")}}
                    for c in reply.tool_calls]
        return {"output": {"message": {"role": "assistant", "content": content}},
                "stopReason": _STOP[reply.finish_reason], "usage": self._usage(reply),
                "metrics": {"latencyMs": 42}}

    def split_events(self, body: bytes) -> list[bytes]:
        frames = []
        pos = 0
        while pos + 4 <= len(body):
            (total,) = struct.unpack_from(">I", body, pos)
            frames.append(body[pos : pos + total])
            pos += total
        return frames

    def is_terminal(self, event: bytes) -> bool:
        return b"messageStop" in event[:120]

    def error_event(self, error: Mapping[str, Any]) -> bytes:
        kind = str(error.get("type", "internalServerException"))
        kind = _EXCEPTIONS.get(kind, kind)
        return encode_event_message(
            {":exception-type": kind, ":content-type": "application/json",
             ":message-type": "exception"},
            compact({"message": error.get("message", "")}),
        )

    def malformed_event(self) -> bytes:
        return encode_event_message(
            {":event-type": "contentBlockDelta", ":content-type": "application/json",
             ":message-type": "event"},
            b'{"contentBlockIndex":0,"delta":{"te',
        )


class BedrockInvokeWire(BedrockWire):
    """Claude on ``POST /model/{modelId}/invoke-with-response-stream`` (and ``/invoke``):
    Anthropic's body (``anthropic_version`` ``bedrock-2023-05-31``, no ``model`` or
    ``stream``) and Anthropic's events, each base64 in an EventStream ``chunk`` event."""

    name = "bedrock_invoke"
    stream = "BedrockInvokeStream"

    def routes(self) -> list[str]:
        return ["/model/{model_id}/invoke-with-response-stream", "/model/{model_id}/invoke"]

    def wants_stream(self, path: str, query: Mapping[str, str], payload: Any) -> bool:
        return path.endswith("/invoke-with-response-stream")

    def problem(self, query: Mapping[str, str], payload: Any) -> str | None:
        if not isinstance(payload, dict) or "model" in payload or "stream" in payload:
            return "Malformed input request: model and stream do not belong in the body"
        if payload.get("anthropic_version") != "bedrock-2023-05-31":
            return "Malformed input request: anthropic_version must be bedrock-2023-05-31"
        return AnthropicWire().problem(query, payload)

    def stream_body(self, reply: ScriptedReply) -> bytes:
        sse = AnthropicWire().stream_body(reply)
        frames = []
        for event in split_sse_events(sse):
            data = next(line[6:] for line in event.splitlines() if line.startswith(b"data: "))
            frames.append(encode_event_message(
                {":event-type": "chunk", ":content-type": "application/json",
                 ":message-type": "event"},
                compact({"bytes": base64.b64encode(data).decode(), "p": "abc"}),
            ))
        return b"".join(frames)

    def completion(self, reply: ScriptedReply) -> Any:
        return AnthropicWire().completion(reply)

    def is_terminal(self, event: bytes) -> bool:
        return b"message_stop" in _inner_event(event)

    def malformed_event(self) -> bytes:
        return encode_event_message(
            {":event-type": "chunk", ":content-type": "application/json",
             ":message-type": "event"},
            b'{"bytes":"eyJ0eXBlIjoi',
        )


def _inner_event(frame: bytes) -> bytes:
    """The Anthropic event a ``chunk`` frame carries (empty for any other frame)."""
    match = re.search(rb'"bytes":"([A-Za-z0-9+/=]+)"', frame)
    return base64.b64decode(match.group(1)) if match else b""
