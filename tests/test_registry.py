"""The OpenAI-compatible providers as data (issue 14): every row streams through the local
server, its default URL and key variables are the table's, aliases route, the README's table
is the data's, and providers without a URL of their own ask for one before any I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from literllm import ConfigurationError, LlmClient, NotFoundError, register_provider
from literllm.providers import get_provider, resolve_model
from literllm.providers._registry import LEFT_OUT, OPENAI_COMPATIBLE
from literllm.testing import LocalProvider

KEY = "sk-registry-test"
MESSAGES = [{"role": "user", "content": "hi"}]
ROWS = [pytest.param(row, id=row.name) for row in OPENAI_COMPATIBLE]


@pytest.mark.parametrize("row", ROWS)
async def test_every_entry_streams_through_the_local_server(
    row: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in row.base_url_env:
        monkeypatch.delenv(variable, raising=False)
    async with LocalProvider(api_key=KEY) as server, LlmClient(
        api_key=KEY, provider_options={row.name: {"base_url": server.base_url}}, max_retries=0,
    ) as client:
        final = await (await client.chat_stream(f"{row.name}/some-model", MESSAGES,
                                                max_completion_tokens=7)).final()
        assert final.choices[0].message.content
        for alias in row.aliases:
            await (await client.chat_stream(f"{alias}/some-model", MESSAGES)).final()
    sent = server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == "some-model" and sent.json["stream"] is True
    assert ("stream_options" in sent.json) is row.stream_usage
    renamed = dict(row.renames).get("max_completion_tokens", "max_completion_tokens")
    assert sent.json[renamed] == 7
    assert ("max_completion_tokens" in sent.json) is (renamed == "max_completion_tokens")


@pytest.mark.parametrize("row", [r for r in ROWS if r.values[0].base_url])
def test_default_url_and_key_variables(row: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in row.base_url_env:
        monkeypatch.delenv(variable, raising=False)
    provider = get_provider(row.name)
    for variable in (provider.api_key_env, *provider.also_key_env):
        if variable:
            monkeypatch.delenv(variable, raising=False)
    client = LlmClient(api_key=KEY)
    prepared = client._prepare(f"{row.name}/m", MESSAGES, {}, stream=True)
    assert prepared.request.url == row.base_url + "/chat/completions"
    # Each key variable of the row is read alone, and the provider's own wins over the others.
    variables = [v for v in (row.key_env, *row.also_key_env) if v]
    for variable in variables:
        monkeypatch.setenv(variable, f"key-from-{variable}")
        assert provider.api_key_from_env() == f"key-from-{variable}"
        monkeypatch.delenv(variable)
    for variable in variables:
        monkeypatch.setenv(variable, f"key-from-{variable}")
    assert provider.api_key_from_env() == (f"key-from-{variables[0]}" if variables else None)


def test_aliases_route_to_the_same_provider() -> None:
    assert resolve_model("lmstudio/qwen3")[0].name == "lm_studio"
    assert resolve_model("KIMI/kimi-k2")[0].name == "moonshot"
    assert get_provider("together").name == "together_ai"
    client = LlmClient(provider_options={"lmstudio": {"base_url": "http://127.0.0.1:9/v1"}})
    assert client._prepare("lm_studio/m", MESSAGES, {}, stream=True).request.url == (
        "http://127.0.0.1:9/v1/chat/completions")
    with pytest.raises(ConfigurationError, match="exists"):
        register_provider("kimi", "http://127.0.0.1:9/v1")


@pytest.mark.parametrize("name", ["hosted_vllm", "litellm_proxy", "custom_openai"])
def test_a_provider_without_a_url_of_its_own_asks_for_one(name: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        LlmClient()._prepare(f"{name}/m", MESSAGES, {}, stream=True)
    prepared = LlmClient(provider_options={name: {"base_url": "http://10.0.0.5:8000/v1"}}
                         )._prepare(f"{name}/m", MESSAGES, {}, stream=True)
    assert prepared.request.url == "http://10.0.0.5:8000/v1/chat/completions"


async def test_renamed_parameters_reach_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    from literllm import providers

    monkeypatch.setattr(providers, "_REGISTRY", dict(providers._REGISTRY))  # undone after
    register_provider("renaming_test", "http://127.0.0.1:9/v1", replace=True,
                      renames={"max_completion_tokens": "max_tokens"})
    async with LocalProvider(api_key=KEY) as server, LlmClient(
        api_key=KEY, provider_options={"renaming_test": {"base_url": server.base_url}},
    ) as client:
        await (await client.chat_stream("renaming_test/m", MESSAGES,
                                        max_completion_tokens=5)).final()
    body = server.requests[0].json
    assert body["max_tokens"] == 5 and "max_completion_tokens" not in body


TABLE_MARKER = "<!-- openai-compatible-table"
LEFT_OUT_MARKER = "<!-- left-out-providers"
README = Path(__file__).resolve().parents[1] / "README.md"


def table_markdown() -> str:
    lines = ["| provider | base URL | key variables | also answers to |", "|---|---|---|---|"]
    for row in OPENAI_COMPATIBLE:
        name = f"`{row.name}`" + (" (no key needed)" if row.local and row.base_url else "")
        url = f"`{row.base_url}`" if row.base_url else "yours (`base_url=` or `provider_options`)"
        keys = ", ".join(f"`{v}`" for v in (row.key_env, *row.also_key_env) if v) or "-"
        aliases = ", ".join(f"`{alias}/`" for alias in row.aliases)
        lines.append(f"| {name} | {url} | {keys} | {aliases} |")
    return "\n".join(lines)


def left_out_markdown() -> str:
    return "\n".join(f"- `{name}`: {reason}" for name, reason in LEFT_OUT.items())


def _block(readme: str, marker: str) -> tuple[int, int]:
    """Where the generated lines after ``marker``'s comment line start and end."""
    start = readme.index("\n", readme.index(marker)) + 1
    return start, readme.index("\n\n", start)


def regenerate_readme() -> None:
    readme = README.read_text()
    for marker, text in ((TABLE_MARKER, table_markdown()), (LEFT_OUT_MARKER, left_out_markdown())):
        start, end = _block(readme, marker)
        readme = readme[:start] + text + readme[end:]
    README.write_text(readme)


def test_the_readme_tables_are_the_data() -> None:
    """Run this file with python to rewrite them after changing the registry."""
    readme = README.read_text()
    for marker, text in ((TABLE_MARKER, table_markdown()), (LEFT_OUT_MARKER, left_out_markdown())):
        start, end = _block(readme, marker)
        assert readme[start:end] == text, f"README out of date: python {__file__}"


def test_the_registry_covers_the_public_registry() -> None:
    """Every chat provider of ../shared/registry is either a row (by name or alias) or left
    out with a reason."""
    tsv = Path(__file__).resolve().parents[2] / "shared" / "registry" / "chat_providers.tsv"
    if not tsv.is_file():
        pytest.skip(f"the public registry's facts are not at {tsv} (CI has ../shared)")
    names = {line.split("\t", 1)[0] for line in tsv.read_text().splitlines()[1:] if line}
    known = {row.name for row in OPENAI_COMPATIBLE} | {
        alias for row in OPENAI_COMPATIBLE for alias in row.aliases}
    assert names - known - set(LEFT_OUT) == set()
    assert not known & set(LEFT_OUT)


def test_left_out_providers_are_not_routed() -> None:
    for name in LEFT_OUT:
        with pytest.raises(ConfigurationError):
            get_provider(name)


def test_cloudflare_and_databricks_build_their_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    with pytest.raises(ConfigurationError, match="account id"):
        LlmClient(api_key=KEY)._prepare("cloudflare/@cf/meta/llama-3.1-8b-instruct", MESSAGES,
                                        {}, stream=True)
    client = LlmClient(api_key=KEY, provider_options={"cloudflare": {"account_id": "acc123"}})
    prepared = client._prepare("cloudflare/@cf/meta/llama-3.1-8b-instruct", MESSAGES, {},
                               stream=True)
    assert prepared.request.url == (
        "https://api.cloudflare.com/client/v4/accounts/acc123/ai/v1/chat/completions")
    assert prepared.request.body is not None and b'"@cf/meta/llama-3.1-8b-instruct"' in (
        prepared.request.body)
    with pytest.raises(ConfigurationError, match="workspace"):
        LlmClient(api_key=KEY)._prepare("databricks/my-endpoint", MESSAGES, {}, stream=True)
    monkeypatch.setenv("DATABRICKS_HOST", "adb-1.azuredatabricks.net")
    assert LlmClient(api_key=KEY)._prepare("databricks/my-endpoint", MESSAGES, {}, stream=True
                                           ).request.url == (
        "https://adb-1.azuredatabricks.net/serving-endpoints/chat/completions")


async def test_cloudflare_streams_and_databricks_reaches_its_path() -> None:
    async with LocalProvider(api_key=KEY) as server:
        async with LlmClient(api_key=KEY, max_retries=0, provider_options={
                "cloudflare": {"base_url": server.base_url}}) as client:
            final = await (await client.chat_stream("cloudflare/m", MESSAGES)).final()
            assert final.choices[0].message.content
        # The local server has no /serving-endpoints route: its 404 names the URL posted to.
        async with LlmClient(api_key=KEY, max_retries=0, provider_options={
                "databricks": {"base_url": server.root_url}}) as client:
            with pytest.raises(NotFoundError, match=r"from POST http://127\.0\.0\.1:\d+"
                               r"/serving-endpoints/chat/completions"):
                await client.chat_stream("databricks/my-endpoint", MESSAGES)
    assert [request.path for request in server.requests] == ["/v1/chat/completions"]


async def test_azure_ai_foundry(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AZURE_AI_API_BASE", "AZURE_INFERENCE_ENDPOINT"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigurationError, match="endpoint"):
        LlmClient(api_key=KEY)._prepare("azure_ai/mistral-large", MESSAGES, {}, stream=True)
    monkeypatch.setenv("AZURE_AI_API_BASE", "https://res.services.ai.azure.com/models")
    prepared = LlmClient(api_key=KEY)._prepare("azure_ai/mistral-large", MESSAGES, {},
                                               stream=True)
    assert prepared.request.url == ("https://res.services.ai.azure.com/models/chat/completions"
                                    "?api-version=2024-05-01-preview")
    v1 = LlmClient(api_key=KEY, provider_options={"azure_ai": {
        "base_url": "https://res.openai.azure.com/openai/v1"}})
    assert v1._prepare("azure_ai/m", MESSAGES, {}, stream=True).request.url == (
        "https://res.openai.azure.com/openai/v1/chat/completions")
    # Through the local server: the key goes as api-key, the deployment in the body.
    async with LocalProvider(api_key=None) as server, LlmClient(
        api_key=KEY, max_retries=0, provider_options={"azure_ai": {"base_url": server.base_url}},
    ) as client:
        assert (await (await client.chat_stream("azure_ai/mistral-large", MESSAGES)).final()
                ).choices[0].message.content
    sent = server.requests[0]
    assert sent.headers["api-key"] == KEY and "Authorization" not in sent.headers
    assert sent.json["model"] == "mistral-large"


if __name__ == "__main__":
    regenerate_readme()
