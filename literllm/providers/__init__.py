"""Provider registry and model routing: ``"provider/model"`` -> (provider, model name).

A provider is a name, a base URL, how its key is sent and which environment variable holds it,
and the adapter for its wire format. Nothing here does I/O or imports aiohttp.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import UnknownProviderError, UnroutableModelError
from ._base import ProviderAdapter
from .openai import OpenAIChatAdapter

__all__ = [
    "Provider",
    "get_provider",
    "provider_names",
    "register_provider",
    "resolve_model",
]

_OPENAI_CHAT = OpenAIChatAdapter()


@dataclass(frozen=True, slots=True)
class Provider:
    """How to reach one provider.

    ``base_url`` follows the official SDK's convention: the client posts to
    ``{base_url}/chat/completions``. ``api_key_env`` names the only environment variable a
    key for this provider is read from. ``auth_header``/``auth_prefix`` say how the key is sent
    (``Authorization: Bearer <key>`` by default). ``requires_key`` is false for local servers.
    ``stream_usage`` says the provider accepts ``stream_options.include_usage``.
    """

    name: str
    base_url: str
    api_key_env: str | None
    auth_header: str = "Authorization"
    auth_prefix: str = "Bearer "
    requires_key: bool = True
    stream_usage: bool = False
    adapter: ProviderAdapter | None = field(default=_OPENAI_CHAT, repr=False, compare=False)

    def api_key_from_env(self) -> str | None:
        """This provider's key from its own environment variable, if set."""
        return os.environ.get(self.api_key_env) or None if self.api_key_env else None


def _openai_family(
    name: str, base_url: str, key_env: str | None, *, stream_usage: bool, local: bool = False
) -> Provider:
    return Provider(
        name, base_url, key_env, requires_key=not local, stream_usage=stream_usage
    )


_BUILTIN = [
    _openai_family("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", stream_usage=True),
    _openai_family("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", stream_usage=True),
    _openai_family("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", stream_usage=False),
    _openai_family(
        "deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", stream_usage=True
    ),
    _openai_family(
        "together_ai", "https://api.together.xyz/v1", "TOGETHER_API_KEY", stream_usage=True
    ),
    _openai_family(
        "fireworks_ai",
        "https://api.fireworks.ai/inference/v1",
        "FIREWORKS_API_KEY",
        stream_usage=True,
    ),
    _openai_family(
        "openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", stream_usage=True
    ),
    _openai_family(
        "perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY", stream_usage=False
    ),
    _openai_family("xai", "https://api.x.ai/v1", "XAI_API_KEY", stream_usage=True),
    _openai_family(
        "cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", stream_usage=False
    ),
    _openai_family(
        "deepinfra",
        "https://api.deepinfra.com/v1/openai",
        "DEEPINFRA_API_KEY",
        stream_usage=True,
    ),
    _openai_family(
        "nvidia_nim",
        "https://integrate.api.nvidia.com/v1",
        "NVIDIA_NIM_API_KEY",
        stream_usage=True,
    ),
    _openai_family(
        "sambanova", "https://api.sambanova.ai/v1", "SAMBANOVA_API_KEY", stream_usage=False
    ),
    _openai_family(
        "ollama", "http://localhost:11434/v1", "OLLAMA_API_KEY", stream_usage=True, local=True
    ),
    _openai_family(
        "vllm", "http://localhost:8000/v1", "VLLM_API_KEY", stream_usage=True, local=True
    ),
    _openai_family(
        "lm_studio", "http://localhost:1234/v1", "LM_STUDIO_API_KEY", stream_usage=False, local=True
    ),
    _openai_family(
        "llamafile", "http://localhost:8080/v1", "LLAMAFILE_API_KEY", stream_usage=False, local=True
    ),
    # Known by name so that routing can say so; their adapters are not built yet.
    Provider("anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", adapter=None),
    Provider(
        "gemini",
        "https://generativelanguage.googleapis.com/v1beta",
        "GEMINI_API_KEY",
        adapter=None,
    ),
    Provider("cohere", "https://api.cohere.com/v2", "COHERE_API_KEY", adapter=None),
    Provider("bedrock", "", "AWS_ACCESS_KEY_ID", adapter=None),
    Provider("azure", "", "AZURE_API_KEY", adapter=None),
]

_REGISTRY: dict[str, Provider] = {p.name: p for p in _BUILTIN}

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
    replace: bool = False,
) -> Provider:
    """Add a custom OpenAI-compatible provider, routed as ``"name/model"``.

    ``auth_header``/``auth_prefix`` set how the key travels (``api-key`` with an empty prefix
    for Azure-style servers). ``requires_key`` defaults to whether ``api_key_env`` is given.
    """
    if not name or not name[0].isalnum() or not set(name) <= _NAME_CHARACTERS:
        raise ValueError(f"provider name {name!r}: use lowercase letters, digits, _ . -")
    if name in _REGISTRY and not replace:
        raise ValueError(f"provider {name!r} exists; pass replace=True to redefine it")
    provider = Provider(
        name,
        base_url.rstrip("/"),
        api_key_env,
        auth_header=auth_header,
        auth_prefix=auth_prefix,
        requires_key=api_key_env is not None if requires_key is None else requires_key,
        stream_usage=stream_usage,
    )
    _REGISTRY[name] = provider
    return provider


def get_provider(name: str) -> Provider:
    """A registered provider by name (case-insensitive)."""
    try:
        return _REGISTRY[name.lower()]
    except KeyError:
        raise UnknownProviderError(
            f"unknown provider {name!r} (known: {', '.join(sorted(_REGISTRY))})", provider=name
        ) from None


def provider_names() -> list[str]:
    """Every registered provider's name."""
    return sorted(_REGISTRY)


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
        known = _REGISTRY.get(prefix.lower())
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
