"""Provider registry and model routing: ``"provider/model"`` -> (provider, model name).

A provider is a name, a base URL, the environment variables its key is read from, and the
adapter for its API, named by import path and imported on first use (so importing the client
imports no provider module). Nothing here does I/O or imports aiohttp.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import (
    ConfigurationError,
    ProviderNotSupportedError,
    UnknownProviderError,
    UnroutableModelError,
)
from ._base import AdapterFactory, ProviderAdapter
from ._registry import OPENAI_COMPATIBLE, OpenAICompatible

__all__ = [
    "Provider",
    "get_provider",
    "provider_names",
    "register_provider",
    "resolve_model",
]

_OPENAI = "literllm.providers.openai:OpenAIChatAdapter"
_OPENAI_WIRE = "literllm.testing.openai:OpenAIWire"


@dataclass(frozen=True, slots=True)
class Provider:
    """How to reach one provider.

    ``base_url`` follows the official SDK's convention (for the OpenAI family the client
    posts to ``{base_url}/chat/completions``; for Anthropic to ``{base_url}/v1/messages``).
    ``api_key_env`` names the environment variable a key for this provider is read from
    (``also_key_env``: others, read after it); no other provider's variable is ever read.
    ``auth_header``/``auth_prefix`` say how an OpenAI-family key is sent
    (``Authorization: Bearer <key>`` by default). ``requires_key`` is false for local servers
    and for providers with other credentials (SigV4, OAuth). ``stream_usage`` says an
    OpenAI-family provider accepts ``stream_options.include_usage``. ``adapter`` is the
    ``module:Class`` of the provider's ``ProviderAdapter`` (built with this ``Provider``);
    ``test_wire`` the ``module:Class`` of its side of the conversation in
    ``literllm.testing`` (what the local server and ``ReplayTransport`` answer it with).
    ``base_url_env`` names the variables a base URL is read from, where the provider's
    official SDK reads one (``OPENAI_BASE_URL``, ...). ``renames`` are request parameters
    the provider takes under another name (``("max_completion_tokens", "max_tokens")``).
    An empty ``base_url`` means the provider has none of its own: the caller names it.
    """

    name: str
    base_url: str
    api_key_env: str | None
    auth_header: str = "Authorization"
    auth_prefix: str = "Bearer "
    requires_key: bool = True
    stream_usage: bool = False
    adapter: str = _OPENAI
    also_key_env: tuple[str, ...] = ()
    base_url_env: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    test_wire: str = _OPENAI_WIRE
    _loaded: list[ProviderAdapter] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def api_key_from_env(self) -> str | None:
        """This provider's key from its own environment variables, if set."""
        for name in (self.api_key_env, *self.also_key_env):
            if name:
                value = os.environ.get(name)
                if value:
                    return value
        return None

    def load_adapter(self) -> ProviderAdapter:
        """The provider's adapter, imported and built on first use."""
        if not self._loaded:
            module, _, name = self.adapter.partition(":")
            try:
                factory: AdapterFactory = getattr(importlib.import_module(module), name)
            except ModuleNotFoundError as exc:
                if exc.name is None or not f"{module}.".startswith(f"{exc.name}."):
                    raise  # the adapter is there; something it imports is not
                raise ProviderNotSupportedError(
                    f"provider {self.name!r}: its adapter {self.adapter!r} is not installed",
                    provider=self.name,
                ) from exc
            self._loaded.append(factory(self))
        return self._loaded[0]


def _openai_compatible(row: OpenAICompatible) -> Provider:
    return Provider(
        row.name, row.base_url, row.key_env, requires_key=not row.local,
        stream_usage=row.stream_usage, also_key_env=row.also_key_env,
        base_url_env=row.base_url_env, renames=row.renames,
    )


_BUILTIN = [
    *map(_openai_compatible, OPENAI_COMPATIBLE),
    Provider(
        "anthropic",
        "https://api.anthropic.com",
        "ANTHROPIC_API_KEY",
        adapter="literllm.providers.anthropic:AnthropicAdapter",
        test_wire="literllm.testing.anthropic:AnthropicWire",
        base_url_env=("ANTHROPIC_BASE_URL",),
    ),
    Provider(
        "gemini",
        "https://generativelanguage.googleapis.com",
        "GEMINI_API_KEY",
        also_key_env=("GOOGLE_API_KEY",),
        adapter="literllm.providers.gemini:GeminiAdapter",
        test_wire="literllm.testing.gemini:GeminiWire",
    ),
    Provider(
        "vertex_ai",
        "https://{location}-aiplatform.googleapis.com",
        None,
        requires_key=False,  # google-auth's default credentials unless a token is passed
        adapter="literllm.providers.gemini:VertexAdapter",
        test_wire="literllm.testing.gemini:VertexWire",
    ),
    Provider(
        "cohere",
        "https://api.cohere.com",
        "COHERE_API_KEY",
        also_key_env=("CO_API_KEY",),
        adapter="literllm.providers.cohere:CohereAdapter",
        test_wire="literllm.testing.cohere:CohereWire",
    ),
    Provider(
        "bedrock",
        "https://bedrock-runtime.{region}.amazonaws.com",
        "AWS_BEARER_TOKEN_BEDROCK",  # a Bedrock API key; else SigV4 from botocore's chain
        requires_key=False,
        adapter="literllm.providers.bedrock:BedrockAdapter",
        test_wire="literllm.testing.bedrock:BedrockWire",
    ),
    Provider(
        "azure_ai",
        "",  # https://<resource>.services.ai.azure.com/models: base_url=, provider_options, env
        "AZURE_AI_API_KEY",
        also_key_env=("AZURE_INFERENCE_CREDENTIAL",),
        adapter="literllm.providers.hosted:AzureAIAdapter",
    ),
    Provider(
        "watsonx",
        "",  # the regional URL: base_url=, provider_options or WATSONX_URL
        "WATSONX_APIKEY",
        also_key_env=("WATSONX_API_KEY",),
        adapter="literllm.providers.hosted:WatsonxAdapter",
    ),
    Provider(
        "cloudflare",
        "",  # https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1
        "CLOUDFLARE_API_TOKEN",
        also_key_env=("CLOUDFLARE_API_KEY",),
        adapter="literllm.providers.hosted:CloudflareAdapter",
    ),
    Provider(
        "databricks",
        "",  # {workspace}/serving-endpoints: base_url=, provider_options or DATABRICKS_HOST
        "DATABRICKS_TOKEN",
        adapter="literllm.providers.hosted:DatabricksAdapter",
    ),
    Provider(
        "ollama_chat",
        "http://localhost:11434",
        "OLLAMA_API_KEY",  # a server of one's own needs none; a proxy in front may
        requires_key=False,
        # Not OLLAMA_HOST: it is the server's bind address as often as not (0.0.0.0:11434,
        # no scheme), which no client can reach as written.
        adapter="literllm.providers.ollama:OllamaChatAdapter",
        test_wire="literllm.testing.ollama:OllamaWire",
    ),
    Provider(
        "openai_responses",
        "https://api.openai.com/v1",
        "OPENAI_API_KEY",
        adapter="literllm.providers.responses:ResponsesAdapter",
        test_wire="literllm.testing.openai_responses:ResponsesWire",
        base_url_env=("OPENAI_BASE_URL",),
    ),
    Provider(
        "azure_responses",
        "",  # the resource's endpoint: base_url=, provider_options or AZURE_OPENAI_ENDPOINT
        "AZURE_OPENAI_API_KEY",
        also_key_env=("AZURE_API_KEY",),
        adapter="literllm.providers.responses:AzureResponsesAdapter",
        test_wire="literllm.testing.openai_responses:AzureResponsesWire",
    ),
    Provider(
        "azure",
        "",  # the resource's endpoint: base_url=, provider_options or AZURE_OPENAI_ENDPOINT
        "AZURE_OPENAI_API_KEY",
        also_key_env=("AZURE_API_KEY",),
        stream_usage=True,
        adapter="literllm.providers.azure:AzureOpenAIAdapter",
        test_wire="literllm.testing.openai:AzureWire",
    ),
]

_REGISTRY: dict[str, Provider] = {p.name: p for p in _BUILTIN}
# Other names a provider answers to (the public registry's, where ours differ).
_ALIASES: dict[str, str] = {
    alias: row.name for row in OPENAI_COMPATIBLE for alias in row.aliases
}


def _lookup(name: str) -> Provider | None:
    name = name.lower()
    return _REGISTRY.get(name) or _REGISTRY.get(_ALIASES.get(name, ""))

# Well-known model names, for models given without a provider prefix.
_INFERRED = (
    (("gpt-", "chatgpt-", "o1", "o3", "o4", "text-embedding-", "davinci", "babbage"), "openai"),
    (("claude-",), "anthropic"),
    (("gemini-",), "gemini"),
    (("command-",), "cohere"),
    (
        ("mistral-", "magistral-", "codestral-", "ministral-", "open-mistral-", "pixtral-"),
        "mistral",
    ),
)
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def register_provider(
    name: str,
    base_url: str,
    *,
    api_key_env: str | None = None,
    auth_header: str = "Authorization",
    auth_prefix: str = "Bearer ",
    requires_key: bool | None = None,
    stream_usage: bool = False,
    adapter: str = "openai",
    replace: bool = False,
    renames: Mapping[str, str] | None = None,
    test_wire: str | None = None,
) -> Provider:
    """Add a custom provider, routed as ``"name/model"``; OpenAI-compatible by default.

    ``auth_header``/``auth_prefix`` set how the key travels (``api-key`` with an empty prefix
    for Azure-style servers). ``requires_key`` defaults to whether ``api_key_env`` is given.
    ``adapter`` is the wire format: a built-in provider's name (``"anthropic"`` for a proxy
    that speaks Anthropic's Messages API) or the ``module:Class`` of an adapter of your own.
    ``renames`` maps request parameters to the names the server takes them under
    (``{"max_completion_tokens": "max_tokens"}``).
    ``test_wire`` is the ``module:Class`` of the provider's side of the conversation for
    ``literllm.testing`` (the built-in provider's, for a built-in ``adapter``).
    """
    if not name or not name[0].isalnum() or not set(name) <= _NAME_CHARACTERS:
        raise ConfigurationError(f"provider name {name!r}: use lowercase letters, digits, _ . -")
    if (name in _REGISTRY or name in _ALIASES) and not replace:
        raise ConfigurationError(f"provider {name!r} exists; pass replace=True to redefine it")
    provider = Provider(
        name,
        base_url.rstrip("/"),
        api_key_env,
        auth_header=auth_header,
        auth_prefix=auth_prefix,
        requires_key=api_key_env is not None if requires_key is None else requires_key,
        stream_usage=stream_usage,
        adapter=adapter if ":" in adapter else get_provider(adapter).adapter,
        renames=tuple((renames or {}).items()),
        test_wire=test_wire or (
            _OPENAI_WIRE if ":" in adapter else get_provider(adapter).test_wire
        ),
    )
    _REGISTRY[name] = provider
    return provider


def get_provider(name: str) -> Provider:
    """A registered provider by name (case-insensitive)."""
    provider = _lookup(name)
    if provider is None:
        raise UnknownProviderError(
            f"unknown provider {name!r} (known: {', '.join(sorted(_REGISTRY))})", provider=name
        )
    return provider


def provider_names(*, builtin_order: bool = False) -> list[str]:
    """Every registered provider's name (sorted, or in the order they were registered)."""
    return list(_REGISTRY) if builtin_order else sorted(_REGISTRY)


def resolve_model(
    model: str, *, provider: str | None = None, custom_base_url: bool = False
) -> tuple[Provider, str]:
    """Which provider serves ``model``, and the model name to send it.

    The first path segment names the provider when it is a registered one, in any case (and
    is stripped). Otherwise the client's ``provider`` is used, or, when the client has its own
    base URL, ``openai``-style; then the whole string is the model name (``meta-llama/...`` on
    a vLLM server). Otherwise a well-known name prefix decides. Anything else raises
    ``UnroutableModelError`` before any I/O.
    """
    prefix, sep, rest = model.partition("/")
    if sep and rest:
        known = _lookup(prefix)
        if known is not None:
            return known, rest
    if provider is not None:
        return get_provider(provider), model
    if custom_base_url:
        return _REGISTRY["openai"], model
    if not sep:
        for prefixes, name in _INFERRED:
            if model.startswith(prefixes):
                return _REGISTRY[name], model
    known_prefixes = ", ".join(f"{name}/" for name in sorted(_REGISTRY))
    if sep:
        reason = f"{prefix!r} is not a known provider"
    else:
        reason = "it has no provider prefix and is not a well-known model name"
    raise UnroutableModelError(
        f"cannot tell which provider serves model {model!r}: {reason}. Write it as "
        f"'provider/model' (e.g. 'openai/gpt-4o'), pass provider= or base_url= to the client, "
        f"or register_provider() it. Known prefixes: {known_prefixes}",
        model=model,
    )


def merge_key(
    provider: Provider,
    call_key: str | None,
    client_key: str | Mapping[str, str] | None,
) -> str | None:
    """The key for a call: the call's, else the client's (for this provider), else the env's."""
    if call_key:
        return call_key
    if isinstance(client_key, str):
        return client_key
    if client_key is not None and provider.name in client_key:
        return client_key[provider.name]
    return provider.api_key_from_env()
