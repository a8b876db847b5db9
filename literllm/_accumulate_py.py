"""``StreamAccumulator``: chunks in, the whole ``ChatCompletion`` out.

Linear in the stream: text is kept as lists of pieces and joined once when the completion is
built; tool call arguments likewise, merged by their ``index``; no partial JSON is parsed.
The merge rules are the OpenAI ones (``shared/conformance/providers/README.md``): ``id`` and
``function.name`` from the first piece that carries them, arguments concatenated, the last
non-null ``finish_reason`` per choice, the last ``usage`` of the stream.
"""

from __future__ import annotations

from typing import Any

from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    FunctionCall,
    Message,
    ToolCall,
    Usage,
)

__all__ = ["StreamAccumulator"]


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
        """Merge one chunk."""
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
