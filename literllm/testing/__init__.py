"""A local provider server for tests and benchmarks, and stream builders.

``LocalProvider`` is an aiohttp app on 127.0.0.1 that speaks every supported provider's wire
format byte for byte (one module here per format: ``openai`` (and Azure), ``anthropic``,
``gemini`` (and Vertex AI), ``bedrock``, ``cohere``): it checks each format's auth header,
streams in realistic network pieces (random 1-16 KiB writes by default), answers
non-streaming requests with the JSON reply the same script adds up to (content, reasoning,
tool calls, usage), and injects faults (``Fault``). It plays a script (OpenAI chunk objects,
or a ``ScriptedReply`` every format renders in its own shape) or a recorded body as it is.

    async with LocalProvider(api_key="sk-test") as server:
        async with LlmClient(api_key="sk-test", base_url=server.base_url) as client:
            async with await client.chat_stream("openai/gpt-4o", messages) as stream:
                async for chunk in stream:
                    ...
        assert server.completed == 1

``server.base_url`` is the OpenAI-style ``.../v1``; every other provider's SDK convention
appends its own path to ``server.root_url`` (``server.url_for(provider)`` picks).

What the server saw and did, for assertions:

- ``requests``: every request (``RecordedRequest``: method, path, headers, parsed JSON body);
- ``completed``: streams sent to their end; ``disconnects``: streams the client closed first
  (``disconnected``, an ``asyncio.Event``, is set at the first one);
- ``active`` / ``max_active``: streams being sent now / the most at the same time.

The server runs with aiohttp's ``handler_cancellation=True``, so a client that leaves shows
at once in ``disconnects``; aiohttp's own default is off (a handler then runs to its end).

``python -m literllm.testing --port 8011`` runs it from the command line (the benchmark starts
it that way, in its own process). A model named ``chunks-N`` streams N generated pieces.
"""

from .._parsers._eventstream_encoder import encode_event_message
from ._builders import (
    ScriptedReply,
    ScriptedToolCall,
    bedrock_converse_stream,
    openai_chat_stream,
    openai_chunk_objects,
    random_reply,
    split_random,
    text_reply,
)
from ._server import WIRE_FORMATS, Fault, LocalProvider, RecordedRequest, default_reply
from ._transport import Cassette, RecordingFolder, ReplayMismatchError, ReplayTransport
from .openai import reply_chunks, sse_body

__all__ = [
    "WIRE_FORMATS",
    "Cassette",
    "Fault",
    "LocalProvider",
    "RecordedRequest",
    "RecordingFolder",
    "ReplayMismatchError",
    "ReplayTransport",
    "ScriptedReply",
    "ScriptedToolCall",
    "bedrock_converse_stream",
    "default_reply",
    "encode_event_message",
    "openai_chat_stream",
    "openai_chunk_objects",
    "random_reply",
    "reply_chunks",
    "split_random",
    "sse_body",
    "text_reply",
]
