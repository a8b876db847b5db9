"""The README's recipes, run as written against the local provider server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from literllm import LlmClient
from literllm.testing import Fault, LocalProvider, openai_chunk_objects

KEY = "sk-test-recipes"
README = Path(__file__).resolve().parents[1] / "README.md"


def _recipe(marker: str) -> dict[str, Any]:
    """Run the README's python block after ``marker``; its globals."""
    text = README.read_text()
    start = text.index("```python\n", text.index(marker)) + len("```python\n")
    namespace: dict[str, Any] = {"__name__": "readme_recipe"}
    exec(compile(text[start : text.index("```", start)], str(README), "exec"), namespace)
    return namespace


@pytest.fixture
async def relay_url(server: LocalProvider) -> AsyncIterator[str]:
    recipe = _recipe("<!-- relay-recipe")
    assert [r.resource.canonical for r in recipe["app"].router.routes()] == ["/chat"]
    app = web.Application()
    app.router.add_post("/chat", recipe["relay"])
    async with LlmClient(api_key=KEY, base_url=server.base_url) as llm:
        app[recipe["LLM"]] = llm
        runner = web.AppRunner(app, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield f"http://127.0.0.1:{port}/chat"
        finally:
            await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[LocalProvider]:
    async with LocalProvider(api_key=KEY, pieces=(1, 64)) as provider:
        yield provider


async def _browser_events(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    buffer = b""
    async for piece in response.content.iter_any():
        buffer += piece
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            yield event.decode()


async def test_relay_streams_the_reply_to_the_browser(
    server: LocalProvider, relay_url: str
) -> None:
    expected = "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in openai_chunk_objects(50) if c["choices"]
    )
    async with aiohttp.ClientSession() as browser, browser.post(
        relay_url, json={"prompt": "hi"}
    ) as response:
        assert response.content_type == "text/event-stream"
        events = [event async for event in _browser_events(response)]
    assert events[-1] == "data: [DONE]"
    assert "".join(json.loads(e[len("data: "):])["text"] for e in events[:-1]) == expected
    assert server.completed == 1


async def test_browser_leaving_closes_upstream_at_once(
    server: LocalProvider, relay_url: str
) -> None:
    server.fault = Fault(stall_after_events=8)  # the provider then goes quiet for an hour
    async with aiohttp.ClientSession() as browser:
        response = await browser.post(relay_url, json={"prompt": "hi"})
        seen = 0
        async for _event in _browser_events(response):
            seen += 1
            if seen == 3:
                break
        response.close()  # the browser tab is closed
        await asyncio.wait_for(server.disconnected.wait(), 2)
    assert server.disconnects == 1 and server.completed == 0


async def test_relay_tells_the_browser_about_a_broken_stream(
    server: LocalProvider, relay_url: str
) -> None:
    server.fault = Fault(cut_after_events=10)
    async with aiohttp.ClientSession() as browser, browser.post(
        relay_url, json={"prompt": "hi"}
    ) as response:
        events = [event async for event in _browser_events(response)]
    sent_text = [c for c in list(openai_chunk_objects(50))[:10] if c["choices"][0]["delta"].get("content")]
    assert len(events) == len(sent_text) + 1  # every text chunk, then the error
    assert events[-1].startswith("event: error\ndata: ")
    assert "after 10 chunks" in json.loads(events[-1].split("data: ", 1)[1])


async def test_relay_answers_502_before_any_chunk(server: LocalProvider, relay_url: str) -> None:
    server.fault = Fault(status=400, body={"error": {"message": "bad model"}})
    async with aiohttp.ClientSession() as browser, browser.post(
        relay_url, json={"prompt": "hi"}
    ) as response:
        assert response.status == 502
        assert "bad model" in (await response.json())["error"]


async def test_the_services_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    from literllm.testing import ReplayTransport, ScriptedReply

    recipe = _recipe("<!-- services-recipe")
    busy = Fault(status=503, body={"error": {"message": "busy"}}, retry_after="0")
    transport = ReplayTransport(
        lambda request: busy if request.provider == "openai"
        else ScriptedReply(text=["It is ", "blue."], prompt_tokens=20, completion_tokens=3)
    )
    async with recipe["make_client"](api_key=KEY, transport=transport) as client:
        text, stats = await recipe["answer"](client, "Why is the sky blue?")
        limits = client._limits["openai"]  # the recipe's limits hold, and were let go
        assert (limits.max_concurrency, limits.in_use, limits.waiting) == (50, 0, 0)
        assert client.spent == stats.cost  # counted against max_cost
        otel = next(method.__self__ for method in client._hooks._by_event["on_request"]
                    if type(method.__self__).__name__ == "OpenTelemetryHooks")
        assert otel._spans == {}  # every request's span was started and ended
    assert text == "It is blue."
    assert (stats.provider, stats.model, stats.outcome) == (
        "anthropic", "claude-sonnet-4-5", "completed")
    assert [a.provider for a in stats.attempts] == ["openai"] * 3 + ["anthropic"]
    assert stats.cost is not None and stats.cost > 0
    printed = capsys.readouterr().out
    assert "anthropic/claude-sonnet-4-5: first chunk after" in printed
    assert "4 attempts" in printed
