"""``StreamAccumulator``: chunks in, the whole ``ChatCompletion`` out.

Linear in the stream: text is kept as lists of pieces and joined once when the completion is
built; tool call arguments likewise, merged by their ``index``; no partial JSON is parsed.
The merge rules are the OpenAI ones (``shared/conformance/providers/README.md``): ``id`` and
``function.name`` from the first piece that carries them, arguments concatenated, the last
non-null ``finish_reason`` per choice, the last ``usage`` of the stream.
"""

from __future__ import annotations

from typing import Any

from .errors import MalformedChunkError
from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    FunctionCall,
    Message,
    ToolCall,
    Usage,
)

__all__ = ["StreamAccumulator", "check_chunk"]


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _text(value: Any, where: str) -> None:
    if value is not None and value.__class__ is not str:
        raise MalformedChunkError(f"{where} is {_kind(value)}, not a string")


def _required_text(value: Any, where: str) -> None:
    if value.__class__ is not str:
        raise MalformedChunkError(f"{where} is {_kind(value)}, not a string")


def _whole(value: Any, where: str) -> None:
    if value.__class__ is not int:
        raise MalformedChunkError(f"{where} is {_kind(value)}, not an integer")


def check_chunk(chunk: ChatCompletionChunk) -> None:
    """Raise ``MalformedChunkError`` for a field whose type the chunk's own type does not
    allow (what an adapter passes through from the wire as sent, for example a tool call
    ``index`` sent as a list, or ``arguments`` sent as an object). Checked before anything
    is merged, so a bad chunk leaves the accumulated reply as it was."""
    _required_text(chunk.id, "id")
    _required_text(chunk.model, "model")
    _text(chunk.system_fingerprint, "system_fingerprint")
    created = chunk.created
    if created.__class__ is not int and created.__class__ is not float:
        raise MalformedChunkError(f"created is {_kind(created)}, not a number")
    usage = chunk.usage
    if usage is not None:
        if not isinstance(usage, Usage):
            raise MalformedChunkError(f"usage is {_kind(usage)}, not an object")
        _whole(usage.prompt_tokens, "usage.prompt_tokens")
        _whole(usage.completion_tokens, "usage.completion_tokens")
        _whole(usage.total_tokens, "usage.total_tokens")
    if chunk.choices.__class__ is not list:
        raise MalformedChunkError(f"choices is {_kind(chunk.choices)}, not a list")
    for choice in chunk.choices:
        _whole(choice.index, "choices[].index")
        _text(choice.finish_reason, "choices[].finish_reason")
        delta = choice.delta
        _text(delta.role, "delta.role")
        _text(delta.content, "delta.content")
        _text(delta.refusal, "delta.refusal")
        _text(delta.reasoning_content, "delta.reasoning_content")
        calls = delta.tool_calls
        if calls is None:
            continue
        if calls.__class__ is not list:
            raise MalformedChunkError(f"delta.tool_calls is {_kind(calls)}, not a list")
        for piece in calls:
            _whole(piece.index, "tool_calls[].index")
            _text(piece.id, "tool_calls[].id")
            _text(piece.type, "tool_calls[].type")
            function = piece.function
            if function is not None:
                _text(function.name, "tool_calls[].function.name")
                _text(function.arguments, "tool_calls[].function.arguments")


class _ToolCallState:
    __slots__ = ("arguments", "id", "name", "type")

    def __init__(self) -> None:
        self.id: str | None = None
        self.type: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []


class _ChoiceState:
    __slots__ = ("content", "finish_reason", "logprobs", "reasoning", "refusal", "role",
                 "tool_calls")

    def __init__(self) -> None:
        self.role: str | None = None
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.tool_calls: dict[int, _ToolCallState] = {}
        self.finish_reason: str | None = None
        self.logprobs: Any = None


class StreamAccumulator:
    """Merges ``ChatCompletionChunk``s into the ``ChatCompletion`` they add up to.

    ``add()`` each chunk as it arrives; ``completion()`` (any time, as often as wanted)
    builds the reply so far. ``chunks`` counts what was added.
    """

    __slots__ = ("_choices", "_created", "_fingerprint", "_id", "_model", "_usage", "chunks")

    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self._id = ""
        self._model = ""
        self._created = 0
        self._fingerprint: str | None = None
        self._usage: Usage | None = None
        self.chunks = 0
        """How many chunks were added."""

    def add(self, chunk: ChatCompletionChunk) -> None:
        """Merge one chunk; ``MalformedChunkError`` (nothing merged) for a wrong-typed field."""
        check_chunk(chunk)
        self.chunks += 1
        self._id = self._id or chunk.id
        self._model = self._model or chunk.model
        self._created = self._created or chunk.created
        self._fingerprint = chunk.system_fingerprint or self._fingerprint
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            state = self._choices.get(choice.index)
            if state is None:
                state = self._choices[choice.index] = _ChoiceState()
            delta = choice.delta
            if delta.role:
                state.role = delta.role
            if delta.content:
                state.content.append(delta.content)
            if delta.reasoning_content:
                state.reasoning.append(delta.reasoning_content)
            if delta.refusal:
                state.refusal.append(delta.refusal)
            for piece in delta.tool_calls or ():
                call = state.tool_calls.get(piece.index)
                if call is None:
                    call = state.tool_calls[piece.index] = _ToolCallState()
                call.id = call.id or piece.id
                call.type = call.type or piece.type
                function = piece.function
                if function is not None:
                    call.name = call.name or function.name
                    if function.arguments:
                        call.arguments.append(function.arguments)
            if choice.finish_reason is not None:
                state.finish_reason = choice.finish_reason
            if choice.logprobs is not None:
                state.logprobs = choice.logprobs

    def completion(self) -> ChatCompletion:
        """The reply the chunks so far add up to (``object == "chat.completion"``)."""
        choices = []
        for index in sorted(self._choices):
            state = self._choices[index]
            calls = [
                ToolCall(call.id or "", FunctionCall(call.name or "", "".join(call.arguments)),
                         call.type or "function")
                for _, call in sorted(state.tool_calls.items())
            ]
            message = Message(
                state.role or "assistant",
                "".join(state.content) if state.content else None,
                calls or None,
                "".join(state.refusal) if state.refusal else None,
                "".join(state.reasoning) if state.reasoning else None,
            )
            choices.append(Choice(index, message, state.finish_reason, state.logprobs))
        return ChatCompletion(
            self._id, "chat.completion", self._created, self._model, choices, self._usage,
            self._fingerprint,
        )

    @property
    def message(self) -> Message | None:
        """The first choice's message so far (``None`` before any choice arrived)."""
        completion = self.completion()
        return completion.choices[0].message if completion.choices else None
