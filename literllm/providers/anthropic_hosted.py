"""Claude over other transports: Anthropic's Messages body and events, re-addressed.

- Vertex AI serves Claude at ``publishers/anthropic/models/{model}:streamRawPredict`` (and
  ``:rawPredict``): the body without ``model`` (the URL names it) and with
  ``anthropic_version`` ``vertex-2023-10-16``; the reply is Anthropic's SSE, event for event.
- Bedrock's InvokeModel (``bedrock/invoke/{modelId}``) takes the body without ``model`` and
  ``stream``, with ``anthropic_version`` ``bedrock-2023-05-31``, at
  ``/model/{modelId}/invoke-with-response-stream`` (``/invoke`` for ``chat()``), signed
  with SigV4. Its EventStream ``chunk`` events carry each Anthropic event as base64 JSON
  (``{"bytes": ...}``); its exception frames are ConverseStream's.

The request and stream mapping are ``anthropic``'s own (``request_body``,
``AnthropicStream``, ``parse_message``) and the EventStream side is Bedrock's
(``EventStreamTransport``, its exception frames): this module composes them.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ..errors import MalformedChunkError
from ..types import ChatCompletionChunk, Message, MessageParam
from ._base import EventStreamTransport, HttpRequest

__all__ = [
    "BEDROCK_ANTHROPIC_VERSION",
    "VERTEX_ANTHROPIC_VERSION",
    "BedrockInvokeStream",
    "bedrock_invoke_request",
    "claude_request",
]

VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31"


def _readdressed(
    url: str,
    model: str,
    messages: Sequence[MessageParam | Message],
    params: Mapping[str, Any],
    *,
    version: str,
    extra_body: Mapping[str, Any],
    accept: str,
    stream_field: bool,
) -> HttpRequest:
    """Anthropic's Messages body without ``model`` (the URL names it), with this host's
    ``anthropic_version`` (and ``stream`` where the host reads it from the body)."""
    from .anthropic import request_body

    body = request_body(model, messages, params)
    del body["model"]
    body["anthropic_version"] = version
    if stream_field:
        body["stream"] = True
    body.update(extra_body)
    headers = {"Content-Type": "application/json", "Accept": accept}
    return HttpRequest("POST", url, headers, orjson.dumps(body))


def claude_request(
    model_url: str,
    model: str,
    messages: Sequence[MessageParam | Message],
    params: Mapping[str, Any],
    *,
    extra_body: Mapping[str, Any],
    stream: bool,
) -> HttpRequest:
    """Vertex AI's request for ``model`` at ``model_url`` (its publisher path, no verb)."""
    return _readdressed(
        model_url + (":streamRawPredict" if stream else ":rawPredict"), model, messages,
        params, version=VERTEX_ANTHROPIC_VERSION, extra_body=extra_body,
        accept="text/event-stream" if stream else "application/json", stream_field=stream,
    )


def bedrock_invoke_request(
    model_url: str,
    model: str,
    messages: Sequence[MessageParam | Message],
    params: Mapping[str, Any],
    *,
    extra_body: Mapping[str, Any],
    stream: bool,
) -> HttpRequest:
    """InvokeModel's request for Claude ``model`` at ``model_url`` (``.../model/{id}``);
    the endpoint, not the body, says whether it streams."""
    return _readdressed(
        model_url + ("/invoke-with-response-stream" if stream else "/invoke"), model,
        messages, params, version=BEDROCK_ANTHROPIC_VERSION, extra_body=extra_body,
        accept="application/vnd.amazon.eventstream" if stream else "application/json",
        stream_field=False,
    )


class BedrockInvokeStream:
    """Chunks from one InvokeModelWithResponseStream response of a Claude model: EventStream
    ``chunk`` messages in, each Anthropic event inside handed to ``AnthropicStream``."""

    __slots__ = ("_anthropic", "_transport", "feed", "text_parts")
    content_type = EventStreamTransport.content_type

    def __init__(self, model: str) -> None:
        from .anthropic import AnthropicStream

        self._transport = EventStreamTransport()
        self.feed = self._transport.feed
        self._anthropic = AnthropicStream(model)
        self.text_parts = self._anthropic.text_parts

    @property
    def done(self) -> bool:
        return bool(self._anthropic.done)

    @property
    def message_raw(self) -> dict[str, Any]:
        return dict(self._anthropic.message_raw)

    def on_event(self, message: Any) -> ChatCompletionChunk | None:
        from ._bedrock_stream_py import exception_frame_error
        from ._events import quote

        headers = message.headers
        if headers.get(":message-type") != "event":
            raise exception_frame_error(headers, message.payload)
        if headers.get(":event-type") != "chunk":
            return None  # an event type newer than this adapter
        try:
            data = base64.b64decode(orjson.loads(message.payload)["bytes"], validate=True)
            kind = orjson.loads(data)["type"]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise MalformedChunkError(
                f"an InvokeModel chunk is not a base64 Anthropic event ({exc!r}): "
                f"{quote(message.payload)}", raw=message.payload,
            ) from exc
        if not isinstance(kind, str):
            raise MalformedChunkError(
                f"an InvokeModel chunk's event has no type: {quote(data)}", raw=data
            )
        return self._anthropic.on_event((kind.encode(), data))

    def finish(self) -> None:
        """The body ended: complete only after the inner ``message_stop``."""
        self._transport.check_end(self.done)
        self._anthropic.finish()
