"""Stream builders: deterministic provider streams, scripted replies and network splits.

Stdlib only (plus literllm's own encoder), so ``python -m literllm.bench`` needs nothing else;
the benchmark and the local server both build their workloads here.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from .._parsers._eventstream_encoder import encode_event_message

__all__ = [
    "ScriptedReply",
    "ScriptedToolCall",
    "bedrock_converse_stream",
    "openai_chat_stream",
    "openai_chunk_objects",
    "random_reply",
    "split_random",
    "text_reply",
]

_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
    "she",
    "there",
    "been",
    "one",
    "all",
    "we",
    "their",
    "has",
    "would",
    "when",
    "if",
    "so",
    "no",
    "will",
    "more",
    "can",
    "out",
    "up",
    "about",
    "into",
    "time",
    "them",
    "some",
    "could",
    "these",
    "other",
    "than",
    "then",
    "its",
    "stream",
    "token",
    "parser",
    "latency",
    "Python",
    "compiled",
    "event",
    "bytes",
    "model",
    "answer",
    "questioné",
    "café",
    "naïve",
    "世界",
    "🚀",
]


_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _token(rng: random.Random) -> str:
    word = rng.choice(_WORDS)
    return word if rng.random() < 0.15 else " " + word


def _obfuscation(rng: random.Random) -> str:
    return "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789")
        for _ in range(rng.randint(2, 14))
    )


def openai_chunk_objects(n_chunks: int, *, seed: int = 0) -> Iterator[dict[str, object]]:
    """Chat-completion chunk objects as OpenAI streams them (role, text, finish, usage)."""
    rng = random.Random(seed)
    base = {
        "id": "chatcmpl-Dx0Xq5Xx9rHB2ehcHZCRDsnuymUXc",
        "object": "chat.completion.chunk",
        "created": 1782955818,
        "model": "gpt-4o-mini-2024-07-18",
        "service_tier": "default",
        "system_fingerprint": "fp_d0469e1700",
    }
    for i in range(n_chunks):
        if i == 0:
            delta: dict[str, object] = {"role": "assistant", "content": "", "refusal": None}
            finish = None
        elif i == n_chunks - 2:
            delta, finish = {}, "stop"
        elif i == n_chunks - 1:
            yield {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": 78,
                    "completion_tokens": n_chunks - 3,
                    "total_tokens": 78 + n_chunks - 3,
                    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
                },
                "obfuscation": _obfuscation(rng),
            }
            return
        else:
            delta, finish = {"content": _token(rng)}, None
        yield {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            "usage": None,
            "obfuscation": _obfuscation(rng),
        }


def openai_chat_stream(n_chunks: int = 10_000, *, seed: int = 0, done: bool = True) -> bytes:
    """An OpenAI chat-completions SSE body: ``n_chunks`` data events, then ``[DONE]``."""
    parts = [
        b"data: " + json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
        for obj in openai_chunk_objects(n_chunks, seed=seed)
    ]
    if done:
        parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def bedrock_converse_stream(n_messages: int = 10_000, *, seed: int = 0) -> bytes:
    """A Bedrock ConverseStream body in EventStream frames (start, deltas, stops, metadata)."""
    rng = random.Random(seed)

    def frame(event_type: str, body: dict[str, object]) -> bytes:
        # Bedrock pads every payload with a "p" field of 1-62 characters (as in the captures
        # under shared/conformance/providers/bedrock, about 200 bytes a frame).
        body = {**body, "p": _PADDING[: rng.randint(1, len(_PADDING))]}
        return encode_event_message(
            {
                ":event-type": event_type,
                ":content-type": "application/json",
                ":message-type": "event",
            },
            json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
        )

    frames = [frame("messageStart", {"role": "assistant"})]
    deltas = max(n_messages - 4, 0)
    frames.extend(
        frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": _token(rng)}})
        for _ in range(deltas)
    )
    frames.append(frame("contentBlockStop", {"contentBlockIndex": 0}))
    frames.append(frame("messageStop", {"stopReason": "end_turn"}))
    frames.append(
        frame(
            "metadata",
            {
                "usage": {"inputTokens": 25, "outputTokens": deltas, "totalTokens": 25 + deltas},
                "metrics": {"latencyMs": 1234},
            },
        )
    )
    return b"".join(frames[:n_messages])


def split_random(data: bytes, low: int, high: int, *, seed: int = 0) -> list[bytes]:
    """Cut ``data`` into pieces of random sizes in ``[low, high]`` (the last may be shorter)."""
    rng = random.Random(seed)
    pieces = []
    pos = 0
    while pos < len(data):
        size = rng.randint(low, high)
        pieces.append(data[pos : pos + size])
        pos += size
    return pieces


@dataclass
class ScriptedToolCall:
    """A client tool call a scripted reply makes; ``arguments`` is JSON text in pieces."""

    id: str
    name: str
    arguments: list[str] = field(default_factory=list)

    @property
    def arguments_text(self) -> str:
        return "".join(self.arguments)


@dataclass
class ScriptedReply:
    """A reply in no provider's format; each wire format of the local server renders it.

    ``text`` and ``reasoning`` are the pieces as they are to stream; ``finish_reason`` is
    OpenAI's normalised value (each format writes its own: ``end_turn``, ``STOP``, ...).
    """

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    prompt_tokens: int = 11
    """Every input token, cached ones included (OpenAI's count)."""
    completion_tokens: int = 7
    """Every output token, reasoning ones included."""
    cached_tokens: int = 0
    """Of ``prompt_tokens``, read from the provider's prompt cache."""
    cache_write_tokens: int = 0
    """Of ``prompt_tokens``, written to the prompt cache (formats that report it)."""
    reasoning_tokens: int = 0
    """Of ``completion_tokens``, spent reasoning (formats that report it)."""
    id: str = "msg_local_0001"
    model: str = "local-model"
    signature: str = "c2lnbmF0dXJl"
    """The thinking signature formats that have one send after the reasoning."""

    @property
    def content(self) -> str:
        return "".join(self.text)

    @property
    def reasoning_text(self) -> str | None:
        return "".join(self.reasoning) if self.reasoning else None


def text_reply(n_pieces: int, *, seed: int = 0) -> ScriptedReply:
    """A plain text reply of ``n_pieces`` word pieces (the benchmark's workload)."""
    rng = random.Random(seed)
    return ScriptedReply(
        text=[_token(rng) for _ in range(n_pieces)],
        prompt_tokens=25,
        completion_tokens=n_pieces,
    )


def random_reply(seed: int) -> ScriptedReply:
    """A random reply: unicode text, maybe thinking, maybe parallel tool calls, usage."""
    rng = random.Random(seed)
    text = [_token(rng) for _ in range(rng.randint(0, 30))]
    reasoning = [_token(rng) for _ in range(rng.randint(0, 10))] if rng.random() < 0.5 else []
    calls = []
    for number in range(rng.choice((0, 0, 1, 2, 3))):
        arguments = json.dumps(
            {"city": rng.choice(_WORDS), "days": rng.randint(1, 9), "note": _token(rng)},
            ensure_ascii=False,
        )
        cuts = sorted(rng.sample(range(1, len(arguments)), min(3, len(arguments) - 1)))
        pieces = [arguments[a:b] for a, b in zip([0, *cuts], [*cuts, len(arguments)], strict=True)]
        calls.append(ScriptedToolCall(f"call_{seed}_{number}", f"tool_{number}", pieces))
    if not text and not calls:
        text = [_token(rng)]
    finish = "tool_calls" if calls else rng.choice(("stop", "stop", "length"))
    return ScriptedReply(
        text=text,
        reasoning=reasoning,
        tool_calls=calls,
        finish_reason=finish,
        prompt_tokens=rng.randint(1, 5000),
        completion_tokens=rng.randint(1, 5000),
        id=f"msg_{seed:08d}",
        model=rng.choice(("model-a", "model-b-2025")),
    )
