"""Fuzz the stream adapters' twins (OpenAI, Anthropic, Bedrock, Cohere, Gemini, Ollama,
Responses API) against each other."""

from __future__ import annotations

import atheris

with atheris.instrument_imports():
    from _harness import main, outcome

    from literllm._parsers import EventStreamDecoder, NDJSONDecoder, SSEDecoder
    from literllm.errors import EventStreamError, NDJSONError, SSEError, StreamError
    from literllm.providers import (
        _anthropic_stream_c,
        _anthropic_stream_py,
        _bedrock_stream_c,
        _bedrock_stream_py,
        _cohere_stream_c,
        _cohere_stream_py,
        _gemini_stream_c,
        _gemini_stream_py,
        _ollama_stream_c,
        _ollama_stream_py,
        _openai_stream_c,
        _openai_stream_py,
        _responses_stream_c,
        _responses_stream_py,
    )

DOCUMENTED = (StreamError,)


def run(stream: object, events: list[object]) -> list[object]:
    out: list[object] = []
    for event in events:
        chunk = stream.on_event(event)  # type: ignore[attr-defined]
        if chunk is None:
            out.append(None)
        else:
            fields = chunk.to_dict()
            fields.pop("created", None)
            # raw may be decoded lazily (the OpenAI scanner): dict() decodes it here.
            out.append((fields, dict(chunk.raw) if chunk.raw is not None else None,
                        [c.delta.raw for c in chunk.choices]))
    stream.finish()  # type: ignore[attr-defined]
    out.append(list(stream.text_parts))  # type: ignore[attr-defined]
    return out


def test_one_input(data: bytes) -> None:
    if not data:
        return
    which, payload = data[0] % 7, data[1:]
    if which == 5:
        try:
            events: list[object] = list(NDJSONDecoder().feed(payload))
        except NDJSONError:
            return
        twins = (_ollama_stream_py.OllamaStream("m"), _ollama_stream_c.OllamaStream("m"))
    elif which == 2:
        try:
            events = list(EventStreamDecoder().feed(payload))
        except EventStreamError:
            return
        twins = (_bedrock_stream_py.BedrockStream("m", "r"), _bedrock_stream_c.BedrockStream("m", "r"))
    else:
        try:
            events = list(SSEDecoder().feed_raw(payload))
        except SSEError:
            return
        if which == 0:
            twins = (_openai_stream_py.OpenAIChatStream(), _openai_stream_c.OpenAIChatStream())
        elif which == 3:
            twins = (_cohere_stream_py.CohereStream("m"), _cohere_stream_c.CohereStream("m"))
        elif which == 4:
            twins = (_gemini_stream_py.GeminiStream("m"), _gemini_stream_c.GeminiStream("m"))
        elif which == 6:
            twins = (_responses_stream_py.ResponsesStream("m"),
                     _responses_stream_c.ResponsesStream("m"))
        else:
            twins = (_anthropic_stream_py.AnthropicStream("m"), _anthropic_stream_c.AnthropicStream("m"))
    py = outcome(lambda: run(twins[0], events), DOCUMENTED)
    c = outcome(lambda: run(twins[1], events), DOCUMENTED)
    assert py == c, (py, c)


if __name__ == "__main__":
    main(test_one_input)
