"""Per-provider settings: ``provider_options`` checked up front, merged in one order.

For every provider ``provider_options[name]`` takes ``base_url``, ``api_key``, ``headers``,
``timeout``, ``max_retries`` and the limits ``max_concurrency``, ``requests_per_minute``
and ``tokens_per_minute`` (``literllm._limits``), plus the keys its adapter names
(``region``, ``project``, ``api_version``, ...). Which one applies, first match wins:

1. the call's own argument (``api_key=``, ``timeout=``, ``extra_headers=``);
2. the provider's options;
3. the client's argument (``base_url=``, ``api_key=`` (a string, or a mapping by provider),
   ``headers=``, ``timeout=``, ``max_retries=``);
4. the environment: the provider's key variable, and its base URL variable where its
   official SDK reads one (``OPENAI_BASE_URL``, ``ANTHROPIC_BASE_URL``, ...);
5. the default.

A provider name or key that does not exist is a ``ConfigurationError`` when the client is
made, naming what is valid (and the closest match).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from ._config import Timeout, as_timeout
from .errors import ConfigurationError
from .providers import Provider, get_provider, provider_names
from .providers._base import COMMON_OPTIONS

__all__ = ["ProviderSettings", "check_provider_options", "did_you_mean"]


def did_you_mean(word: str, choices: list[str] | frozenset[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ProviderSettings(NamedTuple):
    """One provider's settings, merged from its options, the client's and the environment's
    (a call's own arguments are applied on top by the client)."""

    base_url: str | None  # None: the provider's default; else the caller chose the server
    api_key: str | Mapping[str, str] | None  # the provider's, else the client's
    headers: Mapping[str, str]
    timeout: Timeout
    max_retries: int
    options: Mapping[str, Any]  # the adapter's own keys


def check_provider_options(
    provider_options: Mapping[str, Mapping[str, Any]] | None,
    check_url: Any,
    check_headers: Any,
) -> dict[str, dict[str, Any]]:
    """``provider_options`` by lowercase provider name, every name, key and common value
    checked; raises ``ConfigurationError`` naming what is wrong and what is valid."""
    checked: dict[str, dict[str, Any]] = {}
    for name, options in (provider_options or {}).items():
        if not isinstance(name, str):
            raise ConfigurationError(f"provider_options: {name!r} is not a provider name")
        try:
            provider = get_provider(name)
        except ConfigurationError:
            known = provider_names()
            raise ConfigurationError(
                f"provider_options: unknown provider {name!r}{did_you_mean(name.lower(), known)}"
                f"; known: {', '.join(known)}"
            ) from None
        if not isinstance(options, Mapping):
            raise ConfigurationError(
                f"provider_options[{name!r}] must be a mapping, not {type(options).__name__}"
            )
        own: frozenset[str] | None = getattr(
            type(provider.load_adapter()), "option_names", None
        )
        where = f"provider_options[{name!r}]"
        for key in options:
            if own is not None and key not in COMMON_OPTIONS and key not in own:
                valid = sorted(COMMON_OPTIONS | own)
                raise ConfigurationError(
                    f"{where}: unknown key {key!r}{did_you_mean(str(key), valid)}; "
                    f"{provider.name} takes {', '.join(valid)}"
                )
        values = dict(options)
        if values.get("base_url") is not None:
            values["base_url"] = check_url(values["base_url"], f"{where}['base_url']")
        if "api_key" in values and values["api_key"] is not None and not isinstance(
            values["api_key"], str
        ):
            raise ConfigurationError(f"{where}['api_key'] must be a string")
        if "headers" in values:
            check_headers(values["headers"] or {}, f"{where}['headers']")
        if "timeout" in values:
            values["timeout"] = as_timeout(values["timeout"], Timeout())
        for limit in ("max_concurrency", "requests_per_minute", "tokens_per_minute"):
            value = values.get(limit)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigurationError(f"{where}[{limit!r}] must be a whole number, 1 or more")
        if "max_retries" in values:
            retries = values["max_retries"]
            if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
                raise ConfigurationError(
                    f"{where}['max_retries'] must be a whole number, 0 or more"
                )
        checked[provider.name] = values
    return checked


def merge(
    provider: Provider,
    options: Mapping[str, Any],
    *,
    client_base_url: str | None,
    client_key: str | Mapping[str, str] | None,
    client_headers: Mapping[str, str],
    client_timeout: Timeout,
    client_max_retries: int,
    check_url: Any,
) -> ProviderSettings:
    """One provider's settings (see the module's order)."""
    base_url = options.get("base_url") or client_base_url
    if base_url is None:
        for variable in provider.base_url_env:
            value = os.environ.get(variable)
            if value:
                base_url = check_url(value, variable)
                break
    return ProviderSettings(
        base_url=base_url,
        api_key=options.get("api_key") or client_key,
        headers={**client_headers, **(options.get("headers") or {})},
        timeout=options.get("timeout") or client_timeout,
        max_retries=options.get("max_retries", client_max_retries),
        options={key: value for key, value in options.items() if key not in COMMON_OPTIONS},
    )
