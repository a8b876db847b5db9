"""Per-provider settings that hold (issue 14): ``provider_options[name]`` takes base_url,
api_key, headers, timeout and max_retries for every provider, in one order (the call, the
provider's options, the client, the environment, the default); typos fail before any I/O;
errors name the provider and the URL they went to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from literllm import (
    APIConnectionError,
    AuthenticationError,
    ConfigurationError,
    LlmClient,
    MissingApiKeyError,
    NotFoundError,
    ServerError,
    Timeout,
)
from literllm.testing import Fault, LocalProvider

MESSAGES = [{"role": "user", "content": "hi"}]
KEY_A, KEY_B = "sk-server-a-0001", "sk-server-b-0002"


@pytest.fixture
async def two_servers() -> AsyncIterator[tuple[LocalProvider, LocalProvider]]:
    async with LocalProvider(api_key=KEY_A) as a, LocalProvider(api_key=KEY_B) as b:
        yield a, b


async def _text(client: LlmClient, model: str, **params: Any) -> str:
    completion = await (await client.chat_stream(model, MESSAGES, **params)).final()
    return completion.choices[0].message.content or ""


async def test_two_providers_on_two_local_servers_in_one_client(
    two_servers: tuple[LocalProvider, LocalProvider],
) -> None:
    a, b = two_servers
    async with LocalProvider(api_key="unused") as elsewhere, LlmClient(
        base_url=elsewhere.base_url,  # the client's own: each provider's options beat it
        provider_options={
            "openai": {"base_url": a.base_url, "api_key": KEY_A},
            "anthropic": {"base_url": b.root_url, "api_key": KEY_B},
            "groq": {"base_url": a.base_url, "api_key": KEY_A, "headers": {"X-Team": "t1"}},
        },
    ) as client:
        assert await _text(client, "openai/gpt-4o")
        assert await _text(client, "anthropic/claude-sonnet-4")
        assert await _text(client, "groq/llama-3.3")
    assert [r.path for r in a.requests] == ["/v1/chat/completions"] * 2
    assert [r.path for r in b.requests] == ["/v1/messages"]
    assert elsewhere.requests == []
    assert a.requests[1].headers.get("X-Team") == "t1"
    assert "X-Team" not in a.requests[0].headers


@pytest.mark.parametrize("level", ["option", "client", "env", "default"])
async def test_base_url_precedence(
    two_servers: tuple[LocalProvider, LocalProvider], monkeypatch: pytest.MonkeyPatch,
    level: str,
) -> None:
    a, b = two_servers
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    options: dict[str, Any] = {}
    client_url = None
    if level == "option":
        options = {"openai": {"base_url": a.base_url}}
        client_url = b.base_url
        monkeypatch.setenv("OPENAI_BASE_URL", b.base_url)
    elif level == "client":
        client_url = a.base_url
        monkeypatch.setenv("OPENAI_BASE_URL", b.base_url)
    elif level == "env":
        monkeypatch.setenv("OPENAI_BASE_URL", a.base_url)
    client = LlmClient(api_key=KEY_A, base_url=client_url, provider_options=options)
    async with client:
        if level == "default":
            prepared = client._prepare("openai/gpt-4o", MESSAGES, {}, stream=True)
            assert prepared.request.url == "https://api.openai.com/v1/chat/completions"
            return
        assert await _text(client, "openai/gpt-4o")
    assert len(a.requests) == 1 and b.requests == []


async def test_anthropic_base_url_from_its_sdk_variable(
    two_servers: tuple[LocalProvider, LocalProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = two_servers
    monkeypatch.setenv("ANTHROPIC_BASE_URL", a.root_url)
    async with LlmClient(api_key=KEY_A) as client:
        assert await _text(client, "anthropic/claude-sonnet-4")
    assert [r.path for r in a.requests] == ["/v1/messages"]


async def test_api_key_precedence(
    two_servers: tuple[LocalProvider, LocalProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = two_servers
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    options = {"openai": {"base_url": a.base_url, "api_key": KEY_A}}
    # The provider's key beats the client's; the call's beats both.
    async with LlmClient(api_key="sk-client", provider_options=options) as client:
        assert await _text(client, "openai/gpt-4o")
        with pytest.raises(AuthenticationError):
            await _text(client, "openai/gpt-4o", api_key="sk-wrong-call-key")
    # The client's mapping, then the environment.
    only_url = {"openai": {"base_url": a.base_url}}
    async with LlmClient(api_key={"openai": KEY_A}, provider_options=only_url) as client:
        assert await _text(client, "openai/gpt-4o")
    monkeypatch.setenv("OPENAI_API_KEY", KEY_A)
    async with LlmClient(provider_options=only_url) as client:
        assert await _text(client, "openai/gpt-4o")
    sent = [r.headers["Authorization"] for r in a.requests]
    assert sent == [f"Bearer {KEY_A}", "Bearer sk-wrong-call-key", f"Bearer {KEY_A}",
                    f"Bearer {KEY_A}"]


async def test_a_default_url_still_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    async with LlmClient() as client:
        with pytest.raises(MissingApiKeyError):
            await client.chat_stream("openai/gpt-4o", MESSAGES)


async def test_max_retries_and_timeout_per_provider(
    two_servers: tuple[LocalProvider, LocalProvider],
) -> None:
    a, b = two_servers
    a.fault = Fault(status=500, body={"error": {"message": "down"}})
    b.fault = Fault(status=500, body={"error": {"message": "down"}})
    options = {
        "openai": {"base_url": a.base_url, "api_key": KEY_A, "max_retries": 0,
                   "timeout": Timeout(connect=3, idle=7)},
        "groq": {"base_url": b.base_url, "api_key": KEY_B},
    }
    async with LlmClient(max_retries=1, timeout=5, provider_options=options) as client:
        with pytest.raises(ServerError):
            await client.chat_stream("openai/gpt-4o", MESSAGES)
        with pytest.raises(ServerError):
            await client.chat_stream("groq/llama", MESSAGES)
        assert client._prepare("openai/x", MESSAGES, {}, stream=True).timeout == Timeout(3, 7)
        assert client._prepare("groq/x", MESSAGES, {}, stream=True).timeout == Timeout(5, 5)
        call = client._prepare("openai/x", MESSAGES, {"timeout": 2}, stream=True)
        assert call.timeout == Timeout(2, 2)
    assert len(a.requests) == 1  # the provider's max_retries=0
    assert len(b.requests) == 2  # the client's max_retries=1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"opnai": {}}, "did you mean 'openai'"),
        ({"antropic": {"api_key": "k"}}, "did you mean 'anthropic'"),
        ({"anthropic": {"baseurl": "http://x"}}, "did you mean 'base_url'"),
        ({"bedrock": {"regoin": "eu-west-1"}}, "did you mean 'region'"),
        ({"openai": {"api_version": "1"}}, "openai takes api_key, base_url, headers"),
        ({"vertex_ai": {"projct": "p"}}, "did you mean 'project'"),
        ({"openai": {"base_url": "ftp://x"}}, "provider_options['openai']['base_url']"),
        ({"openai": {"base_url": "http://u:p@x"}}, "must not carry credentials"),
        ({"openai": {"headers": {"X": "a\nb"}}}, "line break"),
        ({"openai": {"timeout": -1}}, "timeout"),
        ({"openai": {"max_retries": -1}}, "max_retries"),
        ({"openai": {"api_key": 5}}, "api_key"),
        ({"openai": "http://x"}, "must be a mapping"),
    ],
)
def test_typos_fail_before_any_io(options: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        LlmClient(api_key="k", provider_options=options)


def test_provider_names_match_in_any_case() -> None:
    client = LlmClient(provider_options={"OpenAI": {"base_url": "http://127.0.0.1:9/v1"}})
    prepared = client._prepare("openai/gpt-4o", MESSAGES, {}, stream=True)
    assert prepared.request.url == "http://127.0.0.1:9/v1/chat/completions"


async def test_errors_name_the_provider_and_url_without_the_query(
    two_servers: tuple[LocalProvider, LocalProvider],
) -> None:
    a, _ = two_servers
    a.fault = Fault(status=404, body={"error": {"message": "no such model"}})
    url = a.base_url + "?key=query-secret-123"
    async with LlmClient(api_key=KEY_A, max_retries=0,
                         provider_options={"openai": {"base_url": url}}) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    message = str(caught.value)
    assert message.startswith("openai: HTTP 404 from POST http://127.0.0.1:")
    assert "/v1/chat/completions: no such model" in message
    assert "query-secret-123" not in message
    async with LlmClient(api_key=KEY_A, max_retries=0, timeout=Timeout(connect=1, idle=1),
                         provider_options={"openai": {"base_url":
                                                      "http://127.0.0.1:9/v1?key=s3cr3t"}}
                         ) as client:
        with pytest.raises(APIConnectionError) as failed:
            await client.chat_stream("openai/gpt-4o", MESSAGES)
    assert "openai: cannot connect to http://127.0.0.1:9/v1/chat/completions" in str(failed.value)
    assert "s3cr3t" not in str(failed.value)
