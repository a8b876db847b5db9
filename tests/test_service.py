"""The service layer: stream stats, hooks, in-band retries, fallbacks, cooldowns, cost."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import pytest

import literllm
from literllm import (
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    Cooldown,
    CooldownError,
    LlmClient,
    ServiceUnavailableError,
    StreamError,
    StreamServiceUnavailableError,
    Usage,
)
from literllm.testing import Fault, LocalProvider, ReplayTransport, ScriptedReply
from literllm.transport import TransportRequest

KEY = "sk-service-test-0123456789"
MESSAGES = [{"role": "user", "content": "hi"}]
REPLY = ScriptedReply(text=["Hello", ", ", "world"], prompt_tokens=1000, completion_tokens=500)
OVERLOADED = Fault(error_at=1, error_object={"type": "overloaded_error", "message": "Overloaded"})
BUSY = Fault(status=503, body={"error": {"message": "busy"}}, retry_after="0")


def client(transport: Any, **options: Any) -> LlmClient:
    keys = {"openai": KEY, "anthropic": KEY, "gemini": KEY, "groq": KEY}
    return LlmClient(api_key=keys, transport=transport, **options)


class Recorder:
    """A hook that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_request(self, info: Any) -> None:
        self.events.append(("request", info))

    def on_first_chunk(self, stats: Any) -> None:
        self.events.append(("first_chunk", stats))

    def on_end(self, stats: Any) -> None:
        self.events.append(("end", stats))

    def on_error(self, stats: Any, error: BaseException) -> None:
        self.events.append(("error", (stats, error)))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.events]


# Stats


async def test_stats_of_a_stream_read_to_its_end() -> None:
    transport = ReplayTransport(REPLY, pieces=(8, 16), delay=0.002)
    async with client(transport) as llm:
        stream = await llm.chat_stream("openai/gpt-4o", MESSAGES)
        running = stream.stats
        assert running.outcome is None and running.duration is None
        assert running.time_to_headers is not None and running.time_to_first_chunk is None
        async for _chunk in stream:
            pass
        stats = stream.stats
    assert (stats.provider, stats.model, stats.outcome) == ("openai", "gpt-4o", "completed")
    assert len(stats.attempts) == 1 and stats.attempts[0].error is None
    assert stats.chunks == stream.chunks_received > 3
    assert stats.time_to_headers is not None and stats.time_to_first_chunk is not None
    assert stats.duration is not None
    assert 0 <= stats.time_to_headers <= stats.time_to_first_chunk <= stats.duration
    assert stats.usage is not None and stats.usage.completion_tokens == 500
    assert stats.output_tokens_per_second is not None and stats.output_tokens_per_second > 0
    assert stats.finish_reason == "stop"
    # gpt-4o: $2.50 per million input tokens, $10 per million output (genai-prices).
    assert stats.cost == pytest.approx(1000 * 2.5e-6 + 500 * 10e-6)
    assert stats.queued >= 0 and stats.started_at > 1.7e9


async def test_the_first_chunk_is_the_first_with_content() -> None:
    transport = ReplayTransport(ScriptedReply(text=["", "late"]), pieces=(1, 1))
    async with client(transport) as llm:
        stream = await llm.chat_stream("anthropic/claude-sonnet-4", MESSAGES)
        first = await stream.__anext__()  # message_start: a role, no content
        assert not first.choices[0].delta.content
        assert stream.stats.time_to_first_chunk is None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
        assert stream.stats.time_to_first_chunk is not None
        await stream.aclose()
    assert stream.stats.outcome == "cancelled"


async def test_an_error_and_chat_carry_stats() -> None:
    transport = ReplayTransport([REPLY, REPLY], fault=Fault(cut_after_events=3, times=1))
    async with client(transport) as llm:
        stream = await llm.chat_stream("openai/gpt-4o", MESSAGES)
        with pytest.raises(StreamError) as info:
            await stream.final()
        stats = info.value.stats
        assert stats.outcome == "error" and stats.chunks == info.value.chunks_received
        assert info.value.attempts == stats.attempts
        reply = await llm.chat("openai/gpt-4o", MESSAGES)
    assert reply.stats.outcome == "completed" and reply.stats.chunks == 0
    assert reply.stats.usage == reply.usage and reply.stats.cost is not None
    assert "stats" not in reply.to_dict()


# Hooks


async def test_hooks_see_every_attempt_and_never_a_key(caplog: pytest.LogCaptureFixture) -> None:
    seen = Recorder()
    told: list[str] = []

    class AsyncHook:
        async def on_end(self, stats: Any) -> None:
            await asyncio.sleep(0)
            told.append(stats.outcome)

    class Broken:
        def on_first_chunk(self, stats: Any) -> None:
            raise RuntimeError("a hook bug")

    transport = ReplayTransport([BUSY, REPLY, REPLY])
    with caplog.at_level(logging.ERROR, logger="literllm"):
        async with client(transport, hooks=[seen, AsyncHook(), Broken()]) as llm:
            reply = await (await llm.chat_stream("openai/gpt-4o", MESSAGES)).final()
            assert reply.choices[0].message.content == "Hello, world"
            await llm.chat("openai/gpt-4o", MESSAGES)
    assert seen.names == ["request", "error", "request", "first_chunk", "end",
                          "request", "end"]
    assert told == ["completed", "completed"]  # awaited before close() returned
    assert "a hook bug" in caplog.text
    first, second = seen.events[0][1], seen.events[2][1]
    assert (first.attempt, second.attempt, first.call_id) == (1, 2, second.call_id)
    assert first.url == "https://api.openai.com/v1/chat/completions" and first.stream
    assert KEY not in repr(first) and KEY not in str(first.params)
    assert isinstance(seen.events[1][1][1], ServiceUnavailableError)
    assert seen.events[-1][1].request.attempt == 1 and not seen.events[-1][1].request.stream


async def test_a_hook_without_any_hook_method_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="none of on_request"):
        LlmClient(api_key=KEY, hooks=[object()])


# In-band errors before any content


async def test_an_in_band_overload_before_content_is_retried() -> None:
    seen = Recorder()
    transport = ReplayTransport(REPLY, fault=Fault(**{**OVERLOADED.__dict__, "times": 1}))
    async with client(transport, hooks=[seen]) as llm:
        stream = await llm.chat_stream("anthropic/claude-sonnet-4", MESSAGES)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Hello, world"  # delivered once
    assert len(transport.requests) == 2
    stats = stream.stats
    assert [type(a.error) for a in stats.attempts] == [StreamServiceUnavailableError, type(None)]
    assert stats.outcome == "completed"
    assert seen.names == ["request", "error", "request", "first_chunk", "end"]


async def test_an_in_band_error_after_content_is_raised_with_the_partial_text() -> None:
    late = Fault(error_at=4, error_object={"type": "overloaded_error", "message": "Overloaded"})
    transport = ReplayTransport(REPLY, fault=late)
    async with client(transport, fallbacks={"anthropic/claude": ["openai/gpt-4o"]}) as llm:
        stream = await llm.chat_stream("anthropic/claude", MESSAGES)
        with pytest.raises(StreamServiceUnavailableError) as info:
            await stream.final()
    assert info.value.text and info.value.provider == "anthropic"
    assert info.value.model == "claude" and "(anthropic/claude, after " in str(info.value)
    assert len(transport.requests) == 1


# Fallbacks


def by_provider(answers: dict[str, Any]) -> ReplayTransport:
    def answer(request: TransportRequest) -> Any:
        return answers[request.provider]

    return ReplayTransport(answer)


async def test_a_failing_model_falls_back_to_the_next() -> None:
    transport = by_provider({"openai": BUSY, "anthropic": "from anthropic",
                             "gemini": "from gemini"})
    async with client(transport, max_retries=1) as llm:
        stream = await llm.chat_stream("openai/gpt-4o", MESSAGES,
                                       fallbacks=["anthropic/claude-sonnet-4", "gemini/g"])
        reply = await stream.final()
        assert reply.choices[0].message.content == "from anthropic"
        assert (stream.provider, stream.model) == ("anthropic", "claude-sonnet-4")
        assert [(a.provider, a.error is None) for a in stream.stats.attempts] == [
            ("openai", False), ("openai", False), ("anthropic", True)]
        # chat() too, and the client's own fallbacks.
        answer = await llm.chat("openai/gpt-4o", MESSAGES, fallbacks=["gemini/g"])
        assert answer.choices[0].message.content == "from gemini"
    async with client(transport, max_retries=0,
                      fallbacks={"openai/gpt-4o": ["gemini/g"]}) as llm:
        answer = await llm.chat("openai/gpt-4o", MESSAGES)
        assert answer.stats.provider == "gemini"


async def test_what_does_not_fall_back_and_when_all_fail() -> None:
    refused = Fault(status=401, body={"error": {"message": "bad key"}})
    transport = by_provider({"openai": refused, "anthropic": BUSY, "gemini": "fine"})
    async with client(transport, max_retries=0) as llm:
        with pytest.raises(AuthenticationError):
            await llm.chat_stream("openai/gpt-4o", MESSAGES, fallbacks=["gemini/g"])
        stream = await llm.chat_stream("openai/gpt-4o", MESSAGES, fallbacks=["gemini/g"],
                                       fallback_on={401})
        assert stream.provider == "gemini"
        await stream.aclose()
        with pytest.raises(ServiceUnavailableError) as info:
            await llm.chat_stream("openai/gpt-4o", MESSAGES, fallbacks=["anthropic/c"],
                                  fallback_on=[AuthenticationError])
        assert [(a.provider, type(a.error)) for a in info.value.attempts] == [
            ("openai", AuthenticationError), ("anthropic", ServiceUnavailableError)]
        with pytest.raises(ConfigurationError, match="fallback_on"):
            await llm.chat("openai/gpt-4o", MESSAGES, fallback_on=["404"])  # type: ignore[list-item]


async def test_an_in_band_error_falls_back_after_its_retries() -> None:
    transport = ReplayTransport(lambda request: OVERLOADED if request.provider == "anthropic"
                                else "from openai")
    async with client(transport, max_retries=1) as llm:
        stream = await llm.chat_stream("anthropic/claude", MESSAGES, fallbacks=["openai/g"])
        assert (await stream.final()).choices[0].message.content == "from openai"
    assert [r.provider for r in transport.requests] == ["anthropic", "anthropic", "openai"]
    assert stream.provider == "openai"


async def test_a_fallback_that_cannot_be_sent_fails_before_any_io(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    async with LocalProvider(api_key=KEY) as server, LlmClient(
        api_key={"openai": KEY}, provider_options={"openai": {"base_url": server.base_url}},
    ) as llm:
        with pytest.raises(ConfigurationError, match="MISTRAL_API_KEY"):
            await llm.chat_stream("openai/gpt-4o", MESSAGES, fallbacks=["mistral/small"])
        with pytest.raises(ConfigurationError, match="fallbacks must be a list"):
            await llm.chat("openai/gpt-4o", MESSAGES, fallbacks="mistral/small")  # type: ignore[arg-type]
        assert server.requests == []


# Cooldowns


async def test_a_provider_that_keeps_failing_cools_down() -> None:
    transport = by_provider({"openai": BUSY, "anthropic": "from anthropic"})
    cooldown = Cooldown(failures=2, within=60, skip_for=60)
    async with client(transport, max_retries=0, cooldown=cooldown) as llm:
        for _ in range(2):
            await llm.chat("openai/gpt-4o", MESSAGES, fallbacks=["anthropic/c"])
        assert [r.provider for r in transport.requests] == ["openai", "anthropic"] * 2
        reply = await llm.chat("openai/gpt-4o", MESSAGES, fallbacks=["anthropic/c"])
        assert transport.requests[-1].provider == "anthropic" and len(transport.requests) == 5
        skipped = reply.stats.attempts[0]
        assert skipped.provider == "openai" and isinstance(skipped.error, CooldownError)
        # A call's last model is tried, cooling or not.
        with pytest.raises(ServiceUnavailableError):
            await llm.chat("openai/gpt-4o", MESSAGES)
    with pytest.raises(ConfigurationError):
        Cooldown(failures=0)


# Cost and budget


def test_cost_from_usage() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=500, total_tokens=1500)
    cached = Usage(1000, 500, 1500, prompt_tokens_details={"cached_tokens": 800})
    assert literllm.cost(usage, model="gpt-4o", provider="openai") == pytest.approx(0.0075)
    assert literllm.cost(cached, model="gpt-4o", provider="openai") == pytest.approx(
        200 * 2.5e-6 + 800 * 1.25e-6 + 500 * 10e-6)
    written = Usage(1000, 0, 1000, prompt_tokens_details={"cached_tokens": 0,
                                                          "cache_creation_tokens": 1000})
    assert literllm.cost(written, model="claude-sonnet-4-5", provider="anthropic") == (
        pytest.approx(1000 * 3.75e-6))
    assert literllm.cost(usage, model="no-such-model-anywhere", provider="openai") is None
    assert literllm.cost(None, model="gpt-4o") is None


def test_cost_is_none_without_genai_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    from literllm import _cost

    _cost._price.cache_clear()
    monkeypatch.setitem(sys.modules, "genai_prices", None)
    try:
        usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15)
        assert literllm.cost(usage, model="gpt-4o", provider="openai") is None
    finally:
        _cost._price.cache_clear()


async def test_a_client_stops_at_its_budget() -> None:
    transport = ReplayTransport(REPLY)
    async with client(transport, max_cost=0.001) as llm:
        await (await llm.chat_stream("openai/gpt-4o", MESSAGES)).final()
        assert llm.spent == pytest.approx(0.0075)
        with pytest.raises(BudgetExceededError, match="max_cost") as info:
            await llm.chat("openai/gpt-4o", MESSAGES)
        assert info.value.spent == pytest.approx(0.0075)
    assert len(transport.requests) == 1
    with pytest.raises(ConfigurationError):
        LlmClient(max_cost=-1)


# OpenTelemetry (the real SDK, its in-memory exporters)


@pytest.fixture
def otel() -> Any:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield tracer_provider, meter_provider, exporter, reader
    tracer_provider.shutdown()
    meter_provider.shutdown()


def _metrics(reader: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


async def test_opentelemetry_spans_and_metrics_follow_the_genai_conventions(otel: Any) -> None:
    from opentelemetry.trace import SpanKind, StatusCode

    from literllm.otel import OpenTelemetryHooks

    tracer_provider, meter_provider, exporter, reader = otel
    hooks = OpenTelemetryHooks(tracer_provider=tracer_provider, meter_provider=meter_provider)
    transport = ReplayTransport([BUSY, REPLY, REPLY], pieces=(8, 16), delay=0.001)
    async with client(transport, hooks=[hooks]) as llm:
        stream = await llm.chat_stream("openai/gpt-4o", MESSAGES, temperature=0.5)
        await stream.final()
        await llm.chat("anthropic/claude-sonnet-4", MESSAGES)
    failed, streamed, whole = exporter.get_finished_spans()
    assert streamed.name == "chat gpt-4o" and streamed.kind == SpanKind.CLIENT
    attributes = dict(streamed.attributes)
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.response.model": REPLY.model,
        "gen_ai.response.id": REPLY.id,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 500,
        "server.address": "api.openai.com",
        "server.port": 443,
    }
    assert "gen_ai.input.messages" not in attributes  # content only when asked for
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes["error.type"] == "ServiceUnavailableError"
    assert whole.attributes["gen_ai.provider.name"] == "anthropic"
    metrics = _metrics(reader)
    assert {"gen_ai.client.operation.duration", "gen_ai.client.token.usage",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.operation.time_per_output_chunk"} <= set(metrics)
    tokens = {(p.attributes["gen_ai.token.type"], p.attributes["gen_ai.provider.name"]): p.sum
              for p in metrics["gen_ai.client.token.usage"]}
    assert tokens[("input", "openai")] == 1000 and tokens[("output", "anthropic")] == 500
    assert len(metrics["gen_ai.client.operation.time_to_first_chunk"]) == 1  # streams only
    errors = [p for p in metrics["gen_ai.client.operation.duration"]
              if p.attributes.get("error.type")]
    assert errors and errors[0].count == 1


async def test_opentelemetry_captures_content_only_when_asked(otel: Any) -> None:
    from literllm.otel import OpenTelemetryHooks

    tracer_provider, meter_provider, exporter, _reader = otel
    hooks = OpenTelemetryHooks(tracer_provider=tracer_provider, meter_provider=meter_provider,
                               capture_content=True)
    async with client(ReplayTransport(REPLY), hooks=[hooks],
                      provider_options={"bedrock": {"region": "us-east-1"}}) as llm:
        await (await llm.chat_stream("bedrock/anthropic.claude", MESSAGES,
                                     api_key=KEY)).final()
    (span,) = exporter.get_finished_spans()
    assert span.attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert '"content": "hi"' in span.attributes["gen_ai.input.messages"]
    assert "Hello, world" in span.attributes["gen_ai.output.messages"]
    assert KEY not in str(dict(span.attributes))


# Limits per provider


async def test_max_concurrency_holds_and_waiters_go_in_order() -> None:
    from literllm import Timeout

    async with LocalProvider(api_key=KEY, reply=REPLY, delay=0.01, pieces=(16, 32)) as server:
        seen = Recorder()
        options = {"openai": {"base_url": server.base_url, "max_concurrency": 2}}
        async with LlmClient(api_key=KEY, provider_options=options, hooks=[seen]) as llm:

            async def one(number: int) -> Any:
                stream = await llm.chat_stream("openai/gpt-4o", [
                    {"role": "user", "content": str(number)}])
                await stream.final()
                return stream.stats

            tasks = []
            for number in range(6):
                tasks.append(asyncio.create_task(one(number)))
                await asyncio.sleep(0)  # each asks in this order
            stats = await asyncio.gather(*tasks)
            limits = llm._limits["openai"]
            assert (limits.in_use, limits.waiting) == (0, 0)
        assert server.max_active <= 2
        sent = [r.json["messages"][0]["content"] for r in server.requests]
        assert sent == [str(n) for n in range(6)]  # first come, first served
        assert max(s.queued for s in stats) > 0.01 and stats[0].queued < 0.01
        # A wait that outlasts Timeout.pool fails, nothing sent.
        async with LlmClient(api_key=KEY, provider_options=options,
                             timeout=Timeout(pool=0.1)) as llm:
            held = await llm.chat_stream("openai/gpt-4o", MESSAGES)
            other = await llm.chat_stream("openai/gpt-4o", MESSAGES)
            before = len(server.requests)
            with pytest.raises(literllm.APITimeoutError, match="max_concurrency=2") as info:
                await llm.chat_stream("openai/gpt-4o", MESSAGES)
            assert info.value.timeout_kind == "pool" and len(server.requests) == before
            await held.aclose()
            await other.aclose()


async def test_a_cancelled_waiter_leaks_nothing() -> None:
    transport = ReplayTransport(REPLY)
    options = {"openai": {"max_concurrency": 1}}
    async with client(transport, provider_options=options) as llm:
        held = await llm.chat_stream("openai/gpt-4o", MESSAGES)
        waiters = [asyncio.create_task(llm.chat_stream("openai/gpt-4o", MESSAGES))
                   for _ in range(3)]
        await asyncio.sleep(0.01)
        limits = llm._limits["openai"]
        assert (limits.in_use, limits.waiting) == (1, 3)
        waiters[0].cancel()  # the first in line
        waiters[1].cancel()
        await asyncio.sleep(0)
        await held.aclose()  # its slot goes to the one left
        third = await asyncio.wait_for(waiters[2], 1)
        await third.final()
        for task in waiters[:2]:
            with pytest.raises(asyncio.CancelledError):
                await task
        assert (limits.in_use, limits.waiting) == (0, 0)
        assert len(transport.requests) == 2


async def test_requests_and_tokens_per_minute() -> None:
    from literllm import Timeout

    transport = ReplayTransport(REPLY)  # 1,500 tokens a reply
    options = {"openai": {"requests_per_minute": 2}, "anthropic": {"tokens_per_minute": 1000}}
    async with client(transport, provider_options=options, timeout=Timeout(pool=0.1)) as llm:
        for _ in range(2):
            await (await llm.chat_stream("openai/gpt-4o", MESSAGES)).final()
        with pytest.raises(literllm.APITimeoutError, match="requests_per_minute=2"):
            await llm.chat_stream("openai/gpt-4o", MESSAGES)
        await llm.chat("anthropic/claude", MESSAGES)  # under the token budget so far
        with pytest.raises(literllm.APITimeoutError, match="tokens_per_minute=1000"):
            await llm.chat("anthropic/claude", MESSAGES)
    assert len(transport.requests) == 3
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        LlmClient(provider_options={"openai": {"max_concurrency": 0}})


async def test_cancelled_while_waiting_to_try_again() -> None:
    seen = Recorder()
    transport = ReplayTransport(REPLY, fault=OVERLOADED)
    async with client(transport, hooks=[seen], max_retries=2) as llm:
        stream = await llm.chat_stream("anthropic/claude", MESSAGES)
        task = asyncio.create_task(stream.final())
        while len(transport.requests) < 2:  # the first retry is under way
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert stream.stats.outcome == "cancelled"
    assert seen.names.count("request") == seen.names.count("error") + seen.names.count("end")
