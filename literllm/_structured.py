"""Structured output: JSON parsed while it streams (jiter's partial mode), and a pydantic
model as ``response_format``.

Nothing here runs per chunk. The partial value is parsed from the text received so far when
it is asked for (``FunctionCall.parsed_arguments``, ``Message.parsed`` of ``accumulated``),
as openai-python and anthropic do with the same parser; a stream that nobody asks pays
nothing. jiter and pydantic are optional extras, imported on first use.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .errors import ConfigurationError, StructuredOutputError

if TYPE_CHECKING:
    from .types import ChatCompletion

__all__ = [
    "OutputSpec",
    "SupportsModel",
    "attach_parsed",
    "output_spec",
    "partial_json",
    "strict_json_schema",
]


class SupportsModel(Protocol):
    """A pydantic model class (``BaseModel`` subclass), as ``response_format=`` takes it."""

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]: ...

    @classmethod
    def model_validate_json(cls, json_data: str, /) -> Any: ...


def partial_json(text: str | None) -> Any:
    """The value the JSON text received so far stands for: complete values as they are, an
    unfinished object or array with what it holds so far (a string still arriving is left
    out, as openai-python and anthropic do). ``None`` for no text; ``ValueError`` for text
    that is not the start of a JSON value."""
    if not text:
        return None
    try:
        import jiter
    except ImportError:
        raise ConfigurationError(
            "parsing JSON while it streams needs jiter: pip install 'literllm[partial-json]'"
        ) from None
    return jiter.from_json(text.encode(), partial_mode=True)


class OutputSpec(NamedTuple):
    """What a reply's content is parsed as: JSON (``model`` is ``None``) or a model."""

    model: type[SupportsModel] | None


def is_model(value: Any) -> bool:
    return isinstance(value, type) and callable(getattr(value, "model_json_schema", None)) and (
        callable(getattr(value, "model_validate_json", None))
    )


def output_spec(
    response_format: Any,
) -> tuple[Mapping[str, Any] | None, OutputSpec | None]:
    """The ``response_format`` to send (a model becomes a strict ``json_schema``) and how the
    reply is parsed (``None``: as text)."""
    if response_format is None:
        return None, None
    if is_model(response_format):
        schema = strict_json_schema(response_format.model_json_schema())
        return {
            "type": "json_schema",
            "json_schema": {"name": response_format.__name__[:64], "schema": schema,
                            "strict": True},
        }, OutputSpec(response_format)
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    return response_format, (OutputSpec(None) if kind in ("json_object", "json_schema") else None)


def strict_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema as OpenAI's strict mode takes it (openai-python's rules): every object
    closed (``additionalProperties: false``) with every property required, and no
    ``default: null``. Pydantic's ``$defs`` and ``$ref`` stay as they are."""
    result = copy.deepcopy(dict(schema))
    _make_strict(result)
    return result


def _make_strict(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _make_strict(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "object" or "properties" in node:
        node.setdefault("additionalProperties", False)
        properties = node.get("properties")
        if isinstance(properties, dict):
            node["required"] = list(properties)
    if "default" in node and node["default"] is None:
        del node["default"]
    for key in ("properties", "$defs", "definitions"):
        children = node.get(key)
        if isinstance(children, dict):
            for child in children.values():
                _make_strict(child)
    for key in ("items", "anyOf", "allOf", "oneOf", "prefixItems", "additionalProperties"):
        if isinstance(node.get(key), dict | list):
            _make_strict(node[key])


def _so_far(text: str | None) -> Any:
    """The JSON value so far; without jiter, the value once it is complete."""
    try:
        return partial_json(text)
    except ConfigurationError:
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None
    except ValueError:
        return None


def attach_parsed(completion: ChatCompletion, spec: OutputSpec, *, final: bool) -> None:
    """Set each choice's ``message.parsed``: the JSON so far while streaming (``final``
    false); at the end the JSON (``None`` if the content is not JSON), or the model
    validated (``StructuredOutputError`` when it does not validate: the model is the
    contract the caller asked for). A choice without content (a tool call, a refusal)
    keeps ``None``."""
    for choice in completion.choices:
        message = choice.message
        text = message.content
        if not final:
            message.parsed = _so_far(text)
            continue
        if not text:
            continue
        if spec.model is None:
            # As asked of chat(): the reply stands as it is; parsed says whether it is JSON.
            try:
                message.parsed = json.loads(text)
            except ValueError:
                message.parsed = None
            continue
        try:
            message.parsed = spec.model.model_validate_json(text)
        except ValueError as exc:  # pydantic's ValidationError is one
            message.parsed = _so_far(text)
            raise _invalid(
                completion, choice.finish_reason, f"does not validate as {spec.model.__name__}"
            ) from exc


def _invalid(
    completion: ChatCompletion, finish_reason: str | None, what: str
) -> StructuredOutputError:
    why = (
        " (finish_reason='length': the reply was cut at the token limit)"
        if finish_reason == "length" else ""
    )
    error = StructuredOutputError(f"the reply {what}{why}")
    error.completion = completion
    return error
