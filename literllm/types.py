"""Chunk and completion types, shaped like OpenAI's chat-completions objects.

Slots dataclasses, mutable on purpose: measured here, a frozen dataclass ``__init__`` costs
about 1.1 us against 0.24 us for a plain one, and a streamed chunk builds three of them; the
difference would be most of the client's 4 us-per-chunk budget.

The three classes every streamed chunk is made of, ``Delta``, ``StreamChoice`` and
``ChatCompletionChunk``, have twins: the dataclasses of ``_types_py``, and with the compiled
twins (``literllm.IMPLEMENTATION == "c"``) extension types (``_types_c``) that take those
dataclasses' fields, ``repr``, equality, ``match`` arguments, pickling and ``dataclasses``
support, and cost half as much to build and free.

Fields a provider sent that these classes do not name are kept: every object built from
provider JSON holds that JSON in ``raw`` (not part of equality or repr), and ``extra`` returns
the unnamed fields from it on demand, so keeping them costs nothing per chunk.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Required, TypeAlias, TypedDict, cast

from ._config import Timeout
from ._parsers import IMPLEMENTATION
from ._structured import SupportsModel
from ._types_py import _KeepsUnnamedFields, _Serialisable

# The three classes of every streamed chunk have a compiled twin (_types_c); the dataclasses
# in _types_py are the reference, and the pure-Python build's classes.
if TYPE_CHECKING or IMPLEMENTATION == "py":
    from ._types_py import ChatCompletionChunk, Delta, StreamChoice
else:
    from ._types_c import ChatCompletionChunk, Delta, StreamChoice

__all__ = [
    "AssistantMessageParam",
    "CacheControl",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatParams",
    "Choice",
    "ContentPart",
    "Delta",
    "DeveloperMessageParam",
    "FunctionCall",
    "FunctionCallParam",
    "FunctionDefinition",
    "FunctionDelta",
    "ImageContentPart",
    "ImageURL",
    "JSONSchema",
    "Message",
    "MessageParam",
    "NamedToolChoice",
    "ReasoningEffort",
    "ResponseFormat",
    "StreamChoice",
    "StreamOptions",
    "SystemMessageParam",
    "TextContentPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallParam",
    "ToolChoice",
    "ToolMessageParam",
    "ToolParam",
    "Usage",
    "UserMessageParam",
]

# --- requests: what a caller sends ------------------------------------------------------------
# TypedDicts shaped like OpenAI's chat-completions request
# (https://platform.openai.com/docs/api-reference/chat/create); plain dicts pass at run time,
# mypy checks roles, part types and the closed sets of values.


class CacheControl(TypedDict, total=False):
    """A prompt-caching breakpoint, as Anthropic (and LiteLLM's users) write it:
    ``{"type": "ephemeral"}``, optionally ``"ttl": "1h"``. Sent to providers that cache on
    request (Anthropic; Bedrock as a ``cachePoint``); others ignore it."""

    type: Required[Literal["ephemeral"]]
    ttl: str


class TextContentPart(TypedDict, total=False):
    """``{"type": "text", "text": ...}``."""

    type: Required[Literal["text"]]
    text: Required[str]
    cache_control: CacheControl


class ImageURL(TypedDict, total=False):
    """An image by URL or ``data:`` URL."""

    url: Required[str]
    detail: Literal["auto", "low", "high"]


class ImageContentPart(TypedDict, total=False):
    """``{"type": "image_url", "image_url": {"url": ...}}``."""

    type: Required[Literal["image_url"]]
    image_url: Required[ImageURL]
    cache_control: CacheControl


ContentPart: TypeAlias = TextContentPart | ImageContentPart


class SystemMessageParam(TypedDict, total=False):
    """Instructions for the model."""

    role: Required[Literal["system"]]
    content: Required[str | Sequence[TextContentPart]]
    name: str
    cache_control: CacheControl


class DeveloperMessageParam(TypedDict, total=False):
    """Instructions for the model (OpenAI's name for system on reasoning models)."""

    role: Required[Literal["developer"]]
    content: Required[str | Sequence[TextContentPart]]
    name: str
    cache_control: CacheControl


class UserMessageParam(TypedDict, total=False):
    """The user's turn: text, or text and image parts."""

    role: Required[Literal["user"]]
    content: Required[str | Sequence[ContentPart]]
    name: str
    cache_control: CacheControl


class FunctionCallParam(TypedDict):
    """The function an assistant's tool call names, and its arguments as JSON text."""

    name: str
    arguments: str


class ToolCallParam(TypedDict):
    """A tool call of an earlier assistant turn."""

    id: str
    type: Literal["function"]
    function: FunctionCallParam


class AssistantMessageParam(TypedDict, total=False):
    """An earlier assistant turn (``Message.to_dict()`` gives one)."""

    role: Required[Literal["assistant"]]
    content: str | Sequence[TextContentPart] | None
    tool_calls: Sequence[ToolCallParam]
    refusal: str | None
    reasoning_content: str | None
    name: str
    cache_control: CacheControl


class ToolMessageParam(TypedDict, total=False):
    """A tool's result, answering the tool call ``tool_call_id``."""

    role: Required[Literal["tool"]]
    content: Required[str | Sequence[TextContentPart]]
    tool_call_id: Required[str]
    cache_control: CacheControl


MessageParam: TypeAlias = (
    SystemMessageParam
    | DeveloperMessageParam
    | UserMessageParam
    | AssistantMessageParam
    | ToolMessageParam
)


class FunctionDefinition(TypedDict, total=False):
    """A function the model may call; ``parameters`` is a JSON Schema object."""

    name: Required[str]
    description: str
    parameters: Mapping[str, Any]
    strict: bool | None


class ToolParam(TypedDict, total=False):
    """``{"type": "function", "function": {...}}``."""

    type: Required[Literal["function"]]
    function: Required[FunctionDefinition]
    cache_control: CacheControl


class _ToolChoiceFunction(TypedDict):
    name: str


class NamedToolChoice(TypedDict):
    """Force one function: ``{"type": "function", "function": {"name": ...}}``."""

    type: Literal["function"]
    function: _ToolChoiceFunction


ToolChoice: TypeAlias = Literal["none", "auto", "required"] | NamedToolChoice


class JSONSchema(TypedDict, total=False):
    """The schema a ``json_schema`` response format holds the reply to."""

    name: Required[str]
    description: str
    schema: Mapping[str, Any]
    strict: bool | None


class _ResponseFormatText(TypedDict):
    type: Literal["text"]


class _ResponseFormatJSONObject(TypedDict):
    type: Literal["json_object"]


class _ResponseFormatJSONSchema(TypedDict):
    type: Literal["json_schema"]
    json_schema: JSONSchema


ResponseFormat: TypeAlias = (
    _ResponseFormatText | _ResponseFormatJSONObject | _ResponseFormatJSONSchema
)
ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh"]


class StreamOptions(TypedDict, total=False):
    """``stream_options``; literllm sends ``include_usage`` where the provider accepts it."""

    include_usage: bool
    include_obfuscation: bool


class ChatParams(TypedDict, total=False):
    """The keyword arguments of ``chat_stream()`` and ``chat()``; ``None`` means not sent.

    Everything but the last seven goes into the request body as OpenAI names it;
    ``extra_body`` adds (or overrides) body fields, ``extra_headers`` headers; ``api_key``
    and ``timeout`` override the client's for this call; ``record_to`` (streams only) saves
    the raw response body to that path, with a ``.json`` sidecar, for ``replay()``;
    ``fallbacks`` are the models to try, in order, when the model fails before its first
    chunk, and ``fallback_on`` the statuses and error classes that move on too.
    """

    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    max_completion_tokens: int | None
    stop: str | Sequence[str] | None
    n: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    logit_bias: Mapping[str, float] | None
    logprobs: bool | None
    top_logprobs: int | None
    seed: int | None
    user: str | None
    tools: Sequence[ToolParam] | None
    tool_choice: ToolChoice | None
    parallel_tool_calls: bool | None
    response_format: ResponseFormat | type[SupportsModel] | None
    reasoning_effort: ReasoningEffort | None
    stream_options: StreamOptions | None
    metadata: Mapping[str, str] | None
    service_tier: Literal["auto", "default", "flex", "scale", "priority"] | None
    store: bool | None
    prompt_cache_key: str | None
    safety_identifier: str | None
    verbosity: Literal["low", "medium", "high"] | None
    extra_body: Mapping[str, Any] | None
    extra_headers: Mapping[str, str] | None
    api_key: str | None
    timeout: float | Timeout | None
    record_to: str | os.PathLike[str] | None
    fallbacks: Sequence[str] | None
    fallback_on: Collection[int | type[Exception]] | int | type[Exception] | None


CLIENT_OPTIONS = frozenset({
    "extra_body", "extra_headers", "api_key", "timeout", "record_to", "fallbacks",
    "fallback_on",
})
"""The ``ChatParams`` that configure the call rather than go into the request body."""


# --- responses: what a provider sends back ----------------------------------------------------


@dataclass(slots=True)
class FunctionDelta(_Serialisable):
    """A piece of a streamed function call: the name once, the arguments in pieces."""

    name: str | None = None
    arguments: str | None = None


@dataclass(slots=True)
class ToolCallDelta(_KeepsUnnamedFields):
    """A piece of a streamed tool call; pieces with the same ``index`` belong together."""

    index: int
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)




@dataclass(slots=True)
class Usage(_KeepsUnnamedFields):
    """Token counts; the ``*_details`` keep the provider's breakdown as sent."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: Mapping[str, Any] | None = None
    completion_tokens_details: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)



@dataclass(slots=True)
class FunctionCall(_Serialisable):
    """A function call; in a stream's ``accumulated``, the arguments received so far."""

    name: str
    arguments: str

    @property
    def parsed_arguments(self) -> Any:
        """The arguments parsed as JSON, also while they are still arriving: an unfinished
        object holds the values complete so far (jiter's partial mode, as openai-python and
        anthropic use it). ``None`` before any argument arrived; ``ValueError`` for
        arguments that are not JSON. Parsed on each access, never per chunk; needs
        ``literllm[partial-json]``."""
        from ._structured import partial_json

        return partial_json(self.arguments)


@dataclass(slots=True)
class ToolCall(_Serialisable):
    """A complete tool call of a non-streamed reply."""

    id: str
    function: FunctionCall
    type: str = "function"


@dataclass(slots=True)
class Message(_KeepsUnnamedFields):
    """The assistant's message of a non-streamed reply."""

    role: str
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    parsed: Any = field(default=None, repr=False, compare=False)
    """With a JSON ``response_format``: the content parsed (while streaming, the value so
    far); with a pydantic model, the validated model once the reply is whole."""

    # NOTE: a TypedDict is a dict at run time; mypy keeps the two types apart.
    def to_dict(self) -> AssistantMessageParam:  # type: ignore[override]
        """This message as the next request's assistant turn (no ``raw``, no unsent nulls)."""
        return cast(AssistantMessageParam, _Serialisable.to_dict(self))


@dataclass(slots=True)
class Choice(_Serialisable):
    """One choice of a non-streamed reply."""

    index: int
    message: Message
    finish_reason: str | None = None
    logprobs: Any = None


@dataclass(slots=True)
class ChatCompletion(_KeepsUnnamedFields):
    """A non-streamed reply (``object == "chat.completion"``)."""

    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    system_fingerprint: str | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    stats: Any = field(default=None, repr=False, compare=False)
    """``chat()``'s ``StreamStats``; ``None`` on a stream's ``accumulated`` (the stream has
    them: ``stream.stats``)."""
