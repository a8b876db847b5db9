"""Offline use: StreamAccumulator, replay(), record_to= and the ``literllm`` command."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import accumulate, conformance
from hypothesis import given, settings
from hypothesis import strategies as st

import literllm
from literllm import (
    ConfigurationError,
    LlmClient,
    MalformedChunkError,
    StreamAccumulator,
    StreamError,
    StreamTruncatedError,
    replay,
)
from literllm.testing import WIRE_FORMATS, Fault, LocalProvider, random_reply

KEY = "sk-offline-test"
MESSAGES = [{"role": "user", "content": "hi"}]


def _recordings() -> list[Any]:
    try:
        folder = conformance("providers")
    except pytest.skip.Exception as exc:
        return [pytest.param(None, id="conformance-missing", marks=pytest.mark.skip(str(exc)))]
    return [pytest.param(path, id=f"{path.parent.name}/{path.stem}")
            for path in sorted(folder.glob("*/*")) if path.suffix in (".sse", ".bin")]


def _final(completion: literllm.ChatCompletion) -> dict[str, Any]:
    message = completion.choices[0].message
    usage = completion.usage
    return {
        "content": message.content or "",
        "reasoning": message.reasoning_content,
        "tool_calls": [{"index": i, "id": c.id, "type": c.type,
                        "function": {"name": c.function.name, "arguments": c.function.arguments}}
                       for i, c in enumerate(message.tool_calls or ())],
        "finish_reason": completion.choices[0].finish_reason,
        "usage": None if usage is None else {"prompt_tokens": usage.prompt_tokens,
                                             "completion_tokens": usage.completion_tokens,
                                             "total_tokens": usage.total_tokens},
    }


def _fields(chunk: literllm.ChatCompletionChunk) -> dict[str, Any]:
    fields = chunk.to_dict()
    fields.pop("created")  # the replay's clock, for formats whose events carry none
    return fields


def _compare(got: dict[str, Any], expected: dict[str, Any]) -> None:
    for field in ("content", "reasoning", "finish_reason", "usage"):
        assert got[field] == expected[field], field
    assert [c["function"]["name"] for c in got["tool_calls"]] == [
        c["function"]["name"] for c in expected["tool_calls"]]
    for ours, theirs in zip(got["tool_calls"], expected["tool_calls"], strict=True):
        assert json.loads(ours["function"]["arguments"]) == json.loads(
            theirs["function"]["arguments"])
        if theirs["id"] is not None:
            assert ours["id"] == theirs["id"]


@pytest.mark.parametrize("recording", _recordings())
def test_every_recording_replays_to_its_final_message(recording: Path) -> None:
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    accumulator = StreamAccumulator()
    chunks = list(replay(recording, recording.parent.name))
    for chunk in chunks:
        accumulator.add(chunk)
    final = accumulator.completion()
    _compare(_final(final), expected)
    assert accumulate(chunks)["content"] == expected["content"]
    assert accumulator.chunks == len(chunks)
    # The same from a file object and from bytes, in every split.
    with recording.open("rb") as file:
        assert [_fields(c) for c in replay(file, recording.parent.name)] == [
            _fields(c) for c in chunks]
    for split in (1, 7, ("seed", 3)):
        again = StreamAccumulator()
        for chunk in replay(recording.read_bytes(), recording.parent.name, split=split):
            again.add(chunk)
        _compare(_final(again.completion()), expected)


@pytest.mark.parametrize("recording", _recordings())
def test_a_cut_copy_raises_with_the_partial_message(recording: Path) -> None:
    body = recording.read_bytes()
    cut = random.Random(recording.name).randint(len(body) // 4, 3 * len(body) // 4)
    received = []
    with pytest.raises((StreamTruncatedError, MalformedChunkError)) as info:
        for chunk in replay(body[:cut], recording.parent.name):
            received.append(chunk)
    error = info.value
    assert error.chunks_received == len(received)
    assert error.accumulated is not None
    whole = StreamAccumulator()
    for chunk in received:
        whole.add(chunk)
    assert error.accumulated == whole.completion()
    assert f"after {len(received)} chunks" in str(error)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "cohere", "bedrock"])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), cut_seed=st.integers(0, 10_000))
def test_any_split_accumulates_to_the_same_result(provider: str, seed: int, cut_seed: int) -> None:
    body = WIRE_FORMATS[provider].stream_body(random_reply(seed))
    results = []
    for split in (None, 1, ("seed", cut_seed)):
        accumulator = StreamAccumulator()
        for chunk in replay(body, provider, split=split):
            accumulator.add(chunk)
        completion = accumulator.completion()
        completion.created = 0
        results.append(completion)
    assert results[0] == results[1] == results[2]
    reply = random_reply(seed)
    message = results[0].choices[0].message
    assert (message.content or "") == reply.content
    assert message.reasoning_content == reply.reasoning_text
    assert [json.loads(c.function.arguments) for c in message.tool_calls or ()] == [
        json.loads(c.arguments_text) for c in reply.tool_calls]


def test_replay_refuses_the_wrong_format_and_bad_sources(tmp_path: Path) -> None:
    frames = WIRE_FORMATS["bedrock"].stream_body(random_reply(1))
    with pytest.raises(ConfigurationError,
                       match=r"in the eventstream wire format.*streams eventstream \('bedrock'"):
        list(replay(frames, "openai"))
    with pytest.raises(ConfigurationError, match="sse wire format, and 'bedrock' streams eventstream"):
        list(replay(b"data: {}\n\n", "bedrock"))
    lines = WIRE_FORMATS["ollama"].stream_body(random_reply(1))
    with pytest.raises(ConfigurationError, match=r"streams ndjson \('ollama_chat'"):
        list(replay(lines, "anthropic"))
    with pytest.raises(ConfigurationError, match="sse wire format, and 'ollama_chat' streams ndjson"):
        list(replay(b"data: {}\n\n", "ollama_chat"))
    with pytest.raises(ConfigurationError, match="cannot read"):
        list(replay(tmp_path / "missing.sse", "openai"))
    with pytest.raises(ConfigurationError, match="needs provider="):
        list(replay(b"data: {}\n\n"))
    with pytest.raises(ConfigurationError, match="unknown provider"):
        list(replay(b"data: {}\n\n", "nonesuch"))


SSE_FORMATS = ["openai", "anthropic", "gemini", "cohere", "openai_responses"]


@pytest.mark.parametrize("actual", SSE_FORMATS)
@pytest.mark.parametrize("claimed", SSE_FORMATS)
def test_replay_with_the_wrong_provider_names_the_right_one(actual: str, claimed: str) -> None:
    body = WIRE_FORMATS[actual].stream_body(random_reply(3))
    if actual == claimed:
        assert list(replay(body, claimed))
        return
    try:
        chunks = list(replay(body, claimed))
    except ConfigurationError as exc:
        assert f"not {claimed!r}'s wire format: it replays as {actual!r}'s" in str(exc)
        assert isinstance(exc.__cause__, StreamError)
    except StreamError as exc:  # another format's error that is not "this is not my format"
        pytest.fail(f"{actual} replayed as {claimed}: {exc!r}")
    else:  # a body another format reads without complaint must at least not lose the text
        pytest.fail(f"{actual} replayed as {claimed} without an error: {len(chunks)} chunks")


def test_cli_replay_with_the_wrong_provider_says_which(tmp_path: Path) -> None:
    body = tmp_path / "reply.sse"
    body.write_bytes(WIRE_FORMATS["anthropic"].stream_body(random_reply(4)))
    result = literllm_cli("replay", str(body), "--provider", "openai")
    assert result.returncode == 1
    assert "not 'openai''s wire format: it replays as 'anthropic''s" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock", "gemini", "cohere"])
async def test_a_recorded_stream_replays_to_identical_chunks(
    tmp_path: Path, provider: str
) -> None:
    path = tmp_path / f"reply.{provider}"
    async with LocalProvider(api_key=KEY if provider != "bedrock" else "AKIDRECORD",
                             reply=random_reply(7), pieces=(1, 64)) as server:
        key: Any = {provider: KEY} if provider != "bedrock" else None
        async with LlmClient(api_key=key, base_url=server.url_for(provider),
                             provider_options={"bedrock": {"region": "us-east-1"}}) as client:
            if provider == "bedrock":
                client._api_key = {"bedrock": "AKIDRECORD"}  # a Bedrock API key (bearer)
            model = {"openai": "openai/gpt-4o", "anthropic": "anthropic/claude",
                     "bedrock": "bedrock/amazon.nova-micro-v1:0", "gemini": "gemini/g",
                     "cohere": "cohere/command-a"}[provider]
            async with await client.chat_stream(model, MESSAGES, record_to=path) as stream:
                live = [chunk async for chunk in stream]
    sidecar = json.loads(Path(f"{path}.json").read_text())
    assert sidecar["provider"] == provider and sidecar["outcome"] == "complete"
    assert sidecar["bytes"] == path.stat().st_size > 0
    assert KEY not in json.dumps(sidecar) and "Authorization" not in json.dumps(sidecar)
    replayed = list(replay(path))  # provider and model from the sidecar
    assert len(replayed) == len(live)
    for ours, theirs in zip(replayed, live, strict=True):
        a, b = ours.to_dict(), theirs.to_dict()
        a.pop("created"), b.pop("created")
        if provider == "bedrock":
            a.pop("id"), b.pop("id")  # the live one is the response's request id
        assert a == b
        assert ours.raw == theirs.raw


async def test_record_dir_saves_every_stream(tmp_path: Path) -> None:
    async with LocalProvider(api_key=KEY) as server, LlmClient(
        api_key=KEY, base_url=server.base_url, record_dir=tmp_path
    ) as client:
        for _ in range(2):
            async with await client.chat_stream("openai/gpt-4o", MESSAGES) as stream:
                async for _chunk in stream:
                    break  # closed early: recorded as such
    bodies = sorted(p for p in tmp_path.iterdir() if p.suffix == ".sse")
    assert len(bodies) == 2
    assert json.loads(Path(f"{bodies[0]}.json").read_text())["outcome"] == "closed early"
    with pytest.raises(ConfigurationError, match="record_to= records streams"):
        async with LlmClient(api_key=KEY, base_url="http://127.0.0.1:9/v1") as client:
            await client.chat("openai/gpt-4o", MESSAGES, record_to=tmp_path / "x")


# --- the command line ---------------------------------------------------------------------


def literllm_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "literllm", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_help() -> None:
    for command in ([], ["chat"], ["replay"]):
        result = literllm_cli(*command, "--help")
        assert result.returncode == 0 and "usage" in result.stdout
    bench = literllm_cli("bench", "--help")
    assert bench.returncode == 0 and "--quick" in bench.stdout


@pytest.mark.parametrize("recording", _recordings())
def test_cli_replay_final(recording: Path) -> None:
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    provider = recording.parent.name
    final = literllm_cli("replay", str(recording), "--provider", provider, "--final")
    assert final.returncode == 0, final.stderr
    completion = json.loads(final.stdout)
    message = completion["choices"][0]["message"]
    assert (message.get("content") or "") == expected["content"]
    assert message.get("reasoning_content") == expected["reasoning"]
    assert completion["choices"][0]["finish_reason"] == expected["finish_reason"]
    usage = completion["usage"]
    assert {k: usage[k] for k in expected["usage"]} == expected["usage"]
    assert [c["function"]["name"] for c in message.get("tool_calls") or ()] == [
        c["function"]["name"] for c in expected["tool_calls"]]


@pytest.mark.parametrize("recording", _recordings()[:3] + _recordings()[-6:-5])
def test_cli_replay(recording: Path) -> None:
    expected = json.loads(recording.with_suffix(".expected.json").read_text())
    provider = recording.parent.name
    text = literllm_cli("replay", str(recording), "--provider", provider)
    assert text.returncode == 0 and text.stdout == expected["content"] + "\n"
    lines = literllm_cli("replay", str(recording), "--provider", provider, "--json").stdout
    assert all(json.loads(line)["object"] == "chat.completion.chunk"
               for line in lines.splitlines())
    events = literllm_cli("replay", str(recording), "--provider", provider, "--events")
    assert events.returncode == 0, events.stderr
    assert len(events.stdout.splitlines()) == expected["transport_events"]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "bedrock", "cohere",
                                      "ollama_chat", "openai_responses"])
def test_cli_replay_events_of_a_whole_and_a_cut_body(provider: str, tmp_path: Path) -> None:
    """Our own bodies (no ../shared needed): a whole one exits 0, one cut short exits 1."""
    from literllm.testing._server import faulted_events
    from literllm.testing._transport import wire_for

    wire = wire_for(provider)
    body = wire.stream_body(random_reply(3))
    whole = tmp_path / "whole.body"
    whole.write_bytes(body)
    events = literllm_cli("replay", str(whole), "--provider", provider, "--events")
    assert events.returncode == 0, events.stderr
    lines = events.stdout.splitlines()
    assert lines and all(json.loads(line) for line in lines)
    cut_events, _, _ = faulted_events(wire, body, Fault(cut_after_events=3))
    cut = tmp_path / "cut.body"
    cut.write_bytes(b"".join(cut_events))
    broken = literllm_cli("replay", str(cut), "--provider", provider, "--events")
    assert broken.returncode == 1 and len(broken.stderr.strip().splitlines()) == 1
    assert len(broken.stdout.splitlines()) >= 2


def test_replay_events_keeps_the_sidecar_model(tmp_path: Path) -> None:
    from literllm._replay import replay_events

    body = WIRE_FORMATS["openai"].stream_body(random_reply(1))
    recording = tmp_path / "r.sse"
    recording.write_bytes(body)
    (tmp_path / "r.sse.json").write_text(json.dumps({"provider": "openai", "model": "gpt-x"}))
    assert list(replay_events(recording))  # the provider from the sidecar, no error


def test_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.bin"
    body = WIRE_FORMATS["bedrock"].stream_body(random_reply(2))
    corrupt.write_bytes(body[:40] + bytes([body[40] ^ 0xFF]) + body[41:])
    cut = tmp_path / "cut.sse"
    cut.write_bytes(WIRE_FORMATS["anthropic"].stream_body(random_reply(2))[:300])
    for args, word in (
        (["replay", str(tmp_path / "missing.sse"), "--provider", "openai"], "cannot read"),
        (["replay", str(cut), "--provider", "nonesuch"], "unknown provider"),
        (["replay", str(corrupt), "--provider", "bedrock"], "checksum"),
        (["replay", str(cut), "--provider", "anthropic"], "StreamTruncatedError"),
        (["chat", "nonesuch-model", "hi"], "UnroutableModelError"),
    ):
        result = literllm_cli(*args)
        assert result.returncode == 1, (args, result.stderr)
        assert word in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_stream_error_attribute_exists() -> None:
    assert StreamError.accumulated is None


# --- the accumulator's twins, and ChatStream.final() / accumulated ---------------------------


@pytest.fixture(params=["py", "c"])
def accumulator_twin(request: pytest.FixtureRequest) -> Any:
    import importlib
    import os

    try:
        return importlib.import_module(f"literllm._accumulate_{request.param}")
    except ImportError:
        if os.environ.get("LITERLLM_REQUIRE_EXTENSIONS"):
            raise
        pytest.skip("compiled twin not built")


def test_accumulator_twins_agree(accumulator_twin: Any) -> None:
    from literllm import _accumulate_py

    bodies = [(p, WIRE_FORMATS[p].stream_body(random_reply(seed)))
              for seed in range(20) for p in ("openai", "anthropic", "bedrock", "gemini", "cohere")]
    for provider, body in bodies:
        chunks = list(replay(body, provider))
        reference, twin = _accumulate_py.StreamAccumulator(), accumulator_twin.StreamAccumulator()
        for number, chunk in enumerate(chunks):
            reference.add(chunk)
            twin.add(chunk)
            if number % 7 == 0:
                assert twin.completion() == reference.completion()
        assert twin.completion() == reference.completion()
        assert twin.chunks == reference.chunks == len(chunks)
        assert twin.message == reference.message


def test_accumulator_odd_chunks(accumulator_twin: Any) -> None:
    from literllm import ChatCompletionChunk, Delta, StreamChoice

    def chunk(choices: list[Any], **fields: Any) -> ChatCompletionChunk:
        return ChatCompletionChunk("id", "chat.completion.chunk", 1, "m", choices, **fields)

    odd = [
        chunk([StreamChoice(0, Delta("assistant", ""))]),
        chunk([StreamChoice(0, Delta(None, "a"))], system_fingerprint="fp1"),
        chunk([StreamChoice(1, Delta(None, "b"))]),
        chunk([StreamChoice(0, Delta(None, None))]),
        chunk([StreamChoice(0, Delta(None, "c"), "stop")]),
        chunk([StreamChoice(0, Delta(None, "d"), None, {"content": []})]),
        chunk([StreamChoice(0, Delta(None, "e")), StreamChoice(1, Delta(None, "f"))]),
        chunk([], system_fingerprint="fp2"),
        chunk([StreamChoice(0, Delta(None, "g"))], system_fingerprint="fp1"),
    ]
    from literllm import _accumulate_py

    reference, twin = _accumulate_py.StreamAccumulator(), accumulator_twin.StreamAccumulator()
    for item in odd:
        reference.add(item)
        twin.add(item)
    assert twin.completion() == reference.completion()
    assert twin.completion().choices[0].message.content == "acdeg"
    assert twin.completion().system_fingerprint == "fp1"


async def test_stream_final_and_accumulated() -> None:
    reply = random_reply(3)
    async with LocalProvider(api_key=KEY, reply=reply) as server, LlmClient(
        api_key=KEY, base_url=server.root_url
    ) as client:
        stream = await client.chat_stream("anthropic/claude", MESSAGES)
        first = await stream.__anext__()
        assert stream.accumulated.choices[0].message.role == "assistant"
        assert first.choices
        final = await stream.final()
        message = final.choices[0].message
        assert (message.content or "") == reply.content
        assert message.reasoning_content == reply.reasoning_text
        assert final.choices[0].finish_reason == reply.finish_reason
        assert final.usage is not None and final.usage.completion_tokens == reply.completion_tokens
        assert final == stream.accumulated

        from literllm.testing import Fault

        server.fault = Fault(cut_after_events=6)
        stream = await client.chat_stream("anthropic/claude", MESSAGES)
        with pytest.raises(StreamTruncatedError) as info:
            await stream.final()
        partial = info.value.accumulated
        assert partial is not None and partial == stream.accumulated
        assert (partial.choices[0].message.content or "") == info.value.text
