"""Claude over another transport: Anthropic's Messages body, re-addressed.

Vertex AI serves Claude at ``publishers/anthropic/models/{model}:streamRawPredict`` (and
``:rawPredict``): the Messages API body without ``model`` (the URL names it) and with
``anthropic_version`` set to ``vertex-2023-10-16``; the reply is Anthropic's, event for
event. The request and stream mapping are ``anthropic``'s own; only the address and the
version field differ, so this module composes them rather than copying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ..types import Message, MessageParam
from ._base import HttpRequest

__all__ = ["VERTEX_ANTHROPIC_VERSION", "claude_request"]

VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"


def claude_request(
    model_url: str,
    model: str,
    messages: Sequence[MessageParam | Message],
    params: Mapping[str, Any],
    *,
    extra_body: Mapping[str, Any],
    stream: bool,
) -> HttpRequest:
    """The request for ``model`` at ``model_url`` (its publisher path, without the verb)."""
    from .anthropic import request_body

    body = request_body(model, messages, params)
    del body["model"]
    body["anthropic_version"] = VERTEX_ANTHROPIC_VERSION
    if stream:
        body["stream"] = True
    body.update(extra_body)
    verb = ":streamRawPredict" if stream else ":rawPredict"
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
    }
    return HttpRequest("POST", model_url + verb, headers, orjson.dumps(body))
